import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, type Config } from '../config/config.js';
import { PermanentJobError, type EnqueueOptions, type Job, type JobHandler, type JobQueue, type WorkOptions } from '../ports/job-queue.js';
import { dedupeKeyOf, defineJob, enqueueJob, withPayloadCheck } from './job-definition.js';
import { JOBS, jobNames, startJobWorkers } from './job-registry.js';

/** A configuration as the app hands it to workers (they never read the signing secret). */
const settings = (env: Record<string, string>): Readonly<Config> => ({ ...loadConfig(env), signingSecret: 'x'.repeat(32) });

/** Records what a caller asks of the queue; runs nothing. */
function recordingQueue() {
  const enqueued: Array<{ queue: string; payload: unknown; opts: EnqueueOptions | undefined }> = [];
  const worked: Array<{ queue: string; handler: JobHandler; opts: WorkOptions }> = [];
  const queue: JobQueue = {
    async enqueue(q, payload, opts) {
      enqueued.push({ queue: q, payload, opts });
      return { id: String(enqueued.length), created: true };
    },
    work(q, handler, opts) {
      worked.push({ queue: q, handler: handler as JobHandler, opts });
      return { stop: async () => undefined };
    },
    counts: async () => ({ queued: 0, running: 0, done: 0, dead: 0 }),
    findByDedupeKeys: async () => [],
    stats: async () => [],
    listJobs: async () => [],
    retryJobs: async () => [],
    discardJobs: async () => [],
    pruneFinishedJobs: async () => 0,
  };
  return { queue, enqueued, worked };
}

const job = <P>(payload: P): Job<P> => ({ id: 'j1', queue: 'q', payload, attempt: 1, maxAttempts: 3 });
const ctx = { signal: new AbortController().signal };

describe('job registry', () => {
  it('keeps the queue names and dedupe keys that existing job rows are stored under', () => {
    expect(jobNames()).toEqual([
      'video.process',
      'video.purge',
      'recs-train',
      'events-prune',
      'account.purge',
      'webhook.deliver',
      'retention',
      'video.publish',
      'video.cover',
      'lake-deliver',
      'lake-maintain',
      'archive.sweep',
      'archive.restore',
    ]);
    expect(new Set(jobNames()).size).toBe(Object.keys(JOBS).length);
    expect(dedupeKeyOf(JOBS.processVideo, { videoId: 'abc' })).toBe('process:abc');
    expect(dedupeKeyOf(JOBS.purgeVideo, { videoId: 'abc', originalKey: 'originals/abc', multipartUploadId: null })).toBe('purge:abc');
    expect(dedupeKeyOf(JOBS.trainRecs, {})).toBe('recs-train');
    expect(dedupeKeyOf(JOBS.pruneEvents, {})).toBe('events-prune');
    expect(dedupeKeyOf(JOBS.purgeAccount, { userId: 'u1' })).toBe('purge-account:u1');
    expect(dedupeKeyOf(JOBS.deliverWebhook, { deliveryId: 'd1', endpointId: 'e1', attempt: 2 })).toBe('webhook:d1:2');
    expect(dedupeKeyOf(JOBS.retention, {})).toBe('retention');
    expect(dedupeKeyOf(JOBS.publishVideo, { videoId: 'abc', publishAt: '2030-01-01T00:00:00.000Z' })).toBe(
      'publish:abc:2030-01-01T00:00:00.000Z',
    );
    expect(dedupeKeyOf(JOBS.applyCover, { videoId: 'abc' })).toBe('cover:abc');
    expect(dedupeKeyOf(JOBS.deliverLake, {})).toBe('lake-deliver');
    expect(dedupeKeyOf(JOBS.maintainLake, {})).toBe('lake-maintain');
    expect(dedupeKeyOf(JOBS.archiveSweep, {})).toBe('archive-sweep');
    expect(dedupeKeyOf(JOBS.restoreVideo, { videoId: 'abc', restoreId: '7', poll: 2 })).toBe('restore:7:2');
  });

  it('starts a worker for every job this configuration runs, each behind the payload check and the instrument', async () => {
    const base = { CURTA_DATA_DIR: '/tmp/curta-registry-test', WORKER_CONCURRENCY: '3', JOB_LEASE_MS: '20000' };
    const seen: string[] = [];
    const handlers = {
      processVideo: async (j: Job<{ videoId: string }>) => void seen.push(`process ${j.payload.videoId}`),
      purgeVideo: async () => void seen.push('purge'),
      trainRecs: async () => void seen.push('train'),
      pruneEvents: async () => void seen.push('prune'),
      purgeAccount: async () => void seen.push('purge account'),
      deliverWebhook: async () => void seen.push('deliver webhook'),
      retention: async () => void seen.push('retention'),
      publishVideo: async () => void seen.push('publish video'),
      applyCover: async () => void seen.push('apply cover'),
      deliverLake: async () => void seen.push('deliver lake'),
      maintainLake: async () => void seen.push('maintain lake'),
      archiveSweep: async () => void seen.push('archive sweep'),
      restoreVideo: async () => void seen.push('restore video'),
    };
    const instrumented: string[] = [];
    const instrument = (name: string, h: JobHandler): JobHandler => {
      instrumented.push(name);
      return h;
    };

    const off = recordingQueue();
    const quiet = {
      ...base,
      RECS_TRAIN_INTERVAL_SEC: '0',
      EVENTS_PRUNE_INTERVAL_SEC: '0',
      RETENTION_INTERVAL_SEC: '0',
      LAKE_DELIVERY_INTERVAL_SEC: '0',
      LAKE_COMPACT_INTERVAL_SEC: '0',
      ARCHIVE_SWEEP_INTERVAL_SEC: '0',
    };
    expect(startJobWorkers(off.queue, JOBS, handlers, settings(quiet), instrument)).toHaveLength(7);
    expect(off.worked.map((w) => [w.queue, w.opts])).toEqual([
      ['video.process', { concurrency: 3, leaseMs: 20_000, pollMs: 500 }],
      ['video.purge', { concurrency: 1, leaseMs: 20_000, pollMs: 5000 }],
      ['account.purge', { concurrency: 1, leaseMs: 20_000, pollMs: 5000 }],
      ['webhook.deliver', { concurrency: 4, leaseMs: 20_000, pollMs: 500 }],
      ['video.publish', { concurrency: 2, leaseMs: 20_000, pollMs: 1000 }],
      ['video.cover', { concurrency: 1, leaseMs: 20_000, pollMs: 1000, backoff: { baseMs: 1000, maxMs: 30_000 } }],
      ['archive.restore', { concurrency: 3, leaseMs: 20_000, pollMs: 500, backoff: { baseMs: 2000, maxMs: 300_000 } }],
    ]);
    expect(instrumented).toEqual([
      'video.process',
      'video.purge',
      'account.purge',
      'webhook.deliver',
      'video.publish',
      'video.cover',
      'archive.restore',
    ]);

    const on = recordingQueue();
    expect(startJobWorkers(on.queue, JOBS, handlers, settings({ ...base, RECS_TRAIN_INTERVAL_SEC: '60' }))).toHaveLength(13);
    expect(on.worked.map((w) => w.queue)).toEqual(jobNames());
    expect(on.worked[2]!.opts).toEqual({ concurrency: 1, leaseMs: 600_000, pollMs: 2000 });
    expect(on.worked[3]!.opts).toEqual({ concurrency: 1, leaseMs: 20_000, pollMs: 5000 });
    expect(on.worked[6]!.opts).toEqual({ concurrency: 1, leaseMs: 20_000, pollMs: 5000 });
    // Retention kept forever: no retention worker.
    expect(
      startJobWorkers(
        recordingQueue().queue,
        JOBS,
        handlers,
        settings({ ...quiet, EVENTS_RETENTION_DAYS: '0', EVENTS_PRUNE_INTERVAL_SEC: '60' }),
      ),
    ).toHaveLength(7);

    await on.worked[0]!.handler(job({ videoId: 'v1', extra: 'ignored' }), ctx);
    expect(seen).toEqual(['process v1']);
    await expect(on.worked[0]!.handler(job({ video: 'v1' }), ctx)).rejects.toBeInstanceOf(PermanentJobError);
    expect(seen).toEqual(['process v1']);
  });
});

describe('typed enqueue', () => {
  const exampleJob = defineJob({
    name: 'example',
    payload: z.object({ n: z.number().int() }),
    dedupeKey: (p) => `example:${p.n}`,
    retry: { maxAttempts: 2 },
    worker: () => null,
  });

  it('validates the payload and takes the dedupe key and attempts from the definition', async () => {
    const { queue, enqueued } = recordingQueue();
    const runAt = new Date('2030-01-01T00:00:00Z');
    await enqueueJob(queue, exampleJob, { n: 7 }, { runAt });
    expect(enqueued).toEqual([{ queue: 'example', payload: { n: 7 }, opts: { runAt, dedupeKey: 'example:7', maxAttempts: 2 } }]);
    await expect(enqueueJob(queue, exampleJob, { n: 1.5 })).rejects.toThrow();
    expect(enqueued).toHaveLength(1);
  });

  it("leaves the queue's defaults when the definition has no dedupe key or retry policy", async () => {
    const plain = defineJob({ name: 'plain', payload: z.object({}), worker: () => null });
    const { queue, enqueued } = recordingQueue();
    await enqueueJob(queue, plain, {});
    expect(enqueued[0]!.opts).toEqual({});
    expect(() => dedupeKeyOf(plain, {})).toThrow(/no dedupe key/);
  });

  it("gives a job's workers its own backoff", () => {
    const slow = defineJob({
      name: 'slow',
      payload: z.object({}),
      retry: { maxAttempts: 10, backoff: { baseMs: 60_000 } },
      worker: () => ({ concurrency: 1, leaseMs: 1000, pollMs: 1000 }),
    });
    const { queue, worked } = recordingQueue();
    startJobWorkers(queue, { slow }, { slow: async () => undefined }, settings({ CURTA_DATA_DIR: '/tmp/curta-registry-test' }));
    expect(worked[0]!.opts).toEqual({ concurrency: 1, leaseMs: 1000, pollMs: 1000, backoff: { baseMs: 60_000 } });
  });

  it('dead-letters a stored payload the handler cannot read instead of retrying it', async () => {
    const ran: number[] = [];
    const handler = withPayloadCheck(exampleJob, async (j) => void ran.push(j.payload.n));
    await handler(job({ n: 3 }), ctx);
    await expect(handler(job({ n: 'three' }), ctx)).rejects.toThrow(/example job j1 has an invalid payload/);
    expect(ran).toEqual([3]);
  });
});
