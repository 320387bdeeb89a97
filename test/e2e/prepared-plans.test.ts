import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/db/migrate.js';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { EventsRepository } from '../../src/modules/events/events.repository.js';
import { RecsRepository } from '../../src/modules/recs/recs.repository.js';
import { EngagementRepository } from '../../src/modules/social/engagement.repository.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';

/**
 * The statements every feed page and event batch runs are prepared so that PostgreSQL plans them once per
 * connection. That holds only if it settles on the generic plan: a statement taking a NULL parameter (an
 * anonymous viewer) can keep it choosing a custom plan — planned afresh, as dear as running it — on every call,
 * for ever. On one connection, each hot statement is run as an anonymous and as a signed-in viewer more often
 * than PostgreSQL's five trial custom plans, and pg_prepared_statements must show generic plans for each.
 */
const available = await postgresAvailable();
describe.skipIf(!available)('hot prepared statements settle on one generic plan (PostgreSQL)', () => {
  let db: PostgresDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    db = await PostgresDatabase.open(t.url, { maxConnections: 1 });
    await migrate(db);
    for (const u of ['u1', 'c1', 'c2']) await db.query(`INSERT INTO users (id, username, password_hash) VALUES ($1, $1, 'x')`, [u]);
    for (let i = 0; i < 12; i++) {
      await db.query(
        `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type, declared_size,
                             upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at, publish_at)
         VALUES ($1, $2, 'ready', $1, 'public', 'o/' || $1, 'a.mp4', 'video/mp4', 1, now(), 'm/' || $1, 10000, 360, 640,
                 '{"hls": "m.m3u8"}'::jsonb, now(), now() - interval '1 day')`,
        [`v${i}`, i % 2 ? 'c1' : 'c2'],
      );
    }
    await db.query(`INSERT INTO follows (follower_id, followee_id) VALUES ('u1', 'c1')`);
    await db.query(`INSERT INTO video_likes (video_id, user_id) VALUES ('v1', 'u1')`);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('for anonymous and signed-in viewers alike: engagement, rows with engagement, viewable videos, viewer reads', async () => {
    const engagement = new EngagementRepository(db);
    const events = new EventsRepository(db);
    const recs = new RecsRepository(db);
    const ids = Array.from({ length: 10 }, (_, i) => `v${i}`);
    const since = new Date(Date.now() - 86_400_000);
    for (let i = 0; i < 12; i++) {
      for (const viewer of [null, 'u1']) {
        await engagement.engagement(
          ids.map((id, k) => ({ id, ownerId: k % 2 ? 'c1' : 'c2' })),
          viewer,
        );
        await engagement.rowsWithEngagement(ids, viewer);
        await events.viewableVideos(ids, viewer);
      }
      await recs.viewerReads({ userId: 'u1', deviceId: null }, since, 1000, 1000);
      await recs.viewerReads({ userId: null, deviceId: 'device-1' }, since, 1000, 1000);
    }
    const plans = (
      await db.query<{ name: string; generic_plans: string; custom_plans: string }>(
        `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name`,
      )
    ).rows.map((r) => ({ name: r.name, generic: Number(r.generic_plans), custom: Number(r.custom_plans) }));
    expect(plans.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'events_viewable',
        'recs_viewer_reads_device',
        'recs_viewer_reads_user',
        'social_engagement',
        'social_rows_with_engagement',
      ]),
    );
    for (const p of plans) {
      expect(p.generic, `${p.name}: ${p.custom} custom plans, ${p.generic} generic`).toBeGreaterThan(0);
      expect(p.custom, p.name).toBeLessThanOrEqual(5);
    }
  });
});
