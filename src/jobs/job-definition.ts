import type { z } from 'zod';
import type { Config } from '../config/config.js';
import {
  PermanentJobError,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type RetryBackoff,
  type WorkOptions,
} from '../ports/job-queue.js';

export interface RetryPolicy {
  /** Runs before the job is dead-lettered; the queue's default (JOB_MAX_ATTEMPTS) when absent. */
  maxAttempts?: number;
  /** Delays between runs; the queue adapter's defaults when absent. */
  backoff?: Partial<RetryBackoff>;
}

/**
 * One kind of job, declared once in the module that owns it and listed in
 * the registry (job-registry.ts); its handler is bound at composition time.
 */
export interface JobDefinition<P> {
  /**
   * The queue name stored in every job row. Changing it strands the jobs
   * that running deployments have queued under the old one.
   */
  readonly name: string;
  /** Checked on enqueue and again before the handler runs (rows outlive deployments). */
  readonly payload: z.ZodType<P>;
  /** While a job with this key is unfinished, enqueueing another is a no-op. Also stored: keep it stable. */
  dedupeKey?(payload: P): string;
  /** Whose work the job is (e.g. a video's owner): workers share their slots fairly across these. */
  fairnessKey?(payload: P): string | undefined;
  readonly retry: RetryPolicy;
  /** How a worker process runs this queue, or null where this configuration runs no worker for it. */
  readonly worker: (config: Readonly<Config>) => Omit<WorkOptions, 'backoff'> | null;
}

export type PayloadOf<D> = D extends JobDefinition<infer P> ? P : never;

export function defineJob<S extends z.ZodType>(
  def: Omit<JobDefinition<z.output<S>>, 'payload' | 'retry'> & { payload: S; retry?: RetryPolicy },
): JobDefinition<z.output<S>> {
  return { ...def, payload: def.payload as z.ZodType<z.output<S>>, retry: def.retry ?? {} };
}

/** The dedupe key a job of `def` with this payload is stored under (to look the job up). */
export function dedupeKeyOf<P>(def: JobDefinition<P>, payload: P): string {
  if (!def.dedupeKey) throw new Error(`${def.name} jobs have no dedupe key`);
  return def.dedupeKey(def.payload.parse(payload));
}

/** Options the definition does not decide: when, and inside which transaction. */
export type EnqueueJobOptions = Omit<EnqueueOptions, 'dedupeKey' | 'maxAttempts' | 'fairnessKey'>;

/** Enqueues a job of `def`: payload validated, dedupe key, fairness key and retry policy from the definition. */
export async function enqueueJob<P>(
  queue: JobQueue,
  def: JobDefinition<P>,
  payload: P,
  opts: EnqueueJobOptions = {},
): Promise<{ id: string; created: boolean }> {
  const parsed = def.payload.parse(payload);
  const options: EnqueueOptions = { ...opts };
  if (def.dedupeKey) options.dedupeKey = def.dedupeKey(parsed);
  const fairnessKey = def.fairnessKey?.(parsed);
  if (fairnessKey !== undefined) options.fairnessKey = fairnessKey;
  if (def.retry.maxAttempts !== undefined) options.maxAttempts = def.retry.maxAttempts;
  return queue.enqueue(def.name, parsed, options);
}

/**
 * The handler behind a check of the stored payload: a row no handler can
 * read (written by another version, or by hand) is dead-lettered at once
 * instead of failing every retry.
 */
export function withPayloadCheck<P>(def: JobDefinition<P>, handler: JobHandler<P>): JobHandler {
  return async (job, ctx) => {
    const parsed = def.payload.safeParse(job.payload);
    if (!parsed.success) {
      throw new PermanentJobError(`${def.name} job ${job.id} has an invalid payload: ${parsed.error.message}`);
    }
    return handler({ ...job, payload: parsed.data }, ctx);
  };
}
