import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isAbandoned, OWNER_TAG, ownedName } from './scratch.js';

const STALE = 60_000;
const now = Date.now();
const [host, pid, instance] = OWNER_TAG.split('.') as [string, string, string];
const otherHost = `${host.slice(0, 7)}${host.endsWith('0') ? '1' : '0'}`;

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('scratch owner tags', () => {
  it('tags names with host, pid and a per-process instance', () => {
    expect(OWNER_TAG).toMatch(/^[0-9a-f]{8}\.\d+\.[0-9a-f]{6}$/);
    expect(pid).toBe(String(process.pid));
    expect(ownedName('abc-12')).toBe(`abc-12.${OWNER_TAG}`);
  });

  it('keeps what this process, or a live one on this host, owns while it is fresh', () => {
    expect(isAbandoned(ownedName('video-1'), now, STALE, now)).toBe(false);
    expect(isAbandoned(`video-1.${host}.${process.ppid}.abcdef`, now, STALE, now)).toBe(false);
  });

  it('gives up what a dead process on this host owned at once, however fresh', async () => {
    expect(isAbandoned(`video-1.${host}.${await deadPid()}.abcdef`, now, STALE, now)).toBe(true);
    // The same pid in an earlier life (a restarted container): another instance id.
    const earlier = instance === 'aaaaaa' ? 'bbbbbb' : 'aaaaaa';
    expect(isAbandoned(`video-1.${host}.${pid}.${earlier}`, now, STALE, now)).toBe(true);
    // A lock file holds its tag as its content.
    expect(isAbandoned(`lock.${host}.${pid}.${earlier}`, now, STALE, now)).toBe(true);
  });

  it('judges other hosts and untagged names by age alone', () => {
    expect(isAbandoned(`video-1.${otherHost}.1.abcdef`, now - 1000, STALE, now)).toBe(false);
    expect(isAbandoned(`video-1.${otherHost}.1.abcdef`, now - 2 * STALE, STALE, now)).toBe(true);
    expect(isAbandoned('video-1-abcd', now - 1000, STALE, now)).toBe(false);
    expect(isAbandoned('video-1-abcd', now - 2 * STALE, STALE, now)).toBe(true);
    // Even this process's own, if nothing touched it for that long (a leak).
    expect(isAbandoned(ownedName('video-1'), now - 2 * STALE, STALE, now)).toBe(true);
  });

  it('judges a container with the same host name but its own pid namespace by age alone', async () => {
    const sibling = createHash('sha256').update(`${hostname()}\npid:[1]`).digest('hex').slice(0, 8);
    // Our own host part names our pid namespace too.
    expect(host).toBe(
      createHash('sha256')
        .update(`${hostname()}\n${readlinkSync('/proc/self/ns/pid')}`)
        .digest('hex')
        .slice(0, 8),
    );
    expect(sibling).not.toBe(host);
    // Its pid means nothing here: not running here (or even ours) is no sign it is dead.
    expect(isAbandoned(`video-1.${sibling}.${await deadPid()}.abcdef`, now - 1000, STALE, now)).toBe(false);
    expect(isAbandoned(`video-1.${sibling}.${pid}.abcdef`, now - 1000, STALE, now)).toBe(false);
    expect(isAbandoned(`video-1.${sibling}.${pid}.abcdef`, now - 2 * STALE, STALE, now)).toBe(true);
  });
});
