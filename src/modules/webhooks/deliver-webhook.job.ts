import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * One attempt of one webhook delivery. A failed attempt (no 2xx) schedules the
 * next as a new job, delayed by the endpoint backoff (WEBHOOK_RETRY_*), until
 * WEBHOOK_MAX_ATTEMPTS; then the delivery is dead. The queue's own retries
 * only cover errors of ours (the database), not the receiver's answers.
 */
export const deliverWebhookJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'webhook.deliver',
  payload: z.object({ deliveryId: z.string().min(1), endpointId: z.string().min(1), attempt: z.int().min(1) }),
  dedupeKey: (p) => `webhook:${p.deliveryId}:${p.attempt}`,
  // A slow receiver holds its own turns, not everyone's.
  fairnessKey: (p) => p.endpointId,
  retry: { maxAttempts: 3 },
  worker: (config) => ({ concurrency: config.webhooks.concurrency, leaseMs: config.jobs.leaseMs, pollMs: 500 }),
});
export type DeliverWebhookPayload = z.infer<typeof deliverWebhookJob.payload>;
