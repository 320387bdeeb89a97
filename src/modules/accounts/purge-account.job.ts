import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * A deleted account's own objects (every avatar version): enqueued in the
 * transaction that deletes the account and run a little later, as a safety
 * net behind the inline delete. Its videos have purge jobs of their own.
 */
export const purgeAccountJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'account.purge',
  payload: z.object({ userId: z.string().min(1) }),
  dedupeKey: (p) => `purge-account:${p.userId}`,
  worker: (config) => ({ concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 5000 }),
});
export type PurgeAccountJobPayload = z.infer<typeof purgeAccountJob.payload>;
