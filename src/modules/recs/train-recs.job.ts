import { z } from 'zod';
import { defineJob } from '../../jobs/job-definition.js';

/**
 * A scheduled training run of the For You model. Every worker process asks
 * for one each interval under one dedupe key, so one run happens however
 * many workers there are.
 */
export const trainRecsJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'recs-train',
  payload: z.object({}),
  dedupeKey: () => 'recs-train',
  // The next interval asks for a run anyway: one retry is enough.
  retry: { maxAttempts: 2 },
  // Workers train only when scheduled training is on (`curta recs train` runs in its own process).
  worker: (config) =>
    config.recs.trainIntervalSec > 0 ? { concurrency: 1, leaseMs: Math.max(config.jobs.leaseMs, 600_000), pollMs: 2000 } : null,
});
