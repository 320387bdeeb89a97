import { spawn } from 'node:child_process';

/**
 * Running ffmpeg/ffprobe: bounded time, bounded captured output, killed on
 * abort. Output is kept in memory only up to a cap so a chatty broken file
 * cannot exhaust the worker.
 */

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with each complete stdout line (for `-progress pipe:1`). */
  onStdoutLine?: (line: string) => void;
  /** Keep at most this many bytes of stdout (default 16 MiB). */
  maxStdoutBytes?: number;
  /** Keep the last this many bytes of stderr (default 64 KiB). */
  maxStderrBytes?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Thrown when the binary itself cannot be started. */
export class SpawnError extends Error {
  readonly errno: string | undefined;
  constructor(
    readonly command: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot run ${command}: ${cause.message}`);
    this.name = 'SpawnError';
    this.errno = cause.code;
  }
}

/**
 * Runs a command to completion. Resolves with the exit status (even a
 * non-zero one, and with `timedOut` after a timeout kill); rejects with the
 * signal's reason when aborted and with SpawnError when it cannot start.
 */
export function runProcess(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    if (opts.signal?.aborted) {
      reject(abortReason(opts.signal));
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const maxStdout = opts.maxStdoutBytes ?? 16 * 1024 * 1024;
    const maxStderr = opts.maxStderrBytes ?? 64 * 1024;
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let lineBuffer = '';
    let timedOut = false;
    let aborted = false;
    let settled = false;

    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutBytes < maxStdout) {
        stdoutChunks.push(chunk);
        stdoutBytes += chunk.length;
      }
      if (opts.onStdoutLine) {
        lineBuffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = lineBuffer.indexOf('\n')) >= 0) {
          opts.onStdoutLine(lineBuffer.slice(0, nl).trimEnd());
          lineBuffer = lineBuffer.slice(nl + 1);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.length > maxStderr * 2) stderr = stderr.slice(-maxStderr);
    });

    const kill = (): void => {
      // SIGKILL: a stuck demuxer may ignore SIGTERM, and we discard the output anyway.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      finish();
      reject(new SpawnError(command, err));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      finish();
      if (lineBuffer && opts.onStdoutLine) opts.onStdoutLine(lineBuffer.trimEnd());
      if (aborted && opts.signal) {
        reject(abortReason(opts.signal));
        return;
      }
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderr: stderr.length > maxStderr ? stderr.slice(-maxStderr) : stderr,
        timedOut,
      });
    });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
