/**
 * Creator analytics latency on a synthetic lake (issue 14): how long a video's
 * retention curve + 90-day series take cold (first query: files fetched into
 * the local cache and reduced straight from the raw Parquet) and warm (the
 * cached answer; and the day tables, for a video not asked before), next to
 * the same figures computed by one query run directly in DuckDB on the same
 * files. Prints one table.
 *
 *   npx tsx bench/analytics/run.ts
 *     EVENTS=1000000 DAYS=90 VIDEOS=2000 CREATORS=200 VIEWERS=50000
 *
 * Service level (AnalyticsService: manifest query, result cache, DuckDB),
 * PGlite manifest, filesystem object store, in-process cache; no HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { AnalyticsRepository, figuresOn } from '../../src/modules/analytics/analytics.repository.js';
import { AnalyticsService } from '../../src/modules/analytics/analytics.service.js';
import type { PublicUser } from '../../src/modules/accounts/user.types.js';
import { sqlString, withDuckdb } from '../../src/modules/lake/duckdb.js';
import { LakeAggregates, reduceEvents } from '../../src/modules/lake/lake-aggregates.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { batchFileKey, LAKE_COLUMNS } from '../../src/modules/lake/lake-schema.js';
import type { VideosRepository } from '../../src/modules/videos/videos.repository.js';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const DAYS = Number(process.env.DAYS ?? 90);
const VIDEOS = Number(process.env.VIDEOS ?? 2000);
const CREATORS = Number(process.env.CREATORS ?? 200);
const VIEWERS = Number(process.env.VIEWERS ?? 50_000);

const ms = (t0: number) => performance.now() - t0;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'curta-bench-analytics-'));
  const db = await PgliteDatabase.open(null);
  await migrate(db);
  const store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
  const today = new Date().toISOString().slice(0, 10);
  const dayOf = (i: number) => new Date(Date.parse(`${today}T00:00:00Z`) - i * 86_400_000).toISOString().slice(0, 10);

  // --- the synthetic lake: one file per day, plays of 3 events (play, progress, complete or skip)
  const t0 = performance.now();
  const perDay = Math.ceil(EVENTS / 3 / DAYS);
  const cast = LAKE_COLUMNS.map(([name, type]) => `CAST(${name} AS ${type}) AS ${name}`).join(', ');
  for (let d = 0; d < DAYS; d++) {
    const dt = dayOf(d);
    const local = join(root, `day-${d}.parquet`);
    await withDuckdb((c) =>
      c.run(`COPY (
        WITH p AS (
          SELECT i, ${d * perDay} + i AS g,
                 (hash(${d * perDay} + i, 'video') % ${VIDEOS})::INTEGER AS vid,
                 (hash(${d * perDay} + i, 'viewer') % ${VIEWERS})::INTEGER AS who,
                 10000 + (hash(${d * perDay} + i, 'dur') % 50000)::INTEGER AS dur,
                 (hash(${d * perDay} + i, 'watch') % 1000)::DOUBLE / 1000 AS frac,
                 TIMESTAMPTZ '${dt} 00:00:00+00' + to_milliseconds((i * 86400000 // ${perDay})::BIGINT) AS t
          FROM range(${perDay}) r(i)
        ), e AS (
          SELECT p.*, k FROM p, range(3) s(k)
        )
        SELECT ${cast} FROM (
          SELECT uuid() AS event_id, 1 AS schema_version, t + to_milliseconds(k * least(dur * frac, 60000)::BIGINT) AS event_time,
                 t AS received_at, 'playback' AS kind,
                 CASE k WHEN 0 THEN 'play' WHEN 1 THEN 'progress' ELSE CASE WHEN frac > 0.7 THEN 'complete' ELSE 'skip' END END AS type,
                 'v' || vid AS video_id, 'c' || (vid % ${CREATORS}) AS creator_id,
                 CASE WHEN who % 2 = 0 THEN 'u' || who END AS user_id, CASE WHEN who % 2 = 1 THEN 'd' || who END AS device_id,
                 CASE k WHEN 0 THEN NULL WHEN 1 THEN (dur * frac / 2)::INTEGER ELSE CASE WHEN frac > 0.7 THEN dur ELSE (dur * frac)::INTEGER END END AS watched_ms,
                 dur AS duration_ms,
                 CASE WHEN k = 0 THEN (['for_you', 'for_you', 'for_you', 'following', 'profile', 'search', 'hashtag', 'share'])[1 + (g % 8)] END AS source,
                 true AS counted, NULL AS stage, NULL AS ok, NULL AS elapsed_ms, NULL AS bytes, NULL AS attrs
          FROM e
        ) ORDER BY event_time
      ) TO ${sqlString(local)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`),
    );
    const key = batchFileKey({ dt, hour: 0 }, d + 1);
    const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
    await db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, 0, $3, $4, $5, $6, $7)`,
      [key, dt, perDay * 3, info.size, new Date(`${dt}T00:00:00Z`), new Date(`${dt}T23:59:59Z`), d + 1],
    );
    await rm(local);
  }
  const seeded = ms(t0);
  const total = perDay * 3 * DAYS;

  const reader = new LakeReader(db, store, { cacheDir: join(root, 'cache') });
  const videos = {
    get: (id: string) => Promise.resolve({ id, owner_id: `c${Number(id.slice(1)) % CREATORS}`, caption: '', duration_ms: null }),
    listByIds: () => Promise.resolve([]),
  } as unknown as VideosRepository;
  /** A process's analytics: its own local aggregate directory, the shared store, an empty answer cache. */
  const processAt = (dir: string, shared = true) => {
    const aggregates = new LakeAggregates(reader, join(root, dir), undefined, shared ? store : undefined);
    const service = new AnalyticsService(new AnalyticsRepository(aggregates), videos, reader, new MemoryCache(), {
      minimumViewers: 5,
      resultTtlSec: 3600,
    });
    return { aggregates, service };
  };
  const owner = { id: 'c0', role: 'admin' } as PublicUser;
  const range = { from: dayOf(DAYS - 1), to: today, format: 'json' as const };

  // The local copies first (untimed, for both): both sides read the same local files, in the OS page cache.
  const files = await reader.liveFiles({ from: range.from, to: range.to });
  const { paths, release } = await reader.acquire(files.map((f) => f.key));
  const fetched = ms(t0);
  release();
  // Direct DuckDB, the same semantics: the service's own SQL (reduceEvents + figuresOn) on one connection, over
  // the raw files, filtered to the video — no manifest, no answer cache, no aggregates.
  const direct = async (video: string) => {
    const t = performance.now();
    await withDuckdb(async (c) => {
      await reduceEvents(c, paths, { where: `video_id = ${sqlString(video)}` });
      await figuresOn(c, { kind: 'video', videoId: video }, range.from, range.to, 10);
    });
    return ms(t);
  };
  // For reference, a simpler single statement (max watch per viewer, not per play): what an analyst might type.
  const simple = async (video: string) => {
    const t = performance.now();
    await withDuckdb((c) =>
      c.runAndReadAll(
        `WITH ev AS (SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}]) WHERE video_id = ${sqlString(video)} AND kind = 'playback'),
              per AS (SELECT coalesce(user_id, device_id) AS viewer, max(least(watched_ms, duration_ms)) AS mw FROM ev GROUP BY 1),
              curve AS (SELECT s, count(*) FILTER (WHERE mw >= s * 1000) / count(*) AS still FROM per, range(0, 61) r(s) GROUP BY s),
              daily AS (SELECT CAST(timezone('UTC', event_time) AS DATE) AS day, count(*) FILTER (WHERE type = 'play') AS views,
                               count(DISTINCT coalesce(user_id, device_id)) AS viewers, sum(watched_ms) AS w FROM ev GROUP BY 1)
         SELECT (SELECT list(still ORDER BY s) FROM curve), (SELECT list(views ORDER BY day) FROM daily)`,
      ),
    );
    return ms(t);
  };
  // Both sides alike: footers in DuckDB's metadata cache and files in the page cache (one untimed query each first).
  await direct('v1');
  const q = async (service: AnalyticsService, video: string) => {
    const t = performance.now();
    const a = await service.video(owner, video, range);
    if (a.views === 0) throw new Error(`no views for ${video}`);
    return ms(t);
  };
  // (a) No aggregates anywhere yet (a lake never aggregated): every day read raw, filtered to the video.
  const first = processAt('agg-a', false);
  await q(first.service, 'v2');
  await first.aggregates.stop();
  // Alternate direct and service runs so both see the same machine load; each video asked once.
  const directMs: number[] = [];
  const simpleMs: number[] = [];
  const rawMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    // Nothing shared and nothing local: this process finds no tables (and builds none before answering).
    const fresh = processAt(`agg-raw-${i}`, false);
    rawMs.push(await q(fresh.service, `v${20 + i}`));
    await fresh.aggregates.stop();
    directMs.push(await direct(`v${30 + i}`));
    simpleMs.push(await simple(`v${40 + i}`));
  }
  // (b) Aggregates built by lake maintenance (refresh: every day, then the settled months), shared through the store.
  const t1 = performance.now();
  const builder = processAt('agg-builder');
  const built = await builder.aggregates.refresh();
  const refreshMs = ms(t1);
  // A fresh process (empty local directory, empty answer cache): first query fetches the tables from the store.
  const fresh = processAt('agg-fresh');
  const freshFirst = await q(fresh.service, 'v50');
  // Then videos never asked before, their tables local: the cold computation of a subject.
  const subjectMs: number[] = [];
  for (let i = 0; i < 50; i++) subjectMs.push(await q(fresh.service, `v${100 + i}`));
  const warmCached: number[] = [];
  for (let i = 0; i < 200; i++) warmCached.push(await q(fresh.service, 'v100'));
  const accountCold = await (async () => {
    const t = performance.now();
    await fresh.service.account({ id: 'c7', role: 'user' } as PublicUser, range);
    return ms(t);
  })();
  const plan = await fresh.aggregates.plan(range);

  const directMed = pct(directMs, 50);
  const rows: Array<[string, string]> = [
    ['events in the lake', `${total.toLocaleString('en-US')} in ${DAYS} daily files (${VIDEOS} videos, ${VIEWERS} viewers)`],
    ['seeding (write Parquet, store, manifest)', `${(seeded / 1000).toFixed(1)} s`],
    ['fetch + check into the local cache', `${((fetched - seeded) / 1000).toFixed(1)} s`],
    ['direct DuckDB, same SQL on the raw files (one video), median of 5', `${directMed.toFixed(0)} ms`],
    ['  (simpler one-statement query, per viewer not per play), median of 5', `${pct(simpleMs, 50).toFixed(0)} ms`],
    [
      'cold, no aggregates built (all days raw), median of 5',
      `${pct(rawMs, 50).toFixed(0)} ms (${(pct(rawMs, 50) / directMed).toFixed(2)}× direct; worst ${(Math.max(...rawMs) / directMed).toFixed(2)}×)`,
    ],
    [
      'aggregates: refresh of every day and month (lake maintenance)',
      `${(refreshMs / 1000).toFixed(1)} s (${built.days} days, ${built.months} months)`,
    ],
    [`tables a 90-day query opens`, `${plan.tables.map((t) => t.id.split('=')[0]).join(', ')} (×3 files), ${plan.rawDays.length} raw days`],
    ['cold, fresh process: tables fetched from the store', `${freshFirst.toFixed(0)} ms (${(freshFirst / directMed).toFixed(2)}× direct)`],
    [
      'cold, a video never asked before (aggregates built): p50 / p99 of 50',
      `${pct(subjectMs, 50).toFixed(0)} / ${pct(subjectMs, 99).toFixed(0)} ms (${(pct(subjectMs, 99) / directMed).toFixed(2)}× direct at p99)`,
    ],
    ['warm, answer cached: p50 / p99 (200 calls)', `${pct(warmCached, 50).toFixed(1)} / ${pct(warmCached, 99).toFixed(1)} ms`],
    ['account (10 videos, top list), aggregates built', `${accountCold.toFixed(0)} ms`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${'measure'.padEnd(w)}  result\n${'-'.repeat(w)}  ------`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  await db.close();
  await rm(root, { recursive: true, force: true });
}

await main();
