/**
 * Admin dashboard figures on a synthetic lake (issue 14): the lake part's
 * first load on a lake never aggregated (every day raw), the aggregates'
 * refresh (lake maintenance), the first load of a fresh process on those
 * aggregates (the target: well under 1 s on 1M events), warm (the cached
 * answer: one manifest query), and after a new delivery in the range; and a
 * storage sweep over OBJECTS small objects. Lake files are local (untimed
 * fetch) for every row. Prints one table.
 *
 *   npx tsx bench/admin-analytics/run.ts
 *     EVENTS=1000000 DAYS=28 VIDEOS=2000 VIEWERS=50000 OBJECTS=5000
 *
 * Service level (AdminDashboardService), PGlite manifest, filesystem store,
 * in-process cache; no HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { DbJobQueue } from '../../src/adapters/queue/db-job-queue.js';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { AdminDashboardService } from '../../src/modules/analytics/admin-dashboard.service.js';
import { sqlString, withDuckdb } from '../../src/modules/lake/duckdb.js';
import { LakeAggregates } from '../../src/modules/lake/lake-aggregates.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { batchFileKey, LAKE_COLUMNS } from '../../src/modules/lake/lake-schema.js';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const DAYS = Number(process.env.DAYS ?? 28);
const VIDEOS = Number(process.env.VIDEOS ?? 2000);
const VIEWERS = Number(process.env.VIEWERS ?? 50_000);
const OBJECTS = Number(process.env.OBJECTS ?? 5000);

const ms = (t0: number) => performance.now() - t0;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'curta-bench-admin-'));
  const db = await PgliteDatabase.open(null);
  await migrate(db);
  const store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
  const today = new Date().toISOString().slice(0, 10);
  const dayOf = (i: number) => new Date(Date.parse(`${today}T00:00:00Z`) - i * 86_400_000).toISOString().slice(0, 10);
  const cast = LAKE_COLUMNS.map(([name, type]) => `CAST(${name} AS ${type}) AS ${name}`).join(', ');
  const perDay = Math.ceil(EVENTS / DAYS);
  let batch = 0;

  /** One file for day `d`: 90% playback (play, progress, complete), 10% pipeline (stages with durations). */
  async function writeDay(d: number, n: number): Promise<void> {
    const dt = dayOf(d);
    const local = join(root, `day-${d}-${batch}.parquet`);
    await withDuckdb((c) =>
      c.run(`COPY (
        SELECT ${cast} FROM (
          SELECT uuid() AS event_id, 1 AS schema_version,
                 TIMESTAMPTZ '${dt} 00:00:00+00' + to_milliseconds((i * 86400000 // ${n})::BIGINT) AS event_time,
                 TIMESTAMPTZ '${dt} 00:00:00+00' AS received_at,
                 CASE WHEN i % 10 = 9 THEN 'pipeline' ELSE 'playback' END AS kind,
                 CASE WHEN i % 10 = 9 THEN (['upload_created', 'upload_completed', 'processing_started', 'processing_finished', 'processing_failed'])[1 + (i // 10) % 5]
                      ELSE (['play', 'progress', 'complete'])[1 + i % 3] END AS type,
                 'v' || (hash(i // 3, ${d}) % ${VIDEOS}) AS video_id, 'c' || (hash(i // 3, ${d}) % ${VIDEOS} % 200) AS creator_id,
                 'u' || (hash(i // 3, ${d}, 'w') % ${VIEWERS}) AS user_id, NULL AS device_id,
                 CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 3) * 4000 END AS watched_ms, 12000 AS duration_ms, NULL AS source, true AS counted,
                 CASE WHEN i % 10 = 9 THEN (['upload', 'upload', 'queue', 'processing', 'processing'])[1 + (i // 10) % 5] END AS stage,
                 CASE WHEN i % 10 = 9 THEN (i // 10) % 5 <> 4 END AS ok,
                 CASE WHEN i % 10 = 9 AND (i // 10) % 5 <> 0 THEN (hash(i) % 60000)::BIGINT END AS elapsed_ms,
                 NULL AS bytes, NULL AS attrs
          FROM range(${n}) r(i)
        ) ORDER BY event_time
      ) TO ${sqlString(local)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`),
    );
    const key = batchFileKey({ dt, hour: 0 }, ++batch);
    const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
    await db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, 0, $3, $4, $5, $6, $7)`,
      [key, dt, n, info.size, new Date(`${dt}T00:00:00Z`), new Date(`${dt}T23:59:59Z`), batch],
    );
    await rm(local);
  }

  const t0 = performance.now();
  for (let d = 0; d < DAYS; d++) await writeDay(d, perDay);
  const seeded = ms(t0);
  const t1 = performance.now();
  for (let i = 0; i < OBJECTS; i++) {
    await store.put(i % 2 ? `originals/v${i}` : `media/v${i}/r1/seg.m4s`, Buffer.alloc(100), { contentType: 'application/octet-stream' });
  }
  const objectsMs = ms(t1);

  const reader = new LakeReader(db, store, { cacheDir: join(root, 'cache') });
  /** A process's dashboard: its own answer cache and local aggregate directory; tables shared through the store or not. */
  const processAt = (dir: string, shared: boolean) => {
    const aggregates = new LakeAggregates(reader, join(root, dir), undefined, shared ? store : undefined);
    const service = new AdminDashboardService(db, store, new MemoryCache(), new DbJobQueue(db), aggregates, {
      storageSweepTtlMs: 900_000,
      lakeCacheTtlMs: 3_600_000,
      queues: [],
    });
    return { aggregates, service };
  };
  const range = { from: dayOf(DAYS - 1), to: today };
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return ms(t);
  };
  // The local copies of the lake files first (untimed): every row below reads local files.
  const files = await reader.liveFiles(range);
  (await reader.acquire(files.map((f) => f.key))).release();
  // (a) A lake never aggregated: every day read raw (what the dashboard did for every first load before).
  const raw = processAt('agg-raw', false);
  const coldRaw = await time(() => raw.service.lakeFigures(range));
  await raw.aggregates.stop();
  // (b) Lake maintenance keeps the aggregates (refresh after each compaction); timed once over the whole lake.
  const builder = processAt('agg-builder', true);
  let built = { days: 0, months: 0 };
  const refreshMs = await time(async () => (built = await builder.aggregates.refresh()));
  // A fresh API process: empty answer cache and local directory, tables fetched from the store.
  const api = processAt('agg-api', true);
  const cold = await time(() => api.service.lakeFigures(range));
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) warm.push(await time(() => api.service.lakeFigures(range)));
  // Another process of the same deployment, its tables local already (the first load of a new answer-cache key).
  const again = processAt('agg-api', true);
  const coldLocal = await time(() => again.service.lakeFigures(range));
  await writeDay(0, 1000);
  const afterDelivery = await time(() => api.service.lakeFigures(range));
  await api.aggregates.idle();
  const afterRebuild = await time(() => processAt('agg-api', true).service.lakeFigures(range));
  const service = api.service;
  const sweep = await time(() => service.refreshStorage());
  const cachedStorage = await time(() => service.storage());
  const whole = await time(() => service.figures(range));
  warm.sort((a, b) => a - b);

  const rows: Array<[string, string]> = [
    ['lake', `${(perDay * DAYS).toLocaleString('en-US')} events, ${DAYS} files (seeded in ${(seeded / 1000).toFixed(1)} s)`],
    ['first load, lake never aggregated (every day raw)', `${coldRaw.toFixed(0)} ms`],
    [
      'aggregates refresh, whole lake (lake maintenance, once)',
      `${(refreshMs / 1000).toFixed(1)} s (${built.days} days, ${built.months} months)`,
    ],
    ['first load, fresh process (tables fetched from the store)', `${cold.toFixed(0)} ms`],
    ['first load, tables local (a new answer-cache key)', `${coldLocal.toFixed(0)} ms`],
    ['lake figures, warm p50 / max of 20', `${warm[10]!.toFixed(1)} ms / ${warm[19]!.toFixed(1)} ms`],
    ['after a new file (its day read raw, rebuilt behind)', `${afterDelivery.toFixed(0)} ms`],
    ['after that day is rebuilt (new process, new cache)', `${afterRebuild.toFixed(0)} ms`],
    [`storage sweep, ${OBJECTS.toLocaleString('en-US')} objects`, `${sweep.toFixed(0)} ms (written in ${(objectsMs / 1000).toFixed(1)} s)`],
    ['storage, cached', `${cachedStorage.toFixed(2)} ms`],
    ['whole dashboard, warm', `${whole.toFixed(1)} ms`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`admin analytics — ${new Date().toISOString()}, node ${process.version}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  await db.close();
  await rm(root, { recursive: true, force: true });
}

await main();
