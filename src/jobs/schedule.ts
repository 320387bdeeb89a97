import type { JobQueue } from '../ports/job-queue.js';
import { dedupeKeyOf, enqueueJob, type JobDefinition } from './job-definition.js';

/**
 * Asks for a run of a periodic job (one with a fixed dedupe key) at start-up
 * and every `intervalMs`, in each worker process. The queue keeps it durable
 * and single: no request while a run is queued or running (the dedupe key),
 * nor while the last run finished less than an interval ago (so N workers
 * still mean one run per interval). Returns the function that stops asking.
 */
export function scheduleJob<P>(
  queue: JobQueue,
  def: JobDefinition<P>,
  payload: P,
  intervalMs: number,
  log: { warn(obj: object, msg: string): void },
  now: () => number = Date.now,
): () => Promise<void> {
  const key = dedupeKeyOf(def, payload);
  let pending: Promise<void> = Promise.resolve();
  const request = async (): Promise<void> => {
    const jobs = await queue.findByDedupeKeys(def.name, [key], ['queued', 'running', 'done']);
    const busy = jobs.some((j) => j.status !== 'done');
    const recent = jobs.some((j) => j.finishedAt !== null && now() - j.finishedAt.getTime() < intervalMs);
    if (!busy && !recent) await enqueueJob(queue, def, payload);
  };
  const tick = () => {
    pending = request().catch((err: unknown) => log.warn({ err, queue: def.name }, 'could not schedule a periodic job'));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pending;
  };
}
