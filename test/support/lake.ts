import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { LakeDelivery } from '../../src/modules/lake/lake-delivery.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { batchFileKey, partitionOf, type LakeEvent, type LakeEventKind, type LakePartition } from '../../src/modules/lake/lake-schema.js';
import { writeLakeParquet } from '../../src/modules/lake/parquet-writer.js';
import type { Database } from '../../src/ports/database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { DatabaseProfile } from './db-profiles.js';

/**
 * Lake history for tests and benchmarks, without the ingest pipeline: events
 * written as Parquet by the lake's own writer, stored through the ObjectStore
 * port under the lake layout, and listed in the manifest (lake_files) as a
 * delivery would.
 */

/** A lake event with defaults for what a test does not care about (a playback event, now). */
export function lakeEvent(e: Partial<LakeEvent> & Pick<LakeEvent, 'type'>): LakeEvent {
  const at = e.eventTime ?? e.receivedAt ?? new Date();
  const kind = e.kind ?? 'playback';
  return {
    eventId: randomUUID(),
    eventTime: at,
    receivedAt: at,
    kind,
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
    ...e,
  };
}

/** The same, positionally: kind, type, an ISO time, and the columns that matter. */
export function lakeRow(kind: LakeEventKind, type: string, at: string, fields: Partial<LakeEvent> = {}): LakeEvent {
  return lakeEvent({ kind, type, eventTime: new Date(at), ...fields });
}

/** Batch ids of fixture files: far from a test database's own deliveries. */
let nextBatch = 900_000_000 + Math.floor(Math.random() * 1_000_000);

/**
 * Writes `events` as one lake file of partition `p` (whatever their times)
 * and lists it in the manifest under `batchId`; returns its key and size.
 */
async function writeFile(db: Database, store: ObjectStore, events: readonly LakeEvent[], p: LakePartition, batchId: number) {
  const key = batchFileKey(p, batchId);
  const dir = await mkdtemp(join(tmpdir(), 'curta-lake-fixture-'));
  try {
    const local = join(dir, 'part.parquet');
    await writeLakeParquet(events, local);
    const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
    const times = events.map((e) => e.eventTime.getTime());
    await db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [key, p.dt, p.hour, events.length, info.size, new Date(Math.min(...times)), new Date(Math.max(...times)), batchId],
    );
    return { key, bytes: info.size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function byPartition(events: readonly LakeEvent[]): Array<{ p: LakePartition; events: LakeEvent[] }> {
  const groups = new Map<string, { p: LakePartition; events: LakeEvent[] }>();
  for (const e of events) {
    const p = partitionOf(e.eventTime);
    const k = `${p.dt}/${p.hour}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { p, events: [] }));
    g.events.push(e);
  }
  return [...groups.values()];
}

/**
 * Puts `events` into the lake as one delivery would: a delivered batch, one
 * Parquet file per partition of their event times. Returns the batch id.
 */
export async function putLakeEvents(db: Database, store: ObjectStore, events: readonly LakeEvent[]): Promise<number> {
  const batch = await db.query<{ id: string }>(
    `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events, delivered_at)
     VALUES (0, 0, 0, 0, $1, now()) RETURNING id`,
    [events.length],
  );
  const batchId = Number(batch.rows[0]!.id);
  for (const g of byPartition(events)) await writeFile(db, store, g.events, g.p, batchId);
  return batchId;
}

/** One lake file per partition of the events' times (each its own batch id); returns their keys and sizes. */
export async function writeLakeFixture(
  db: Database,
  store: ObjectStore,
  events: readonly LakeEvent[],
): Promise<Array<{ key: string; bytes: number }>> {
  const written: Array<{ key: string; bytes: number }> = [];
  for (const g of byPartition(events)) written.push(await writeFile(db, store, g.events, g.p, nextBatch++));
  return written;
}

/** Writes `events` as one lake file of partition (`dt`, `hour`) whatever their times; returns its key. */
export async function addLakeFile(app: { db: Database; store: ObjectStore }, events: LakeEvent[], dt: string, hour = 12): Promise<string> {
  return (await writeFile(app.db, app.store, events, { dt, hour }, nextBatch++)).key;
}

/** A manifest entry whose object holds `body` (not a lake file: corrupt, or another table's). */
export async function addForeignLakeFile(app: { db: Database; store: ObjectStore }, body: Buffer, dt: string, hour = 13): Promise<string> {
  const batch = nextBatch++;
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

/** A lake on one database profile: a filesystem store and cache in a temporary folder, a reader and a delivery. */
export interface LakeRig {
  db: Database;
  store: FsObjectStore;
  reader: LakeReader;
  delivery: LakeDelivery;
  close(): Promise<void>;
}

/** The database is fresh and not migrated (as the profile opens it); delivery batches by Firehose-like defaults. */
export async function openLakeRig(profile: DatabaseProfile, name: string): Promise<LakeRig> {
  const root = await mkdtemp(join(tmpdir(), `curta-${name}-`));
  const handle = await profile.open();
  const store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
  return {
    db: handle.db,
    store,
    reader: new LakeReader(handle.db, store, { cacheDir: join(root, 'cache') }),
    delivery: new LakeDelivery(handle.db, store, { maxEvents: 100_000, maxBytes: 5 * 1024 ** 2, maxAgeSec: 60 }, pino({ level: 'silent' })),
    async close() {
      await handle.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
