import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFileKey, type LakeEvent } from '../../src/modules/lake/lake-schema.js';
import { writeLakeParquet } from '../../src/modules/lake/parquet-writer.js';
import type { Database } from '../../src/ports/database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

/**
 * Lake files for tests, without the ingest pipeline: events written as a
 * Parquet file (the lake's writer), stored through the ObjectStore port under
 * the lake layout, and listed in the manifest (lake_files) as a delivery would.
 */
let batch = 900_000_000;

export function lakeEvent(p: Partial<LakeEvent> & { type: string; eventTime: Date }): LakeEvent {
  return {
    eventId: randomUUID(),
    receivedAt: p.eventTime,
    kind: 'playback',
    videoId: null,
    creatorId: null,
    userId: null,
    deviceId: null,
    watchedMs: null,
    durationMs: null,
    source: null,
    counted: true,
    stage: null,
    ok: null,
    elapsedMs: null,
    bytes: null,
    attrs: null,
    ...p,
  };
}

/** Writes `events` (all of one partition: `dt`, `hour`) as one lake file; returns its key. */
export async function addLakeFile(app: { db: Database; store: ObjectStore }, events: LakeEvent[], dt: string, hour = 12): Promise<string> {
  batch += 1;
  const key = batchFileKey({ dt, hour }, batch);
  const dir = await mkdtemp(join(tmpdir(), 'curta-lake-fixture-'));
  try {
    const local = join(dir, 'part.parquet');
    await writeLakeParquet(events, local);
    const info = await app.store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
    const times = events.map((e) => e.eventTime.getTime());
    await app.db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [key, dt, hour, events.length, info.size, new Date(Math.min(...times)), new Date(Math.max(...times)), batch],
    );
    return key;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A manifest entry whose object holds `body` (not a lake file: corrupt, or another table's). */
export async function addForeignLakeFile(app: { db: Database; store: ObjectStore }, body: Buffer, dt: string, hour = 13): Promise<string> {
  batch += 1;
  const key = batchFileKey({ dt, hour }, batch);
  await app.store.put(key, body, { contentType: 'application/octet-stream' });
  await app.db.query(
    `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, 1, $4, now(), now(), $5)`,
    [key, dt, hour, body.length, batch],
  );
  return key;
}

/** YYYY-MM-DD of `days` days before today (UTC). */
export function daysAgo(days: number, now = Date.now()): string {
  return new Date(now - days * 86_400_000).toISOString().slice(0, 10);
}
