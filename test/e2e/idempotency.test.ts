import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { parallel, seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const UPLOAD = { filename: 'clip.mp4', contentType: 'video/mp4', size: 1000 };
const QUOTA = 3;

/**
 * Idempotency-Key on creating POSTs: a retry gets the first answer (no second
 * video, no second charge to the quota), another request under the same key
 * is refused, and of concurrent duplicates exactly one runs.
 */
function idempotencySuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser;
    let bob: TestUser;

    const videosOf = async (user: TestUser): Promise<number> =>
      Number((await t.app.db.query<{ n: string }>('SELECT count(*) AS n FROM videos WHERE owner_id = $1', [user.id])).rows[0]!.n);
    const createUpload = (user: TestUser, key: string | null, body: unknown = UPLOAD) =>
      api('POST', '/api/v1/uploads', { token: user.token, body, headers: key === null ? {} : { 'idempotency-key': key } });

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [alice, bob] = await Promise.all([signup(api, 'alice'), signup(api, 'bob')]);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('answers a retried upload with the first answer: one video, one charge to the quota', async () => {
      const first = await createUpload(alice, 'upload-1');
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      for (let i = 0; i < 3; i++) {
        const again = await createUpload(alice, 'upload-1', { size: 1000, contentType: 'video/mp4', filename: 'clip.mp4' });
        expect(again.status).toBe(201);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.headers.get('content-type')).toMatch(/^application\/json/);
        expect(again.body).toEqual(first.body);
      }
      expect(await videosOf(alice)).toBe(1);
      // The quota counted one upload: two more fit, the next does not.
      expect((await createUpload(alice, 'upload-2')).status).toBe(201);
      expect((await createUpload(alice, null)).status).toBe(201);
      const over = await createUpload(alice, 'upload-3');
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('upload_quota_exceeded');
      expect(await videosOf(alice)).toBe(QUOTA);
      // A refusal the caller may retry later is not kept: the same key runs again (and is refused again, by the quota).
      expect((await createUpload(alice, 'upload-3')).headers.get('idempotent-replayed')).toBeNull();
    });

    it('refuses the same key for another request with 422, and keeps keys per caller', async () => {
      const first = await createUpload(bob, 'shared-key');
      expect(first.status).toBe(201);
      const other = await createUpload(bob, 'shared-key', { ...UPLOAD, size: 2000 });
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('idempotency_key_reused');
      const videoId = await seedVideo(t, alice);
      const elsewhere = await api('POST', `/api/v1/videos/${videoId}/comments`, {
        token: bob.token,
        body: { text: 'hi' },
        headers: { 'idempotency-key': 'shared-key' },
      });
      expect(elsewhere.status).toBe(422);
      // Another caller's key of the same name is theirs.
      const carol = await signup(api, 'carol');
      const carols = await createUpload(carol, 'shared-key');
      expect(carols.status).toBe(201);
      expect(carols.body.videoId).not.toBe(first.body.videoId);
    });

    it('replays comments and error answers the handler gave, and refuses unusable keys', async () => {
      const videoId = await seedVideo(t, alice);
      const comment = (key: string, text = 'first!') =>
        api('POST', `/api/v1/videos/${videoId}/comments`, { token: bob.token, body: { text }, headers: { 'idempotency-key': key } });
      const a = await comment('c-1');
      const b = await comment('c-1');
      expect(a.status).toBe(201);
      expect(b.body).toEqual(a.body);
      const list = await api('GET', `/api/v1/videos/${videoId}/comments`, { token: bob.token });
      expect(list.body.items).toHaveLength(1);

      const missing = await api('POST', '/api/v1/videos/AAAAAAAAAAAAAAAA/comments', {
        token: bob.token,
        body: { text: 'x' },
        headers: { 'idempotency-key': 'c-missing' },
      });
      expect(missing.status).toBe(404);
      const replayed = await api('POST', '/api/v1/videos/AAAAAAAAAAAAAAAA/comments', {
        token: bob.token,
        body: { text: 'x' },
        headers: { 'idempotency-key': 'c-missing' },
      });
      expect(replayed.status).toBe(404);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.body).toEqual(missing.body);

      for (const bad of ['x'.repeat(256), 'has space']) {
        const r = await comment(bad);
        expect(r.status, bad).toBe(400);
        expect(r.body.error.code).toBe('validation_failed');
      }
    });

    it('keys an anonymous caller by its device', async () => {
      const videoId = await seedVideo(t, alice);
      const send = (device: string) =>
        api('POST', '/api/v1/events', {
          headers: { 'x-device-id': device, 'idempotency-key': 'batch-1' },
          body: { events: [{ type: 'play', videoId }] },
        });
      const first = await send('device-aaaaaaaaaaaaaaaa');
      expect(first.status).toBe(200);
      expect((await send('device-aaaaaaaaaaaaaaaa')).headers.get('idempotent-replayed')).toBe('true');
      expect((await send('device-bbbbbbbbbbbbbbbb')).headers.get('idempotent-replayed')).toBeNull();
    });

    it('runs exactly one of concurrent duplicates; the others hear 409 or the first answer', async () => {
      const dave = await signup(api, 'dave');
      const answers = await parallel(8, () => createUpload(dave, 'race'));
      const created = answers.filter((r) => r.status === 201);
      const busy = answers.filter((r) => r.status === 409);
      expect(created.length + busy.length, JSON.stringify(answers.map((r) => [r.status, r.body]))).toBe(8);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((r) => r.body.videoId)).size).toBe(1);
      for (const r of busy) {
        expect(r.body.error.code).toBe('idempotency_key_in_use');
        expect(r.headers.get('retry-after')).toBe('1');
      }
      expect(await videosOf(dave)).toBe(1);
      const after = await createUpload(dave, 'race');
      expect(after.body.videoId).toBe(created[0]!.body.videoId);
    });
  });
}

const env = { UPLOAD_DAILY_COUNT: String(QUOTA) };
idempotencySuite('Idempotency-Key (embedded)', () => startTestApp(env, { workers: false }));

const available = (await postgresAvailable()) && (await redisAvailable());
if (available) idempotencySuite('Idempotency-Key (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false, env));
