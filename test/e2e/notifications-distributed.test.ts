import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { createTestDatabase, postgresAvailable, redisAvailable, TEST_REDIS_URL } from '../support/services.js';
import { seedVideo, signup } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';
import { notificationsSuite, openNotificationStream } from './notifications.suite.js';

/**
 * The notifications suite on PostgreSQL and Redis, and the live stream across
 * processes: two API processes share one database, a like through one
 * reaches a stream open on the other (each process reads the inboxes its
 * streams watch from the shared database once a second).
 */
const available = (await postgresAvailable()) && (await redisAvailable());

if (available) {
  notificationsSuite('notifications (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false));

  describe('notifications across API processes (PostgreSQL, Redis)', () => {
    let a: TestApp;
    let b: TestApp;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const db = await createTestDatabase();
      drop = db.drop;
      const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, CURTA_SIGNING_SECRET: randomBytes(32).toString('hex') };
      a = await startTestApp(env, { workers: false });
      b = await startTestApp(env, { workers: false });
    });

    afterAll(async () => {
      await a?.close();
      await b?.close();
      await drop?.();
    });

    it('a like made through one process reaches the stream open on the other, with the unread count', async () => {
      const apiA = apiClient(a.baseUrl);
      const apiB = apiClient(b.baseUrl);
      const owner = await signup(apiA, 'owner_x');
      const fan = await signup(apiB, 'fan_x');
      const v = await seedVideo(a, owner);
      const stream = await openNotificationStream(a.baseUrl, owner.token);
      try {
        expect((await stream.next((e) => e.event === 'unread')).data).toEqual({ unread: 0 });
        expect((await apiB('PUT', `/api/v1/videos/${v}/like`, { token: fan.token })).status).toBe(200);
        const n = await stream.next((e) => e.event === 'notification');
        expect(n.data).toMatchObject({ type: 'like', text: 'fan_x liked your video', video: { id: v } });
        expect((await stream.next((e) => e.event === 'unread')).data).toEqual({ unread: 1 });
        // Read through the other process: this stream's count follows.
        await apiB('POST', `/api/v1/me/notifications/${n.data.id}/read`, { token: owner.token });
        expect((await stream.next((e) => e.event === 'unread')).data).toEqual({ unread: 0 });
      } finally {
        stream.close();
      }
    });
  });
}
