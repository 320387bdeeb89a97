import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * A deleted video's objects: a delayed sweep after the inline purge (also
 * catches objects a racing encode wrote late). Enqueued in the transaction
 * that deletes the row, since the row is what knew the object keys.
 */
export const purgeVideoJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'video.purge',
  payload: z.object({
    videoId: z.string().min(1),
    originalKey: z.string().min(1),
    multipartUploadId: z.string().nullable(),
  }),
  dedupeKey: (p) => `purge:${p.videoId}`,
  worker: (config) => ({ concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 5000 }),
});
export type PurgeJobPayload = z.infer<typeof purgeVideoJob.payload>;
