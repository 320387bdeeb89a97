import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curta } from '../support/cli.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { DbJobQueue, type JobRecord } from '../../src/adapters/queue/db-job-queue.js';

/**
 * `curta jobs` as an operator runs it: a child process against an embedded
 * data folder, whose queue holds dead and stuck jobs as failed workers leave them.
 */
describe('curta jobs', () => {
  let dir: string;
  let env: Record<string, string>;
  const ids = { deadPurge: '', deadPurge2: '', deadProcess: '', stuck: '', waiting: '' };

  /** Opens the data folder's database (the CLI is not running then: PGlite is single-process). */
  async function withQueue<T>(fn: (queue: DbJobQueue, db: PgliteDatabase) => Promise<T>): Promise<T> {
    const db = await PgliteDatabase.open(join(dir, 'db'));
    try {
      return await fn(new DbJobQueue(db, { logger: { warn: () => undefined, error: () => undefined } }), db);
    } finally {
      await db.close();
    }
  }
  /** The stored rows of `ids` (one database open: PGlite's start-up is the slow part of this file). */
  const jobs = (...wanted: string[]): Promise<Array<JobRecord | null>> => withQueue((q) => Promise.all(wanted.map((id) => q.get(id))));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-jobs-cli-'));
    env = { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    expect((await curta(['migrate'], env)).code).toBe(0);
    await withQueue(async (queue) => {
      const dead = async (name: string, error: string): Promise<string> => {
        const { id } = await queue.enqueue(name, { videoId: 'v' }, { maxAttempts: 1 });
        const [claimed] = await queue.claim(name, 'worker-a', 1, 60_000);
        await queue.fail(claimed!, new Error(`${error}\n    at somewhere (file.js:1:1)`));
        return id;
      };
      ids.deadPurge = await dead('video.purge', 'bucket said no');
      ids.deadPurge2 = await dead('video.purge', 'bucket said no again');
      ids.deadProcess = await dead('video.process', 'ffmpeg exited with code 1');
      // A worker that died holding a job: its lease ran out.
      ids.stuck = (await queue.enqueue('account.purge', { userId: 'u1' })).id;
      await queue.claim('account.purge', 'worker-gone', 1, 1);
      ids.waiting = (await queue.enqueue('account.purge', { userId: 'u2' }, { runAt: new Date(Date.now() + 3_600_000) })).id;
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists dead and stuck jobs with queue, id, attempts, age and the last error', async () => {
    const r = await curta(['jobs', 'list'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STATE\s+QUEUE\s+ID\s+ATTEMPTS\s+AGE\s+LAST ERROR$/);
    expect(lines).toHaveLength(5);
    expect(r.stdout).toMatch(
      new RegExp(`^dead\\s+video\\.process\\s+${ids.deadProcess}\\s+1/1\\s+\\d+s\\s+Error: ffmpeg exited with code 1$`, 'm'),
    );
    expect(r.stdout).toMatch(new RegExp(`^stuck\\s+account\\.purge\\s+${ids.stuck}\\s+1/5\\s+\\d+s\\s+-$`, 'm'));
    expect(r.stdout).not.toContain(ids.waiting);
    expect(r.stdout).not.toContain('at somewhere'); // first line of the error only

    const purges = await curta(['jobs', 'list', '--queue', 'video.purge'], env);
    expect(purges.stdout).toContain(ids.deadPurge);
    expect(purges.stdout).toContain(ids.deadPurge2);
    expect(purges.stdout).not.toContain(ids.deadProcess);

    const queued = await curta(['jobs', 'list', '--state', 'queued', '--state', 'stuck', '--json'], env);
    const parsed = JSON.parse(queued.stdout) as Array<{ id: string; status: string; lastError: string | null }>;
    expect(parsed.map((j) => j.id).sort()).toEqual([ids.waiting, ids.stuck].sort());
    expect(parsed.find((j) => j.id === ids.waiting)).toMatchObject({ status: 'queued', lastError: null });
    expect(parsed.find((j) => j.id === ids.stuck)).toMatchObject({ status: 'running', stuck: true });
  });

  it('refuses bad arguments with the usage and exit 64, no stack trace (each case in jobs-command.test.ts)', async () => {
    const r = await curta(['jobs', 'list', '--state', 'zombie'], env);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--state must be one of dead, stuck, queued, running, done \(got "zombie"\)\n\nUsage: curta jobs list/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('retries a dead job by id, and a stuck one; says so when there is no such job', async () => {
    expect(await curta(['jobs', 'retry', ids.deadProcess], env)).toMatchObject({ code: 0, stdout: `requeued ${ids.deadProcess}\n` });
    expect(await curta(['jobs', 'retry', ids.stuck], env)).toMatchObject({ code: 0, stdout: `requeued ${ids.stuck}\n` });
    const [deadProcess, stuck] = await jobs(ids.deadProcess, ids.stuck);
    expect(deadProcess).toMatchObject({ status: 'queued', attempt: 0, finishedAt: null });
    expect(stuck).toMatchObject({ status: 'queued', lockedBy: null });

    for (const id of [ids.waiting, 'not-an-id']) {
      const r = await curta(['jobs', 'retry', id], env);
      expect(r.code, id).toBe(1);
      expect(r.stderr, id).toMatch(new RegExp(`^curta jobs: no dead or stuck job ${id} \\(see curta jobs list`));
    }
  });

  it('retries every dead job of a queue, and discards dead jobs only', async () => {
    const retried = await curta(['jobs', 'retry', '--all-dead', '--queue', 'video.purge'], env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`requeued ${ids.deadPurge}\n`);
    expect(retried.stdout).toContain(`requeued ${ids.deadPurge2}\n`);
    expect(retried.stdout).toMatch(/^2 dead jobs requeued in video\.purge$/m);

    // Make them dead again, then discard: one by id, the rest all at once.
    await withQueue(async (queue) => {
      for (const claimed of await queue.claim('video.purge', 'worker-b', 2, 60_000)) await queue.markDead(claimed, 'again');
    });
    const notDead = await curta(['jobs', 'discard', ids.waiting], env);
    expect(notDead.code).toBe(1);
    expect(notDead.stderr).toMatch(/no dead job/);
    expect(await curta(['jobs', 'discard', ids.deadPurge], env)).toMatchObject({ code: 0, stdout: `discarded ${ids.deadPurge}\n` });
    const all = await curta(['jobs', 'discard', '--all-dead'], env);
    expect(all).toMatchObject({ code: 0, stdout: `discarded ${ids.deadPurge2}\n1 dead job discarded\n` });
    const [purge, purge2, waiting] = await jobs(ids.deadPurge, ids.deadPurge2, ids.waiting);
    expect([purge, purge2]).toEqual([null, null]);
    expect(waiting?.status).toBe('queued'); // refused above: not dead
    expect(await curta(['jobs', 'list'], env)).toMatchObject({ code: 0, stdout: 'no dead or stuck jobs\n' });
  });
});
