import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFileKey, partitionOf, partitionPrefix, type LakeEvent } from '../../src/modules/lake/lake-schema.js';
import { writeLakeParquet } from '../../src/modules/lake/parquet-writer.js';
import type { Database } from '../../src/ports/database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

/** A lake event with defaults for what a test does not care about. */
export function lakeEvent(e: Partial<LakeEvent> & Pick<LakeEvent, 'kind' | 'type'>): LakeEvent {
  const at = e.receivedAt ?? e.eventTime ?? new Date();
  return {
    eventId: randomUUID(),
    eventTime: at,
    receivedAt: at,
    videoId: null,
    creatorId: null,
    userId: null,
    deviceId: null,
    watchedMs: null,
    durationMs: null,
    source: null,
    counted: e.kind === 'playback' ? true : null,
    stage: null,
    ok: null,
    elapsedMs: null,
    bytes: null,
    attrs: null,
    ...e,
  };
}

/**
 * Puts `events` into the lake as one delivery would: a delivered batch, one
 * Parquet file per partition (batchFileKey) in the store, the files in the
 * manifest. For tests and benchmarks that need history without the buffer.
 * Returns the batch id.
 */
export async function putLakeEvents(db: Database, store: ObjectStore, events: readonly LakeEvent[]): Promise<number> {
  const batch = await db.query<{ id: string }>(
    `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events, delivered_at)
     VALUES (0, 0, 0, 0, $1, now()) RETURNING id`,
    [events.length],
  );
  const batchId = Number(batch.rows[0]!.id);
  const byPartition = new Map<string, LakeEvent[]>();
  for (const e of events) {
    const prefix = partitionPrefix(partitionOf(e.eventTime));
    let list = byPartition.get(prefix);
    if (!list) byPartition.set(prefix, (list = []));
    list.push(e);
  }
  const dir = await mkdtemp(join(tmpdir(), 'curta-lake-put-'));
  try {
    for (const list of byPartition.values()) {
      const p = partitionOf(list[0]!.eventTime);
      const key = batchFileKey(p, batchId);
      const path = join(dir, 'part.parquet');
      await writeLakeParquet(list, path);
      const { size } = await stat(path);
      await store.putFile(key, path, { contentType: 'application/vnd.apache.parquet' });
      const times = list.map((e) => e.eventTime.getTime());
      await db.query(
        `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [key, p.dt, p.hour, list.length, size, new Date(Math.min(...times)), new Date(Math.max(...times)), batchId],
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return batchId;
}
