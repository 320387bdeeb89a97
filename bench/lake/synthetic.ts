/**
 * Synthetic lake history for bench/lake, generated inside DuckDB (set-based,
 * seeded by row numbers through hash(), so the same options give the same
 * events) and written as the lake's Parquet files: one file per hourly
 * partition, LAKE_COLUMNS in order with their types, sorted by event time,
 * snappy, in the object store under batchFileKey, listed in lake_files under
 * one delivered lake_batches row — what delivery plus compaction leave.
 *
 * The world: a catalogue of videos whose popularity follows Zipf's law
 * (video k drawn with probability ∝ 1/(k+1)), each owned by a creator drawn
 * the same way (creator 0 owns the most videos, the most watched among
 * them), durations 5–60 s. Viewers: signed-in users (user k's share of views ∝ 1/√k)
 * and anonymous devices. A view is an impression, a play, a progress report
 * for longer watches, then a skip (35%: 0.3–2.8 s watched) or the watch's end:
 * complete (45% of the rest) or a partial watch (√u of the duration, so
 * retention decays as real curves do). Traffic sources: For You 60%,
 * following 15%, profile 8%, search 7%, hashtag 5%, share link 5%. Some
 * viewers like (6% of completes by users), comment (1%), share (1%), mark
 * "Not interested" (3% of a user's skips) or follow the creator (0.5%).
 * 2% of anonymous views come from devices over their address's allowance
 * (counted = false). Views are spread uniformly over `days` ending now.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlString, withDuckdb } from '../../src/modules/lake/duckdb.js';
import { batchFileKey, LAKE_COLUMNS, LAKE_SCHEMA_VERSION } from '../../src/modules/lake/lake-schema.js';
import type { Database } from '../../src/ports/database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

export interface WorldOptions {
  events: number;
  days: number;
  videos: number;
  creators: number;
  users: number;
  devices: number;
  /** The newest event's time (ms); the history ends here. */
  endMs: number;
}

/** Ids as the database seeding writes them (bench/lake/run.ts): fixed width, sortable. */
export const videoIdOf = (k: number) => `lv${String(k).padStart(8, '0')}`;
export const creatorIdOf = (k: number) => `lc${String(k).padStart(7, '0')}`;
export const userIdOf = (k: number) => `lu${String(k).padStart(8, '0')}`;

/** SQL expressions of the world, shared by the lake generator and the database seeding. */
const u = (salt: number, of = 'i') => `((hash(${of} * 7919 + ${salt}) % 1000000007) / 1000000007.0)`;
/** Zipf-like rank in [0, n): P(k) ∝ 1/(k+1). */
const zipf = (uniform: string, n: number) => `least(${n - 1}, floor(exp(${uniform} * ln(${n + 1}))) - 1)::BIGINT`;
export const videoOwnerSql = (o: WorldOptions, video = 'k') => zipf(u(101, video), o.creators);
export const videoDurationSql = (video = 'k') => `(5000 + (hash(${video} * 31 + 7) % 55001))::INTEGER`;

/** Views (each 3–4 playback events, some with engagement) needed for about `events` events. */
const viewsFor = (events: number) => Math.ceil(events / 3.75);

function eventsSql(o: WorldOptions): string {
  const startMs = o.endMs - o.days * 86_400_000;
  const views = viewsFor(o.events);
  return `
    WITH views AS (
      SELECT i,
             ${zipf(u(1), o.videos)} AS video,
             ${u(2)} < 0.7 AS signed_in,
             floor(${o.users} * pow(${u(3)}, 2))::BIGINT AS user_k,
             (hash(i * 13 + 5) % ${o.devices}) AS device_k,
             to_timestamp((${startMs} + ${u(4)} * ${o.endMs - startMs - 60_000}) / 1000.0) AS t0,
             ${u(5)} AS r_out, ${u(6)} AS r_watch, ${u(7)} AS r_src, ${u(8)} AS r_eng, ${u(9)} AS r_counted
      FROM range(${views}) r(i)
    ), v AS (
      SELECT views.*, ${videoOwnerSql(o, 'video')} AS creator, ${videoDurationSql('video')} AS duration,
             CASE WHEN r_out < 0.35 THEN 'skip' WHEN r_out < 0.35 + 0.65 * 0.45 THEN 'complete' ELSE 'partial' END AS outcome,
             CASE WHEN r_src < 0.60 THEN 'for_you' WHEN r_src < 0.75 THEN 'following' WHEN r_src < 0.83 THEN 'profile'
                  WHEN r_src < 0.90 THEN 'search' WHEN r_src < 0.95 THEN 'hashtag' ELSE 'share' END AS source
      FROM views
    ), w AS (
      SELECT v.*,
             CASE outcome WHEN 'skip' THEN (300 + r_watch * 2500)::INTEGER
                          WHEN 'complete' THEN duration
                          ELSE greatest(1000, (duration * sqrt(r_watch))::INTEGER) END AS watched,
             CASE WHEN signed_in THEN 'lu' || lpad(user_k::VARCHAR, 8, '0') END AS user_id,
             CASE WHEN NOT signed_in THEN 'ld' || lpad(device_k::VARCHAR, 8, '0') END AS device_id,
             signed_in OR r_counted >= 0.02 AS counted
      FROM v
    ), e AS (
      SELECT w.*, unnest(list_filter([
        {type: 'impression', kind: 'playback', dt: 0, wm: NULL::INTEGER},
        {type: 'play', kind: 'playback', dt: 40, wm: NULL::INTEGER},
        CASE WHEN watched > 2000 THEN {type: 'progress', kind: 'playback', dt: 40 + watched // 2, wm: watched // 2} END,
        {type: CASE outcome WHEN 'complete' THEN 'complete' ELSE 'skip' END, kind: 'playback', dt: 40 + watched, wm: watched},
        CASE WHEN signed_in AND outcome = 'complete' AND r_eng < 0.06 THEN {type: 'like', kind: 'engagement', dt: 60 + watched, wm: NULL::INTEGER} END,
        CASE WHEN signed_in AND outcome <> 'skip' AND r_eng >= 0.10 AND r_eng < 0.11 THEN {type: 'comment', kind: 'engagement', dt: 90 + watched, wm: NULL::INTEGER} END,
        CASE WHEN signed_in AND outcome <> 'skip' AND r_eng >= 0.20 AND r_eng < 0.21 THEN {type: 'share', kind: 'engagement', dt: 70 + watched, wm: NULL::INTEGER} END,
        CASE WHEN signed_in AND outcome = 'skip' AND r_eng >= 0.30 AND r_eng < 0.33 THEN {type: 'not_interested', kind: 'engagement', dt: 80 + watched, wm: NULL::INTEGER} END,
        CASE WHEN signed_in AND outcome = 'complete' AND r_eng >= 0.40 AND r_eng < 0.405 THEN {type: 'follow', kind: 'engagement', dt: 100 + watched, wm: NULL::INTEGER} END
      ], x -> x IS NOT NULL)) AS ev
      FROM w
    ), rows AS (
      SELECT uuid()::VARCHAR AS event_id, ${LAKE_SCHEMA_VERSION} AS schema_version,
             t0 + to_milliseconds(ev.dt) AS event_time,
             t0 + to_milliseconds(ev.dt + CASE ev.kind WHEN 'playback' THEN 1500 ELSE 0 END) AS received_at,
             ev.kind AS kind, ev.type AS type,
             CASE WHEN ev.type = 'follow' THEN NULL ELSE 'lv' || lpad(video::VARCHAR, 8, '0') END AS video_id,
             'lc' || lpad(creator::VARCHAR, 7, '0') AS creator_id,
             user_id, CASE WHEN ev.kind = 'playback' THEN device_id END AS device_id,
             ev.wm AS watched_ms, CASE WHEN ev.kind = 'playback' THEN duration END AS duration_ms,
             CASE WHEN ev.kind = 'playback' THEN source END AS source,
             CASE WHEN ev.kind = 'playback' THEN counted END AS counted,
             NULL AS stage, NULL AS ok, NULL AS elapsed_ms, NULL AS bytes,
             CASE WHEN ev.type = 'comment' THEN '{"commentId":"lm' || i || '","reply":false}' END AS attrs
      FROM e
      LIMIT ${o.events}
    )
    SELECT ${LAKE_COLUMNS.map(([name, type]) => `${name}::${type} AS ${name}`).join(', ')},
           strftime(event_time, '%Y-%m-%d') AS dt, lpad(hour(event_time)::VARCHAR, 2, '0') AS hour
    FROM rows`;
}

export interface GeneratedLake {
  events: number;
  files: number;
  bytes: number;
  batchId: number;
  generateMs: number;
  uploadMs: number;
}

/**
 * Generates the world's events into `scratchDir` (one Parquet file per hourly
 * partition), then puts every file into the store and the manifest as one
 * delivered batch.
 */
export async function generateLake(db: Database, store: ObjectStore, scratchDir: string, o: WorldOptions): Promise<GeneratedLake> {
  const out = join(scratchDir, 'gen');
  await rm(out, { recursive: true, force: true });
  await mkdir(scratchDir, { recursive: true });
  const t0 = performance.now();
  await withDuckdb(async (c) => {
    await c.run(`SET TimeZone = 'UTC'`);
    await c.run(
      `COPY (${eventsSql(o)} ORDER BY event_time) TO ${sqlString(out)}
       (FORMAT parquet, PARTITION_BY (dt, hour), COMPRESSION snappy, ROW_GROUP_SIZE 122880, OVERWRITE_OR_IGNORE true)`,
    );
  });
  const generateMs = performance.now() - t0;

  const t1 = performance.now();
  const batch = await db.query<{ id: string }>(
    `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events, delivered_at)
     VALUES (0, 0, 0, 0, 0, now()) RETURNING id`,
  );
  const batchId = Number(batch.rows[0]!.id);
  const parts: Array<{ key: string; dt: string; hour: number; path: string; bytes: number }> = [];
  for (const dtDir of (await readdir(out)).sort()) {
    const dt = dtDir.slice(3);
    for (const hourDir of (await readdir(join(out, dtDir))).sort()) {
      const hour = Number(hourDir.slice(5));
      for (const f of await readdir(join(out, dtDir, hourDir))) {
        const path = join(out, dtDir, hourDir, f);
        // One file per partition: DuckDB writes one per partition at this size (a second would get its own key).
        const key = batchFileKey({ dt, hour }, batchId).replace('.parquet', f === 'data_0.parquet' ? '.parquet' : `-${f}`);
        parts.push({ key, dt, hour, path, bytes: (await stat(path)).size });
      }
    }
  }
  // Counts and time spans per file, read back from the files themselves (what a delivery records).
  const stats = await withDuckdb(async (c) => {
    const r = await c.runAndReadAll(
      `SELECT filename, count(*)::INTEGER AS n, epoch_ms(min(event_time))::DOUBLE AS lo, epoch_ms(max(event_time))::DOUBLE AS hi
       FROM read_parquet(${sqlString(join(out, '*', '*', '*.parquet'))}, filename = true, hive_partitioning = false) GROUP BY filename`,
    );
    return new Map(r.getRowObjectsJS().map((row) => [row.filename as string, row as { n: number; lo: number; hi: number }]));
  });
  const queue = [...parts];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let p = queue.shift(); p; p = queue.shift())
        await store.putFile(p.key, p.path, { contentType: 'application/vnd.apache.parquet' });
    }),
  );
  let events = 0;
  const rows = parts.map((p) => {
    const s = stats.get(p.path)!;
    events += s.n;
    return { ...p, n: s.n, lo: new Date(s.lo), hi: new Date(s.hi) };
  });
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id)
       SELECT x.key, x.dt, x.hour, x.n, x.bytes, x.lo, x.hi, $8
       FROM unnest($1::text[], $2::date[], $3::int[], $4::int[], $5::bigint[], $6::timestamptz[], $7::timestamptz[])
         AS x(key, dt, hour, n, bytes, lo, hi)`,
      [
        chunk.map((r) => r.key),
        chunk.map((r) => r.dt),
        chunk.map((r) => r.hour),
        chunk.map((r) => r.n),
        chunk.map((r) => r.bytes),
        chunk.map((r) => r.lo),
        chunk.map((r) => r.hi),
        batchId,
      ],
    );
  }
  await db.query(`UPDATE lake_batches SET events = $2 WHERE id = $1`, [batchId, events]);
  await rm(out, { recursive: true, force: true });
  return {
    events,
    files: parts.length,
    bytes: parts.reduce((s, p) => s + p.bytes, 0),
    batchId,
    generateMs,
    uploadMs: performance.now() - t1,
  };
}
