import type { SqlExecutor } from './database.js';

export interface Job<P = unknown> {
  id: string;
  queue: string;
  payload: P;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export interface EnqueueOptions {
  /** A second enqueue with the same key while the first is not finished is a no-op. */
  dedupeKey?: string;
  /**
   * Whose work this is (e.g. the video's owner): workers share their slots
   * fairly between keys, so one key's backlog does not delay another's jobs.
   * Jobs without one share a single key.
   */
  fairnessKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  /** Enqueue inside the caller's transaction (with the state change that causes it). */
  executor?: SqlExecutor;
}

/** Delays between the runs of a failing job: exponential from `baseMs`, capped at `maxMs`. */
export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

export interface WorkOptions {
  concurrency: number;
  /** How long a claimed job stays ours without a heartbeat. */
  leaseMs: number;
  pollMs: number;
  /** This queue's retry delays, where they differ from the queue adapter's defaults. */
  backoff?: Partial<RetryBackoff>;
}

export interface JobContext {
  /** Aborted when the worker is stopping hard or the lease was lost. */
  signal: AbortSignal;
}

export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void>;

export interface JobWorker {
  /** Stop claiming; wait for running jobs (up to `graceMs`), then release the rest. */
  stop(graceMs?: number): Promise<void>;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'dead';

/** What a caller may know about a job: enough to tell pending from given up, without the queue's storage. */
export interface JobSummary {
  id: string;
  queue: string;
  dedupeKey: string;
  status: JobStatus;
  attempt: number;
  maxAttempts: number;
  finishedAt: Date | null;
}

export interface QueueCounts {
  queued: number;
  running: number;
  done: number;
  dead: number;
}

export interface JobQueue {
  enqueue<P>(queue: string, payload: P, opts?: EnqueueOptions): Promise<{ id: string; created: boolean }>;
  work<P>(queue: string, handler: JobHandler<P>, opts: WorkOptions): JobWorker;
  counts(queue: string): Promise<QueueCounts>;
  /**
   * Jobs of `queue` enqueued under any of `dedupeKeys` (in `statuses`, if
   * given), oldest first; finished ones stay until pruned.
   */
  findByDedupeKeys(queue: string, dedupeKeys: readonly string[], statuses?: readonly JobStatus[]): Promise<JobSummary[]>;
}

/** Thrown by a handler for an error that retrying cannot fix: the job goes straight to dead. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
