/**
 * The lake reader's local cache: one fetch per key however many readers ask
 * at once, a size bound kept by evicting least recently used files that no
 * query is reading, files of an earlier process reused, a bounded number of
 * fetches at once, and a failed fetch failing the read rather than leaving
 * the file out as if it were gone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { AppError } from '../../errors.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { FETCH_CONCURRENCY, LakeReader } from './lake-reader.js';
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

  /** The real store, its getToFile wrapped (the only call the reader makes). */
  function wrapped(getToFile: ObjectStore['getToFile']): ObjectStore {
    return { kind: store.kind, getToFile } as unknown as ObjectStore;
  }

  it(`fetches at most ${FETCH_CONCURRENCY} files at once, however many a query names`, async () => {
    const dt = '2026-02-02';
    const many: string[] = [];
    for (let i = 0; i < 3 * FETCH_CONCURRENCY; i++) {
      const key = batchFileKey({ dt, hour: i % 24 }, 100 + i);
      const local = join(root, `many-${i}.parquet`);
      await writeLakeParquet([event(100 + i)], local);
      const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
      await db.query(`INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time) VALUES ($1, $2, $3, 1, $4, now(), now())`, [
        key,
        dt,
        i % 24,
        info.size,
      ]);
      many.push(key);
    }
    try {
      let running = 0;
      let peak = 0;
      const reader = new LakeReader(
        db,
        wrapped(async (key, path) => {
          peak = Math.max(peak, ++running);
          try {
            await new Promise((r) => setTimeout(r, 5));
            return await store.getToFile(key, path);
          } finally {
            running--;
          }
        }),
        { cacheDir: join(root, 'c4') },
      );
      const rows = await reader.query('SELECT count(*)::INTEGER AS n FROM events', { from: dt, to: dt });
      expect(rows).toEqual([{ n: many.length }]);
      expect(reader.stats.fetches).toBe(many.length);
      expect(peak).toBe(FETCH_CONCURRENCY);
    } finally {
      await db.query(`DELETE FROM lake_files WHERE dt = $1`, [dt]);
    }
  });

  it('fails the read when a fetch fails for a reason other than a missing object, and reads the file once it can', async () => {
    let failing = true;
    const reader = new LakeReader(
      db,
      wrapped(async (key, path) => {
        if (failing && key === keys[2]) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
        return store.getToFile(key, path);
      }),
      // Room for one file: a pin the failed read kept would hold its file in the cache past this bound.
      { cacheDir: join(root, 'c5'), cacheMaxBytes: fileBytes },
    );
    await expect(reader.query('SELECT count(*)::INTEGER AS n FROM events')).rejects.toThrow(/EMFILE/);
    // Not taken for a missing file: nothing skipped, and the next read (the cause gone) has every event.
    expect(reader.stats.skippedFiles).toBe(0);
    expect(reader.skipReason(keys[2]!)).toBeUndefined();
    failing = false;
    expect(await reader.query('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: keys.length }]);
    // Every pin was released, the failed read's included: the cache is back under its bound.
    (await reader.acquire([keys[0]!])).release();
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.stats.cacheBytes).toBeLessThanOrEqual(fileBytes);
  });

  it('skips (and counts) a file gone from the store, and still answers from the rest', async () => {
    const reader = new LakeReader(
      db,
      wrapped(async (key, path) => {
        if (key === keys[3]) throw new AppError('object_not_found', 'Object not found.', { key });
        return store.getToFile(key, path);
      }),
      { cacheDir: join(root, 'c6') },
    );
    expect(await reader.query('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: keys.length - 1 }]);
    expect(reader.skipReason(keys[3]!)).toBe('missing');
    expect(reader.stats.skippedByReason.missing).toBe(1);
  });
});
