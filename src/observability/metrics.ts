import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Cache } from '../ports/cache.js';
import type { JobHandler, JobQueue, QueueStats } from '../ports/job-queue.js';
import { defineRoute, type AnyRoute } from '../lib/http/route.js';

/**
 * Prometheus metrics for one process, on its own registry (no globals):
 * request latency, queue depth, job durations and failures, cache hit ratio,
 * plus Node's default process metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly jobDuration: Histogram<'queue' | 'outcome'>;
  private readonly jobFailures: Counter<'queue'>;
  readonly cacheRequests: Counter<'result'>;
  /** Rows scheduled retention deleted, by kind (jobs, sessions, …). */
  readonly retentionDeleted: Counter<'kind'>;

  constructor(queue: JobQueue, queues: readonly string[]) {
    collectDefaultMetrics({ register: this.registry, prefix: 'curta_' });
    this.httpDuration = new Histogram({
      name: 'curta_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'curta_job_duration_seconds',
      help: 'Job handler run time by queue and outcome',
      labelNames: ['queue', 'outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers: [this.registry],
    });
    this.jobFailures = new Counter({
      name: 'curta_job_failures_total',
      help: 'Job runs that threw (each is retried or dead-lettered)',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    // Every queue's series exist from the start (at 0), so rates and alerts see a queue before its first job.
    for (const q of queues) {
      this.jobFailures.inc({ queue: q }, 0);
      for (const outcome of ['ok', 'error']) this.jobDuration.zero({ queue: q, outcome });
    }
    this.retentionDeleted = new Counter({
      name: 'curta_retention_deleted_total',
      help: 'Rows deleted by scheduled retention, by kind',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.cacheRequests = new Counter({
      name: 'curta_cache_requests_total',
      help: 'Cache lookups by result (hit ratio = hit / (hit + miss))',
      labelNames: ['result'],
      registers: [this.registry],
    });
    // One stats query per scrape feeds the queue gauges: the registry collects them concurrently, so they share the one in flight.
    let inFlight: Promise<QueueStats[] | null> | null = null;
    const queueStats = (): Promise<QueueStats[] | null> =>
      (inFlight ??= queue
        .stats()
        .catch(() => null)
        .finally(() => (inFlight = null)));
    // Every registered queue appears (at 0 when empty), and any other queue that has jobs.
    const byQueue = async (): Promise<QueueStats[] | null> => {
      const stats = await queueStats();
      if (!stats) return null;
      const seen = new Set(stats.map((s) => s.queue));
      const empty = queues
        .filter((q) => !seen.has(q))
        .map((q) => ({ queue: q, counts: { queued: 0, running: 0, done: 0, dead: 0 }, oldestDueSec: 0, expiredLeases: 0 }));
      return [...stats, ...empty];
    };
    new Gauge({
      name: 'curta_queue_stats_up',
      help: 'Whether the queue statistics below could be read (0: the database did not answer)',
      registers: [this.registry],
      async collect() {
        this.set((await queueStats()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'curta_queue_jobs',
      help: 'Jobs in the durable queue by state (dead: failed for good, see `curta jobs list`)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of (await byQueue()) ?? []) {
          for (const [state, n] of Object.entries(s.counts) as Array<[string, number]>) this.set({ queue: s.queue, state }, n);
        }
      },
    });
    new Gauge({
      name: 'curta_queue_oldest_due_seconds',
      help: 'How long the oldest due queued job has waited past its run time (0: none waiting)',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of (await byQueue()) ?? []) this.set({ queue: s.queue }, s.oldestDueSec);
      },
    });
    new Gauge({
      name: 'curta_queue_expired_leases',
      help: 'Running jobs whose lease expired (their worker died) and that no worker has taken over yet',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of (await byQueue()) ?? []) this.set({ queue: s.queue }, s.expiredLeases);
      },
    });
  }

  /** A gauge read when scraped (e.g. the recommender model version this process serves). */
  observe(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A gauge read from an async source when scraped (e.g. a table's depth); absent from a scrape where it fails. */
  observeAsync(name: string, help: string, read: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.reset();
        const v = await read().catch(() => null);
        if (v !== null) this.set(v);
      },
    });
  }

  /** Records every response's latency under its route pattern (not the raw URL: bounded cardinality). */
  instrumentHttp(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  }

  /** GET /metrics, for the scraper; with a token, only for the scraper that holds it. */
  route(token: string | null = null): AnyRoute {
    const expected = token === null ? null : Buffer.from(`Bearer ${token}`);
    return defineRoute({
      method: 'GET',
      url: '/metrics',
      operationId: 'getMetrics',
      tag: 'system',
      summary: 'Prometheus metrics',
      description: 'Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).',
      auth: 'none',
      // The scraper's Authorization header is the metrics token, not a session.
      ownAuthorization: true,
      response: { contentType: 'text/plain', description: 'Prometheus text exposition format' },
      errors: [401],
      handler: async (request, reply) => {
        if (expected) {
          const given = Buffer.from(request.headers.authorization ?? '');
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            throw new AppError('unauthorized', 'Metrics need the METRICS_TOKEN bearer token.');
          }
        }
        return reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
      },
    });
  }

  wrapJob<P>(queue: string, handler: JobHandler<P>): JobHandler<P> {
    return async (job, ctx) => {
      const end = this.jobDuration.startTimer({ queue });
      try {
        await handler(job, ctx);
        end({ outcome: 'ok' });
      } catch (err) {
        end({ outcome: 'error' });
        this.jobFailures.inc({ queue });
        throw err;
      }
    };
  }
}

/** Counts hits and misses around any Cache adapter. */
export class InstrumentedCache implements Cache {
  constructor(
    private readonly inner: Cache,
    private readonly requests: Counter<'result'>,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const v = await this.inner.get<T>(key);
    this.requests.inc({ result: v === undefined ? 'miss' : 'hit' });
    return v;
  }

  async getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>): Promise<T> {
    let loaded = false;
    const v = await this.inner.getOrLoad(key, ttlMs, () => {
      loaded = true;
      return loader();
    });
    this.requests.inc({ result: loaded ? 'miss' : 'hit' });
    return v;
  }

  set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    return this.inner.set(key, value, ttlMs);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.inner.deleteMany(keys);
  }

  incr(key: string, by?: number, ttlMs?: number): Promise<number> {
    return this.inner.incr(key, by, ttlMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
