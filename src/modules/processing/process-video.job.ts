import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * Processing of one uploaded video (the seed's S3 PUT → Lambda → MediaConvert),
 * enqueued in the transaction that marks the video uploaded.
 */
export const processVideoJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'video.process',
  payload: z.object({ videoId: z.string().min(1) }),
  // One unfinished job per video, however many events, `complete` calls and sweeps ask for it.
  dedupeKey: (p) => `process:${p.videoId}`,
  worker: (config) => ({ concurrency: config.jobs.concurrency, leaseMs: config.jobs.leaseMs, pollMs: 500 }),
});
export type ProcessJobPayload = z.infer<typeof processVideoJob.payload>;
