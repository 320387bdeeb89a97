import { describe, expect, it } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { seedVideo, signup } from '../support/social.js';
import { apiClient, startTestApp } from '../support/test-app.js';
import { EVENTS_ABUSE_ENV, eventsAbuseSuite } from './events-abuse.suite.js';

eventsAbuseSuite('playback events under abuse (embedded: PGlite, in-process cache)', () =>
  startTestApp(EVENTS_ABUSE_ENV, { workers: false }),
);

if ((await postgresAvailable()) && (await redisAvailable())) {
  eventsAbuseSuite('playback events under abuse (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false, EVENTS_ABUSE_ENV));
}

describe('scheduled event retention (workers)', () => {
  it('deletes expired events on its own, every interval, and nothing younger', async () => {
    const t = await startTestApp({ EVENTS_PRUNE_INTERVAL_SEC: '1', RECS_TRAIN_INTERVAL_SEC: '0' });
    try {
      const api = apiClient(t.baseUrl);
      const video = await seedVideo(t, await signup(api, 'retained'));
      const r = await api('POST', '/api/v1/events', {
        headers: { 'x-device-id': 'retention-device-0001' },
        body: { events: [{ type: 'complete', videoId: video }] },
      });
      expect(r.body.viewsCounted).toBe(1);
      await t.app.db.query(
        `INSERT INTO events (type, video_id, device_id, client_at, received_at)
         SELECT 'impression', $1, 'retention-device-0002', now() - interval '91 days', now() - interval '91 days' FROM generate_series(1, 5)`,
        [video],
      );
      const left = async () =>
        (
          await t.app.db.query<{ old: number; all: number }>(
            `SELECT count(*) FILTER (WHERE received_at < now() - interval '90 days')::int AS old, count(*)::int AS all FROM events WHERE video_id = $1`,
            [video],
          )
        ).rows[0]!;
      const deadline = Date.now() + 30_000;
      while ((await left()).old > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
      expect(await left()).toEqual({ old: 0, all: 1 });
      expect((await api('GET', `/api/v1/videos/${video}`)).body.stats.views).toBe(1);
    } finally {
      await t.close();
    }
  }, 60_000);
});
