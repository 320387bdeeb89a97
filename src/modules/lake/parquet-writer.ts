import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuckdb, sqlString } from './duckdb.js';
import { LAKE_COLUMNS, LAKE_SCHEMA_VERSION, type LakeEvent } from './lake-schema.js';

const HOUR_US = 3_600_000_000;

/** Snappy: what every Parquet reader (Athena, Spark, DuckDB, hyparquet) reads without extra codecs. */
const COMPRESSION = 'snappy';

function toJsonLine(e: LakeEvent): string {
  return JSON.stringify({
    event_id: e.eventId,
    schema_version: LAKE_SCHEMA_VERSION,
    event_time: e.eventTime.toISOString(),
    received_at: e.receivedAt.toISOString(),
    kind: e.kind,
    type: e.type,
    video_id: e.videoId,
    creator_id: e.creatorId,
    user_id: e.userId,
    device_id: e.deviceId,
    watched_ms: e.watchedMs,
    duration_ms: e.durationMs,
    source: e.source,
    counted: e.counted,
    stage: e.stage,
    ok: e.ok,
    elapsed_ms: e.elapsedMs,
    bytes: e.bytes,
    attrs: e.attrs,
  });
}

/**
 * Writes `events` as one Parquet file at `path` (local), sorted by event
 * time, with the lake's typed columns. DuckDB does the encoding (row groups
 * with min/max statistics, dictionary pages): the rows go to it as NDJSON in
 * a temporary file, the fastest way in from JavaScript.
 */
export async function writeLakeParquet(events: readonly LakeEvent[], path: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'curta-lake-'));
  try {
    const ndjson = join(dir, 'rows.ndjson');
    await writeFile(ndjson, events.map(toJsonLine).join('\n'));
    await writeLakeParquetFromNdjson(ndjson, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The same from an NDJSON file whose objects have the lake's column names
 * (timestamps as ISO 8601 with offset): what delivery uses, PostgreSQL having
 * written the lines itself.
 */
export async function writeLakeParquetFromNdjson(ndjson: string, path: string): Promise<void> {
  const columns = `{${LAKE_COLUMNS.map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;
  await withDuckdb((c) =>
    c.run(
      `COPY (SELECT * FROM read_ndjson(${sqlString(ndjson)}, columns = ${columns}, format = 'newline_delimited') ORDER BY event_time, event_id)
       TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${COMPRESSION}, ROW_GROUP_SIZE 122880)`,
    ),
  );
}

/** lake_buffer's columns as delivery reads them (row_to_json of each row, see lake-delivery.ts), with their DuckDB types. */
export const BUFFER_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  // A single event's row: the lake's own columns (the buffer carries no schema version: delivery stamps it).
  ...LAKE_COLUMNS.filter(([name]) => name !== 'schema_version'),
  // A playback batch's row (migration 0026): the per-event columns as arrays.
  ['n_events', 'INTEGER'],
  ['event_times', 'TIMESTAMPTZ[]'],
  // Or (migration 0030) their offsets in milliseconds from received_at.
  ['event_offsets_ms', 'INTEGER[]'],
  ['types', 'VARCHAR[]'],
  ['video_ids', 'VARCHAR[]'],
  ['creator_ids', 'VARCHAR[]'],
  ['watched_ms_list', 'INTEGER[]'],
  ['duration_ms_list', 'INTEGER[]'],
  ['sources', 'VARCHAR[]'],
];

/** One partition's file written by writeLakeParquetFromBuffer. */
export interface BufferPartitionFile {
  dt: string;
  hour: number;
  /** Local path of the Parquet file. */
  path: string;
  events: number;
  /** ISO 8601 (UTC, microseconds): exact, for the manifest's timestamptz columns. */
  minTime: string;
  maxTime: string;
}

/**
 * Buffer rows to lake files: `ndjson` holds lake_buffer rows as delivery read
 * them (single events, and playback batch rows whose per-event columns are
 * arrays, migration 0026). DuckDB expands the batch rows into one row per
 * event — event i (0-based) of a row gets the row's event_id with its last 4
 * hex digits replaced by i, exactly as lake_event_id() in PostgreSQL — and
 * writes one Parquet file per (dt, hour) partition into `dir`, sorted by
 * event time.
 */
export async function writeLakeParquetFromBuffer(ndjson: string, dir: string): Promise<BufferPartitionFile[]> {
  const columns = `{${BUFFER_COLUMNS.map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;
  const single = LAKE_COLUMNS.map(([name]) =>
    name === 'schema_version' ? `${LAKE_SCHEMA_VERSION}::INTEGER AS schema_version` : name,
  ).join(', ');
  // Per-event columns of a batch row come from its arrays (zipped by unnest), the rest from the row.
  const perEvent: Record<string, string> = {
    event_id: `left(event_id, 32) || printf('%04x', o - 1) AS event_id`,
    event_time: 'coalesce(event_time_, received_at + to_milliseconds(offset_ms_)) AS event_time',
    type: 'type_ AS type',
    video_id: 'video_id_ AS video_id',
    creator_id: 'creator_id_ AS creator_id',
    watched_ms: 'watched_ms_ AS watched_ms',
    duration_ms: 'duration_ms_ AS duration_ms',
    source: 'source_ AS source',
  };
  const expanded = LAKE_COLUMNS.map(([name]) =>
    name === 'schema_version' ? `${LAKE_SCHEMA_VERSION}::INTEGER AS schema_version` : (perEvent[name] ?? name),
  ).join(', ');
  return withDuckdb(
    async (c) => {
      // The partition as an hour number since the epoch (h_): integer arithmetic per event, no time zone conversion
      // (dt and hour are the UTC date and hour of event_time: derived per partition below, not per event).
      await c.run(
        `CREATE TEMP TABLE buffered AS
       WITH b AS (SELECT * FROM read_ndjson(${sqlString(ndjson)}, columns = ${columns}, format = 'newline_delimited')),
       e AS (
         SELECT ${single} FROM b WHERE types IS NULL
         UNION ALL
         SELECT ${expanded} FROM (
           SELECT *, unnest(event_times) AS event_time_, unnest(event_offsets_ms) AS offset_ms_, unnest(types) AS type_, unnest(video_ids) AS video_id_,
                  unnest(creator_ids) AS creator_id_, unnest(watched_ms_list) AS watched_ms_, unnest(duration_ms_list) AS duration_ms_,
                  unnest(sources) AS source_, unnest(generate_series(1, n_events)) AS o
           FROM b WHERE types IS NOT NULL)
       )
       SELECT *, floor(epoch_us(event_time) / ${HOUR_US})::BIGINT AS h_ FROM e`,
      );
      const parts = (
        await c.runAndReadAll(
          `SELECT h_ AS h, count(*)::INTEGER AS n,
                strftime(min(event_time) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS min_time,
                strftime(max(event_time) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS max_time
         FROM buffered GROUP BY ALL ORDER BY ALL`,
        )
      ).getRowObjectsJS() as Array<{ h: bigint | number; n: number; min_time: string; max_time: string }>;
      const out: BufferPartitionFile[] = [];
      for (const p of parts) {
        const start = new Date(Number(p.h) * 3_600_000).toISOString();
        const dt = start.slice(0, 10);
        const hour = Number(start.slice(11, 13));
        const path = join(dir, `${dt}-${hour}.parquet`);
        // One partition (the usual batch: a second or so of events): no filter to evaluate.
        const where = parts.length === 1 ? '' : `WHERE h_ = ${Number(p.h)}`;
        await c.run(
          `COPY (SELECT ${LAKE_COLUMNS.map(([name]) => name).join(', ')} FROM buffered ${where} ORDER BY event_time, event_id)
         TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${COMPRESSION}, ROW_GROUP_SIZE 122880)`,
        );
        out.push({ dt, hour, path, events: p.n, minTime: p.min_time, maxTime: p.max_time });
      }
      await c.run('DROP TABLE buffered');
      return out;
    },
    { serial: true },
  );
}
