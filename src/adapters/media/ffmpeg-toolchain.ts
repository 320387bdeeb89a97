import { cleanFfmpegLine } from './probe.js';
import { runProcess, SpawnError, type RunResult } from './process.js';

/**
 * Shared by the ffmpeg adapters: asking the installed toolchain what it can
 * do, and turning its failures into messages an operator can act on.
 */

export type ToolEnv = 'FFMPEG_PATH' | 'FFPROBE_PATH';

/** What every toolchain message ends with: how to get a working ffmpeg. */
export function installHint(envName: ToolEnv): string {
  return `install Debian's ffmpeg (apt-get install ffmpeg) or set ${envName}`;
}

/**
 * Answers of toolchain queries by binary and arguments: what an installed
 * ffmpeg can do does not change while the process runs, and `curta start`
 * checks both adapters, which ask for the same listings. Failures are not kept.
 */
const queries = new Map<string, Promise<RunResult>>();

/** Runs a toolchain query (a listing, a version) once per process, turning "not installed" into an actionable message. */
export function queryTool(path: string, args: string[], envName: ToolEnv): Promise<RunResult> {
  const key = JSON.stringify([path, ...args]);
  let answer = queries.get(key);
  if (!answer) {
    answer = runQuery(path, args, envName);
    queries.set(key, answer);
    answer.catch(() => queries.delete(key));
  }
  return answer;
}

async function runQuery(path: string, args: string[], envName: ToolEnv): Promise<RunResult> {
  const name = envName === 'FFPROBE_PATH' ? 'ffprobe' : 'ffmpeg';
  let result: RunResult;
  try {
    result = await runProcess(path, args, { timeoutMs: 30_000 });
  } catch (err) {
    if (err instanceof SpawnError) {
      const reason = err.errno === 'ENOENT' ? 'not found' : `not runnable (${err.errno ?? err.message})`;
      throw new Error(`${name} ${reason} at ${path}: ${installHint(envName)}`, { cause: err });
    }
    throw err;
  }
  if (result.code !== 0) {
    throw new Error(`${name} at ${path} failed (${lastMeaningfulLine(result.stderr) || `exit ${result.code}`}): ${installHint(envName)}`);
  }
  return result;
}

/**
 * Runs ffmpeg or ffprobe for real work; a binary that has gone missing since
 * the start-up check gets the same advice as at start-up.
 */
export async function runTool(
  command: string,
  envName: ToolEnv,
  args: string[],
  opts: Parameters<typeof runProcess>[2],
): Promise<RunResult> {
  try {
    return await runProcess(command, args, opts);
  } catch (err) {
    if (err instanceof SpawnError && err.errno === 'ENOENT') {
      throw new Error(`${command} not found: ${installHint(envName)}`, { cause: err });
    }
    throw err;
  }
}

/** Names from `ffmpeg -encoders` (or `-decoders`) that the listing lacks. */
export function missingCodecs(listing: string, names: readonly string[]): string[] {
  return names.filter((n) => !new RegExp(`^\\s*[VAS.][.A-Z]{5}\\s+${n}\\s`, 'm').test(listing));
}

/** Names from `ffmpeg -filters` that the listing lacks. */
export function missingFilters(listing: string, names: readonly string[]): string[] {
  return names.filter((n) => !new RegExp(`^\\s*\\S+\\s+${n}\\s`, 'm').test(listing));
}

/** Names from `ffmpeg -demuxers` that the listing lacks (a line may name several: "mov,mp4,m4a"). */
export function missingDemuxers(listing: string, names: readonly string[]): string[] {
  const listed = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = line.match(/^\s*[DEd. ]{1,4}?\s+([\w,]+)\s/);
    if (m) for (const n of m[1]!.split(',')) listed.add(n);
  }
  return names.filter((n) => !listed.has(n));
}

/** Lines that name the real problem, not the aftermath. */
const NOISE = [
  /^Last message repeated/i,
  /^Conversion failed!?$/i,
  /^Error while (filtering|decoding|processing)/i,
  /^Error (initializing|closing|writing)/i,
  /^Exiting normally/i,
  /^\s*$/,
];

export function lastMeaningfulLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map(cleanFfmpegLine);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!NOISE.some((re) => re.test(line))) return redactPaths(line);
  }
  return '';
}

/** Server paths are nobody's business in a message shown to the uploader. */
function redactPaths(line: string): string {
  return line.replace(/(file:)?\/[^\s:]+/g, 'input');
}
