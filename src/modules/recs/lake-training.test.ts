import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeEvent, putLakeEvents } from '../../../test/support/lake.js';
import { seededRng } from '../../lib/seeded-rng.js';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { LakeReader } from '../lake/lake-reader.js';
import type { LakeEvent } from '../lake/lake-schema.js';
import { LakeTrainingSource } from './lake-training.js';
import { RecsRepository, type PairRow } from './recs.repository.js';
import { SIGNAL_WEIGHTS } from './signals.js';
import { buildTrainingData } from './trainer.js';
import { DatabaseTrainingSource } from './training-source.js';

const DAY = 86_400_000;

const rng = seededRng;

const byKey = (a: PairRow, b: PairRow) => (a.viewer + a.videoId < b.viewer + b.videoId ? -1 : 1);

/**
 * The same history written to the OLTP tables (as the pre-lake path reads
 * it) and to the lake (as capture and delivery write it): training must read
 * the same pairs from both.
 */
describe('training from the lake', () => {
  let dir: string;
  let db: PgliteDatabase;
  let store: FsObjectStore;
  let repo: RecsRepository;
  let lake: LakeTrainingSource;
  const lakeEvents: LakeEvent[] = [];
  const now = Math.floor(Date.now() / 1000) * 1000;
  const since = new Date(now - 10 * DAY);
  const users = ['u-ana', 'u-bob', 'u-cy', 'u-dee', 'u-eve'];
  const creators = ['c-one', 'c-two'];
  const videos = Array.from({ length: 8 }, (_, i) => `vid-${i}`);
  const owner = (v: string) => creators[Number(v.slice(4)) % 2]!;
  const duration = (v: string) => 10_000 + Number(v.slice(4)) * 5000;

  // ---------------------------------------------------------------- history on both sides
  type EventRow = [string, string, string | null, string | null, number | null, Date, Date, boolean];
  const dbEvents: EventRow[] = [];
  /** The playback events into the OLTP table, in one statement. */
  async function insertEvents() {
    const col = <K extends number>(k: K) => dbEvents.map((row) => row[k]);
    await db.query(
      `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::boolean[])`,
      [col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7)],
    );
  }
  function play(
    viewer: { userId?: string; deviceId?: string },
    videoId: string,
    type: string,
    watchedMs: number | null,
    at: number,
    o: { counted?: boolean; clientLagMs?: number } = {},
  ): void {
    const counted = o.counted ?? true;
    const clientAt = new Date(at - (o.clientLagMs ?? 0));
    dbEvents.push([type, videoId, viewer.userId ?? null, viewer.deviceId ?? null, watchedMs, clientAt, new Date(at), counted]);
    lakeEvents.push(
      lakeEvent({
        kind: 'playback',
        type,
        videoId,
        creatorId: owner(videoId),
        userId: viewer.userId ?? null,
        deviceId: viewer.deviceId ?? null,
        watchedMs,
        durationMs: duration(videoId),
        counted,
        eventTime: clientAt,
        receivedAt: new Date(at),
      }),
    );
  }
  function engagement(type: string, userId: string, videoId: string, at: number, attrs?: Record<string, unknown>) {
    lakeEvents.push(
      lakeEvent({
        kind: 'engagement',
        type,
        videoId,
        creatorId: owner(videoId),
        userId,
        eventTime: new Date(at),
        attrs: attrs ? JSON.stringify(attrs) : null,
      }),
    );
  }
  async function like(u: string, v: string, at: number) {
    await db.query(`INSERT INTO video_likes (video_id, user_id, created_at) VALUES ($1, $2, $3)`, [v, u, new Date(at)]);
    engagement('like', u, v, at);
  }
  async function unlike(u: string, v: string, at: number) {
    await db.query(`DELETE FROM video_likes WHERE video_id = $1 AND user_id = $2`, [v, u]);
    engagement('unlike', u, v, at);
  }
  async function share(u: string | null, v: string, at: number) {
    await db.query(`INSERT INTO video_shares (video_id, user_id, created_at) VALUES ($1, $2, $3)`, [v, u, new Date(at)]);
    if (u) engagement('share', u, v, at);
    else lakeEvents.push(lakeEvent({ kind: 'engagement', type: 'share', videoId: v, creatorId: owner(v), eventTime: new Date(at) }));
  }
  async function comment(id: string, u: string, v: string, at: number) {
    await db.query(`INSERT INTO comments (id, video_id, author_id, text, created_at) VALUES ($1, $2, $3, 'hi', $4)`, [
      id,
      v,
      u,
      new Date(at),
    ]);
    engagement('comment', u, v, at, { commentId: id, reply: false });
  }
  async function deleteComment(id: string, u: string, v: string, at: number) {
    await db.query(`DELETE FROM comments WHERE id = $1`, [id]);
    engagement('delete_comment', u, v, at, { commentId: id });
  }
  async function markNotInterested(u: string, v: string, at: number) {
    await db.query(`INSERT INTO video_not_interested (user_id, video_id, created_at) VALUES ($1, $2, $3)`, [u, v, new Date(at)]);
    engagement('not_interested', u, v, at);
  }
  async function unmarkNotInterested(u: string, v: string, at: number) {
    await db.query(`DELETE FROM video_not_interested WHERE user_id = $1 AND video_id = $2`, [u, v]);
    engagement('undo_not_interested', u, v, at);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-lake-train-'));
    db = await PgliteDatabase.open(null);
    await migrate(db);
    store = new FsObjectStore({ rootDir: join(dir, 'objects'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    repo = new RecsRepository(db);
    lake = new LakeTrainingSource(new LakeReader(db, store, join(dir, 'cache')), repo);
    for (const u of [...users, ...creators]) await db.query(`INSERT INTO users (id, username, password_hash) VALUES ($1, $1, 'x')`, [u]);
    for (const v of [...videos, 'vid-gone']) {
      await db.query(
        `INSERT INTO videos (id, owner_id, status, original_key, original_filename, content_type, declared_size, upload_expires_at, duration_ms)
         VALUES ($1, $2, 'ready', 'originals/' || $1, 'a.mp4', 'video/mp4', 1, now(), $3)`,
        [v, v === 'vid-gone' ? 'c-one' : owner(v), v === 'vid-gone' ? 10_000 : duration(v)],
      );
    }
    await db.query(`INSERT INTO follows (follower_id, followee_id) VALUES ('u-ana', 'c-one'), ('u-cy', 'c-two')`);
  });

  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the same pairs as the OLTP query from the same history, undos and window edges included', async () => {
    const t = (daysAgo: number) => now - Math.round(daysAgo * DAY);
    // Hand-picked cases.
    play({ userId: 'u-ana' }, 'vid-0', 'impression', null, t(3));
    play({ userId: 'u-ana' }, 'vid-0', 'complete', 10_000, t(3));
    play({ userId: 'u-ana' }, 'vid-1', 'skip', 400, t(2));
    play({ deviceId: 'dev-1' }, 'vid-1', 'impression', null, t(1));
    play({ deviceId: 'dev-1' }, 'vid-1', 'progress', 7000, t(1));
    play({ deviceId: 'dev-2' }, 'vid-2', 'complete', 20_000, t(1), { counted: false }); // over its address's allowance
    play({ userId: 'u-bob' }, 'vid-3', 'complete', 25_000, t(12)); // before the window
    play({ userId: 'u-bob' }, 'vid-3', 'impression', null, t(9.99), { clientLagMs: DAY - 1000 }); // arrived inside, client time a day earlier
    play({ userId: 'u-bob' }, 'vid-gone', 'complete', 10_000, t(1)); // video deleted below
    await like('u-ana', 'vid-0', t(3)); // stands
    await like('u-bob', 'vid-1', t(5));
    await unlike('u-bob', 'vid-1', t(4)); // taken back
    await like('u-cy', 'vid-2', t(20)); // before the window
    await like('u-dee', 'vid-2', t(6));
    await unlike('u-dee', 'vid-2', t(5.5));
    await like('u-dee', 'vid-2', t(5)); // liked again
    await share('u-ana', 'vid-1', t(2));
    await share(null, 'vid-4', t(2)); // anonymous share: no viewer
    await comment('cm-1', 'u-bob', 'vid-0', t(4));
    await comment('cm-2', 'u-bob', 'vid-0', t(3.5));
    await deleteComment('cm-1', 'u-bob', 'vid-0', t(3)); // one of two deleted: still commented
    await comment('cm-3', 'u-cy', 'vid-5', t(4));
    await deleteComment('cm-3', 'u-cy', 'vid-5', t(3.9)); // the only one deleted
    await comment('cm-4', 'u-eve', 'vid-6', t(30)); // before the window
    await deleteComment('cm-4', 'u-eve', 'vid-6', t(2)); // deleted inside it
    await markNotInterested('u-eve', 'vid-7', t(1));
    await markNotInterested('u-ana', 'vid-3', t(2));
    await unmarkNotInterested('u-ana', 'vid-3', t(1.5));
    await like('u-bob', 'vid-gone', t(1));

    // And a seeded crowd: many viewers, many events, some likes and marks.
    const r = rng(14);
    for (let i = 0; i < 1500; i++) {
      const viewer = r() < 0.4 ? { userId: `u-crowd-${Math.floor(r() * 30)}` } : { deviceId: `dev-crowd-${Math.floor(r() * 40)}` };
      const v = videos[Math.floor(r() * r() * videos.length)]!;
      const at = t(Math.floor(r() * 14) + r() / 30); // a few hours a day: fewer, fuller partitions
      const kind = r();
      if (kind < 0.4) play(viewer, v, 'impression', null, at);
      else if (kind < 0.6) play(viewer, v, 'skip', Math.floor(r() * 2000), at, { clientLagMs: Math.floor((r() * DAY) / 8) });
      else if (kind < 0.8) play(viewer, v, 'complete', duration(v), at, { counted: r() < 0.9 });
      else play(viewer, v, 'progress', Math.floor(r() * duration(v)), at);
    }
    await insertEvents();
    await putLakeEvents(db, store, lakeEvents.slice(0, 700));
    await putLakeEvents(db, store, lakeEvents.slice(700)); // two deliveries: several files per partition
    await db.query(`DELETE FROM videos WHERE id = 'vid-gone'`);

    const fromDb = await new DatabaseTrainingSource(repo).history(since);
    const fromLake = await lake.history(since);
    expect(fromLake.pairs.length).toBeGreaterThan(40);
    expect(fromLake.eventsRead).toBe(fromDb.eventsRead);
    expect([...fromLake.pairs].sort(byKey)).toEqual([...fromDb.pairs].sort(byKey));
    // Hence the same training signal (signals.ts, the one definition): graded watching, quick and partial skips, marks.
    const lakeData = buildTrainingData([...fromLake.pairs].sort(byKey));
    const dbData = buildTrainingData([...fromDb.pairs].sort(byKey));
    expect(lakeData.data.weights).toEqual(dbData.data.weights);
    expect([...lakeData.data.weights].some((w) => w === SIGNAL_WEIGHTS.quickSkip)).toBe(true);
    expect(new Set([...lakeData.data.weights].filter((w) => w > 0 && w < SIGNAL_WEIGHTS.complete)).size).toBeGreaterThan(3); // graded

    // The hand-picked cases, spelled out.
    const pair = (viewer: string, videoId: string) => fromLake.pairs.find((p) => p.viewer === viewer && p.videoId === videoId);
    expect(pair('u-ana', 'vid-0')).toMatchObject({ liked: true, completes: expect.any(Number), followsAuthor: true, ownerId: 'c-one' });
    expect(pair('u-bob', 'vid-1')?.liked ?? false).toBe(false);
    expect(pair('u-dee', 'vid-2')).toMatchObject({ liked: true });
    expect(pair('u-bob', 'vid-0')).toMatchObject({ commented: true });
    expect(pair('u-cy', 'vid-5')?.commented ?? false).toBe(false);
    expect(pair('u-eve', 'vid-7')).toMatchObject({ notInterested: true });
    expect(pair('u-ana', 'vid-3')?.notInterested ?? false).toBe(false);
    expect(fromLake.pairs.some((p) => p.videoId === 'vid-gone')).toBe(false);
    expect(pair('d:dev-2', 'vid-2')).toBeUndefined(); // not counted
    expect(pair('u-bob', 'vid-3')).toMatchObject({ impressions: 1, completes: 0 });
    expect(fromLake.mark).toEqual({ maxEventId: 0, lakeBatchId: await repo.lastDeliveredLakeBatch() });
  });

  it('is up to date until a new batch is delivered, and reads nothing from an empty window', async () => {
    const batch = await repo.lastDeliveredLakeBatch();
    const latest = {
      version: 1,
      objectKey: 'k',
      trainedAt: new Date(),
      eventsRead: 0,
      users: 0,
      videos: 0,
      pairs: 0,
      trainMs: 0,
      maxEventId: 0,
      selection: null,
    };
    expect(await lake.upToDate({ ...latest, lakeBatchId: batch })).toBe(true);
    expect(await lake.upToDate({ ...latest, lakeBatchId: null })).toBe(false); // trained from the events table
    await putLakeEvents(db, store, [lakeEvent({ kind: 'playback', type: 'impression', videoId: 'vid-0', deviceId: 'dev-late' })]);
    expect(await lake.upToDate({ ...latest, lakeBatchId: batch })).toBe(false);

    const future = await lake.history(new Date(now + DAY));
    expect(future).toMatchObject({ pairs: [], eventsRead: 0 });
  });

  it('delivers the buffer first when given a flush, so what just arrived counts', async () => {
    let flushed = 0;
    const flushing = new LakeTrainingSource(new LakeReader(db, store, join(dir, 'cache')), repo, async () => {
      flushed++;
      await putLakeEvents(db, store, [
        lakeEvent({ kind: 'playback', type: 'complete', videoId: 'vid-4', deviceId: 'dev-fresh', watchedMs: 30_000 }),
      ]);
    });
    const h = await flushing.history(since);
    expect(flushed).toBe(1);
    expect(h.pairs.find((p) => p.viewer === 'd:dev-fresh')).toMatchObject({ videoId: 'vid-4', completes: 1, watchedMs: 30_000 });
    expect(h.mark.lakeBatchId).toBe(await repo.lastDeliveredLakeBatch());
  });
});
