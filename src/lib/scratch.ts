import { createHash, randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Owner tags for scratch files and folders (work folders of a processing
 * job, temporary uploads of the filesystem store) in a data directory that
 * several processes may share, so that whoever starts after a crash removes
 * what a dead process left and nothing a live one still uses.
 *
 * A tag is `<host>.<pid>.<instance>`: a hash of the host name, the process
 * id, and a random id drawn once per process. A leftover is abandoned when
 * - it was made on this host by a pid that no longer runs, or by this very
 *   pid in an earlier life (a restarted container often gets the same pid:
 *   the instance id differs), or
 * - nothing touched it for longer than the caller's stale limit: owners keep
 *   what they use fresh (a work folder is touched with every job heartbeat, a
 *   temporary upload grows at the minimum body rate), so an old one is dead
 *   whatever host made it. This also covers untagged names from older releases.
 * Processes on other hosts (containers with their own host names sharing a
 * volume) are judged by age alone: their pids mean nothing here. "Host"
 * includes the pid namespace: containers that share a host name (host
 * networking, a compose `hostname:`) still have pid spaces of their own, and
 * one's pid 1 is not the other's.
 */
const HOST = createHash('sha256').update(`${hostname()}\n${pidNamespace()}`).digest('hex').slice(0, 8);
const INSTANCE = randomBytes(3).toString('hex');

/** The pid namespace this process lives in (Linux), or '' where there is none to read. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** This process's tag. */
export const OWNER_TAG = `${HOST}.${process.pid}.${INSTANCE}`;

const TAG = /(?:^|\.)([0-9a-f]{8})\.(\d{1,10})\.([0-9a-f]{6})$/;

/** `base` tagged with this process as its owner. */
export function ownedName(base: string): string {
  return `${base}.${OWNER_TAG}`;
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

/** Whether a scratch entry named (or holding the tag) `nameOrTag`, last modified at `mtimeMs`, has no live owner. */
export function isAbandoned(nameOrTag: string, mtimeMs: number, staleAfterMs: number, now: number = Date.now()): boolean {
  const tag = TAG.exec(nameOrTag.trim());
  if (tag?.[1] === HOST) {
    const pid = Number(tag[2]);
    if (pid === process.pid) {
      if (tag[3] !== INSTANCE) return true;
    } else if (!pidRuns(pid)) {
      return true;
    }
  }
  return now - mtimeMs > staleAfterMs;
}

/**
 * Removes the abandoned entries of `dir` (files or whole folders) that
 * `select` picks; `tagOf` reads the owner tag of an entry whose name does not
 * carry it (a lock file holding it). Returns the names removed.
 */
export async function removeAbandoned(
  dir: string,
  staleAfterMs: number,
  opts: { select?: (name: string) => boolean; tagOf?: (name: string) => boolean } = {},
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (opts.select && !opts.select(name)) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => null);
    if (!st) continue;
    const tag = opts.tagOf?.(name) ? await readFile(path, 'utf8').catch(() => '') : name;
    if (!isAbandoned(tag, st.mtimeMs, staleAfterMs)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
