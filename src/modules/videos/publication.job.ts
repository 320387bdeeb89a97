import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * A scheduled video's publish time came: its cached copies and every cached
 * list (feed pages, trending, the For You catalog, keyed by the feed
 * generation) are dropped in every process, so it shows up in feeds within
 * about a second. Visibility itself never waits for this job: every query
 * compares `publish_at` with now (visibility.ts); the job only cuts the
 * caches' delay short, so a lost or late run costs at most their lifetimes.
 * Idempotent: running it twice, or for a rescheduled time, drops caches twice.
 */
export const publishVideoJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'video.publish',
  payload: z.object({ videoId: z.string().min(1), publishAt: z.string().min(1) }),
  // One per video and time: a reschedule queues its own run (the old one only drops caches).
  dedupeKey: (p) => `publish:${p.videoId}:${p.publishAt}`,
  worker: (config) => ({ concurrency: 2, leaseMs: config.jobs.leaseMs, pollMs: 1000 }),
});
export type PublishJobPayload = z.infer<typeof publishVideoJob.payload>;

/**
 * The cover frame the owner picked in the studio before the video was
 * ready: cut once processing made it ready (enqueued then). Retried while
 * every picture slot is busy.
 */
export const applyCoverJob = defineJob({
  name: 'video.cover',
  payload: z.object({ videoId: z.string().min(1) }),
  dedupeKey: (p) => `cover:${p.videoId}`,
  retry: { maxAttempts: 8, backoff: { baseMs: 1000, maxMs: 30_000 } },
  worker: (config) => ({ concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 1000 }),
});
export type ApplyCoverJobPayload = z.infer<typeof applyCoverJob.payload>;
