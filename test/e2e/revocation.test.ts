import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Revocation of signed media URLs: a viewer's signed URL for a followers-only
 * video answers 200 while they may watch it, and 403/404 once that right is
 * withdrawn — by a takedown, the owner making it private, an unfollow, a
 * block either way, a ban of the viewer or of the owner, or deletion.
 *
 * Every revocation is made through app A; the media is fetched from app B.
 * Embedded, A and B are one process: the answer must change at once (the
 * process drops what it cached). Distributed, A and B are two apps on the
 * same PostgreSQL, Redis and object folder, as two API processes behind a
 * load balancer are: a change to the video (takedown, visibility, deletion,
 * the owner's ban) must show on B at once too (the row is dropped from Redis
 * before A answers), a change of the viewer's relations (unfollow, block,
 * the viewer's ban) within a few seconds.
 */

interface Pair {
  /** Where revocations are made. */
  a: TestApp;
  /** Where the viewer's media requests go. */
  b: TestApp;
  /** Whether A and B are the same process (the answer must change at once). */
  sameProcess: boolean;
  close(): Promise<void>;
}

/** Another process re-reads a viewer's standing this often at least (MEDIA_VIEWER_CACHE_MS); generous, not a timing claim. */
const CROSS_PROCESS_DEADLINE_MS = 15_000;

/** Rendition objects of a seeded video (seedVideo: media/<id>/seed, playback master.m3u8 / video.mp4 / poster.jpg). */
async function putRenditions(t: TestApp, videoId: string): Promise<void> {
  const put = (key: string, body: string, contentType: string) =>
    t.app.store.put(`media/${videoId}/seed/${key}`, Buffer.from(body), {
      contentType,
      cacheControl: 'public, max-age=31536000, immutable',
    });
  await put('poster.jpg', `poster of ${videoId}`, 'image/jpeg');
  await put('video.mp4', `mp4 of ${videoId}`, 'video/mp4');
  await put('master.m3u8', '#EXTM3U\n', 'application/vnd.apple.mpegurl');
}

function revocationSuite(name: string, start: () => Promise<Pair>): void {
  describe(name, () => {
    let pair: Pair;
    let apiA: Api;
    let apiB: Api;
    let root: TestUser;
    let n = 0;

    beforeAll(async () => {
      pair = await start();
      apiA = apiClient(pair.a.baseUrl);
      apiB = apiClient(pair.b.baseUrl);
      root = await signup(apiA, 'root');
      expect((await adminCommand(pair.a.app.db, ['grant', 'root'])).code).toBe(0);
    });

    afterAll(async () => {
      await pair?.close();
    });

    /** A fresh owner with a followers-only video (rendition objects stored) and a follower. */
    async function scenario(): Promise<{ owner: TestUser; fan: TestUser; video: string }> {
      n++;
      const owner = await signup(apiA, `owner${n}`);
      const fan = await signup(apiA, `fan${n}`);
      expect((await apiA('PUT', `/api/v1/users/${owner.username}/follow`, { token: fan.token })).status).toBe(200);
      const video = await seedVideo(pair.a, owner, { visibility: 'followers', caption: `for followers ${n}` });
      await putRenditions(pair.a, video);
      return { owner, fan, video };
    }

    /** The signed playback URLs app B hands this viewer; each answers 200 now. */
    async function signedUrls(video: string, viewer: TestUser): Promise<string[]> {
      const r = await apiB('GET', `/api/v1/videos/${video}`, { token: viewer.token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const urls = [r.body.playback.poster, r.body.playback.hls, r.body.playback.mp4] as string[];
      for (const url of urls) {
        expect(url).toContain('/media/s/');
        expect(url.startsWith(`${pair.b.baseUrl}/`)).toBe(true);
        const res = await fetch(url);
        await res.arrayBuffer();
        expect({ url, status: res.status }).toEqual({ url, status: 200 });
      }
      return urls;
    }

    const statusOf = async (url: string, method = 'GET') => {
      const res = await fetch(url, { method });
      await res.arrayBuffer();
      return res.status;
    };

    /**
     * Every URL is refused (403 or 404) for GET and HEAD: at once when A is B
     * or the video itself changed, else within the deadline (polled; the bound
     * is generous, not a timing assertion).
     */
    async function expectRevoked(urls: string[], changed: 'video' | 'viewer'): Promise<void> {
      const deadline = Date.now() + (pair.sameProcess || changed === 'video' ? 0 : CROSS_PROCESS_DEADLINE_MS);
      for (const url of urls) {
        for (const method of ['GET', 'HEAD']) {
          let status = await statusOf(url, method);
          while (status === 200 && Date.now() < deadline) {
            await new Promise((res) => setTimeout(res, 100));
            status = await statusOf(url, method);
          }
          expect({ url, method, status }).toEqual({ url, method, status: expect.toBeOneOf([403, 404]) });
        }
      }
    }

    async function expectServedAgain(urls: string[], changed: 'video' | 'viewer'): Promise<void> {
      const deadline = Date.now() + (pair.sameProcess || changed === 'video' ? 0 : CROSS_PROCESS_DEADLINE_MS);
      for (const url of urls) {
        let status = await statusOf(url);
        while (status !== 200 && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 100));
          status = await statusOf(url);
        }
        expect({ url, status }).toEqual({ url, status: 200 });
      }
    }

    it('binds a signed URL to the viewer it was issued to', async () => {
      const { owner, fan, video } = await scenario();
      const other = await signup(apiA, `other${n}`);
      const [poster] = await signedUrls(video, fan);
      // The viewer's id is part of what is signed: putting another id in its place breaks the signature.
      expect(poster).toContain(`/${fan.id}/`);
      expect(await statusOf(poster!.replace(`/${fan.id}/`, `/${other.id}/`))).toBe(403);
      expect(await statusOf(poster!.replace(`/${fan.id}/`, `/${owner.id}/`))).toBe(403);
    });

    it('an admin takedown stops the follower’s URLs (the owner’s still play); a restore brings them back', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      const ownerUrls = await signedUrls(video, owner);
      const down = await apiA('POST', `/api/v1/admin/videos/${video}/takedown`, { token: root.token, body: { reason: 'spam' } });
      expect(down.status).toBe(200);
      await expectRevoked(fanUrls, 'video');
      // The owner still sees their taken-down video, with its media.
      for (const url of ownerUrls) expect(await statusOf(url)).toBe(200);
      expect((await apiA('DELETE', `/api/v1/admin/videos/${video}/takedown`, { token: root.token })).status).toBe(200);
      await expectServedAgain(fanUrls, 'video');
    });

    it('the owner making the video private stops the follower’s URLs', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      const ownerUrls = await signedUrls(video, owner);
      expect((await apiA('PATCH', `/api/v1/videos/${video}`, { token: owner.token, body: { visibility: 'private' } })).status).toBe(200);
      await expectRevoked(fanUrls, 'video');
      for (const url of ownerUrls) expect(await statusOf(url)).toBe(200);
    });

    it('unfollowing stops the URLs of a followers-only video', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      expect((await apiA('DELETE', `/api/v1/users/${owner.username}/follow`, { token: fan.token })).status).toBe(200);
      await expectRevoked(fanUrls, 'viewer');
    });

    it('the owner blocking the viewer stops the viewer’s URLs', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      expect((await apiA('PUT', `/api/v1/users/${fan.username}/block`, { token: owner.token })).status).toBe(200);
      await expectRevoked(fanUrls, 'viewer');
    });

    it('the viewer blocking the owner stops the viewer’s URLs too (a block hides both ways)', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      expect((await apiA('PUT', `/api/v1/users/${owner.username}/block`, { token: fan.token })).status).toBe(200);
      await expectRevoked(fanUrls, 'viewer');
    });

    it('banning the viewer stops their URLs', async () => {
      const { fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      const ban = await apiA('POST', `/api/v1/admin/users/${fan.username}/ban`, { token: root.token, body: { reason: 'abuse' } });
      expect(ban.status).toBe(200);
      await expectRevoked(fanUrls, 'viewer');
    });

    it('banning the owner stops everyone’s URLs, the owner’s own included', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      const ownerUrls = await signedUrls(video, owner);
      const ban = await apiA('POST', `/api/v1/admin/users/${owner.username}/ban`, { token: root.token, body: { reason: 'abuse' } });
      expect(ban.status).toBe(200);
      await expectRevoked([...fanUrls, ...ownerUrls], 'video');
      // Lifting the ban gives the follower their access back.
      expect((await apiA('DELETE', `/api/v1/admin/users/${owner.username}/ban`, { token: root.token })).status).toBe(200);
      await expectServedAgain(fanUrls, 'video');
    });

    it('deleting the video stops its URLs, even for renditions a late encode writes after the delete', async () => {
      const { owner, fan, video } = await scenario();
      const fanUrls = await signedUrls(video, fan);
      const ownerUrls = await signedUrls(video, owner);
      expect((await apiA('DELETE', `/api/v1/videos/${video}`, { token: owner.token })).status).toBe(204);
      await expectRevoked([...fanUrls, ...ownerUrls], 'video');
      // An encode that was still running writes its renditions after the row is gone (the delayed purge sweeps them
      // minutes later): a signature that is still valid must not reach them.
      await putRenditions(pair.a, video);
      await expectRevoked([...fanUrls, ...ownerUrls], 'video');
    });
  });
}

revocationSuite('revocation of signed media URLs (embedded)', async () => {
  const t = await startTestApp({}, { workers: false });
  return { a: t, b: t, sameProcess: true, close: () => t.close() };
});

const distributed = (await postgresAvailable()) && (await redisAvailable());

if (distributed) {
  revocationSuite('revocation of signed media URLs (distributed: two apps on PostgreSQL and Redis)', async () => {
    const a = await startDistributedTestApp(false);
    const config = a.app.config;
    if (config.database.kind !== 'postgres' || config.cache.kind !== 'redis') throw new Error('expected PostgreSQL and Redis');
    try {
      // B: another API process on the same database, cache, signing key and objects (the folder stands in for a shared bucket).
      const b = await startTestApp(
        {
          DATABASE_URL: config.database.url,
          REDIS_URL: config.cache.url,
          CURTA_SIGNING_SECRET: config.signingSecret,
          CURTA_DATA_DIR: a.dataDir,
        },
        { workers: false },
      );
      return {
        a,
        b,
        sameProcess: false,
        async close() {
          await b.close();
          await a.close();
        },
      };
    } catch (err) {
      await a.close();
      throw err;
    }
  });
}
