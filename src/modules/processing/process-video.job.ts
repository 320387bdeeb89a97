import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * Processing of one uploaded video (the seed's S3 PUT → Lambda → MediaConvert),
 * enqueued in the transaction that marks the video uploaded.
 */
export const processVideoJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'video.process',
  // ownerId: whose upload it is, for fair scheduling (optional: jobs queued by older versions lack it).
  payload: z.object({ videoId: z.string().min(1), ownerId: z.string().min(1).optional() }),
  // One unfinished job per video, however many events, `complete` calls and sweeps ask for it.
  dedupeKey: (p) => `process:${p.videoId}`,
  // One user's fifty uploads take turns with everyone else's instead of holding the queue.
  fairnessKey: (p) => p.ownerId,
  worker: (config) => ({ concurrency: config.jobs.concurrency, leaseMs: config.jobs.leaseMs, pollMs: 500 }),
});
export type ProcessJobPayload = z.infer<typeof processVideoJob.payload>;
