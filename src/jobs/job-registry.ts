import { archiveSweepJob, restoreVideoJob } from '../modules/archive/archive.jobs.js';
import { pruneEventsJob } from '../modules/events/prune-events.job.js';
import { purgeAccountJob } from '../modules/accounts/purge-account.job.js';
import { processVideoJob } from '../modules/processing/process-video.job.js';
import { deliverLakeJob, maintainLakeJob } from '../modules/lake/lake.jobs.js';
import { trainRecsJob } from '../modules/recs/train-recs.job.js';
import { purgeVideoJob } from '../modules/videos/purge-video.job.js';
import { applyCoverJob, publishVideoJob } from '../modules/videos/publication.job.js';
import { deliverWebhookJob } from '../modules/webhooks/deliver-webhook.job.js';
import type { JobHandler, JobQueue, JobWorker } from '../ports/job-queue.js';
import { retentionJob } from './retention.js';
import type { Config } from '../config/config.js';
import { withPayloadCheck, type JobDefinition, type PayloadOf } from './job-definition.js';

/**
 * Every job Curta runs. Workers and metrics iterate this; the composition
 * root must bind a handler to each entry (JobHandlers makes a missing one a
 * type error). A new job: its definition in its module, one line here, and
 * its handler in the composition root (the compiler asks for it).
 */
export const JOBS = {
  processVideo: processVideoJob,
  purgeVideo: purgeVideoJob,
  trainRecs: trainRecsJob,
  pruneEvents: pruneEventsJob,
  purgeAccount: purgeAccountJob,
  deliverWebhook: deliverWebhookJob,
  retention: retentionJob,
  publishVideo: publishVideoJob,
  applyCover: applyCoverJob,
  deliverLake: deliverLakeJob,
  maintainLake: maintainLakeJob,
  archiveSweep: archiveSweepJob,
  restoreVideo: restoreVideoJob,
} as const satisfies Record<string, JobDefinition<unknown>>;

export type JobRegistry = Readonly<Record<string, JobDefinition<unknown>>>;

export type JobHandlers<R extends JobRegistry = typeof JOBS> = { readonly [K in keyof R]: JobHandler<PayloadOf<R[K]>> };

/** Queue names of a registry, e.g. for metrics. */
export function jobNames(registry: JobRegistry = JOBS): string[] {
  return Object.values(registry).map((def) => def.name);
}

/**
 * Starts a worker for every job this configuration runs, each handler behind
 * its payload check and `instrument` (metrics). Returns every worker started.
 */
export function startJobWorkers<R extends JobRegistry>(
  queue: JobQueue,
  registry: R,
  handlers: JobHandlers<R>,
  config: Readonly<Config>,
  instrument: (name: string, handler: JobHandler) => JobHandler = (_name, handler) => handler,
): JobWorker[] {
  const workers: JobWorker[] = [];
  for (const key of Object.keys(registry) as Array<keyof R & string>) {
    const def = registry[key]!;
    const opts = def.worker(config);
    if (!opts) continue;
    const handler = handlers[key] as JobHandler;
    const backoff = def.retry.backoff ? { backoff: def.retry.backoff } : {};
    workers.push(queue.work(def.name, instrument(def.name, withPayloadCheck(def, handler)), { ...opts, ...backoff }));
  }
  return workers;
}
