import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * The archive sweep: one run across all workers (a fixed dedupe key, asked
 * for every ARCHIVE_SWEEP_INTERVAL_SEC by scheduleJob), idempotent and
 * crash-safe (a video is marked archived with `archive_pending` before its
 * objects move, and the next run finishes what a killed one left).
 */
export const archiveSweepJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'archive.sweep',
  payload: z.object({}),
  dedupeKey: () => 'archive-sweep',
  // The next interval asks for a run anyway.
  retry: { maxAttempts: 2 },
  worker: (config) => (config.archive.sweepIntervalSec > 0 ? { concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 2000 } : null),
});

/**
 * One step of one restore: ask the store for the original (or whether its
 * copy is ready yet), then re-process it. While the store is still
 * retrieving, the step enqueues the next poll (`poll + 1`, later) and ends;
 * each poll has its own dedupe key, so a step re-run after a crash enqueues
 * the same next poll once. Failures are counted on the restore row
 * (ARCHIVE_RESTORE_MAX_ATTEMPTS), not by the queue.
 */
export const restoreVideoJob = defineJob({
  name: 'archive.restore',
  payload: z.object({
    videoId: z.string().min(1),
    restoreId: z.string().regex(/^\d{1,19}$/),
    poll: z.number().int().min(0),
  }),
  dedupeKey: (p) => `restore:${p.restoreId}:${p.poll}`,
  fairnessKey: (p) => p.videoId,
  // The service gives up (and reports) after ARCHIVE_RESTORE_MAX_ATTEMPTS failures; the queue must not first.
  retry: { maxAttempts: 100, backoff: { baseMs: 2000, maxMs: 5 * 60_000 } },
  worker: (config) => ({ concurrency: config.jobs.concurrency, leaseMs: config.jobs.leaseMs, pollMs: 500 }),
});
export type RestoreJobPayload = z.infer<typeof restoreVideoJob.payload>;
