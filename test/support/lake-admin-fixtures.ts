import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFileKey, partitionOf, type LakeEvent, type LakeEventKind } from '../../src/modules/lake/lake-schema.js';
import { writeLakeParquet } from '../../src/modules/lake/parquet-writer.js';
import type { Database } from '../../src/ports/database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

/** A lake row with the columns a test cares about; the rest null. */
export function lakeEvent(kind: LakeEventKind, type: string, at: string, fields: Partial<LakeEvent> = {}): LakeEvent {
  const t = new Date(at);
  return {
    eventId: randomUUID(),
    eventTime: t,
    receivedAt: t,
    kind,
    type,
    videoId: null,
    creatorId: null,
    userId: null,
    deviceId: null,
    watchedMs: null,
    durationMs: null,
    source: null,
    counted: kind === 'playback' ? true : null,
    stage: null,
    ok: null,
    elapsedMs: null,
    bytes: null,
    attrs: null,
    ...fields,
  };
}

let nextBatch = 1_000_000 + Math.floor(Math.random() * 1_000_000);

/**
 * Writes `events` into the lake as the delivery would: one Parquet file per
 * (dt, hour) partition at its batch key in the store, and a live lake_files
 * row for each. Returns the keys and their sizes.
 */
export async function writeLakeFixture(
  db: Database,
  store: ObjectStore,
  events: readonly LakeEvent[],
): Promise<Array<{ key: string; bytes: number }>> {
  const byPartition = new Map<string, LakeEvent[]>();
  for (const e of events) {
    const p = partitionOf(e.eventTime);
    const k = `${p.dt}/${p.hour}`;
    byPartition.set(k, [...(byPartition.get(k) ?? []), e]);
  }
  const dir = await mkdtemp(join(tmpdir(), 'curta-lake-fixture-'));
  const written: Array<{ key: string; bytes: number }> = [];
  try {
    for (const group of byPartition.values()) {
      const p = partitionOf(group[0]!.eventTime);
      const batch = nextBatch++;
      const key = batchFileKey(p, batch);
      const path = join(dir, `${batch}.parquet`);
      await writeLakeParquet(group, path);
      const bytes = (await stat(path)).size;
      await store.putFile(key, path, { contentType: 'application/vnd.apache.parquet' });
      const times = group.map((e) => e.eventTime.getTime());
      await db.query(
        `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [key, p.dt, p.hour, group.length, bytes, new Date(Math.min(...times)), new Date(Math.max(...times)), batch],
      );
      written.push({ key, bytes });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return written;
}
