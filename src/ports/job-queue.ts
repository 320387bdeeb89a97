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

/** Per queue, what an operator watches: counts by state, the oldest due job's wait, jobs whose worker vanished. */
export interface QueueStats {
  queue: string;
  counts: QueueCounts;
  /** Seconds the oldest due queued job has waited past its run time (0 when none waits). */
  oldestDueSec: number;
  /** Running jobs whose lease has expired: their worker died and no worker of the queue has taken them over yet. */
  expiredLeases: number;
}

/** Which jobs `listJobs` shows: dead ones, stuck ones (running with an expired lease, or claimed long ago), or any state. */
export type JobListState = JobStatus | 'stuck';

export interface JobListFilter {
  queue?: string;
  /** Default: dead and stuck. */
  states?: readonly JobListState[];
  /** A running job claimed longer ago than this counts as stuck even while its lease is renewed. Default 1 hour. */
  stuckAfterMs?: number;
  /** Most rows returned, newest first. Default 100. */
  limit?: number;
}

/** One job as `curta jobs list` shows it. */
export interface JobInfo {
  id: string;
  queue: string;
  status: JobStatus;
  /** Running with an expired lease, or claimed longer ago than `stuckAfterMs`. */
  stuck: boolean;
  attempt: number;
  maxAttempts: number;
  lastError: string | null;
  createdAt: Date;
  claimedAt: Date | null;
  finishedAt: Date | null;
  leaseUntil: Date | null;
  lockedBy: string | null;
}

/** Which jobs an operator's retry or discard acts on: one by id, or every dead one (of one queue). */
export type JobTarget = { id: string; stuckAfterMs?: number } | { allDead: true; queue?: string };

/** How long finished jobs stay before retention deletes them (null: kept until discarded). */
export interface FinishedJobRetention {
  doneOlderThanMs: number | null;
  deadOlderThanMs: number | null;
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
  /** Counts and backlog age of every queue that has jobs, in one round trip (metrics). */
  stats(): Promise<QueueStats[]>;
  /** Jobs an operator should look at (dead and stuck by default), newest first. */
  listJobs(filter?: JobListFilter): Promise<JobInfo[]>;
  /**
   * Puts dead jobs (or a stuck one, by id) back in the queue with a fresh set
   * of attempts, runnable now. A job whose dedupe key another unfinished job
   * holds is left dead (that one does the work). Returns the ids requeued.
   */
  retryJobs(target: JobTarget): Promise<string[]>;
  /** Deletes dead jobs (only dead ones). Returns the ids deleted. */
  discardJobs(target: JobTarget): Promise<string[]>;
  /** Deletes finished jobs older than the retention ages, in batches; returns how many. */
  pruneFinishedJobs(retention: FinishedJobRetention, signal?: AbortSignal): Promise<number>;
}

/** Thrown by a handler for an error that retrying cannot fix: the job goes straight to dead. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
