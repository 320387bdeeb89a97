/**
 * The lake reader's local cache: one fetch per key however many readers ask
 * at once, a size bound kept by evicting least recently used files that no
 * query is reading, and files of an earlier process reused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { LakeReader } from './lake-reader.js';
import { batchFileKey, type LakeEvent } from './lake-schema.js';
import { writeLakeParquet } from './parquet-writer.js';

let root: string;
let db: PgliteDatabase;
let store: FsObjectStore;
const keys: string[] = [];
let fileBytes = 0;

function event(i: number): LakeEvent {
  const t = new Date(Date.parse('2026-02-01T10:00:00Z') + i * 1000);
  return {
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventTime: t,
    receivedAt: t,
    kind: 'playback',
    type: 'play',
    videoId: `v${i}`,
    creatorId: 'c',
    userId: `u${i}`,
    deviceId: null,
    watchedMs: null,
    durationMs: 1000,
    source: 'for_you',
    counted: true,
    stage: null,
    ok: null,
    elapsedMs: null,
    bytes: null,
    attrs: null,
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'curta-lake-reader-'));
  db = await PgliteDatabase.open(null);
  await migrate(db);
  store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
  for (let i = 0; i < 4; i++) {
    const key = batchFileKey({ dt: '2026-02-01', hour: 10 }, i + 1);
    const local = join(root, `${i}.parquet`);
    await writeLakeParquet([event(i)], local);
    const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
    fileBytes = Math.max(fileBytes, info.size);
    await db.query(
      `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time) VALUES ($1, '2026-02-01', 10, 1, $2, now(), now())`,
      [key, info.size],
    );
    keys.push(key);
  }
}, 60_000);

afterAll(async () => {
  await db?.close();
  await rm(root, { recursive: true, force: true });
});

describe('LakeReader cache', () => {
  it('fetches a key once for concurrent readers', async () => {
    const reader = new LakeReader(db, store, { cacheDir: join(root, 'c1') });
    const got = await Promise.all(Array.from({ length: 8 }, () => reader.acquire([keys[0]!])));
    expect(reader.stats.fetches).toBe(1);
    expect(new Set(got.map((g) => g.paths[0])).size).toBe(1);
    for (const g of got) g.release();
  });

  it('stays under its bound by evicting unpinned files, least recently used first', async () => {
    const reader = new LakeReader(db, store, { cacheDir: join(root, 'c2'), cacheMaxBytes: Math.floor(fileBytes * 2.5) });
    const pinned = await reader.acquire([keys[0]!]);
    for (const key of keys.slice(1)) (await reader.acquire([key])).release();
    expect(reader.stats.fetches).toBe(4);
    expect(reader.stats.evictions).toBeGreaterThanOrEqual(1);
    expect(reader.stats.cacheBytes).toBeLessThanOrEqual(Math.floor(fileBytes * 2.5));
    // The pinned file was not evicted: no new fetch for it.
    (await reader.acquire([keys[0]!])).release();
    expect(reader.stats.fetches).toBe(4);
    pinned.release();
    // The oldest unpinned one (keys[1]) went first: asking for it fetches again.
    (await reader.acquire([keys[1]!])).release();
    expect(reader.stats.fetches).toBe(5);
    // Queries see the live files through it.
    const rows = await reader.query('SELECT count(*)::INTEGER AS n FROM events');
    expect(rows).toEqual([{ n: 4 }]);
  });

  it("reuses an earlier process's copies", async () => {
    const first = new LakeReader(db, store, { cacheDir: join(root, 'c3') });
    (await first.acquire(keys)).release();
    const second = new LakeReader(db, store, { cacheDir: join(root, 'c3') });
    (await second.acquire(keys)).release();
    expect(second.stats.fetches).toBe(0);
    expect(second.stats.cacheBytes).toBe(first.stats.cacheBytes);
  });
});
