import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadClipViaApi } from '../support/browser.js';
import { averageColour, isBlue, isRed, makeRedBlueClip } from '../support/media-helpers.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * The owner's edit of a video (PATCH /api/v1/videos/{id}) with a real,
 * processed clip: caption, visibility, comments and the cover frame in one
 * request, the poster cut at the chosen time under a new URL (the old one
 * gone), and hostile edits refused with stable codes. Runs against whatever
 * app `start` gives (embedded defaults; PostgreSQL with Redis).
 */
export function videoEditSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // owner
    let bob: TestUser; // follows alice
    let carol: TestUser; // stranger
    let clip: string;
    let videoId: string;

    const get = (id: string, token?: string) => api('GET', `/api/v1/videos/${id}`, { token });
    const patch = (id: string, body: unknown, token?: string) => api('PATCH', `/api/v1/videos/${id}`, { token, body });
    const fetchBytes = async (url: string) => {
      const r = await fetch(url);
      return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
    };

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [alice, bob, carol] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'carol')]);
      expect((await api('PUT', '/api/v1/users/alice/follow', { token: bob.token })).status).toBe(200);
      clip = join(t.dataDir, 'red-blue.mp4');
      await makeRedBlueClip(clip);
      videoId = await uploadClipViaApi(t.baseUrl, api, alice.token, clip, 'first take');
      const ready = await waitForVideo(api, videoId, alice.token, (v) => v.status === 'ready' || v.status === 'failed');
      expect(ready.status).toBe('ready');
    }, 180_000);

    afterAll(async () => {
      await t?.close();
    });

    it('changes caption, visibility, comments and cover in one edit; the poster is cut at that time under a new URL', async () => {
      const before = (await get(videoId, alice.token)).body;
      expect(before.coverTimeMs).toBeUndefined();
      const oldPoster = before.playback.poster as string;
      const automatic = await fetchBytes(oldPoster);
      expect(automatic.status).toBe(200);
      // The automatic poster is taken 1 s in: red.
      expect(isRed(await averageColour(automatic.body, t.dataDir))).toBe(true);

      const r = await patch(
        videoId,
        { caption: 'Blue hour #Dusk with @bob', visibility: 'followers', commentsEnabled: false, coverTimeMs: 3000 },
        alice.token,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({
        caption: 'Blue hour #Dusk with @bob',
        hashtags: ['dusk'],
        mentions: [{ id: bob.id, username: 'bob' }],
        visibility: 'followers',
        commentsEnabled: false,
        coverTimeMs: 3000,
      });
      const newPoster = r.body.playback.poster as string;
      expect(newPoster).not.toBe(oldPoster);
      expect(new URL(newPoster).pathname).toMatch(/\/poster-[A-Za-z0-9_-]+\.jpg$/);
      const cut = await fetchBytes(newPoster);
      expect(cut.status).toBe(200);
      expect(cut.type).toBe('image/jpeg');
      expect(isBlue(await averageColour(cut.body, t.dataDir))).toBe(true);

      // Persisted, for the owner and for a follower; the replaced poster is gone.
      const again = (await get(videoId, bob.token)).body;
      expect(again).toMatchObject({
        visibility: 'followers',
        commentsEnabled: false,
        coverTimeMs: 3000,
        caption: 'Blue hour #Dusk with @bob',
      });
      expect(new URL(again.playback.poster).pathname.split('/').at(-1)).toBe(new URL(newPoster).pathname.split('/').at(-1));
      expect((await fetchBytes(oldPoster)).status).toBe(404);
      // Followers-only now: a stranger no longer sees it (told it is for followers, without the video).
      for (const token of [carol.token, undefined]) {
        const hidden = await get(videoId, token);
        expect(hidden.status).toBe(403);
        expect(hidden.body.error.code).toBe('followers_only');
        expect(hidden.body.playback).toBeUndefined();
      }
      // Comments off is enforced, not just shown.
      const comment = await api('POST', `/api/v1/videos/${videoId}/comments`, { token: bob.token, body: { text: 'hi' } });
      expect(comment.body.error?.code).toBe('comments_disabled');

      // Back to red, again under a new URL; back to public.
      const red = await patch(videoId, { coverTimeMs: 500, visibility: 'public', commentsEnabled: true }, alice.token);
      expect(red.status).toBe(200);
      expect(red.body.coverTimeMs).toBe(500);
      expect(red.body.playback.poster).not.toBe(newPoster);
      const redPoster = await fetchBytes(red.body.playback.poster);
      expect(isRed(await averageColour(redPoster.body, t.dataDir))).toBe(true);
      // Anonymous viewers get the new poster at once (no stale cached answer).
      expect((await get(videoId)).body.playback.poster).toBe(red.body.playback.poster);
      // The very last frame is a valid choice.
      const last = await patch(videoId, { coverTimeMs: before.durationMs - 1 }, alice.token);
      expect(last.status).toBe(200);
      expect(isBlue(await averageColour((await fetchBytes(last.body.playback.poster)).body, t.dataDir))).toBe(true);
    });

    it('refuses hostile edits with stable codes and changes nothing', async () => {
      const before = (await get(videoId, alice.token)).body;
      const expectUnchanged = async () => {
        const now = (await get(videoId, alice.token)).body;
        expect(now.caption).toBe(before.caption);
        expect(now.playback.poster).toBe(before.playback.poster);
        expect(now.coverTimeMs).toBe(before.coverTimeMs);
      };

      // Someone else's video: 403 when they can see it, 404 (no leak) when they cannot.
      const notOwner = await patch(videoId, { coverTimeMs: 100 }, bob.token);
      expect(notOwner.status).toBe(403);
      expect(notOwner.body.error.code).toBe('forbidden');
      expect((await patch(videoId, { coverTimeMs: 100 })).status).toBe(401);
      const hidden = await seedVideo(t, alice, { visibility: 'private' });
      const notVisible = await patch(hidden, { coverTimeMs: 100 }, carol.token);
      expect(notVisible.status).toBe(404);
      expect(notVisible.body.error.code).toBe('video_not_found');
      expect((await patch('noSuchVideo0000', { coverTimeMs: 100 }, alice.token)).body.error.code).toBe('video_not_found');

      // A time past the end, together with a caption: nothing of the edit is applied.
      const late = await patch(videoId, { caption: 'should not stick', coverTimeMs: before.durationMs }, alice.token);
      expect(late.status).toBe(422);
      expect(late.body.error.code).toBe('cover_time_out_of_range');
      expect(late.body.error.details).toEqual({ durationMs: before.durationMs });
      await expectUnchanged();

      // Malformed bodies, unknown fields.
      for (const body of [
        { coverTimeMs: -1 },
        { coverTimeMs: 1.5 },
        { coverTimeMs: '1000' },
        { coverTimeMs: 1e12 },
        { coverTimeMs: 1000, poster: 'https://evil.example/x.jpg' },
        { coverTimeMs: 1000, playback: { poster: 'x' } },
        { coverTimeMs: null },
      ]) {
        const bad = await patch(videoId, body, alice.token);
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(bad.body.error.code).toBe('validation_failed');
      }
      await expectUnchanged();

      // Not processed yet, or no renditions to cut from: 409.
      const processing = await seedVideo(t, alice, { status: 'processing' });
      const early = await patch(processing, { coverTimeMs: 100 }, alice.token);
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('video_not_ready');
      const noMedia = await seedVideo(t, alice);
      const bare = await patch(noMedia, { coverTimeMs: 100 }, alice.token);
      expect(bare.status).toBe(409);
      expect(bare.body.error.code).toBe('video_not_ready');
    });
  });
}
