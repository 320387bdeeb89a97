/**
 * The lake's ingest costs (issue 14), on PostgreSQL (TEST_DATABASE_URL) and PGlite:
 *
 * 1. capture: the events route's insert statement without and with its lake
 *    copy (one statement: the events rows + one lake_buffer row of arrays), 100-event batches from
 *    CONCURRENCY connections — events/s of each and the ratio;
 * 2. delivery: a buffer of DELIVER_EVENTS events (in 100-event rows) delivered as Parquet with the
 *    default batch hints — events/s written (read, encode, store, commit).
 *
 * `npx tsx bench/lake-delivery/run.ts` (env: EVENTS, DELIVER_EVENTS, CONCURRENCY). Prints one table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { createObjectStore, openDatabase } from '../../src/adapters/factory.js';
import { LakeDelivery } from '../../src/modules/lake/lake-delivery.js';
import type { Database } from '../../src/ports/database.js';
import { createTestDatabase, postgresAvailable } from '../../test/support/services.js';

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const DELIVER = Number(process.env.DELIVER_EVENTS ?? 300_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const BATCH = 100;
const log = pino({ level: 'warn' });

const OLD = `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
  SELECT x.type, x.video_id, $5::text, $6::text, x.watched_ms, x.client_at, $7::timestamptz, $8::boolean
  FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS x(type, video_id, watched_ms, client_at)`;
// The events route's statement as migration 0026 made it: the events rows and ONE lake_buffer row for the batch (the route
// now also leaves redundant play/progress rows to the lake alone and sends client times as offsets: events.repository.ts).
const NEW = `WITH ev AS (
    INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
    SELECT x.type, x.video_id, $5::text, $6::text, x.watched_ms, x.client_at, $7::timestamptz, $8::boolean
    FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS x(type, video_id, watched_ms, client_at)
  )
  INSERT INTO lake_buffer (received_at, kind, user_id, device_id, counted, n_events, event_times, types, video_ids,
                           creator_ids, watched_ms_list, duration_ms_list, sources)
  VALUES ($7::timestamptz, 'playback', $5::text, $6::text, $8::boolean, cardinality($1::text[]), $4::timestamptz[],
          $1::text[], $2::text[], $9::text[], $3::int[], $10::int[], $11::text[])`;

function params(i: number, withLake: boolean): unknown[] {
  const now = new Date();
  const types = Array.from({ length: BATCH }, (_, j) => ['impression', 'play', 'progress', 'complete', 'skip'][j % 5]!);
  const videos = Array.from({ length: BATCH }, (_, j) => `video${String((i * 7 + j) % 5000).padStart(11, '0')}`);
  const watched = Array.from({ length: BATCH }, (_, j) => j * 100);
  const at = Array.from({ length: BATCH }, () => now);
  const base = [types, videos, watched, at, `user${String(i % 20000).padStart(12, '0')}`, null, now, true];
  if (!withLake) return base;
  return [
    ...base,
    Array.from({ length: BATCH }, () => 'creator0000000001'),
    Array.from({ length: BATCH }, () => 15_000),
    Array.from({ length: BATCH }, () => 'for_you'),
  ];
}

async function capture(db: Database, withLake: boolean, events: number, concurrency: number): Promise<number> {
  const batches = Math.floor(events / BATCH);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches) {
        const i = next++;
        await db.transaction((tx) => tx.query(withLake ? NEW : OLD, params(i, withLake)));
      }
    }),
  );
  return (batches * BATCH) / ((performance.now() - started) / 1000);
}

async function deliver(
  db: Database,
  events: number,
  dataDir: string,
): Promise<{ rate: number; batches: number; files: number; mb: number }> {
  // As the events route buffers them: one row per BATCH events (arrays), migration 0020.
  await db.query(
    `INSERT INTO lake_buffer (received_at, kind, user_id, counted, n_events, event_times, types, video_ids, creator_ids,
                              watched_ms_list, duration_ms_list, sources)
     SELECT now(), 'playback', 'user' || lpad((b % 20000)::text, 12, '0'), true, count(*),
            array_agg(now() - make_interval(secs => i % 7200) ORDER BY i),
            array_agg((ARRAY['impression','play','progress','complete','skip'])[1 + i % 5] ORDER BY i),
            array_agg('video' || lpad((i % 5000)::text, 11, '0') ORDER BY i),
            array_agg('creator' || lpad((i % 300)::text, 10, '0') ORDER BY i),
            array_agg(i % 30000 ORDER BY i), array_agg(15000 ORDER BY i), array_agg('for_you'::text ORDER BY i)
     FROM (SELECT i, i / $2::int AS b FROM generate_series(0, $1::int - 1) i) s GROUP BY b`,
    [events, BATCH],
  );
  const config = { ...loadConfig({ CURTA_DATA_DIR: dataDir }), signingSecret: 'x'.repeat(32) };
  const store = createObjectStore(config, log);
  const d = new LakeDelivery(db, store, { maxEvents: config.lake.batchMaxEvents, maxBytes: config.lake.batchMaxBytes, maxAgeSec: 60 }, log);
  const started = performance.now();
  const r = await d.run({ force: true });
  const sec = (performance.now() - started) / 1000;
  if (r.events !== events) throw new Error(`delivered ${r.events} of ${events}`);
  return { rate: events / sec, batches: r.batches, files: r.files, mb: r.bytes / 1024 ** 2 };
}

const rows: string[][] = [];
async function profile(name: string, db: Database, dataDir: string, concurrency: number): Promise<void> {
  await migrate(db);
  // Warm-up, then alternate so neither side gets a warmer cache.
  await capture(db, false, 5000, concurrency);
  await capture(db, true, 5000, concurrency);
  const without = await capture(db, false, EVENTS, concurrency);
  const withLake = await capture(db, true, EVENTS, concurrency);
  await db.query('TRUNCATE lake_buffer');
  rows.push([name, 'capture: events statement alone', `${Math.round(without)} events/s`, '']);
  rows.push([
    name,
    'capture: events + lake_buffer (one statement)',
    `${Math.round(withLake)} events/s`,
    `×${(withLake / without).toFixed(2)}`,
  ]);
  const d = await deliver(db, DELIVER, dataDir);
  rows.push([
    name,
    `delivery: ${DELIVER} buffered events → Parquet`,
    `${Math.round(d.rate)} events/s`,
    `${d.batches} batches, ${d.files} files, ${d.mb.toFixed(1)} MiB`,
  ]);
}

const dataDir = await mkdtemp(join(tmpdir(), 'curta-bench-lake-'));
try {
  if (await postgresAvailable()) {
    const { url, drop } = await createTestDatabase();
    const db = await openDatabase(
      loadConfig({ DATABASE_URL: url, CURTA_SIGNING_SECRET: 'x'.repeat(32), DB_POOL_MAX: String(CONCURRENCY + 2) }),
    );
    try {
      await profile('postgresql', db, join(dataDir, 'pg'), CONCURRENCY);
    } finally {
      await db.close();
      await drop();
    }
  }
  const lite = await openDatabase(loadConfig({ CURTA_DATA_DIR: join(dataDir, 'lite') }));
  try {
    await profile('pglite', lite, join(dataDir, 'lite'), 1);
  } finally {
    await lite.close();
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
