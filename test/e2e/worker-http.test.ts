import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { DbJobQueue } from '../../src/adapters/queue/db-job-queue.js';
import { JOBS, jobNames } from '../../src/jobs/job-registry.js';
import { waitFor } from '../contracts/support.js';
import { freePort } from '../support/net.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL } from '../support/services.js';

const TOKEN = 'worker-scraper-token-0123456789';

/** The value of one sample (`name{labels} value`) in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * A real `curta worker` process (PostgreSQL, so this test can reach the same
 * database while the worker runs): its own port answers /healthz, /readyz
 * and /metrics, and the metrics follow the jobs it runs.
 */
if (await postgresAvailable()) {
  describe('curta worker: health and metrics on its own port', () => {
    let dataDir: string;
    let database: { url: string; drop: () => Promise<void> };
    let child: ChildProcessWithoutNullStreams;
    let output = '';
    let base: string;
    let exited: Promise<number | null>;

    const scrape = async (): Promise<string> => {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      return res.text();
    };
    const dbName = () => new URL(database.url).pathname.slice(1);
    const admin = async (sql: string): Promise<void> => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'curta-worker-http-'));
      database = await createTestDatabase();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
        env: {
          PATH: process.env.PATH ?? '',
          CURTA_DATA_DIR: dataDir,
          DATABASE_URL: database.url,
          CURTA_SIGNING_SECRET: 'w'.repeat(40),
          HOST: '127.0.0.1',
          WORKER_HTTP_PORT: String(port),
          METRICS_TOKEN: TOKEN,
          LOG_LEVEL: 'info',
          NODE_ENV: 'test',
        },
      });
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor(() => output.includes('Curta workers are up') || child.exitCode !== null, 60_000, 'worker start');
      expect(output).toContain(`Curta workers are up; health and metrics: ${base}`);
    });
    afterAll(async () => {
      if (child?.exitCode === null) child.kill('SIGKILL');
      await admin(`ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('answers liveness and readiness, and keeps /metrics for the token holder', async () => {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const refused = await fetch(`${base}/metrics`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect((await fetch(`${base}/api/v1/videos`)).status).toBe(404); // no API here
    });

    it('exports every registered queue, process metrics, and counters that move with the jobs it runs', async () => {
      const first = await scrape();
      for (const queue of jobNames(JOBS)) {
        for (const state of ['queued', 'running', 'done', 'dead']) {
          expect(sample(first, `curta_queue_jobs{queue="${queue}",state="${state}"}`), `${queue} ${state}`).toBeTypeOf('number');
        }
        expect(sample(first, `curta_queue_oldest_due_seconds{queue="${queue}"}`), queue).toBeTypeOf('number');
        expect(sample(first, `curta_queue_expired_leases{queue="${queue}"}`), queue).toBeTypeOf('number');
        expect(sample(first, `curta_job_failures_total{queue="${queue}"}`), queue).toBeTypeOf('number');
      }
      expect(sample(first, 'curta_queue_stats_up')).toBe(1);
      expect(sample(first, 'curta_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(first).toMatch(/^curta_nodejs_eventloop_lag_p99_seconds /m);

      // The retention of playback events is scheduled at start-up: a real job runs and is timed.
      await waitFor(
        async () => (sample(await scrape(), 'curta_job_duration_seconds_count{queue="events-prune",outcome="ok"}') ?? 0) >= 1,
        30_000,
        'scheduled events-prune run counted',
      );

      // A job no handler can read fails for good: the failure and the dead job show.
      const db = await PostgresDatabase.open(database.url, { maxConnections: 1 });
      try {
        const before = sample(await scrape(), 'curta_job_failures_total{queue="video.purge"}') ?? 0;
        await new DbJobQueue(db).enqueue('video.purge', { not: 'a purge payload' }, { maxAttempts: 1 });
        const after = await waitFor(
          async () => {
            const text = await scrape();
            return sample(text, 'curta_queue_jobs{queue="video.purge",state="dead"}') === 1 ? text : null;
          },
          30_000,
          'dead video.purge job in the gauge',
        );
        expect(sample(after, 'curta_job_failures_total{queue="video.purge"}')).toBe(before + 1);
        expect(sample(after, 'curta_job_duration_seconds_count{queue="video.purge",outcome="error"}')).toBe(1);
      } finally {
        await db.close();
      }
    });

    it('turns /readyz to 503 while the database is unreachable, and back when it returns', async () => {
      // Refuse new connections to the worker's database and cut the ones it holds.
      await admin(`ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName()}' AND pid <> pg_backend_pid()`);
      const down = await waitFor(
        async () => {
          const res = await fetch(`${base}/readyz`);
          return res.status === 503 ? res : null;
        },
        30_000,
        'readyz 503',
      );
      expect(await down.json()).toEqual({ status: 'unavailable' });
      expect((await fetch(`${base}/healthz`)).status).toBe(200); // alive, just not ready
      // Metrics still answer, and say the queue could not be read.
      expect(sample(await scrape(), 'curta_queue_stats_up')).toBe(0);

      await admin(`ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`);
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 'readyz back to 200');
    });

    it('drains and exits 0 on SIGTERM', async () => {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
} else {
  describe.skip('curta worker: health and metrics on its own port (no PostgreSQL server)', () => {
    it('needs PostgreSQL', () => undefined);
  });
}
