import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { RecsRepository } from './recs.repository.js';

/** The per-request viewer read (one statement) and the trial exposure query, on real tables. */
describe('RecsRepository', () => {
  let db: PgliteDatabase;
  let repo: RecsRepository;
  const t0 = Date.now() - 3600_000;
  const at = (min: number) => new Date(t0 + min * 60_000).toISOString();

  beforeAll(async () => {
    db = await PgliteDatabase.open(null);
    await migrate(db);
    repo = new RecsRepository(db);
    for (const u of ['u1', 'u2', 'c1', 'c2']) await db.query(`INSERT INTO users (id, username, password_hash) VALUES ($1, $1, 'x')`, [u]);
    for (const [id, owner, min] of [
      ['v1', 'c1', -30],
      ['v2', 'c1', -20],
      ['v3', 'c2', -10],
    ] as const) {
      await db.query(
        `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type, declared_size,
                             upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at, publish_at, created_at)
         VALUES ($1, $2, 'ready', $1, 'public', 'o/' || $1, 'a.mp4', 'video/mp4', 1, now(), 'm/' || $1, 10000, 360, 640,
                 '{"hls": "m.m3u8"}'::jsonb, now(), now() - interval '1 day', $3)`,
        [id, owner, at(min)],
      );
    }
    await db.query(`INSERT INTO video_hashtags (video_id, tag, position) VALUES ('v3', 'second', 2), ('v3', 'first', 1)`);
    // u1: signed-in events, and anonymous events from their device d1 (included); d2: another device, anonymous.
    const event = (type: string, video: string, user: string | null, device: string | null, watched: number | null, min: number) =>
      db.query(
        `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
        [type, video, user, device, watched, at(min)],
      );
    await event('impression', 'v1', 'u1', 'd1', null, 1);
    await event('complete', 'v1', 'u1', 'd1', 10000, 2);
    await event('skip', 'v2', null, 'd1', 1500, 3);
    await event('impression', 'v3', 'u1', null, null, 4);
    await event('progress', 'v3', null, 'd2', 6000, 5);
    await event('skip', 'v3', 'u2', 'd3', 500, 6);
    await db.query(`INSERT INTO video_likes (video_id, user_id, created_at) VALUES ('v3', 'u1', $1), ('v3', 'u2', $1)`, [at(7)]);
    await db.query(`INSERT INTO video_shares (video_id, user_id, created_at) VALUES ('v1', 'u1', $1)`, [at(8)]);
    await db.query(`INSERT INTO follows (follower_id, followee_id) VALUES ('u1', 'c1'), ('u1', 'c2')`);
    // u1 blocked c2; u2 blocked u1: both are in a block with u1, either way.
    await db.query(`INSERT INTO blocks (blocker_id, blocked_id) VALUES ('u1', 'c2'), ('u2', 'u1')`);
    await db.query(`INSERT INTO video_not_interested (user_id, video_id, created_at) VALUES ('u1', 'v2', $1), ('u1', 'v3', $2)`, [
      at(9),
      at(10),
    ]);
  });
  afterAll(() => db.close());

  it('reads a signed-in viewer in one statement: history (with their device), follows, blocks both ways and marks, newest first', async () => {
    const r = await repo.viewerReads({ userId: 'u1', deviceId: 'd1' }, new Date(t0 - 60_000), 3, 10);
    expect(r.events.map((e) => [e.type, e.videoId, e.watchedMs, e.at.getTime()])).toEqual([
      ['impression', 'v3', null, Date.parse(at(4))],
      ['skip', 'v2', 1500, Date.parse(at(3))],
      ['complete', 'v1', 10000, Date.parse(at(2))],
    ]);
    expect(r.actions.map((a) => [a.kind, a.videoId, a.at.getTime()]).sort()).toEqual(
      [
        ['like', 'v3', Date.parse(at(7))],
        ['share', 'v1', Date.parse(at(8))],
        ['not_interested', 'v2', Date.parse(at(9))],
        ['not_interested', 'v3', Date.parse(at(10))],
      ].sort(),
    );
    expect([...r.followed].sort()).toEqual(['c1', 'c2']);
    expect([...r.blocked].sort()).toEqual(['c2', 'u2']);
    expect([...(await repo.viewerReads({ userId: 'c1', deviceId: null }, new Date(), 100, 10)).blocked]).toEqual([]);
    expect(r.notInterested).toEqual([
      { videoId: 'v3', ownerId: 'c2', tags: ['first', 'second'] },
      { videoId: 'v2', ownerId: 'c1', tags: [] },
    ]);
    // viewerHistory is the same read.
    const h = await repo.viewerHistory({ userId: 'u1', deviceId: 'd1' }, new Date(t0 - 60_000), 3);
    expect(h.events).toEqual(r.events);
  });

  it('reads an anonymous device: its own anonymous events only, nothing else', async () => {
    const r = await repo.viewerReads({ userId: null, deviceId: 'd1' }, new Date(t0 - 60_000), 100, 10);
    expect(r.events.map((e) => [e.type, e.videoId])).toEqual([['skip', 'v2']]);
    expect(r.actions).toEqual([]);
    expect(r.followed.size).toBe(0);
    expect(r.blocked.size).toBe(0);
    expect(r.notInterested).toEqual([]);
    const none = await repo.viewerReads({ userId: 'u2', deviceId: null }, new Date(), 100, 10);
    expect(none.events).toEqual([]);
  });

  it('counts trial exposure per viewer: a user across devices once, a device without a user, likes as engagement', async () => {
    const stats = await repo.exploreStats(new Date(t0 - 3600_000));
    const by = new Map(stats.map((s) => [s.videoId, s]));
    // v1: u1 (two events, one complete). v2: device d1 (anonymous event), quick skip. v3: u1 (impression + like), d2 (60 % watched), u2 (skip + like).
    expect(by.get('v1')).toEqual({ videoId: 'v1', viewers: 1, engaged: 1 });
    expect(by.get('v2')).toEqual({ videoId: 'v2', viewers: 1, engaged: 0 });
    expect(by.get('v3')).toEqual({ videoId: 'v3', viewers: 3, engaged: 3 });
  });
});
