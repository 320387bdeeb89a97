import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuckdb, sqlString } from './duckdb.js';
import { LAKE_COLUMNS, LAKE_SCHEMA_VERSION, type LakeEvent } from './lake-schema.js';

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
