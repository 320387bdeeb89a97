import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * A scheduled retention run: deletes playback events (and view records)
 * older than EVENTS_RETENTION_HOURS, in batches. Every worker process asks for
 * one each interval under one dedupe key, so one run happens at a time however
 * many workers there are; a run is idempotent (it deletes what is expired
 * when it looks), so an interrupted one is simply finished by the next.
 */
export const pruneEventsJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'events-prune',
  payload: z.object({}),
  dedupeKey: () => 'events-prune',
  // The next interval asks for a run anyway: one retry is enough.
  retry: { maxAttempts: 2 },
  worker: (config) =>
    config.events.pruneIntervalSec > 0 && config.events.retentionHours > 0
      ? { concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 5000 }
      : null,
});
