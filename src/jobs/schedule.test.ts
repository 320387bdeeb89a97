import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate } from '../adapters/db/migrate.js';
import { PgliteDatabase } from '../adapters/db/pglite-database.js';
import { DbJobQueue } from '../adapters/queue/db-job-queue.js';
import { defineJob } from './job-definition.js';
import { runRetention } from './retention.js';
import { scheduleJob } from './schedule.js';

const periodic = defineJob({ name: 'tick', payload: z.object({}), dedupeKey: () => 'tick', worker: () => null });
const quiet = { warn: () => undefined, info: () => undefined, error: () => undefined };

describe('scheduleJob', () => {
  let db: PgliteDatabase;
  let queue: DbJobQueue;
  beforeAll(async () => {
    db = await PgliteDatabase.open(null);
    await migrate(db);
    queue = new DbJobQueue(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('asks once while a run is pending, not again within an interval of the last run, and again after it', async () => {
    const HOUR = 3_600_000;
    let now = Date.now();
    const runs = () => queue.findByDedupeKeys('tick', ['tick']);
    // Two worker processes start: one pending run.
    await scheduleJob(queue, periodic, {}, HOUR, quiet, () => now)();
    await scheduleJob(queue, periodic, {}, HOUR, quiet, () => now)();
    expect((await runs()).map((j) => j.status)).toEqual(['queued']);

    const [claimed] = await queue.claim('tick', 'w', 1, 60_000);
    expect(await queue.complete(claimed!)).toBe(true);
    // A third starts right after the run: nothing to do for an interval.
    await scheduleJob(queue, periodic, {}, HOUR, quiet, () => now)();
    expect((await runs()).map((j) => j.status)).toEqual(['done']);
    now += 2 * HOUR;
    await scheduleJob(queue, periodic, {}, HOUR, quiet, () => now)();
    expect((await runs()).map((j) => j.status)).toEqual(['done', 'queued']);
  });
});

describe('runRetention', () => {
  it('runs every task even when one fails, counts each, then fails the run', async () => {
    const counted: Array<[string, number]> = [];
    const tasks = [
      { kind: 'a', prune: async () => 3 },
      {
        kind: 'broken',
        prune: async (): Promise<number> => {
          throw new Error('table is gone');
        },
      },
      { kind: 'b', prune: async () => 0 },
    ];
    await expect(runRetention(tasks, new AbortController().signal, quiet, (k, n) => counted.push([k, n]))).rejects.toThrow('table is gone');
    expect(counted).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
    expect(await runRetention([tasks[0]!], new AbortController().signal, quiet)).toEqual({ a: 3 });
    const stopped = new AbortController();
    stopped.abort(new Error('stopping'));
    await expect(runRetention(tasks, stopped.signal, quiet)).rejects.toThrow('stopping');
  });
});
