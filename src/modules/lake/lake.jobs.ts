import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * One delivery run (Firehose's flush): pending batches first, then new ones
 * while the buffer holds a full batch or its oldest event is past
 * LAKE_BUFFER_MAX_AGE_SEC. One dedupe key: one run at a time across workers
 * (and a run is safe to repeat or to overlap: see lake-delivery.ts).
 */
export const deliverLakeJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'lake-deliver',
  payload: z.object({}),
  dedupeKey: () => 'lake-deliver',
  // The next interval (or a full batch) asks again: no long retry chain.
  retry: { maxAttempts: 2 },
  worker: (config) => (config.lake.deliveryIntervalSec > 0 ? { concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 1000 } : null),
});

/** Compaction of past hours' partitions and the lake's retention (LAKE_RETENTION_DAYS). */
export const maintainLakeJob = defineJob({
  name: 'lake-maintain',
  payload: z.object({}),
  dedupeKey: () => 'lake-maintain',
  retry: { maxAttempts: 2 },
  worker: (config) => (config.lake.compactIntervalSec > 0 ? { concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 5000 } : null),
});
