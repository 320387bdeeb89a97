import { z } from 'zod';
import type { Logger } from 'pino';
import { defineJob } from './job-definition.js';

/**
 * A scheduled retention run: finished jobs, dead sessions, expired username
 * holds and past days' upload-quota counters are deleted, each by its owner's
 * method. Workers ask for a run each RETENTION_INTERVAL_SEC under one dedupe
 * key (see scheduleJob), so one run happens at a time however many workers
 * there are; a run is idempotent (it deletes what is expired when it looks).
 */
export const retentionJob = defineJob({
  // Stored in job rows (with the dedupe key below): keep both stable across releases.
  name: 'retention',
  payload: z.object({}),
  dedupeKey: () => 'retention',
  // The next interval asks for a run anyway: one retry is enough.
  retry: { maxAttempts: 2 },
  worker: (config) => (config.retention.intervalSec > 0 ? { concurrency: 1, leaseMs: config.jobs.leaseMs, pollMs: 5000 } : null),
});

/** One kind of leftover: deletes what has expired (in bounded batches), returns how many rows went. */
export interface RetentionTask {
  kind: string;
  prune(signal: AbortSignal): Promise<number>;
}

/**
 * Runs every task, each whatever the others did (a failing one is logged and
 * the rest still run); throws afterwards when one failed, so the job retries.
 * Returns the rows deleted by kind.
 */
export async function runRetention(
  tasks: readonly RetentionTask[],
  signal: AbortSignal,
  log: Pick<Logger, 'info' | 'error'>,
  onDeleted: (kind: string, rows: number) => void = () => undefined,
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  let failure: unknown = null;
  for (const task of tasks) {
    signal.throwIfAborted();
    try {
      const rows = await task.prune(signal);
      deleted[task.kind] = rows;
      onDeleted(task.kind, rows);
    } catch (err) {
      if (signal.aborted) throw err;
      log.error({ err, kind: task.kind }, 'retention: pruning failed');
      failure ??= err;
    }
  }
  if (Object.values(deleted).some((n) => n > 0)) log.info({ deleted }, 'retention: expired rows deleted');
  if (failure !== null) throw failure instanceof Error ? failure : new Error('retention: a task failed', { cause: failure });
  return deleted;
}
