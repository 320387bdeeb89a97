import { execFile } from 'node:child_process';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `curta <args>` from the sources (tsx) as a child process with only PATH
 * and `env` in its environment, and resolves with its exit status and output
 * (never rejects: a non-zero exit is a result to check).
 */
export function curta(args: string[], env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
