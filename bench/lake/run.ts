/**
 * Data lake benchmark (issue 14): ingest into the lake through the real API,
 * creator analytics on a 10-million-event lake, and recommender training
 * from the lake against training from PostgreSQL — each against a baseline
 * measured in the same run. Prints one table.
 *
 *   npm run bench:lake
 *     LAKE_BENCH_EVENTS=10000000   events in the analytics lake (90 days)
 *     LAKE_BENCH_TRAIN_EVENTS=1000000  events of the training comparison (30 days)
 *     LAKE_BENCH_INGEST_SEC=20     seconds of sustained event posts; CONNECTIONS=32
 *     LAKE_BENCH_PARTS=ingest,creator,train  which parts to run
 *     LAKE_BENCH_REQUESTS=50       warm requests per analytics route (p99)
 *     LAKE_BENCH_PG_DETAIL=1       ingest: PostgreSQL CPU per server process (and its last statement)
 *     LAKE_BENCH_CPU_PROF=dir      ingest: the API and worker write V8 CPU profiles into dir
 *
 * Deployment under test, per part: PostgreSQL (a throwaway database on
 * 127.0.0.1:5432, dropped at the end), Redis (a claimed logical database),
 * filesystem object store; `curta serve` and `curta worker` processes from
 * the source tree (as bench/recs runs them), loopback only.
 *
 * 1. ingest — autocannon in this process posts full batches of playback events
 *    (MAX_EVENTS_PER_BATCH, 500) to POST /api/v1/events, each request as the next of
 *    50,000 anonymous devices, over CONNECTIONS connections; one `curta worker`
 *    delivers the lake buffer (LAKE_DELIVERY_INTERVAL_SEC=1, and the API asks
 *    for a delivery whenever it has buffered a batch's worth). Sampled every
 *    250 ms: the buffer's depth. Afterwards: the time until the buffer is
 *    empty, that the lake holds exactly the accepted events, and CPU seconds
 *    per process (API, worker, PostgreSQL, this load generator) — where the
 *    time goes. Target ≥ 50,000 events/s with the buffer bounded.
 * 2. creator — bench/lake/synthetic.ts writes LAKE_BENCH_EVENTS events straight
 *    into the lake (hourly partitions over 90 days); the top creator (the most
 *    watched) and their top video are set up in the database. Through the API:
 *    the first (cold) 90-day account series and the video's retention curve,
 *    then LAKE_BENCH_REQUESTS warm requests each (p99 target < 300 ms). Cold:
 *    a fresh server, no aggregates local or in the store (every day read raw,
 *    filtered to the subject), its file cache filled (untimed). The baseline:
 *    the same SQL as the API's run directly in DuckDB over the same local files
 *    (target: cold API ≤ 2× that). bench/analytics also measures the cold
 *    computation of a subject on aggregates built by lake maintenance.
 * 3. train — LAKE_BENCH_TRAIN_EVENTS events into a lake, and the same history
 *    (playback events, likes, shares, comments, marks, follows) loaded into
 *    PostgreSQL; the trainer (RecsTrainer, in this process) from each: the
 *    lake path (cold: its file cache empty) against the pre-lake path
 *    (TRAINING_PAIRS_SQL on the events table), alternated twice each, best
 *    of each. Target: lake ≤ PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type RequestParams, type Result } from 'autocannon';
import pg from 'pg';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { MAX_EVENTS_PER_BATCH } from '../../src/modules/events/events.schema.js';
import { sqlString, withDuckdb } from '../../src/modules/lake/duckdb.js';
import { LAKE_AGGREGATES_PREFIX, reduceEvents } from '../../src/modules/lake/lake-aggregates.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { figuresOn, type Subject } from '../../src/modules/analytics/analytics.repository.js';
import { LakeTrainingSource } from '../../src/modules/recs/lake-training.js';
import { RecsRepository } from '../../src/modules/recs/recs.repository.js';
import { RecsTrainer, type TrainSummary } from '../../src/modules/recs/trainer.js';
import { DatabaseTrainingSource, type TrainingSource } from '../../src/modules/recs/training-source.js';
import { claimRedisDatabase, exitWithin, freePort, spawnCurta, waitForHttp, type ManagedProcess } from '../../test/support/cluster.js';
import { createTestDatabase, postgresAvailable, redisAvailable } from '../../test/support/services.js';
import { RAISED_RATE_LIMITS } from '../../test/support/test-app.js';
import { percentile, printTable } from '../support/report.js';
import { creatorIdOf, generateLake, videoDurationSql, videoIdOf, videoOwnerSql, type WorldOptions } from './synthetic.js';

const int = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return n;
};
const EVENTS = int('LAKE_BENCH_EVENTS', 10_000_000, 10_000, 100_000_000);
const TRAIN_EVENTS = int('LAKE_BENCH_TRAIN_EVENTS', 1_000_000, 10_000, 20_000_000);
const INGEST_SEC = int('LAKE_BENCH_INGEST_SEC', 20, 2, 600);
const CONNECTIONS = int('CONNECTIONS', 32, 1, 512);
const REQUESTS = int('LAKE_BENCH_REQUESTS', 50, 5, 10_000);
const PARTS = new Set((process.env['LAKE_BENCH_PARTS'] ?? 'ingest,creator,train').split(',').map((s) => s.trim()));
const WATCHDOG_MS = 30 * 60_000;

const TARGET_EVENTS_PER_SEC = 50_000;
/** Events per POST: as many as the API takes in one batch. */
const BATCH = MAX_EVENTS_PER_BATCH;
const TARGET_P99_MS = 300;
const TARGET_COLD_RATIO = 2;

const secs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** One line of the final table. */
interface Row {
  part: string;
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: string;
}
const rows: Row[] = [];
const row = (r: Partial<Row> & Pick<Row, 'part' | 'measure' | 'value'>) =>
  rows.push({ baseline: '', ratio: '', target: '', verdict: '', ...r });
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');

// ------------------------------------------------------------------ deployment

interface Deployment {
  dataDir: string;
  databaseUrl: string;
  env: Record<string, string>;
  base: string;
  cleanups: Array<() => Promise<unknown>>;
}

async function deploy(label: string, extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const dataDir = await mkdtemp(join(tmpdir(), `curta-bench-lake-${label}-`));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const redis = await claimRedisDatabase();
  cleanups.push(() => redis.release());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    ...(process.env['HOME'] ? { HOME: process.env['HOME'] } : {}),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    LOG_LEVEL: 'warn',
    CURTA_DATA_DIR: dataDir,
    CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: database.url,
    DB_POOL_MAX: '10',
    REDIS_URL: redis.url,
    RECS_TRAIN_INTERVAL_SEC: '0',
    ...RAISED_RATE_LIMITS,
    ...extraEnv,
  };
  const migrate = spawnCurta('migrate', 'migrate', env);
  const migrated = await exitWithin(migrate, 120_000);
  if (migrated?.code !== 0) {
    await migrate.stop(1000);
    throw new Error(`curta migrate failed (${JSON.stringify(migrated)}):\n${migrate.output()}`);
  }
  return { dataDir, databaseUrl: database.url, env, base, cleanups };
}

async function start(d: Deployment, command: 'serve' | 'worker'): Promise<ManagedProcess> {
  const proc = spawnCurta(command === 'serve' ? 'api' : 'worker', command, d.env);
  d.cleanups.push(() => proc.stop(10_000));
  if (command === 'serve') await waitForHttp(`${d.base}/readyz`, proc, 60_000);
  return proc;
}

async function teardown(d: Deployment): Promise<void> {
  for (const c of d.cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.error('cleanup failed:', err);
    }
  }
}

/** A creator with a bearer token, and ready public videos (ids given), straight into the database. */
async function seedCreator(client: pg.Client, creatorId: string, token: string, videos: Array<{ id: string; durationMs: number }>) {
  await client.query(`INSERT INTO users (id, username, password_hash) VALUES ($1, $1, 'bench: no password') ON CONFLICT DO NOTHING`, [
    creatorId,
  ]);
  await client.query(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [
    createHash('sha256').update(token).digest('hex'),
    creatorId,
  ]);
  for (let i = 0; i < videos.length; i += 5000) {
    const chunk = videos.slice(i, i + 5000);
    await client.query(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type, declared_size,
                           upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at, created_at)
       SELECT x.id, $3, 'ready', 'bench video', 'public', 'originals/' || x.id, 'seed.mp4', 'video/mp4', 1000, now() + interval '1 hour',
              'media/' || x.id || '/seed', x.d, 360, 640, '{"hls": "master.m3u8", "mp4": "video.mp4", "poster": "poster.jpg"}'::jsonb,
              now() - interval '100 days', now() - interval '100 days'
       FROM unnest($1::text[], $2::int[]) AS x(id, d)`,
      [chunk.map((v) => v.id), chunk.map((v) => v.durationMs), creatorId],
    );
  }
}

// ------------------------------------------------------------------ CPU accounting

const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used, from /proc (0 when unreadable). */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** PostgreSQL's processes on this machine (the server runs here: loopback). */
async function postgresPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const comm = await readFile(`/proc/${name}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') pids.push(Number(name));
  }
  return pids;
}

/** PostgreSQL CPU seconds by process (pid → [what it is, seconds]): client backends vs WAL writer, checkpointer, autovacuum, ... */
const pgDetail = new Map<number, [string, number]>();

/**
 * CPU seconds per process. PostgreSQL: the server processes of `database`
 * (this run's) and the shared background ones (WAL writer, checkpointer,
 * autovacuum, ...), but not `exclude` (this generator's own sampling
 * connection) nor other databases' backends (other work on a shared server).
 */
async function cpuSnapshot(procs: Record<string, number>, database: string, exclude: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(procs)) out[name] = await cpuSeconds(pid);
  let pgCpu = 0;
  for (const pid of await postgresPids()) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    // Backends read "postgres: <user> <database> <client> <state>"; background processes name no client.
    const backend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmd);
    // Autovacuum workers name their database too; checkpointer and WAL writer serve every database (counted).
    const ofDatabase = backend || cmd.includes('autovacuum worker');
    if (pid === exclude || (ofDatabase && !cmd.includes(` ${database}`))) continue;
    const s = await cpuSeconds(pid);
    pgCpu += s;
    pgDetail.set(pid, [
      cmd
        .replace(/^postgres: /, '')
        .replace(/\s+\d+\.\d+\.\d+\.\d+\(\d+\).*$/, '')
        .replace(/^(\S+ \S+)$/, 'backend $1'),
      s,
    ]);
  }
  out['postgresql'] = pgCpu;
  const self = process.cpuUsage();
  out['load generator'] = (self.user + self.system) / 1e6;
  return out;
}

// ------------------------------------------------------------------ 1. ingest

async function ingestPart(): Promise<void> {
  console.log(`\n[ingest] ${INGEST_SEC} s of POST /api/v1/events (${BATCH} events a batch) over ${CONNECTIONS} connections`);
  // Deliveries at 50,000 events or 10 s of age (the defaults, 100,000 or 60 s, would leave the tail of the run waiting a minute).
  const d = await deploy('ingest', {
    LAKE_DELIVERY_INTERVAL_SEC: '1',
    LAKE_BATCH_MAX_EVENTS: '50000',
    LAKE_BUFFER_MAX_AGE_SEC: '10',
    // LAKE_BENCH_CPU_PROF=dir: the API and worker write V8 CPU profiles there (where their time goes).
    ...(process.env['LAKE_BENCH_CPU_PROF'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env['LAKE_BENCH_CPU_PROF']}` } : {}),
  });
  try {
    const client = new pg.Client({ connectionString: d.databaseUrl });
    await client.connect();
    const videos = Array.from({ length: 2000 }, (_, k) => ({ id: `bi${pad(k, 8)}`, durationMs: 8000 + (k % 23) * 1000 }));
    await seedCreator(client, 'bingestcreator', 'bench-ingest-token-00001', videos);
    const api = await start(d, 'serve');
    const worker = await start(d, 'worker');

    // 200 different full batches: BATCH / 4 videos each, impression → play → progress → complete.
    const bodies = Array.from({ length: 200 }, (_, b) => {
      const events: Array<Record<string, unknown>> = [];
      for (let j = 0; j < BATCH / 4; j++) {
        const v = videos[(b * 37 + j * 101) % videos.length]!;
        events.push(
          { type: 'impression', videoId: v.id },
          { type: 'play', videoId: v.id },
          { type: 'progress', videoId: v.id, watchedMs: Math.floor(v.durationMs / 2) },
          { type: 'complete', videoId: v.id, watchedMs: v.durationMs },
        );
      }
      return JSON.stringify({ events });
    });
    let n = 0;
    const setupRequest = (req: RequestParams): RequestParams => {
      const i = n++;
      return {
        ...req,
        headers: { ...req.headers, 'content-type': 'application/json', 'x-device-id': `bench-ingest-${pad((i * 7919) % 50_000, 8)}` },
        body: bodies[i % bodies.length]!,
      };
    };
    // Warm-up (JIT, pools), not counted.
    await autocannon({
      url: d.base,
      connections: CONNECTIONS,
      duration: 2,
      requests: [{ method: 'POST', path: '/api/v1/events', setupRequest }],
    });

    // Events buffered (a playback batch is one row of n_events, migration 0020): few rows, a cheap scan.
    const depth = async () =>
      Number((await client.query<{ d: string }>(`SELECT coalesce(sum(n_events), 0) AS d FROM lake_buffer`)).rows[0]!.d);
    const before = await client.query<{ n: string }>(`SELECT count(*) AS n FROM events`);
    const dbName = new URL(d.databaseUrl).pathname.slice(1);
    const samplerPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const cpu0 = await cpuSnapshot({ api: api.pid, worker: worker.pid }, dbName, samplerPid);
    const pg0 = new Map([...pgDetail].map(([pid, [, v]]) => [pid, v]));
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxDepth = Math.max(maxDepth, await depth());
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const t0 = performance.now();
    const r: Result = await autocannon({
      url: d.base,
      connections: CONNECTIONS,
      duration: INGEST_SEC,
      timeout: 20,
      requests: [{ method: 'POST', path: '/api/v1/events', setupRequest }],
    });
    const wallMs = performance.now() - t0;
    const cpu1 = await cpuSnapshot({ api: api.pid, worker: worker.pid }, dbName, samplerPid);
    if (process.env['LAKE_BENCH_PG_DETAIL']) {
      const last = new Map(
        (
          await client.query<{ pid: number; q: string }>(
            `SELECT pid, left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS q FROM pg_stat_activity`,
          )
        ).rows.map((x) => [x.pid, x.q]),
      );
      const lines = [...pgDetail]
        .map(([pid, [what, v]]) => ({ pid, what, d: v - (pg0.get(pid) ?? 0) }))
        .filter((x) => x.d > 0.05)
        .sort((a, b) => b.d - a.d);
      for (const x of lines) console.log(`    pg ${x.pid} ${x.d.toFixed(2)} s  ${x.what}  | ${last.get(x.pid) ?? ''}`);
    }
    // Drain: how long until the delivery has caught up (bounded wait).
    const drainStart = performance.now();
    let left = await depth();
    while (left > 0 && performance.now() - drainStart < 120_000) {
      await new Promise((res) => setTimeout(res, 250));
      left = await depth();
    }
    const drainMs = performance.now() - drainStart;
    sampling = false;
    await sampler;
    const stored = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM events`)).rows[0]!.n) - Number(before.rows[0]!.n);
    const accepted = r['2xx'] * BATCH;
    // Accepted events, warm-up included, counted on the server side (autocannon does not count the requests still
    // in flight when its duration ends, which the API did accept): every request stored at least one OLTP row
    // (each video of a batch keeps one, oltpRows) under its own (device, receive time); every video of the
    // bench is visible, so each accepted request took its whole batch.
    const requests = Number(
      (await client.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT DISTINCT device_id, received_at FROM events) r`)).rows[0]!.n,
    );
    const acceptedAll = requests * BATCH;
    const eventsPerSec = accepted / (wallMs / 1000);
    const latency = `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`;
    console.log(`  ${fmt(r['2xx'])} batches accepted (${fmt(accepted)} events), ${r.non2xx} non-2xx, ${r.errors} errors; ${latency}`);
    console.log(
      `  buffer: max depth ${fmt(maxDepth)} events; ${left === 0 ? `drained ${secs(drainMs)} after the load` : `${fmt(left)} left after 120 s`}`,
    );
    // Exactly once: the lake holds every accepted playback event of the run (and the warm-up), once. The OLTP
    // events table keeps only the rows serving reads (oltpRows in events.repository.ts): about half of these batches.
    const lakeCount = await withLake(d, async (reader) => {
      const rowsCount = await reader.query(
        `SELECT count(*)::BIGINT AS n, count(DISTINCT event_id)::BIGINT AS u FROM events WHERE kind = 'playback'`,
      );
      return { n: Number(rowsCount[0]!.n), u: Number(rowsCount[0]!.u) };
    });
    const allStored = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM events`)).rows[0]!.n);
    console.log(
      `  lake: ${fmt(lakeCount.n)} playback events (${fmt(lakeCount.u)} distinct ids) for ${fmt(acceptedAll)} accepted; ` +
        `${fmt(allStored)} rows in the OLTP events table`,
    );
    const used = Object.fromEntries(Object.keys(cpu1).map((k) => [k, (cpu1[k] ?? 0) - (cpu0[k] ?? 0)]));
    const total = Object.values(used).reduce((a, b) => a + b, 0);
    console.log(
      `  CPU seconds during the ${secs(wallMs)} load (${cpus().length} cores = ${((cpus().length * wallMs) / 1000).toFixed(0)} core-s): ` +
        Object.entries(used)
          .map(([k, v]) => `${k} ${v.toFixed(1)} (${((100 * v) / Math.max(total, 0.001)).toFixed(0)}%)`)
          .join(', '),
    );
    const perBatchMs = ((used['api'] ?? 0) * 1000) / Math.max(1, r['2xx']);
    const pgPerBatchMs = ((used['postgresql'] ?? 0) * 1000) / Math.max(1, r['2xx']);
    console.log(`  per batch of ${BATCH}: API ${perBatchMs.toFixed(2)} ms CPU, PostgreSQL ${pgPerBatchMs.toFixed(2)} ms CPU`);
    // Less sensitive to other work on the machine than events/s (the worker's share: what it delivered meanwhile).
    const perEvent = (k: string) => (((used[k] ?? 0) * 1e6) / Math.max(1, accepted)).toFixed(1);
    console.log(
      `  CPU µs per accepted event: API ${perEvent('api')}, PostgreSQL ${perEvent('postgresql')}, worker ${perEvent('worker')}, load generator ${perEvent('load generator')}`,
    );
    await client.end();
    row({
      part: 'ingest',
      measure: 'events/s through POST /api/v1/events',
      value: fmt(eventsPerSec),
      baseline: `${fmt(stored)} OLTP rows`,
      target: `≥ ${fmt(TARGET_EVENTS_PER_SEC)}`,
      verdict: verdict(eventsPerSec >= TARGET_EVENTS_PER_SEC && r.non2xx === 0),
    });
    row({
      part: 'ingest',
      measure: 'lake buffer max depth (events)',
      value: fmt(maxDepth),
      target: 'bounded',
      verdict: verdict(left === 0),
    });
    row({
      part: 'ingest',
      measure: 'buffer drained after the load',
      value: left === 0 ? secs(drainMs) : `${fmt(left)} left`,
      target: 'delivery keeps up',
      verdict: verdict(left === 0),
    });
    row({
      part: 'ingest',
      measure: 'lake = accepted events, once each',
      value: `${fmt(lakeCount.n)} / ${fmt(lakeCount.u)} ids`,
      baseline: `${fmt(acceptedAll)} accepted`,
      target: 'equal',
      verdict: verdict(lakeCount.n === acceptedAll && lakeCount.u === acceptedAll),
    });
    row({
      part: 'ingest',
      measure: `CPU ms per batch of ${BATCH}: API / PostgreSQL`,
      value: `${perBatchMs.toFixed(2)} / ${pgPerBatchMs.toFixed(2)}`,
    });
  } finally {
    await teardown(d);
  }
}

/** A LakeReader over a deployment's database and store, with a scratch cache. */
async function withLake<T>(d: Deployment, fn: (reader: LakeReader, db: PostgresDatabase, store: FsObjectStore) => Promise<T>): Promise<T> {
  const db = await PostgresDatabase.open(d.databaseUrl, { maxConnections: 4 });
  const cache = await mkdtemp(join(tmpdir(), 'curta-bench-lake-cache-'));
  try {
    const store = new FsObjectStore({
      rootDir: join(d.dataDir, 'objects'),
      publicBaseUrl: d.base,
      signingSecret: d.env['CURTA_SIGNING_SECRET']!,
    });
    return await fn(new LakeReader(db, store, { cacheDir: cache, cacheMaxBytes: 64 * 1024 ** 3 }), db, store);
  } finally {
    await db.close();
    await rm(cache, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 2. creator analytics

async function creatorPart(): Promise<void> {
  console.log(`\n[creator] ${fmt(EVENTS)} synthetic events over 90 days straight into the lake`);
  const d = await deploy('creator');
  try {
    const endMs = Date.now();
    const world: WorldOptions = { events: EVENTS, days: 90, videos: 100_000, creators: 10_000, users: 1_000_000, devices: 500_000, endMs };
    const { gen, creatorId, topVideo, videos } = await withLake(d, async (_reader, db, store) => {
      const gen = await generateLake(db, store, join(d.dataDir, 'scratch'), world);
      // The top creator (the most events) and their most watched video, from the files themselves.
      const top = await _reader.query(
        `SELECT creator_id, video_id, count(*)::BIGINT AS n FROM events WHERE kind = 'playback' AND creator_id = 'lc0000000' GROUP BY ALL ORDER BY n DESC LIMIT 1`,
      );
      const owned = await withDuckdb(async (c) => {
        const r = await c.runAndReadAll(
          `SELECT k, ${videoDurationSql('k')} AS d FROM range(${world.videos}) t(k) WHERE ${videoOwnerSql(world, 'k')} = 0`,
        );
        return r.getRowObjectsJS().map((x) => ({ id: videoIdOf(Number(x.k)), durationMs: Number(x.d) }));
      });
      return { gen, creatorId: creatorIdOf(0), topVideo: String(top[0]!.video_id), videos: owned };
    });
    console.log(
      `  generated ${fmt(gen.events)} events in ${gen.files} files (${(gen.bytes / 1024 ** 2).toFixed(0)} MiB): DuckDB ${secs(gen.generateMs)}, store + manifest ${secs(gen.uploadMs)}`,
    );
    console.log(`  top creator ${creatorId}: ${fmt(videos.length)} videos; top video ${topVideo}`);
    const client = new pg.Client({ connectionString: d.databaseUrl });
    await client.connect();
    await seedCreator(client, creatorId, 'bench-creator-token-0001', videos);
    await client.end();

    const to = new Date(endMs).toISOString().slice(0, 10);
    const from = new Date(endMs - 89 * 86_400_000).toISOString().slice(0, 10);
    const accountPath = `/api/v1/analytics/account?from=${from}&to=${to}`;
    const videoPath = `/api/v1/analytics/videos/${topVideo}?from=${from}&to=${to}`;

    // Baseline: the same figures straight from the files in DuckDB (files local first, untimed).
    const direct = await withLake(d, async (reader) => {
      const files = await reader.liveFiles({ from, to });
      const { paths, release } = await reader.acquire(files.map((f) => f.key));
      try {
        // The same SQL as the API's (reduceEvents + figuresOn: plays, retention, series, sources, top videos), one
        // connection, no manifest, no aggregates; footers warmed by one untimed query first, as the API's are by its reader.
        const time = async (subject: Subject, where: string) =>
          withDuckdb(async (c) => {
            const t0 = performance.now();
            await reduceEvents(c, paths, { where });
            await figuresOn(c, subject, from, to, 10);
            return performance.now() - t0;
          });
        await time({ kind: 'account', creatorId: creatorIdOf(1) }, `creator_id = ${sqlString(creatorIdOf(1))}`);
        const account = await time({ kind: 'account', creatorId }, `creator_id = ${sqlString(creatorId)}`);
        const video = await time({ kind: 'video', videoId: topVideo }, `video_id = ${sqlString(topVideo)}`);
        return { account, video };
      } finally {
        release();
      }
    });

    // The API's local file cache filled first (as a running deployment's is): cold = the day aggregates not computed yet.
    const fillMs = await withLake(d, async (_r, db, store) => {
      const reader = new LakeReader(db, store, { cacheDir: join(d.dataDir, 'lake-cache', 'files'), cacheMaxBytes: 64 * 1024 ** 3 });
      const t0 = performance.now();
      const files = await reader.liveFiles();
      (await reader.acquire(files.map((f) => f.key))).release();
      return performance.now() - t0;
    });
    console.log(`  API file cache filled from the store in ${secs(fillMs)} (not counted)`);
    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(`${d.base}${path}`, { headers: { authorization: 'Bearer bench-creator-token-0001' } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${body.slice(0, 300)}`);
      return performance.now() - t0;
    };
    const warm = async (path: string) => {
      const ms: number[] = [];
      for (let i = 0; i < REQUESTS; i++) ms.push(await get(path));
      return ms.sort((a, b) => a - b);
    };
    // Each route cold on a fresh server with no day aggregates (they persist on disk: removed in between).
    const coldThenWarm = async (path: string) => {
      // Cold: no aggregates anywhere (local or shared in the store): every day is read raw, filtered to the subject.
      await rm(join(d.dataDir, 'lake-cache', 'aggregates'), { recursive: true, force: true });
      await withLake(d, (_r, _db, store) => store.deletePrefix(LAKE_AGGREGATES_PREFIX));
      const api = await start(d, 'serve');
      const cold = await get(path);
      const warmed = await warm(path);
      if (!api.alive) throw new Error(`curta serve died:\n${api.output()}`);
      await api.stop(10_000);
      return { cold, warm: warmed };
    };
    const videoRun = await coldThenWarm(videoPath);
    const accountRun = await coldThenWarm(accountPath);
    const coldAccount = accountRun.cold;
    const coldVideo = videoRun.cold;
    const warmAccount = accountRun.warm;
    const warmVideo = videoRun.warm;
    console.log(
      `  cold: account ${secs(coldAccount)} (direct DuckDB ${secs(direct.account)}), video ${secs(coldVideo)} (direct ${secs(direct.video)})`,
    );
    const p99a = percentile(warmAccount, 99);
    const p99v = percentile(warmVideo, 99);
    row({
      part: 'creator',
      measure: `90-day account series, warm p99 (${REQUESTS} req)`,
      value: `${p99a.toFixed(1)} ms`,
      target: `< ${TARGET_P99_MS} ms`,
      verdict: verdict(p99a < TARGET_P99_MS),
    });
    row({
      part: 'creator',
      measure: `video retention curve, warm p99 (${REQUESTS} req)`,
      value: `${p99v.toFixed(1)} ms`,
      target: `< ${TARGET_P99_MS} ms`,
      verdict: verdict(p99v < TARGET_P99_MS),
    });
    const ra = coldAccount / direct.account;
    const rv = coldVideo / direct.video;
    row({
      part: 'creator',
      measure: '90-day account series, first (cold)',
      value: secs(coldAccount),
      baseline: `DuckDB ${secs(direct.account)}`,
      ratio: `${ra.toFixed(2)}×`,
      target: `≤ ${TARGET_COLD_RATIO}×`,
      verdict: verdict(ra <= TARGET_COLD_RATIO),
    });
    row({
      part: 'creator',
      measure: 'video retention + series, first (cold)',
      value: secs(coldVideo),
      baseline: `DuckDB ${secs(direct.video)}`,
      ratio: `${rv.toFixed(2)}×`,
      target: `≤ ${TARGET_COLD_RATIO}×`,
      verdict: verdict(rv <= TARGET_COLD_RATIO),
    });
    row({
      part: 'creator',
      measure: `lake: ${fmt(gen.events)} events`,
      value: `${gen.files} files`,
      baseline: `${(gen.bytes / 1024 ** 2).toFixed(0)} MiB`,
    });
  } finally {
    await teardown(d);
  }
}

// ------------------------------------------------------------------ 3. training

async function trainPart(): Promise<void> {
  console.log(`\n[train] ${fmt(TRAIN_EVENTS)} events over 30 days: the trainer from the lake vs from PostgreSQL (same history)`);
  const d = await deploy('train');
  try {
    const endMs = Date.now();
    const world: WorldOptions = {
      events: TRAIN_EVENTS,
      days: 30,
      videos: 20_000,
      creators: 2_000,
      users: 30_000,
      devices: 20_000,
      endMs,
    };
    await withLake(d, async (reader, db, store) => {
      const gen = await generateLake(db, store, join(d.dataDir, 'scratch'), world);
      console.log(`  lake: ${fmt(gen.events)} events in ${gen.files} files, ${secs(gen.generateMs + gen.uploadMs)}`);
      const t0 = performance.now();
      await loadIntoPostgres(db, reader, world);
      console.log(`  PostgreSQL: the same history loaded in ${secs(performance.now() - t0)}`);

      const repo = new RecsRepository(db);
      const run = async (source: TrainingSource): Promise<TrainSummary> => {
        const outcome = await RecsTrainer.forWindow(repo, source, store, 90).train({ force: true });
        if (!outcome.trained) throw new Error(`training from ${source.name}: ${outcome.reason}`);
        return outcome.summary;
      };
      // Alternated, twice each (the best of each counts: the machine is shared); every lake run with an empty file cache (cold).
      const coldLake = async () => {
        const cache = await mkdtemp(join(tmpdir(), 'curta-bench-lake-train-'));
        try {
          return await run(new LakeTrainingSource(new LakeReader(db, store, { cacheDir: cache, cacheMaxBytes: 64 * 1024 ** 3 }), repo));
        } finally {
          await rm(cache, { recursive: true, force: true });
        }
      };
      const best = (a: TrainSummary, b: TrainSummary) => (a.totalMs <= b.totalMs ? a : b);
      const pgFirst = await run(new DatabaseTrainingSource(repo));
      const lakeFirst = await coldLake();
      const pgRun = best(pgFirst, await run(new DatabaseTrainingSource(repo)));
      const lakeRun = best(lakeFirst, await coldLake());
      const lakeWarm = await run(new LakeTrainingSource(reader, repo)); // this reader's cache holds the files (loading read them)
      const line = (s: TrainSummary) =>
        `read ${secs(s.readMs)}, fit ${secs(s.fitMs)}, total ${secs(s.totalMs)}; ${fmt(s.eventsRead)} events, ${fmt(s.pairs)} pairs, ${fmt(s.users)} viewers, ${fmt(s.videos)} videos`;
      console.log(`  PostgreSQL:  ${line(pgRun)}`);
      console.log(`  lake (cold file cache): ${line(lakeRun)}`);
      console.log(`  lake (warm): ${line(lakeWarm)}`);
      const same = pgRun.eventsRead === lakeRun.eventsRead && pgRun.pairs === lakeRun.pairs && pgRun.users === lakeRun.users;
      row({
        part: 'train',
        measure: `read history (${fmt(lakeRun.eventsRead)} events → ${fmt(lakeRun.pairs)} pairs)`,
        value: `lake ${secs(lakeRun.readMs)}`,
        baseline: `PG ${secs(pgRun.readMs)}`,
        ratio: `${(lakeRun.readMs / pgRun.readMs).toFixed(2)}×`,
        target: '≤ 1×',
        verdict: verdict(lakeRun.readMs <= pgRun.readMs),
      });
      row({
        part: 'train',
        measure: 'whole training run (read + fit + publish)',
        value: `lake ${secs(lakeRun.totalMs)}`,
        baseline: `PG ${secs(pgRun.totalMs)}`,
        ratio: `${(lakeRun.totalMs / pgRun.totalMs).toFixed(2)}×`,
        target: '≤ 1×',
        verdict: verdict(lakeRun.totalMs <= pgRun.totalMs),
      });
      row({
        part: 'train',
        measure: 'read history, lake file cache warm',
        value: `lake ${secs(lakeWarm.readMs)}`,
        baseline: `PG ${secs(pgRun.readMs)}`,
        ratio: `${(lakeWarm.readMs / pgRun.readMs).toFixed(2)}×`,
      });
      row({ part: 'train', measure: 'same signals from both', value: same ? 'yes' : 'NO', target: 'yes', verdict: verdict(same) });
    });
  } finally {
    await teardown(d);
  }
}

/**
 * The lake's history as the OLTP tables held it before the lake: playback
 * events into `events`; standing likes, marks, comments and shares of users
 * into their tables; follows; users and videos for their foreign keys.
 */
async function loadIntoPostgres(db: PostgresDatabase, reader: LakeReader, world: WorldOptions): Promise<void> {
  await db.query(
    `INSERT INTO users (id, username, password_hash)
     SELECT 'lc' || lpad(c::text, 7, '0'), 'lc' || lpad(c::text, 7, '0'), 'x' FROM generate_series(0, $1 - 1) c
     UNION ALL SELECT 'lu' || lpad(u::text, 8, '0'), 'lu' || lpad(u::text, 8, '0'), 'x' FROM generate_series(0, $2 - 1) u`,
    [world.creators, world.users],
  );
  const catalogue = await withDuckdb(async (c) => {
    const r = await c.runAndReadAll(
      `SELECT k, ${videoOwnerSql(world, 'k')} AS o, ${videoDurationSql('k')} AS d FROM range(${world.videos}) t(k)`,
    );
    return r.getColumnsObjectJS() as Record<string, Array<number | bigint>>;
  });
  await db.query(
    `INSERT INTO videos (id, owner_id, status, original_key, original_filename, content_type, declared_size, upload_expires_at, duration_ms)
     SELECT x.id, x.owner, 'ready', 'originals/' || x.id, 'a.mp4', 'video/mp4', 1, now(), x.d
     FROM unnest($1::text[], $2::text[], $3::int[]) AS x(id, owner, d)`,
    [
      catalogue['k']!.map((k) => videoIdOf(Number(k))),
      catalogue['o']!.map((o) => creatorIdOf(Number(o))),
      catalogue['d']!.map((x) => Number(x)),
    ],
  );
  // Playback, in chunks (columns from DuckDB).
  const files = await reader.liveFiles();
  const { paths, release } = await reader.acquire(files.map((f) => f.key));
  try {
    const src = `read_parquet([${paths.map(sqlString).join(', ')}])`;
    const playback = await withDuckdb(async (c) =>
      (
        await c.runAndReadAll(
          `SELECT type, video_id, user_id, device_id, watched_ms, epoch_ms(event_time)::DOUBLE AS t, epoch_ms(received_at)::DOUBLE AS r, counted
           FROM ${src} WHERE kind = 'playback'`,
        )
      ).getColumnsObjectJS(),
    );
    const n = (playback['type'] as unknown[]).length;
    const CHUNK = 100_000;
    for (let i = 0; i < n; i += CHUNK) {
      const col = (name: string) => (playback[name] as unknown[]).slice(i, i + CHUNK);
      await db.query(
        `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
         SELECT x.type, x.video_id, x.user_id, x.device_id, x.w, to_timestamp(x.t / 1000.0), to_timestamp(x.r / 1000.0), x.counted
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::float8[], $8::boolean[])
           AS x(type, video_id, user_id, device_id, w, t, r, counted)`,
        [col('type'), col('video_id'), col('user_id'), col('device_id'), col('watched_ms'), col('t'), col('r'), col('counted')],
      );
    }
    const engagement = await withDuckdb(async (c) =>
      (
        await c.runAndReadAll(
          `SELECT type, video_id, user_id, creator_id, epoch_ms(received_at)::DOUBLE AS r, json_extract_string(attrs, '$.commentId') AS comment_id
           FROM ${src} WHERE kind = 'engagement'`,
        )
      ).getRowObjectsJS(),
    );
    const by = (type: string) => engagement.filter((e) => e['type'] === type);
    const insert = async (sql: string, list: Array<Record<string, unknown>>, cols: string[]) => {
      if (list.length > 0)
        await db.query(
          sql,
          cols.map((c) => list.map((e) => e[c])),
        );
    };
    await insert(
      `INSERT INTO video_likes (video_id, user_id, created_at) SELECT v, u, to_timestamp(r / 1000.0) FROM unnest($1::text[], $2::text[], $3::float8[]) AS x(v, u, r) ON CONFLICT DO NOTHING`,
      by('like'),
      ['video_id', 'user_id', 'r'],
    );
    await insert(
      `INSERT INTO video_not_interested (video_id, user_id, created_at) SELECT v, u, to_timestamp(r / 1000.0) FROM unnest($1::text[], $2::text[], $3::float8[]) AS x(v, u, r) ON CONFLICT DO NOTHING`,
      by('not_interested'),
      ['video_id', 'user_id', 'r'],
    );
    await insert(
      `INSERT INTO video_shares (video_id, user_id, created_at) SELECT v, u, to_timestamp(r / 1000.0) FROM unnest($1::text[], $2::text[], $3::float8[]) AS x(v, u, r)`,
      by('share'),
      ['video_id', 'user_id', 'r'],
    );
    await insert(
      `INSERT INTO comments (id, video_id, author_id, text, created_at) SELECT id, v, u, 'bench', to_timestamp(r / 1000.0) FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS x(id, v, u, r)`,
      by('comment'),
      ['comment_id', 'video_id', 'user_id', 'r'],
    );
    await insert(
      `INSERT INTO follows (follower_id, followee_id) SELECT u, c FROM unnest($1::text[], $2::text[]) AS x(u, c) ON CONFLICT DO NOTHING`,
      by('follow'),
      ['user_id', 'creator_id'],
    );
    // The engagement triggers captured these inserts into the lake buffer: not part of this history.
    await db.query(`DELETE FROM lake_buffer`);
    await db.query(`ANALYZE`);
  } finally {
    release();
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench:lake: still running after ${WATCHDOG_MS / 60_000} minutes; giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  if (!(await postgresAvailable()) || !(await redisAvailable())) {
    console.log('bench:lake needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)');
    process.exitCode = 1;
    return;
  }
  console.log(
    `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; PostgreSQL + Redis on loopback; parts: ${[...PARTS].join(', ')}`,
  );
  const started = performance.now();
  try {
    if (PARTS.has('ingest')) await ingestPart();
    if (PARTS.has('train')) await trainPart();
    if (PARTS.has('creator')) await creatorPart();
  } finally {
    clearTimeout(watchdog);
  }
  console.log(`\nbench:lake in ${secs(performance.now() - started)}\n`);
  printTable(
    ['part', 'measure', 'value', 'baseline (same run)', 'ratio', 'target', ''],
    rows.map((r) => [r.part, r.measure, r.value, r.baseline, r.ratio, r.target, r.verdict]),
    2,
  );
  if (rows.some((r) => r.verdict === 'MISSED')) process.exitCode = 1;
}

await main();
