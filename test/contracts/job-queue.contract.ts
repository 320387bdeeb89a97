import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DbJobQueue, type DbJobQueueOptions } from '../../src/adapters/queue/db-job-queue.js';
import type { AdapterLogger } from '../../src/adapters/logger.js';
import type { Database } from '../../src/ports/database.js';
import { PermanentJobError, type Job, type JobWorker, type WorkOptions } from '../../src/ports/job-queue.js';
import { deferred, sleep, waitFor } from './support.js';

export interface MigratedDatabaseFixture {
  /** A fresh database with every migration applied. */
  db: Database;
  cleanup(): Promise<void>;
}

const silent: AdapterLogger = { warn: () => undefined, error: () => undefined };

/**
 * The behaviour of the database-backed JobQueue, run against every Database
 * adapter (PGlite, PostgreSQL). Timings are shortened through the queue's
 * options; no assertion depends on how fast anything runs.
 */
export function jobQueueContract(name: string, factory: () => Promise<MigratedDatabaseFixture>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let fixture: MigratedDatabaseFixture;
    let db: Database;
    const workers: JobWorker[] = [];
    const fast: WorkOptions = { concurrency: 1, leaseMs: 5_000, pollMs: 20 };

    const newQueue = (opts: DbJobQueueOptions = {}): DbJobQueue =>
      new DbJobQueue(db, { retryBaseMs: 10, retryMaxMs: 50, logger: silent, ...opts });
    // Each test uses its own queue name, so they share one database safely.
    const queueName = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;
    const track = (worker: JobWorker): JobWorker => {
      workers.push(worker);
      return worker;
    };

    beforeAll(async () => {
      fixture = await factory();
      db = fixture.db;
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop(0)));
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    it('runs an enqueued job once with its payload and marks it done', async () => {
      const queue = newQueue();
      const q = queueName('basic');
      const seen: Array<Job<{ videoId: string }>> = [];
      const { id, created } = await queue.enqueue(q, { videoId: 'v1' });
      expect(created).toBe(true);
      expect(await queue.counts(q)).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });

      track(queue.work<{ videoId: string }>(q, async (job) => void seen.push(job), fast));
      await waitFor(async () => (await queue.counts(q)).done === 1, 10_000, 'job done');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ id, queue: q, payload: { videoId: 'v1' }, attempt: 1, maxAttempts: 5 });
      const record = await queue.get(id);
      expect(record).toMatchObject({ status: 'done', attempt: 1, lockedBy: null, leaseUntil: null });
      expect(record!.finishedAt).toBeInstanceOf(Date);
    });

    it('starts in-process work on enqueue without waiting for a poll', async () => {
      const queue = newQueue();
      const q = queueName('wake');
      const ran = deferred<string>();
      // A poll interval far longer than the test timeout: only wake() can start the job.
      track(queue.work(q, async (job) => ran.resolve(job.id), { concurrency: 1, leaseMs: 5_000, pollMs: 600_000 }));
      await sleep(50); // let the first (empty) poll happen
      const { id } = await queue.enqueue(q, {});
      expect(await ran.promise).toBe(id);
    });

    it('deduplicates by key while the first job is unfinished, not after', async () => {
      const queue = newQueue();
      const q = queueName('dedupe');
      const first = await queue.enqueue(q, { n: 1 }, { dedupeKey: 'video:1' });
      const second = await queue.enqueue(q, { n: 2 }, { dedupeKey: 'video:1' });
      const other = await queue.enqueue(q, { n: 3 }, { dedupeKey: 'video:2' });
      expect(first.created).toBe(true);
      expect(second).toEqual({ id: first.id, created: false });
      expect(other.created).toBe(true);
      expect(await queue.counts(q)).toMatchObject({ queued: 2 });

      track(queue.work(q, async () => undefined, fast));
      await waitFor(async () => (await queue.counts(q)).done === 2, 10_000, 'jobs done');
      const third = await queue.enqueue(q, { n: 4 }, { dedupeKey: 'video:1' });
      expect(third.created).toBe(true);
      expect(third.id).not.toBe(first.id);
    });

    it('deduplicates concurrent enqueues of the same key', async () => {
      const queue = newQueue();
      const q = queueName('dedupe-race');
      const results = await Promise.all(Array.from({ length: 10 }, () => queue.enqueue(q, {}, { dedupeKey: 'k' })));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('finds jobs by dedupe key, in every status or the ones asked for, within one queue', async () => {
      const queue = newQueue();
      const q = queueName('find');
      const elsewhere = queueName('find-other');
      const dead = await queue.enqueue(q, {}, { dedupeKey: 'k1', maxAttempts: 1 });
      track(
        queue.work(
          q,
          async () => {
            throw new Error('boom');
          },
          fast,
        ),
      );
      await waitFor(async () => (await queue.counts(q)).dead === 1, 10_000, 'job dead');
      await Promise.all(workers.splice(0).map((w) => w.stop(0)));
      const queued = await queue.enqueue(q, {}, { dedupeKey: 'k1' });
      const other = await queue.enqueue(q, {}, { dedupeKey: 'k2' });
      await queue.enqueue(q, {}, { dedupeKey: 'k3' });
      await queue.enqueue(elsewhere, {}, { dedupeKey: 'k1' });

      // Jobs enqueued within one clock tick have no defined order: compare by key, then status.
      const byKey = <J extends { dedupeKey: string; status: string }>(jobs: J[]) =>
        [...jobs].sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey) || a.status.localeCompare(b.status));
      const all = byKey(await queue.findByDedupeKeys(q, ['k1', 'k2', 'missing']));
      expect(all.map((j) => [j.id, j.dedupeKey, j.status])).toEqual([
        [dead.id, 'k1', 'dead'],
        [queued.id, 'k1', 'queued'],
        [other.id, 'k2', 'queued'],
      ]);
      expect(all[0]).toMatchObject({ queue: q, attempt: 1, maxAttempts: 1 });
      expect(all[0]!.finishedAt).toBeInstanceOf(Date);
      expect(all[1]!.finishedAt).toBeNull();

      const unfinished = byKey(await queue.findByDedupeKeys(q, ['k1', 'k2'], ['queued', 'running']));
      expect(unfinished.map((j) => j.id)).toEqual([queued.id, other.id]);
      expect(await queue.findByDedupeKeys(q, ['k1'], ['dead'])).toEqual([all[0]]);
      expect(await queue.findByDedupeKeys(q, [])).toEqual([]);
    });

    it('enqueues inside the caller transaction: rolled back with it, visible on commit', async () => {
      const queue = newQueue();
      const q = queueName('tx');
      await expect(
        db.transaction(async (tx) => {
          await queue.enqueue(q, { step: 'lost' }, { executor: tx });
          throw new Error('state change failed');
        }),
      ).rejects.toThrow('state change failed');
      expect(await queue.counts(q)).toEqual({ queued: 0, running: 0, done: 0, dead: 0 });

      const { id } = await db.transaction((tx) => queue.enqueue(q, { step: 'kept' }, { executor: tx }));
      expect((await queue.get(id))?.payload).toEqual({ step: 'kept' });
      expect(await queue.counts(q)).toMatchObject({ queued: 1 });
    });

    it('does not run a job before its runAt', async () => {
      const queue = newQueue();
      const q = queueName('delayed');
      const runAt = new Date(Date.now() + 300);
      const started = deferred<number>();
      await queue.enqueue(q, {}, { runAt });
      track(queue.work(q, async () => started.resolve(Date.now()), fast));
      expect(await started.promise).toBeGreaterThanOrEqual(runAt.getTime());
    });

    it('retries with backoff, then dead-letters after maxAttempts with the last error', async () => {
      const queue = newQueue();
      const q = queueName('retry');
      const attempts: number[] = [];
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 3 });
      track(
        queue.work(
          q,
          async (job) => {
            attempts.push(job.attempt);
            throw new Error(`failure #${job.attempt}`);
          },
          fast,
        ),
      );
      await waitFor(async () => (await queue.counts(q)).dead === 1, 10_000, 'job dead');
      expect(attempts).toEqual([1, 2, 3]);
      const record = await queue.get(id);
      expect(record).toMatchObject({ status: 'dead', attempt: 3, maxAttempts: 3 });
      expect(record!.lastError).toContain('failure #3');
      expect((await queue.listDead(q)).map((j) => j.id)).toEqual([id]);
    });

    it('schedules a retry in the future after a failure', async () => {
      const queue = newQueue({ retryBaseMs: 60_000, retryMaxMs: 60_000, retryJitter: 0 });
      const q = queueName('backoff');
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 5 });
      const failed = deferred();
      track(
        queue.work(
          q,
          async () => {
            failed.resolve();
            throw new Error('transient');
          },
          fast,
        ),
      );
      await failed.promise;
      const record = await waitFor(async () => {
        const r = await queue.get(id);
        return r?.status === 'queued' ? r : null;
      });
      expect(record.attempt).toBe(1);
      expect(record.lastError).toContain('transient');
      // Due a minute after the failure, not now.
      expect(record.runAt.getTime() - record.updatedAt.getTime()).toBeGreaterThanOrEqual(59_000);
    });

    it("uses a worker's own backoff over the queue's default", async () => {
      const queue = newQueue({ retryBaseMs: 10, retryMaxMs: 10, retryJitter: 0 });
      const q = queueName('own-backoff');
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 5 });
      const failed = deferred();
      track(
        queue.work(
          q,
          async () => {
            failed.resolve();
            throw new Error('transient');
          },
          { ...fast, backoff: { baseMs: 60_000, maxMs: 120_000 } },
        ),
      );
      await failed.promise;
      const record = await waitFor(async () => {
        const r = await queue.get(id);
        return r?.status === 'queued' ? r : null;
      });
      expect(record.runAt.getTime() - record.updatedAt.getTime()).toBeGreaterThanOrEqual(59_000);
    });

    it('dead-letters at once on PermanentJobError', async () => {
      const queue = newQueue();
      const q = queueName('permanent');
      let calls = 0;
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 5 });
      track(
        queue.work(
          q,
          async () => {
            calls++;
            throw new PermanentJobError('not a video');
          },
          fast,
        ),
      );
      await waitFor(async () => (await queue.counts(q)).dead === 1, 10_000, 'job dead');
      expect(calls).toBe(1);
      expect((await queue.get(id))?.lastError).toContain('not a video');
    });

    it('puts a dead job back with retryDead', async () => {
      const queue = newQueue();
      const q = queueName('revive');
      let fail = true;
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 1 });
      track(
        queue.work(
          q,
          async () => {
            if (fail) throw new Error('first time');
          },
          fast,
        ),
      );
      await waitFor(async () => (await queue.counts(q)).dead === 1);
      fail = false;
      expect(await queue.retryDead(id)).toBe(true);
      await waitFor(async () => (await queue.counts(q)).done === 1);
      expect(await queue.retryDead(id)).toBe(false); // done, not dead
    });

    it("re-runs a crashed worker's job once its lease expires", async () => {
      const queue = newQueue();
      const q = queueName('crash');
      const { id } = await queue.enqueue(q, { important: true });
      // A worker claims the job with a short lease and then "crashes": it never heartbeats or finishes.
      const claimed = await queue.claim(q, 'crashed-worker', 1, 100);
      expect(claimed.map((j) => j.id)).toEqual([id]);
      expect(await queue.counts(q)).toMatchObject({ running: 1 });

      const rerun = deferred<Job>();
      track(queue.work(q, async (job) => rerun.resolve(job), fast));
      const job = await rerun.promise;
      expect(job).toMatchObject({ id, attempt: 2, payload: { important: true } });
      await waitFor(async () => (await queue.counts(q)).done === 1);

      // The crashed worker's late report cannot overwrite the outcome.
      expect(await queue.complete(claimed[0]!)).toBe(false);
      expect(await queue.fail(claimed[0]!, new Error('late'))).toBeNull();
      expect((await queue.get(id))?.status).toBe('done');
    });

    it('dead-letters a job whose final attempt lost its worker', async () => {
      const queue = newQueue();
      const q = queueName('crash-final');
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 1 });
      await queue.claim(q, 'crashed-worker', 1, 50);
      let ran = false;
      track(queue.work(q, async () => void (ran = true), fast));
      await waitFor(async () => (await queue.counts(q)).dead === 1);
      expect(ran).toBe(false);
      expect((await queue.get(id))?.lastError).toMatch(/lease expired/);
    });

    it('keeps the lease alive with heartbeats while a long handler runs', async () => {
      const queue = newQueue();
      const q = queueName('heartbeat');
      await queue.enqueue(q, {});
      let calls = 0;
      const opts: WorkOptions = { concurrency: 1, leaseMs: 400, pollMs: 10 };
      const handler = async (): Promise<void> => {
        calls++;
        await sleep(1_500); // several lease lengths
      };
      track(queue.work(q, handler, opts));
      track(queue.work(q, handler, opts));
      await waitFor(async () => (await queue.counts(q)).done === 1);
      expect(calls).toBe(1);
    });

    it('stop() stops claiming and waits for running handlers', async () => {
      const queue = newQueue();
      const q = queueName('drain');
      const started = deferred();
      const finish = deferred();
      let finished = false;
      const { id } = await queue.enqueue(q, {});
      const worker = queue.work(
        q,
        async () => {
          started.resolve();
          await finish.promise;
          finished = true;
        },
        fast,
      );
      await started.promise;
      const stopping = worker.stop(10_000);
      await queue.enqueue(q, { late: true });
      setTimeout(() => finish.resolve(), 50);
      await stopping;
      expect(finished).toBe(true);
      expect((await queue.get(id))?.status).toBe('done');
      await sleep(100);
      expect(await queue.counts(q)).toMatchObject({ queued: 1, done: 1, running: 0 });
    });

    it('stop() aborts handlers after the grace period and releases their jobs to another worker', async () => {
      const queue = newQueue();
      const q = queueName('release');
      const started = deferred();
      let abortedWith: unknown = null;
      const { id } = await queue.enqueue(q, { n: 1 });
      const worker = queue.work(
        q,
        (_job, { signal }) =>
          new Promise<void>((_resolve, reject) => {
            started.resolve();
            signal.addEventListener('abort', () => {
              abortedWith = signal.reason;
              reject(new Error('aborted'));
            });
          }),
        fast,
      );
      await started.promise;
      await worker.stop(50);
      expect(abortedWith).toBeInstanceOf(Error);
      const released = await queue.get(id);
      expect(released).toMatchObject({ status: 'queued', attempt: 0, lockedBy: null });

      const rerun = deferred<Job>();
      track(queue.work(q, async (job) => rerun.resolve(job), fast));
      expect(await rerun.promise).toMatchObject({ id, attempt: 1 });
      await waitFor(async () => (await queue.get(id))?.status === 'done');
    });

    it('never runs more handlers at once than the concurrency limit', async () => {
      const queue = newQueue();
      const q = queueName('concurrency');
      for (let i = 0; i < 8; i++) await queue.enqueue(q, { i });
      let active = 0;
      let peak = 0;
      track(
        queue.work(
          q,
          async () => {
            active++;
            peak = Math.max(peak, active);
            await sleep(20);
            active--;
          },
          { concurrency: 3, leaseMs: 5_000, pollMs: 10 },
        ),
      );
      await waitFor(async () => (await queue.counts(q)).done === 8);
      expect(peak).toBeGreaterThanOrEqual(1);
      expect(peak).toBeLessThanOrEqual(3);
    });

    it('runs each of 50 jobs exactly once across two concurrent workers', async () => {
      const queueA = newQueue();
      const queueB = newQueue();
      const q = queueName('exactly-once');
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add((await queueA.enqueue(q, { i })).id);
      const runs = new Map<string, number>();
      const handler = async (job: Job): Promise<void> => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await sleep(1);
      };
      track(queueA.work(q, handler, { concurrency: 4, leaseMs: 5_000, pollMs: 10 }));
      track(queueB.work(q, handler, { concurrency: 4, leaseMs: 5_000, pollMs: 10 }));
      await waitFor(async () => (await queueA.counts(q)).done === 50, 30_000, '50 jobs done');
      expect(runs.size).toBe(50);
      expect([...runs.keys()].every((id) => ids.has(id))).toBe(true);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
    });

    describe('fair scheduling across fairness keys', () => {
      /** Distinct, increasing run_at in the past, so the order of "oldest first" is defined. */
      const past = (i: number): Date => new Date(Date.now() - 60_000 + i * 10);

      it("starts a new key's job at the next free slot, however many another key has queued", async () => {
        const queue = newQueue();
        const q = queueName('fair');
        for (let i = 0; i < 20; i++) await queue.enqueue(q, { owner: 'A', i }, { fairnessKey: 'user-a', runAt: past(i) });
        await queue.enqueue(q, { owner: 'B', i: 0 }, { fairnessKey: 'user-b' });
        const order: string[] = [];
        track(queue.work<{ owner: string; i: number }>(q, async (job) => void order.push(`${job.payload.owner}${job.payload.i}`), fast));
        await waitFor(async () => (await queue.counts(q)).done === 21, 30_000, '21 jobs done');
        // One slot, A's first job already older: B's job is claimed second, not 21st.
        expect(order.slice(0, 3)).toEqual(['A0', 'B0', 'A1']);
        expect(order.filter((o) => o.startsWith('A'))).toEqual(Array.from({ length: 20 }, (_, i) => `A${i}`));
      });

      it('serves the key with the fewest running jobs first, within one claim and across claims', async () => {
        const queue = newQueue();
        const q = queueName('fair-claim');
        for (let i = 0; i < 20; i++) await queue.enqueue(q, { owner: 'A', i }, { fairnessKey: 'user-a', runAt: past(i) });
        const b = await queue.enqueue(q, { owner: 'B', i: 0 }, { fairnessKey: 'user-b' });
        // A's first job is running (not finished) when the next slot frees up: B's goes next.
        const first = await queue.claim(q, 'w1', 1, 5_000);
        expect(first.map((j) => j.payload)).toEqual([{ owner: 'A', i: 0 }]);
        const second = await queue.claim(q, 'w2', 1, 5_000);
        expect(second.map((j) => j.id)).toEqual([b.id]);

        // A batch claim interleaves too: each key's k-th job weighs its running jobs + k.
        const r = queueName('fair-batch');
        for (let i = 0; i < 20; i++) await queue.enqueue(r, { owner: 'A', i }, { fairnessKey: 'user-a', runAt: past(i) });
        await queue.enqueue(r, { owner: 'B', i: 0 }, { fairnessKey: 'user-b' });
        const batch = await queue.claim(r, 'w3', 4, 5_000);
        expect(batch.map((j) => j.payload)).toEqual(
          expect.arrayContaining([
            { owner: 'A', i: 0 },
            { owner: 'B', i: 0 },
            { owner: 'A', i: 1 },
            { owner: 'A', i: 2 },
          ]),
        );
        expect(batch).toHaveLength(4);
      });

      it('lets keys with backlogs take turns, and keeps jobs without a key first in, first out', async () => {
        const queue = newQueue();
        const q = queueName('fair-turns');
        for (let i = 0; i < 3; i++) await queue.enqueue(q, { owner: 'A', i }, { fairnessKey: 'user-a', runAt: past(i) });
        for (let i = 0; i < 3; i++) await queue.enqueue(q, { owner: 'B', i }, { fairnessKey: 'user-b', runAt: past(100 + i) });
        const order: string[] = [];
        for (let n = 0; n < 6; n++) {
          const [job] = await queue.claim(q, 'w', 1, 5_000);
          const p = job!.payload as { owner: string; i: number };
          order.push(`${p.owner}${p.i}`);
          expect(await queue.complete(job!)).toBe(true);
        }
        expect(order).toEqual(['A0', 'B0', 'A1', 'B1', 'A2', 'B2']);

        const plain = queueName('fifo');
        for (let i = 0; i < 5; i++) await queue.enqueue(plain, { i }, { runAt: past(i) });
        const claimed = [];
        for (let n = 0; n < 5; n++) claimed.push(...(await queue.claim(plain, 'w', 1, 5_000)));
        expect(claimed.map((j) => j.payload)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
        expect((await queue.get(claimed[0]!.id))?.fairnessKey).toBe('');
      });
    });

    /** A job of `q` that has failed for good. */
    const deadJob = async (queue: DbJobQueue, q: string, error = 'boom', opts: { dedupeKey?: string } = {}): Promise<string> => {
      // A key of its own never claimed before, due long ago: claimed ahead of whatever else waits in `q`.
      const { id } = await queue.enqueue(q, {}, { maxAttempts: 1, fairnessKey: randomUUID(), runAt: new Date(0), ...opts });
      const [claimed] = await queue.claim(q, 'operator-test', 1, 5_000);
      expect(claimed?.id).toBe(id);
      expect(await queue.fail(claimed!, new Error(error))).toEqual({ status: 'dead' });
      return id;
    };

    it('reports every queue with jobs: counts by state, the oldest due wait, and expired leases', async () => {
      const queue = newQueue();
      const a = queueName('stats-a');
      const b = queueName('stats-b');
      await queue.enqueue(a, { n: 1 }, { runAt: new Date(Date.now() - 60_000) });
      await queue.enqueue(a, { n: 2 }, { runAt: new Date(Date.now() + 3_600_000) }); // not due: no wait
      await deadJob(queue, b);
      await queue.enqueue(b, { n: 3 });
      await queue.claim(b, 'vanished-worker', 1, 1);
      await sleep(5);
      const stats = new Map((await queue.stats()).map((s) => [s.queue, s]));
      expect(stats.get(a)).toMatchObject({ counts: { queued: 2, running: 0, done: 0, dead: 0 }, expiredLeases: 0 });
      expect(stats.get(a)!.oldestDueSec).toBeGreaterThanOrEqual(59);
      expect(stats.get(b)).toMatchObject({ counts: { queued: 0, running: 1, done: 0, dead: 1 }, oldestDueSec: 0, expiredLeases: 1 });
    });

    it('lists dead and stuck jobs with their last error, by queue and state', async () => {
      const queue = newQueue();
      const q = queueName('list');
      const other = queueName('list-other');
      const dead = await deadJob(queue, q, 'transcoder exploded');
      const { id: slow } = await queue.enqueue(q, {});
      await queue.claim(q, 'slow-worker', 1, 600_000); // lease renewed, but claimed long ago (see stuckAfterMs)
      const { id: crashed } = await queue.enqueue(q, {});
      await queue.claim(q, 'vanished-worker', 1, 1); // lease of 1 ms: expired at once
      const { id: waiting } = await queue.enqueue(q, {});
      const otherDead = await deadJob(queue, other);
      await sleep(5);

      const listed = await queue.listJobs({ queue: q });
      expect(listed.map((j) => j.id).sort()).toEqual([dead, crashed].sort());
      expect(listed.find((j) => j.id === dead)).toMatchObject({ queue: q, status: 'dead', stuck: false, attempt: 1, maxAttempts: 1 });
      expect(listed.find((j) => j.id === dead)!.lastError).toContain('transcoder exploded');
      expect(listed.find((j) => j.id === crashed)).toMatchObject({ status: 'running', stuck: true, lockedBy: 'vanished-worker' });

      expect((await queue.listJobs({ queue: q, stuckAfterMs: 1 })).map((j) => j.id).sort()).toEqual([dead, crashed, slow].sort());
      expect((await queue.listJobs({ queue: q, states: ['dead'] })).map((j) => j.id)).toEqual([dead]);
      expect((await queue.listJobs({ queue: q, states: ['queued'] })).map((j) => j.id)).toEqual([waiting]);
      expect((await queue.listJobs({ states: ['dead'], limit: 100_000 })).map((j) => j.id)).toEqual(
        expect.arrayContaining([dead, otherDead]),
      );
      expect(await queue.listJobs({ queue: q, states: ['dead'], limit: 0 })).toEqual([]);
    });

    it('retries a dead or stuck job by id with fresh attempts, never a healthy running one or a duplicate', async () => {
      const queue = newQueue();
      const q = queueName('retry');
      const dead = await deadJob(queue, q);
      expect(await queue.retryJobs({ id: dead })).toEqual([dead]);
      expect(await queue.get(dead)).toMatchObject({ status: 'queued', attempt: 0, finishedAt: null });
      expect(await queue.retryJobs({ id: dead })).toEqual([]); // queued now: nothing to retry

      const [healthy] = await queue.claim(q, 'live-worker', 1, 600_000);
      expect(healthy?.id).toBe(dead);
      expect(await queue.retryJobs({ id: dead })).toEqual([]); // its worker holds the lease
      await sleep(5);
      expect(await queue.retryJobs({ id: dead, stuckAfterMs: 1 })).toEqual([dead]); // claimed too long ago: stuck
      expect(await queue.get(dead)).toMatchObject({ status: 'queued', lockedBy: null, leaseUntil: null });
      // The worker that lost it cannot record an outcome any more.
      expect(await queue.complete(healthy!)).toBe(false);

      // A dead job whose dedupe key a newer unfinished job holds stays dead: that one does the work.
      const dup = await deadJob(queue, q, 'x', { dedupeKey: 'thing:1' });
      await queue.enqueue(q, {}, { dedupeKey: 'thing:1' });
      expect(await queue.retryJobs({ id: dup })).toEqual([]);
      expect((await queue.get(dup))?.status).toBe('dead');

      expect(await queue.retryJobs({ id: 'not-a-uuid' })).toEqual([]);
      expect(await queue.retryJobs({ id: randomUUID() })).toEqual([]);
    });

    it('retries every dead job of a queue, and runs them', async () => {
      const queue = newQueue();
      const q = queueName('retry-all');
      const other = queueName('retry-all-other');
      const ids = [await deadJob(queue, q), await deadJob(queue, q)];
      const untouched = await deadJob(queue, other);
      expect((await queue.retryJobs({ allDead: true, queue: q })).sort()).toEqual([...ids].sort());
      expect((await queue.get(untouched))?.status).toBe('dead');
      track(queue.work(q, async () => undefined, fast));
      await waitFor(async () => (await queue.counts(q)).done === 2, 10_000, 'retried jobs done');
    });

    it('discards dead jobs only, by id or all of a queue', async () => {
      const queue = newQueue();
      const q = queueName('discard');
      const other = queueName('discard-other');
      const [a, b] = [await deadJob(queue, q), await deadJob(queue, q)];
      const kept = await deadJob(queue, other);
      const { id: waiting } = await queue.enqueue(q, {});
      expect(await queue.discardJobs({ id: waiting })).toEqual([]);
      expect(await queue.discardJobs({ id: a })).toEqual([a]);
      expect(await queue.get(a)).toBeNull();
      expect(await queue.discardJobs({ allDead: true, queue: q })).toEqual([b]);
      expect(await queue.counts(q)).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });
      expect((await queue.get(kept))?.status).toBe('dead');
      expect(await queue.discardJobs({ id: 'nope' })).toEqual([]);
    });

    it('prunes done and dead jobs by their own ages, keeping fresh ones and dead ones kept forever', async () => {
      const queue = newQueue();
      const q = queueName('retention');
      const oldDone = (await queue.enqueue(q, {})).id;
      const freshDone = (await queue.enqueue(q, {})).id;
      for (const job of await queue.claim(q, 'w', 2, 5_000)) expect(await queue.complete(job)).toBe(true);
      const oldDead = await deadJob(queue, q);
      // Age the "old" rows as if they finished ten days ago.
      await db.query(`UPDATE jobs SET finished_at = now() - interval '10 days' WHERE id = ANY($1::uuid[])`, [[oldDone, oldDead]]);
      const day = 86_400_000;

      expect(await queue.pruneFinishedJobs({ doneOlderThanMs: 7 * day, deadOlderThanMs: null })).toBeGreaterThanOrEqual(1);
      expect(await queue.get(oldDone)).toBeNull();
      expect((await queue.get(freshDone))?.status).toBe('done');
      expect((await queue.get(oldDead))?.status).toBe('dead'); // dead ones kept until discarded
      expect(await queue.pruneFinishedJobs({ doneOlderThanMs: null, deadOlderThanMs: 30 * day })).toBe(0);
      expect(await queue.pruneFinishedJobs({ doneOlderThanMs: null, deadOlderThanMs: 7 * day })).toBeGreaterThanOrEqual(1);
      expect(await queue.get(oldDead)).toBeNull();
      expect((await queue.get(freshDone))?.status).toBe('done');
      const aborted = new AbortController();
      aborted.abort(new Error('stopping'));
      await expect(queue.pruneFinishedJobs({ doneOlderThanMs: 1, deadOlderThanMs: 1 }, aborted.signal)).rejects.toThrow('stopping');
    });

    it('prunes finished jobs older than a given age', async () => {
      const queue = newQueue();
      const q = queueName('prune');
      await queue.enqueue(q, {});
      track(queue.work(q, async () => undefined, fast));
      await waitFor(async () => (await queue.counts(q)).done === 1);
      expect(await queue.pruneFinished(60_000)).toBe(0);
      await sleep(20);
      expect(await queue.pruneFinished(1)).toBeGreaterThanOrEqual(1);
      expect((await queue.counts(q)).done).toBe(0);
    });
  });
}
