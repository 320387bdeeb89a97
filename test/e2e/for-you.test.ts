import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/test-app.js';
import { forYouSuite } from './for-you.suite.js';

/** Model versions are looked for every second, so the suite sees a new one promptly. */
const ENV = { RECS_MODEL_POLL_SEC: '1' };

forYouSuite('For You (embedded: PGlite, in-process cache)', () => startTestApp(ENV, { workers: false }));

if ((await postgresAvailable()) && (await redisAvailable())) {
  forYouSuite('For You (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false, ENV));
}

describe('scheduled training (workers)', () => {
  it('retrains on its own once events arrive, one run at a time, and the API process picks the version up', async () => {
    const { seedVideo, signup } = await import('../support/social.js');
    const { apiClient } = await import('../support/test-app.js');
    const t = await startTestApp({ ...ENV, RECS_TRAIN_INTERVAL_SEC: '1' });
    try {
      const api = apiClient(t.baseUrl);
      const maker = await signup(api, 'scheduled');
      const ids = [await seedVideo(t, maker), await seedVideo(t, maker)];
      const events = ids.flatMap((videoId) => [
        { type: 'impression', videoId },
        { type: 'complete', videoId, watchedMs: 15_000 },
      ]);
      for (const device of ['scheduled-device-0001', 'scheduled-device-0002']) {
        const r = await api('POST', '/api/v1/events', { headers: { 'x-device-id': device }, body: { events } });
        expect(r.status).toBe(200);
      }
      const recs = t.app.services.recs;
      const deadline = Date.now() + 30_000;
      while (recs.models.version === 0 && Date.now() < deadline) {
        await api('GET', '/api/v1/feed/for-you', { headers: { 'x-device-id': 'scheduled-device-0003' } });
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(recs.models.version).toBeGreaterThan(0);
      const latest = await recs.repo.latestModel();
      expect(latest).toMatchObject({ version: recs.models.version, users: 2, videos: 2, eventsRead: 8 });
    } finally {
      await t.close();
    }
  }, 60_000);
});
