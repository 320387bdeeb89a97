/**
 * The creator figures on a small, hand-built lake: every number below is
 * worked out by hand from the events (see the comments), so the SQL is
 * checked, not just run. Also: a corrupt and a foreign file in the manifest
 * are skipped and counted, and a new file for one day recomputes that day only.
 */
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { withDuckdb, sqlString } from '../lake/duckdb.js';
import { LAKE_AGGREGATES_PREFIX, LakeAggregates } from '../lake/lake-aggregates.js';
import { LakeReader } from '../lake/lake-reader.js';
import { batchFileKey, type LakeEvent } from '../lake/lake-schema.js';
import { writeLakeParquet } from '../lake/parquet-writer.js';
import { AnalyticsRepository, retentionCurve } from './analytics.repository.js';
import { csvCell } from './analytics.service.js';

let n = 0;
function ev(at: string, p: Partial<LakeEvent> & { type: string }): LakeEvent {
  n += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventTime: new Date(at),
    receivedAt: new Date(at),
    kind: 'playback',
    videoId: 'V1',
    creatorId: 'C1',
    userId: null,
    deviceId: null,
    watchedMs: null,
    durationMs: 10_000,
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

const D1 = '2026-01-10';
const D2 = '2026-01-11';
const t = (dt: string, s: number) => new Date(Date.parse(`${dt}T10:00:00Z`) + s * 1000).toISOString();

/** Day 1 of V1 (10 s long): u1 plays twice (to the end, then 3 s), u2 2.5 s, anonymous d1 6.5 s (not counted). */
const day1: LakeEvent[] = [
  ev(t(D1, 0), { type: 'play', userId: 'u1', source: 'for_you' }),
  ev(t(D1, 4), { type: 'progress', userId: 'u1', watchedMs: 4000 }),
  ev(t(D1, 10), { type: 'progress', userId: 'u1', watchedMs: 10_000 }),
  ev(t(D1, 10.5), { type: 'complete', userId: 'u1', watchedMs: 10_000 }),
  ev(t(D1, 20), { type: 'play', userId: 'u1', source: 'profile' }),
  ev(t(D1, 23), { type: 'progress', userId: 'u1', watchedMs: 3000 }),
  ev(t(D1, 30), { type: 'play', userId: 'u2', source: 'following' }),
  ev(t(D1, 32), { type: 'skip', userId: 'u2', watchedMs: 2500 }),
  ev(t(D1, 40), { type: 'impression', deviceId: 'd1', source: 'search' }),
  ev(t(D1, 41), { type: 'play', deviceId: 'd1', source: 'search', counted: false }),
  ev(t(D1, 47), { type: 'progress', deviceId: 'd1', watchedMs: 6500 }),
];
/** Day 2: u2 again (7 s), u3 only starts; engagement; V2 (5 s) by u1 to the end; V3 of another creator. */
const day2: LakeEvent[] = [
  ev(t(D2, 0), { type: 'play', userId: 'u2', source: 'for_you' }),
  ev(t(D2, 7), { type: 'progress', userId: 'u2', watchedMs: 7000 }),
  ev(t(D2, 10), { type: 'play', userId: 'u3' }),
  ev(t(D2, 11), { type: 'like', kind: 'engagement', userId: 'u3', durationMs: null, counted: null }),
  ev(t(D2, 12), { type: 'comment', kind: 'engagement', userId: 'u2', durationMs: null, counted: null }),
  ev(t(D2, 13), { type: 'share', kind: 'engagement', userId: 'u1', durationMs: null, counted: null }),
  ev(t(D2, 14), { type: 'follow', kind: 'engagement', userId: 'u3', videoId: null, durationMs: null, counted: null }),
  ev(t(D2, 20), { type: 'play', userId: 'u1', videoId: 'V2', durationMs: 5000, source: 'hashtag' }),
  ev(t(D2, 25), { type: 'complete', userId: 'u1', videoId: 'V2', durationMs: 5000, watchedMs: 5000 }),
  ev(t(D2, 30), { type: 'play', userId: 'u1', videoId: 'V3', creatorId: 'C2', source: 'for_you' }),
  ev(t(D2, 31), { type: 'like', kind: 'engagement', userId: 'u1', videoId: 'V3', creatorId: 'C2', durationMs: null, counted: null }),
];

let root: string;
let db: PgliteDatabase;
let store: FsObjectStore;
let reader: LakeReader;
let aggregates: LakeAggregates;
let repo: AnalyticsRepository;
let batch = 0;

async function addFile(events: LakeEvent[], dt: string, hour = 10): Promise<string> {
  batch += 1;
  const key = batchFileKey({ dt, hour }, batch);
  const local = join(root, `b${batch}.parquet`);
  await writeLakeParquet(events, local);
  const info = await store.putFile(key, local, { contentType: 'application/vnd.apache.parquet' });
  const times = events.map((e) => e.eventTime.getTime());
  await db.query(
    `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [key, dt, hour, events.length, info.size, new Date(Math.min(...times)), new Date(Math.max(...times)), batch],
  );
  return key;
}

/** A manifest row whose object is not a lake file (`bytes`), as a stray upload or a broken copy would be. */
async function addRaw(dt: string, body: Buffer): Promise<string> {
  batch += 1;
  const key = batchFileKey({ dt, hour: 11 }, batch);
  await store.put(key, body, { contentType: 'application/octet-stream' });
  await db.query(
    `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id) VALUES ($1, $2, 11, 1, $3, now(), now(), $4)`,
    [key, dt, body.length, batch],
  );
  return key;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'curta-analytics-'));
  db = await PgliteDatabase.open(null);
  await migrate(db);
  store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
  reader = new LakeReader(db, store, { cacheDir: join(root, 'cache'), cacheMaxBytes: 64 * 1024 ** 2 });
  aggregates = new LakeAggregates(reader, join(root, 'agg'), undefined, store);
  repo = new AnalyticsRepository(aggregates);
  await addFile(day1, D1);
  await addFile(day2, D2);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await rm(root, { recursive: true, force: true });
});

describe('retentionCurve', () => {
  it('starts at 1 and never rises', () => {
    expect(
      retentionCurve(
        new Map([
          [0, 1],
          [2, 1],
          [4, 2],
        ]),
        5,
      ),
    ).toEqual([1, 0.75, 0.75, 0.5, 0.5, 0]);
    expect(retentionCurve(new Map(), 3)).toEqual([]);
  });
});

describe('creator figures on a hand-built lake', () => {
  it("computes a video's figures, the same straight from the files (cold) and from the day tables (warm)", async () => {
    const direct = await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    expect(aggregates.stats.directQueries).toBe(1);
    await aggregates.idle();
    expect(aggregates.stats.dayComputations).toBe(2);
    const f = await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    expect(aggregates.stats.directQueries).toBe(1);
    expect(f).toEqual(direct);
    // Plays: u1 ×2, u2 ×2 (one each day), d1, u3 = 6; d1's is not counted: 5 views.
    expect(f.plays).toBe(6);
    expect(f.views).toBe(5);
    expect(f.uniqueViewers).toBe(4);
    // 10 000 + 3 000 (u1) + 2 500 + 7 000 (u2) + 6 500 (d1) + 0 (u3).
    expect(f.watchTimeMs).toBe(29_000);
    expect(f.completes).toBe(1);
    // u1 (2 plays on day 1) and u2 (one per day) watched more than once.
    expect(f.rewatchers).toBe(2);
    expect(f.viewerVideos).toBe(4);
    expect(f.durationMs).toBe(10_000);
    // Longest watch per viewer: u1 10 s, u2 7 s, d1 6.5 s, u3 0 s.
    expect(f.retention).toEqual([1, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.5, 0.25, 0.25, 0.25]);
    expect(f.sources).toEqual({ for_you: 2, following: 1, profile: 1, search: 1, hashtag: 0, share: 0, other: 1 });
    expect(f.engagement).toEqual({ like: 1, comment: 1, share: 1, follow: 0, bookmark: 0 });
    expect(f.daily).toEqual([
      { date: D1, views: 3, uniqueViewers: 3, watchTimeMs: 22_000, likes: 0, comments: 0, shares: 0, follows: 0, bookmarks: 0 },
      { date: D2, views: 2, uniqueViewers: 2, watchTimeMs: 7000, likes: 1, comments: 1, shares: 1, follows: 0, bookmarks: 0 },
    ]);
  });

  it("computes an account's figures (its videos only) with every day of the range", async () => {
    const f = await repo.figures({ kind: 'account', creatorId: 'C1' }, '2026-01-09', D2);
    await aggregates.idle();
    const direct = await repo.figures({ kind: 'account', creatorId: 'C1' }, '2026-01-09', D2);
    expect(direct).toEqual(f);
    expect(f.views).toBe(6);
    expect(f.plays).toBe(7);
    expect(f.uniqueViewers).toBe(4);
    expect(f.watchTimeMs).toBe(34_000);
    expect(f.completes).toBe(2);
    expect(f.engagement).toEqual({ like: 1, comment: 1, share: 1, follow: 1, bookmark: 0 });
    expect(f.sources.hashtag).toBe(1);
    expect(f.daily.map((d) => [d.date, d.views])).toEqual([
      ['2026-01-09', 0],
      [D1, 3],
      [D2, 3],
    ]);
    expect(f.top).toEqual([
      { videoId: 'V1', views: 5, uniqueViewers: 4, watchTimeMs: 29_000 },
      { videoId: 'V2', views: 1, uniqueViewers: 1, watchTimeMs: 5000 },
    ]);
    expect(f.retention).toBeNull();
  });

  it('answers zeros for a range without files', async () => {
    const f = await repo.figures({ kind: 'video', videoId: 'V1' }, '2025-01-01', '2025-01-03');
    expect(f.views).toBe(0);
    expect(f.daily).toHaveLength(3);
    expect(f.retention).toEqual([]);
  });

  it('skips a corrupt and a foreign file, counts them, and still answers', async () => {
    const before = reader.stats.skippedFiles;
    // Not Parquet at all, and Parquet of another table.
    const junk = await addRaw(D2, Buffer.from('PAR1 this is not a parquet file PAR1'));
    const otherDir = join(root, 'other');
    await mkdir(otherDir, { recursive: true });
    await withDuckdb((c) => c.run(`COPY (SELECT 1 AS x, 'y' AS y) TO ${sqlString(join(otherDir, 'o.parquet'))} (FORMAT parquet)`));
    const foreign = await addRaw(D2, await readFile(join(otherDir, 'o.parquet')));
    const f = await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    expect(f.views).toBe(5);
    await aggregates.idle();
    expect(reader.stats.skippedFiles).toBe(before + 2);
    // The day tables (built without them) say the same.
    expect((await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2)).views).toBe(5);
    expect(reader.skipReason(junk)).toBe('unreadable');
    expect(reader.skipReason(foreign)).toBe('foreign');
    // Counted once, not once per query.
    await repo.figures({ kind: 'account', creatorId: 'C1' }, D1, D2);
    expect(reader.stats.skippedFiles).toBe(before + 2);
  });

  it('recomputes only the day that got a new file', async () => {
    await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    await aggregates.idle();
    const computed = aggregates.stats.dayComputations;
    await addFile([ev(t(D2, 50), { type: 'play', userId: 'u9', source: 'share' })], D2, 12);
    const f = await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    await aggregates.idle();
    expect(aggregates.stats.dayComputations).toBe(computed + 1);
    expect(aggregates.stats.computedDays.at(-1)).toBe(D2);
    expect(f.views).toBe(6);
    expect(f.sources.share).toBe(1);
    // Nothing new: nothing recomputed.
    await repo.figures({ kind: 'video', videoId: 'V1' }, D1, D2);
    expect(aggregates.stats.dayComputations).toBe(computed + 1);
  });
});

describe('aggregates: month roll-ups, shared through the object store', () => {
  it('reads a settled month from one roll-up, and another process reuses the tables instead of computing them', async () => {
    const warm = await repo.figures({ kind: 'account', creatorId: 'C1' }, D1, D2);
    const built = await aggregates.refresh();
    expect(built.days).toBe(0);
    const plan = await aggregates.plan({ from: D1, to: D2 });
    // Both days of January 2026 come from the month's table: one set of files, no raw files.
    expect(plan.tables.map((t) => t.id)).toEqual(['month=2026-01']);
    expect(plan.rawDays).toEqual([]);
    // Another process (its own local directory, the same object store): nothing recomputed.
    const other = new LakeAggregates(reader, join(root, 'agg-other'), undefined, store);
    const otherRepo = new AnalyticsRepository(other);
    expect(await otherRepo.figures({ kind: 'account', creatorId: 'C1' }, D1, D2)).toEqual(warm);
    await other.idle();
    expect(other.stats.dayComputations).toBe(0);
    expect(other.stats.monthComputations).toBe(0);
    expect(other.stats.directQueries).toBe(0);
    expect(other.stats.sharedFetches).toBe(1);
    // Only the current versions are kept in the store.
    const keys = (await store.list(LAKE_AGGREGATES_PREFIX)).map((o) => o.key);
    expect(keys.filter((k) => k.includes('/month=2026-01/'))).toHaveLength(3);
    expect(keys.filter((k) => k.includes(`/dt=${D2}/`))).toHaveLength(3);
    // A day no longer in the lake (retention): its tables leave the store at the next whole refresh.
    const gone = `${LAKE_AGGREGATES_PREFIX}dt=2020-01-01/x.viewers.parquet`;
    await store.put(gone, 'old', { contentType: 'application/octet-stream' });
    await aggregates.refresh();
    expect(await store.head(gone)).toBeNull();
    expect((await store.list(LAKE_AGGREGATES_PREFIX)).length).toBe(keys.length);
  });

  it('never rolls recent days into a month (they still get deliveries): they are read per day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await addFile([ev(`${yesterday}T10:00:00Z`, { type: 'play', userId: 'u1', videoId: 'V9' })], yesterday);
    await addFile([ev(`${today}T00:00:01Z`, { type: 'play', userId: 'u2', videoId: 'V9' })], today, 0);
    const built = await aggregates.refresh({ from: yesterday, to: today });
    expect(built).toEqual({ days: 2, months: 0 });
    const plan = await aggregates.plan({ from: yesterday, to: today });
    expect(plan.tables.map((t) => t.id)).toEqual([`dt=${yesterday}`, `dt=${today}`]);
    const f = await repo.figures({ kind: 'video', videoId: 'V9' }, yesterday, today);
    expect(f.views).toBe(2);
    expect(f.uniqueViewers).toBe(2);
  });
});

describe('csvCell', () => {
  it('quotes what needs quoting and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(42)).toBe('42');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    for (const f of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(f).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell(-1)).toBe('-1');
  });
});
