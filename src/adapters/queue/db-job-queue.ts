import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database, SqlExecutor } from '../../ports/database.js';
import {
  PermanentJobError,
  type EnqueueOptions,
  type FinishedJobRetention,
  type Job,
  type JobInfo,
  type JobListFilter,
  type JobTarget,
  type QueueStats,
  type JobHandler,
  type JobQueue,
  type JobStatus,
  type JobSummary,
  type JobWorker,
  type QueueCounts,
  type RetryBackoff,
  type WorkOptions,
} from '../../ports/job-queue.js';
import { consoleLogger, type AdapterLogger } from '../logger.js';

export interface DbJobQueueOptions {
  /** First retry delay; doubles per attempt. Default 1 s. */
  retryBaseMs?: number;
  /** Cap on one retry delay. Default 10 min. */
  retryMaxMs?: number;
  /** Fraction of each delay that is random (0 = none, 1 = "full jitter"). Default 0.5. */
  retryJitter?: number;
  /** max_attempts of jobs enqueued without one. Default 5. */
  defaultMaxAttempts?: number;
  /** Errors that retrying cannot fix: the job goes straight to dead. Default: PermanentJobError. */
  isPermanentError?: (err: unknown) => boolean;
  random?: () => number;
  logger?: AdapterLogger;
}

/** A job row as operators see it (dead-letter inspection, tests). */
export interface JobRecord<P = unknown> {
  id: string;
  queue: string;
  payload: P;
  status: JobStatus;
  attempt: number;
  maxAttempts: number;
  runAt: Date;
  leaseUntil: Date | null;
  lockedBy: string | null;
  dedupeKey: string | null;
  /** '' when enqueued without one. */
  fairnessKey: string;
  /** When the job was last claimed by a worker. */
  claimedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  queue: string;
  payload: unknown;
  status: JobStatus;
  attempt: number;
  max_attempts: number;
  run_at: Date;
  lease_until: Date | null;
  locked_by: string | null;
  dedupe_key: string | null;
  fairness_key: string;
  claimed_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** A job this worker holds: `attempt` fences every later update. */
export interface ClaimedJob<P = unknown> extends Job<P> {
  lockedBy: string;
}

const MAX_ERROR_LENGTH = 8000;
/** Rows one retention statement deletes (a bounded transaction, so a backlog never holds locks for long). */
const PRUNE_BATCH = 5000;
const DEFAULT_STUCK_AFTER_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A running job is stuck when its lease expired (its worker died) or it was claimed longer ago than the parameter's ms. */
const stuckSql = (param: string) =>
  `(status = 'running' AND (lease_until < now() OR claimed_at < now() - (${param}::double precision * interval '1 millisecond')))`;

/**
 * Exponential backoff with jitter: base·2^(attempt−1), capped at `maxMs`, of
 * which the fraction `jitter` is random. `attempt` is the run that just failed.
 */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const exponential = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  return Math.round(exponential * (1 - jitter) + exponential * jitter * random());
}

function describeError(err: unknown): string {
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

function toRecord<P>(row: JobRow): JobRecord<P> {
  return {
    id: row.id,
    queue: row.queue,
    payload: row.payload as P,
    status: row.status,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    leaseUntil: row.lease_until,
    lockedBy: row.locked_by,
    dedupeKey: row.dedupe_key,
    fairnessKey: row.fairness_key,
    claimedAt: row.claimed_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/**
 * JobQueue stored in the `jobs` table (migration 0001), written against the
 * Database port only, so one implementation serves PGlite and PostgreSQL.
 *
 * Delivery is at least once: a job whose worker crashes runs again when its
 * lease expires, so handlers must be idempotent. Every update a worker makes
 * after claiming is fenced on (id, locked_by, attempt): a worker that lost its
 * lease cannot overwrite the outcome of the run that replaced it.
 */
export class DbJobQueue implements JobQueue {
  private readonly retry: { baseMs: number; maxMs: number; jitter: number };
  private readonly defaultMaxAttempts: number;
  private readonly isPermanentError: (err: unknown) => boolean;
  private readonly random: () => number;
  readonly logger: AdapterLogger;
  private readonly workers = new Map<string, Set<DbJobWorker>>();

  constructor(
    private readonly db: Database,
    opts: DbJobQueueOptions = {},
  ) {
    this.retry = {
      baseMs: opts.retryBaseMs ?? 1000,
      maxMs: opts.retryMaxMs ?? 10 * 60_000,
      jitter: opts.retryJitter ?? 0.5,
    };
    this.defaultMaxAttempts = opts.defaultMaxAttempts ?? 5;
    this.isPermanentError = opts.isPermanentError ?? ((err) => err instanceof PermanentJobError);
    this.random = opts.random ?? Math.random;
    this.logger = opts.logger ?? consoleLogger;
  }

  async enqueue<P>(queue: string, payload: P, opts: EnqueueOptions = {}): Promise<{ id: string; created: boolean }> {
    if (!queue) throw new Error('queue name must not be empty');
    const maxAttempts = opts.maxAttempts ?? this.defaultMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error('maxAttempts must be a positive integer');
    const executor: SqlExecutor = opts.executor ?? this.db;
    const params = [
      queue,
      JSON.stringify(payload ?? null),
      maxAttempts,
      opts.runAt ?? null,
      opts.dedupeKey ?? null,
      opts.fairnessKey ?? '',
    ];

    let result: { id: string; created: boolean } | null = null;
    if (opts.dedupeKey === undefined) {
      const { rows } = await executor.query<{ id: string }>(
        `INSERT INTO jobs (queue, payload, max_attempts, run_at, dedupe_key, fairness_key)
         VALUES ($1, $2::text::jsonb, $3, COALESCE($4::timestamptz, now()), $5, $6)
         RETURNING id`,
        params,
      );
      result = { id: rows[0]!.id, created: true };
    } else {
      // The existing job may finish between the INSERT and the SELECT; then insert again.
      for (let attempt = 0; attempt < 5 && !result; attempt++) {
        const inserted = await executor.query<{ id: string }>(
          `INSERT INTO jobs (queue, payload, max_attempts, run_at, dedupe_key, fairness_key)
           VALUES ($1, $2::text::jsonb, $3, COALESCE($4::timestamptz, now()), $5, $6)
           ON CONFLICT (queue, dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING
           RETURNING id`,
          params,
        );
        if (inserted.rows[0]) {
          result = { id: inserted.rows[0].id, created: true };
          break;
        }
        const existing = await executor.query<{ id: string }>(
          `SELECT id FROM jobs WHERE queue = $1 AND dedupe_key = $2 AND status IN ('queued', 'running')`,
          [queue, opts.dedupeKey],
        );
        if (existing.rows[0]) result = { id: existing.rows[0].id, created: false };
      }
      if (!result) throw new Error(`Could not enqueue ${queue} job with dedupe key ${opts.dedupeKey}`);
    }

    // In-process workers start at once instead of at their next poll. Inside
    // the caller's transaction the job becomes visible only at commit; the
    // wake is then best effort (callers may call wake() after committing).
    if (result.created) this.wake(queue);
    return result;
  }

  work<P>(queue: string, handler: JobHandler<P>, opts: WorkOptions): JobWorker {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new Error('concurrency must be >= 1');
    if (!(opts.leaseMs > 0) || !(opts.pollMs > 0)) throw new Error('leaseMs and pollMs must be positive');
    const worker = new DbJobWorker(this, queue, handler as JobHandler, opts);
    let set = this.workers.get(queue);
    if (!set) this.workers.set(queue, (set = new Set()));
    set.add(worker);
    worker.start();
    return worker;
  }

  async counts(queue: string): Promise<QueueCounts> {
    const { rows } = await this.db.query<{ status: JobStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobs WHERE queue = $1 GROUP BY status',
      [queue],
    );
    const counts: QueueCounts = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async findByDedupeKeys(queue: string, dedupeKeys: readonly string[], statuses?: readonly JobStatus[]): Promise<JobSummary[]> {
    if (dedupeKeys.length === 0) return [];
    const { rows } = await this.db.query<
      Pick<JobRow, 'id' | 'queue' | 'dedupe_key' | 'status' | 'attempt' | 'max_attempts' | 'finished_at'>
    >(
      `SELECT id, queue, dedupe_key, status, attempt, max_attempts, finished_at FROM jobs
       WHERE queue = $1 AND dedupe_key = ANY($2::text[]) AND ($3::text[] IS NULL OR status = ANY($3::text[]))
       ORDER BY created_at, id`,
      [queue, dedupeKeys, statuses ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      dedupeKey: r.dedupe_key!,
      status: r.status,
      attempt: r.attempt,
      maxAttempts: r.max_attempts,
      finishedAt: r.finished_at,
    }));
  }

  /** Makes idle workers of `queue` in this process (all queues if omitted) poll now. */
  wake(queue?: string): void {
    const sets = queue === undefined ? [...this.workers.values()] : [this.workers.get(queue)];
    for (const set of sets) for (const worker of set ?? []) worker.wake();
  }

  async get<P = unknown>(id: string): Promise<JobRecord<P> | null> {
    const { rows } = await this.db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
    return rows[0] ? toRecord<P>(rows[0]) : null;
  }

  /** Dead-lettered jobs of a queue, most recent first. */
  async listDead<P = unknown>(queue: string, limit = 100): Promise<Array<JobRecord<P>>> {
    const { rows } = await this.db.query<JobRow>(
      `SELECT * FROM jobs WHERE queue = $1 AND status = 'dead' ORDER BY finished_at DESC LIMIT $2`,
      [queue, limit],
    );
    return rows.map((r) => toRecord<P>(r));
  }

  /**
   * Puts a dead job back in the queue with a fresh set of attempts. Returns
   * false when the job is not dead, or when an unfinished job with the same
   * dedupe key exists (that one will do the work).
   */
  async retryDead(id: string): Promise<boolean> {
    const { rowCount, rows } = await this.db.query<{ queue: string }>(
      `UPDATE jobs SET status = 'queued', attempt = 0, run_at = now(), finished_at = NULL, updated_at = now()
       WHERE id = $1 AND status = 'dead'
         AND NOT EXISTS (
           SELECT 1 FROM jobs other
           WHERE other.queue = jobs.queue AND other.dedupe_key = jobs.dedupe_key
             AND other.status IN ('queued', 'running'))
       RETURNING queue`,
      [id],
    );
    if (rows[0]) this.wake(rows[0].queue);
    return rowCount > 0;
  }

  /** Deletes done and dead jobs finished more than `olderThanMs` ago; returns how many. */
  async pruneFinished(olderThanMs: number): Promise<number> {
    return this.pruneFinishedJobs({ doneOlderThanMs: olderThanMs, deadOlderThanMs: olderThanMs });
  }

  async pruneFinishedJobs(retention: FinishedJobRetention, signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (const [status, age] of [
      ['done', retention.doneOlderThanMs],
      ['dead', retention.deadOlderThanMs],
    ] as const) {
      if (age === null) continue;
      for (;;) {
        signal?.throwIfAborted();
        // By the jobs_finished index: (queue, status, finished_at) for finished rows.
        const { rowCount } = await this.db.query(
          `DELETE FROM jobs WHERE id IN (
             SELECT id FROM jobs WHERE status = $1
               AND finished_at < now() - ($2::double precision * interval '1 millisecond')
             LIMIT $3)`,
          [status, age, PRUNE_BATCH],
        );
        total += rowCount;
        if (rowCount < PRUNE_BATCH) break;
      }
    }
    return total;
  }

  async stats(): Promise<QueueStats[]> {
    const { rows } = await this.db.query<{ queue: string; status: JobStatus; n: number; expired: number; oldest: number | string | null }>(
      `SELECT queue, status, count(*)::int AS n,
         (count(*) FILTER (WHERE status = 'running' AND lease_until < now()))::int AS expired,
         extract(epoch FROM now() - min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now()))::double precision AS oldest
       FROM jobs GROUP BY queue, status ORDER BY queue`,
    );
    const byQueue = new Map<string, QueueStats>();
    for (const row of rows) {
      let entry = byQueue.get(row.queue);
      if (!entry) {
        entry = { queue: row.queue, counts: { queued: 0, running: 0, done: 0, dead: 0 }, oldestDueSec: 0, expiredLeases: 0 };
        byQueue.set(row.queue, entry);
      }
      entry.counts[row.status] = row.n;
      entry.expiredLeases += row.expired;
      if (row.oldest !== null) entry.oldestDueSec = Math.max(entry.oldestDueSec, Number(row.oldest));
    }
    return [...byQueue.values()];
  }

  async listJobs(filter: JobListFilter = {}): Promise<JobInfo[]> {
    const states = filter.states ?? ['dead', 'stuck'];
    const statuses = states.filter((s): s is JobStatus => s !== 'stuck');
    const stuckAfterMs = filter.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
    const { rows } = await this.db.query<JobRow & { stuck: boolean }>(
      `SELECT *, ${stuckSql('$4')} AS stuck FROM (
         SELECT * FROM jobs
         WHERE ($1::text IS NULL OR queue = $1)
           AND (status = ANY($2::text[]) OR ($3 AND ${stuckSql('$4')}))
       ) j
       ORDER BY COALESCE(finished_at, claimed_at, created_at) DESC, id
       LIMIT $5`,
      [filter.queue ?? null, statuses, states.includes('stuck'), stuckAfterMs, filter.limit ?? 100],
    );
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      status: row.status,
      stuck: row.stuck,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      lastError: row.last_error,
      createdAt: row.created_at,
      claimedAt: row.claimed_at,
      finishedAt: row.finished_at,
      leaseUntil: row.lease_until,
      lockedBy: row.locked_by,
    }));
  }

  async retryJobs(target: JobTarget): Promise<string[]> {
    if ('id' in target && !UUID.test(target.id)) return [];
    // A stuck job's worker (if it still lives) loses the job: its next heartbeat or report is fenced off by locked_by.
    const { rows } = await this.db.query<{ id: string; queue: string }>(
      `UPDATE jobs SET status = 'queued', attempt = 0, run_at = now(), finished_at = NULL, updated_at = now(),
         lease_until = NULL, locked_by = NULL
       WHERE id IN (
         SELECT j.id FROM jobs j
         WHERE (CASE WHEN $1::uuid IS NULL THEN j.status = 'dead' AND ($2::text IS NULL OR j.queue = $2)
                     ELSE j.id = $1::uuid AND (j.status = 'dead' OR ${stuckSql('$3')}) END)
           AND NOT EXISTS (
             SELECT 1 FROM jobs other
             WHERE other.queue = j.queue AND other.dedupe_key = j.dedupe_key AND other.id <> j.id
               AND other.status IN ('queued', 'running'))
         FOR UPDATE OF j)
       RETURNING id, queue`,
      'id' in target
        ? [target.id, null, target.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS]
        : [null, target.queue ?? null, DEFAULT_STUCK_AFTER_MS],
    );
    for (const queue of new Set(rows.map((r) => r.queue))) this.wake(queue);
    return rows.map((r) => r.id);
  }

  async discardJobs(target: JobTarget): Promise<string[]> {
    if ('id' in target && !UUID.test(target.id)) return [];
    const { rows } = await this.db.query<{ id: string }>(
      `DELETE FROM jobs WHERE status = 'dead'
         AND (CASE WHEN $1::uuid IS NULL THEN ($2::text IS NULL OR queue = $2) ELSE id = $1::uuid END)
       RETURNING id`,
      'id' in target ? [target.id, null] : [null, target.queue ?? null],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Claims up to `limit` runnable jobs for `lockedBy` with a lease of
   * `leaseMs`: running jobs whose lease expired (their worker died) first,
   * then due queued jobs, fairly across fairness keys. Public so tools and
   * tests can act as a worker (a claim that is never finished is exactly
   * what a crashed worker leaves behind).
   *
   * Fairness: each key's k-th oldest due job weighs (jobs of that key running
   * now) + k; lighter first, then the key claimed from longest ago (never
   * first), then the oldest. A new owner's job therefore starts at the next
   * free slot however many another owner has queued, and owners with
   * backlogs take turns. Jobs without a key share one key, so a queue that
   * never sets one stays first in, first out. One statement: the keys are
   * found by a loose index scan, each key's candidates by index, and the
   * chosen rows are locked with SKIP LOCKED, so concurrent workers on
   * PostgreSQL never claim the same job.
   */
  async claim(queue: string, lockedBy: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const { rows } = await this.db.query<Pick<JobRow, 'id' | 'queue' | 'payload' | 'attempt' | 'max_attempts'>>(
      `WITH RECURSIVE expired AS (
         SELECT id FROM jobs
         WHERE queue = $1 AND status = 'running' AND lease_until < now()
         ORDER BY lease_until
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ), fair_keys AS (
         (SELECT fairness_key AS k FROM jobs WHERE queue = $1 AND status = 'queued' ORDER BY fairness_key LIMIT 1)
         UNION ALL
         SELECT (SELECT j.fairness_key FROM jobs j
                 WHERE j.queue = $1 AND j.status = 'queued' AND j.fairness_key > fk.k
                 ORDER BY j.fairness_key LIMIT 1)
         FROM fair_keys fk WHERE fk.k IS NOT NULL
       ), candidates AS (
         SELECT c.id, c.run_at, c.created_at, r.running + c.rn AS weight, l.last_claimed
         FROM fair_keys fk
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS running FROM jobs r WHERE r.queue = $1 AND r.fairness_key = fk.k AND r.status = 'running'
         ) r
         CROSS JOIN LATERAL (
           SELECT max(l.claimed_at) AS last_claimed FROM jobs l
           WHERE l.queue = $1 AND l.fairness_key = fk.k AND l.claimed_at IS NOT NULL
         ) l
         CROSS JOIN LATERAL (
           SELECT q.id, q.run_at, q.created_at, row_number() OVER (ORDER BY q.run_at, q.created_at) AS rn
           FROM jobs q
           WHERE q.queue = $1 AND q.fairness_key = fk.k AND q.status = 'queued' AND q.run_at <= now()
           ORDER BY q.run_at, q.created_at
           LIMIT $3
         ) c
         WHERE fk.k IS NOT NULL
       ), due AS (
         SELECT j.id FROM jobs j JOIN candidates c ON c.id = j.id
         WHERE j.status = 'queued' AND j.run_at <= now()
         ORDER BY c.weight, c.last_claimed NULLS FIRST, c.run_at, c.created_at
         LIMIT $3
         FOR UPDATE OF j SKIP LOCKED
       ), picked AS (
         SELECT id FROM expired UNION ALL SELECT id FROM due LIMIT $3
       )
       UPDATE jobs SET
         status = 'running',
         attempt = jobs.attempt + 1,
         locked_by = $2,
         lease_until = now() + ($4::double precision * interval '1 millisecond'),
         claimed_at = now(),
         updated_at = now()
       FROM picked
       WHERE jobs.id = picked.id
       RETURNING jobs.id, jobs.queue, jobs.payload, jobs.attempt, jobs.max_attempts`,
      [queue, lockedBy, limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      payload: r.payload,
      attempt: r.attempt,
      maxAttempts: r.max_attempts,
      lockedBy,
    }));
  }

  /** Marks a claimed job done. False when the claim was lost (lease expired and taken over). */
  async complete(job: ClaimedJob): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE jobs SET status = 'done', finished_at = now(), updated_at = now(), lease_until = NULL, locked_by = NULL
       WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND status = 'running'`,
      [job.id, job.lockedBy, job.attempt],
    );
    return rowCount > 0;
  }

  /**
   * Records a failed run: dead when the error is permanent or the attempts are
   * used up, otherwise queued again after the backoff delay.
   */
  async fail(
    job: ClaimedJob,
    err: unknown,
    backoff: Partial<RetryBackoff> = {},
  ): Promise<{ status: 'queued' | 'dead'; retryInMs?: number } | null> {
    const message = describeError(err);
    if (this.isPermanentError(err) || job.attempt >= job.maxAttempts) {
      const ok = await this.markDead(job, message);
      return ok ? { status: 'dead' } : null;
    }
    // A field left undefined keeps the queue's default (spreading it would blank the default).
    const own = Object.fromEntries(Object.entries(backoff).filter(([, v]) => v !== undefined)) as Partial<RetryBackoff>;
    const delay = retryDelayMs(job.attempt, { ...this.retry, ...own }, this.random);
    const { rowCount } = await this.db.query(
      `UPDATE jobs SET status = 'queued', last_error = $4, lease_until = NULL, locked_by = NULL, updated_at = now(),
         run_at = now() + ($5::double precision * interval '1 millisecond')
       WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND status = 'running'`,
      [job.id, job.lockedBy, job.attempt, message, delay],
    );
    return rowCount > 0 ? { status: 'queued', retryInMs: delay } : null;
  }

  async markDead(job: ClaimedJob, message: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE jobs SET status = 'dead', last_error = $4, finished_at = now(), updated_at = now(),
         lease_until = NULL, locked_by = NULL
       WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND status = 'running'`,
      [job.id, job.lockedBy, job.attempt, message],
    );
    return rowCount > 0;
  }

  /** Gives claimed jobs back without counting the run: queued again, runnable now. */
  async release(jobs: readonly ClaimedJob[]): Promise<void> {
    for (const job of jobs) {
      await this.db.query(
        `UPDATE jobs SET status = 'queued', attempt = attempt - 1, lease_until = NULL, locked_by = NULL,
           run_at = now(), updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND status = 'running'`,
        [job.id, job.lockedBy, job.attempt],
      );
    }
  }

  /** Extends the leases of jobs held by `lockedBy`; returns the ids still held. */
  async heartbeat(lockedBy: string, ids: readonly string[], leaseMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE jobs SET lease_until = now() + ($3::double precision * interval '1 millisecond'), updated_at = now()
       WHERE id = ANY($2::uuid[]) AND locked_by = $1 AND status = 'running'
       RETURNING id`,
      [lockedBy, ids, leaseMs],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** @internal */
  unregister(worker: DbJobWorker): void {
    this.workers.get(worker.queue)?.delete(worker);
  }
}

interface RunningJob {
  job: ClaimedJob;
  controller: AbortController;
  /** Set when this worker no longer owns the job (released on stop, or lease lost). */
  disowned: boolean;
  done: Promise<void>;
}

class DbJobWorker implements JobWorker {
  readonly lockedBy = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, RunningJob>();
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private wakePending = false;
  private wakeSleeper: (() => void) | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatBusy = false;

  constructor(
    private readonly owner: DbJobQueue,
    readonly queue: string,
    private readonly handler: JobHandler,
    private readonly opts: WorkOptions,
  ) {}

  start(): void {
    this.loopDone = this.loop();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(5, Math.floor(this.opts.leaseMs / 3)));
    this.heartbeatTimer.unref();
  }

  wake(): void {
    const sleeper = this.wakeSleeper;
    if (sleeper) {
      this.wakeSleeper = null;
      sleeper();
    } else {
      this.wakePending = true;
    }
  }

  stop(graceMs = 30_000): Promise<void> {
    this.stopped ??= this.drain(graceMs);
    return this.stopped;
  }

  private async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;

    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, graceMs))));
    await Promise.race([Promise.allSettled([...this.running.values()].map((r) => r.done)), graceOver]);
    clearTimeout(timer);

    const leftovers = [...this.running.values()];
    for (const entry of leftovers) {
      entry.disowned = true;
      entry.controller.abort(new Error('worker stopping'));
    }
    if (leftovers.length > 0) {
      try {
        await this.owner.release(leftovers.map((e) => e.job));
      } catch (err) {
        // The leases expire on their own and the jobs run again elsewhere.
        this.owner.logger.error({ err, queue: this.queue }, 'could not release jobs on stop');
      }
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.owner.unregister(this);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const capacity = this.opts.concurrency - this.running.size;
      let full = false;
      if (capacity > 0) {
        this.wakePending = false;
        try {
          const jobs = await this.owner.claim(this.queue, this.lockedBy, capacity, this.opts.leaseMs);
          if (this.stopping) {
            await this.owner.release(jobs);
            break;
          }
          for (const job of jobs) this.run(job);
          full = jobs.length === capacity;
        } catch (err) {
          this.owner.logger.error({ err, queue: this.queue }, 'claiming jobs failed');
        }
      }
      // A full batch suggests more are waiting; otherwise sleep until a poll,
      // an enqueue in this process, or a free slot.
      if (full && this.running.size < this.opts.concurrency) continue;
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.wakePending || this.stopping) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleeper = null;
        resolve();
      }, this.opts.pollMs);
      this.wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private run(job: ClaimedJob): void {
    const stale = this.running.get(job.id);
    if (stale) {
      // Our own earlier run lost its lease and we claimed the job again.
      stale.disowned = true;
      stale.controller.abort(new Error('lease lost'));
    }
    const controller = new AbortController();
    const entry: RunningJob = { job, controller, disowned: false, done: Promise.resolve() };
    entry.done = this.execute(entry).finally(() => {
      if (this.running.get(job.id) === entry) this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, entry);
  }

  private async execute(entry: RunningJob): Promise<void> {
    const { job } = entry;
    const log = this.owner.logger;
    try {
      if (job.attempt > job.maxAttempts) {
        // Its last permitted run never reported back: the worker died mid-run.
        await this.owner.markDead(job, 'lease expired during the final attempt (worker lost)');
        return;
      }
      let failure: unknown = null;
      let failed = false;
      try {
        const { lockedBy: _lockedBy, ...publicJob } = job;
        await this.handler(publicJob, { signal: entry.controller.signal });
      } catch (err) {
        failed = true;
        failure = err;
      }
      if (entry.disowned) return; // released or taken over: the outcome is not ours to record
      if (!failed) {
        if (!(await this.owner.complete(job))) log.warn({ jobId: job.id, queue: job.queue }, 'job finished after its lease was lost');
        return;
      }
      const outcome = await this.owner.fail(job, failure, this.opts.backoff);
      const context = { err: failure, jobId: job.id, queue: job.queue, attempt: job.attempt, outcome };
      if (!outcome) log.warn(context, 'job failed after its lease was lost');
      else if (outcome.status === 'dead') log.error(context, 'job failed permanently (dead-lettered)');
      else log.warn(context, 'job failed; will retry');
    } catch (err) {
      // Recording the outcome failed (database down?): the lease expires and the job runs again.
      log.error({ err, jobId: job.id, queue: job.queue }, 'could not record job outcome');
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatBusy || this.running.size === 0) return;
    this.heartbeatBusy = true;
    try {
      const owned = [...this.running.values()].filter((e) => !e.disowned);
      const held = await this.owner.heartbeat(
        this.lockedBy,
        owned.map((e) => e.job.id),
        this.opts.leaseMs,
      );
      for (const entry of owned) {
        if (!held.has(entry.job.id) && this.running.get(entry.job.id) === entry && !entry.disowned) {
          entry.disowned = true;
          entry.controller.abort(new Error('lease lost'));
        }
      }
    } catch (err) {
      this.owner.logger.error({ err, queue: this.queue }, 'job heartbeat failed');
    } finally {
      this.heartbeatBusy = false;
    }
  }
}
