import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { averageColour, isBlue, makeRedBlueClip } from '../support/media-helpers.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * The creator's publishing controls and stats (issue 13): drafts, scheduled
 * publishing, the cover chosen before processing, and the owner-only stats.
 * A draft or a scheduled video is invisible to everyone but its owner on every
 * surface; a scheduled one appears everywhere once its time has come. Runs
 * against whatever app `start` gives (embedded defaults; PostgreSQL with Redis
 * and separate caches per process).
 */
export function publishingSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // creator
    let bob: TestUser; // follows alice
    let carol: TestUser; // stranger
    const device = { 'x-device-id': 'publishing-suite-device-0001' };

    const get = (id: string, token?: string) => api('GET', `/api/v1/videos/${id}`, { token });
    const patch = (id: string, body: unknown, token?: string) => api('PATCH', `/api/v1/videos/${id}`, { token, body });
    const later = (ms: number) => new Date(Date.now() + ms).toISOString();

    /** A seeded ready public video of alice's with a unique word and tag, not published (a draft). */
    async function seedDraft(word: string): Promise<string> {
      const id = await seedVideo(t, alice, { caption: `${word} #${word}` });
      await t.app.db.query('UPDATE videos SET publish_at = NULL WHERE id = $1', [id]);
      return id;
    }

    /** Every surface where `viewer` (token or anonymous) could come across video `id` with `word` in its caption. */
    async function surfaces(id: string, word: string, token?: string): Promise<Record<string, boolean>> {
      const headers = token ? {} : device;
      const has = (items: Array<{ id: string }> | undefined) => (items ?? []).some((v) => v.id === id);
      const [direct, feed, profile, search, tag, trending, forYou] = await Promise.all([
        get(id, token),
        api('GET', '/api/v1/feed?limit=50', { token }),
        api('GET', '/api/v1/users/alice/videos?limit=50', { token }),
        api('GET', `/api/v1/search?q=${word}`, { token }),
        api('GET', `/api/v1/hashtags/${word}/videos`, { token }),
        api('GET', '/api/v1/feed/trending?limit=50', { token }),
        api('GET', '/api/v1/feed/for-you?limit=50', { token, headers }),
      ]);
      const out: Record<string, boolean> = {
        direct: direct.status === 200,
        feed: has(feed.body.items),
        profile: has(profile.body.items),
        search: has(search.body.videos),
        hashtag: has(tag.body.items),
        trending: has(trending.body.items),
        forYou: has(forYou.body.items),
      };
      if (token) {
        const following = await api('GET', '/api/v1/feed/following?limit=50', { token });
        out.following = has(following.body.items);
      }
      return out;
    }
    const nowhere = (s: Record<string, boolean>) => Object.entries(s).filter(([, seen]) => seen);

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [alice, bob, carol] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'carol')]);
      expect((await api('PUT', '/api/v1/users/alice/follow', { token: bob.token })).status).toBe(200);
    });

    afterAll(async () => {
      await t?.close();
    });

    it('keeps a draft from everyone but its owner: feeds, profile, search, hashtag, direct link, comments, likes, views', async () => {
      const id = await seedDraft('draftword');
      // Some engagement on a published video of alice's, so trending and For You have something to list.
      const mine = await get(id, alice.token);
      expect(mine.status).toBe(200);
      expect(mine.body.publication).toBe('draft');
      expect(mine.body.publishAt).toBeUndefined();

      for (const [who, token] of [
        ['bob (follower)', bob.token],
        ['carol', carol.token],
        ['anonymous', undefined],
      ] as const) {
        expect(nowhere(await surfaces(id, 'draftword', token)), who).toEqual([]);
        const direct = await get(id, token);
        expect(direct.status, who).toBe(404);
        expect(direct.body.error.code, who).toBe('video_not_found');
      }
      // Even a followers-only draft says nothing of its author to a stranger.
      await t.app.db.query(`UPDATE videos SET visibility = 'followers' WHERE id = $1`, [id]);
      await t.app.services.videos.countersChanged(id);
      await api('PATCH', `/api/v1/videos/${id}`, { token: alice.token, body: { caption: 'draftword #draftword' } });
      expect((await get(id, carol.token)).body.error.code).toBe('video_not_found');
      expect((await get(id)).body.error.code).toBe('video_not_found');
      expect((await get(id, bob.token)).status).toBe(404);
      await patch(id, { visibility: 'public' }, alice.token);

      // Engagement of others: the same 404 as a missing video.
      for (const [method, path, body] of [
        ['PUT', `/api/v1/videos/${id}/like`, undefined],
        ['GET', `/api/v1/videos/${id}/comments`, undefined],
        ['POST', `/api/v1/videos/${id}/comments`, { text: 'first!' }],
        ['PUT', `/api/v1/videos/${id}/bookmark`, undefined],
        ['POST', `/api/v1/videos/${id}/share`, {}],
      ] as const) {
        const r = await api(method, path, { token: carol.token, body });
        expect(r.status, `${method} ${path}`).toBe(404);
      }
      const viewed = await api('POST', '/api/v1/events', { token: carol.token, body: { events: [{ type: 'play', videoId: id }] } });
      expect(viewed.status).toBeLessThan(300);
      // The owner sees it in their own profile grid and their list, with stats.
      expect((await surfaces(id, 'draftword', alice.token)).profile).toBe(true);
      const own = await api('GET', '/api/v1/me/videos', { token: alice.token });
      expect(own.status).toBe(200);
      const listed = own.body.items.find((v: { id: string }) => v.id === id);
      expect(listed).toMatchObject({ publication: 'draft', creatorStats: { videoId: id, views: 0, likes: 0, comments: 0, shares: 0 } });
      // The profile counts it for nobody else.
      expect((await api('GET', '/api/v1/users/alice', { token: carol.token })).body.videoCount).toBe(
        (await api('GET', '/api/v1/users/alice/videos?limit=50', { token: carol.token })).body.items.length,
      );

      // Published from the owner's list: everyone sees it at once.
      const published = await patch(id, { draft: false }, alice.token);
      expect(published.status).toBe(200);
      expect(published.body.publication).toBeUndefined();
      expect((await get(id, carol.token)).status).toBe(200);
      expect((await get(id)).status).toBe(200);
      const seen = await surfaces(id, 'draftword', bob.token);
      expect(seen).toMatchObject({ direct: true, feed: true, profile: true, search: true, hashtag: true, following: true });
      // Back to draft once published: refused, it stays published.
      const back = await patch(id, { draft: true }, alice.token);
      expect(back.status).toBe(409);
      expect(back.body.error.code).toBe('already_published');
      expect((await patch(id, { publishAt: later(60_000) }, alice.token)).body.error.code).toBe('already_published');
      expect((await get(id, carol.token)).status).toBe(200);
      // Publishing a published video again changes nothing.
      expect((await patch(id, { draft: false }, alice.token)).status).toBe(200);
    });

    it('refuses past, far and contradictory schedules with clear 400s, and others’ edits', async () => {
      const id = await seedDraft('refusedword');
      const past = await patch(id, { publishAt: new Date(Date.now() - 60_000).toISOString() }, alice.token);
      expect(past.status).toBe(400);
      expect(past.body.error.code).toBe('publish_time_invalid');
      expect(past.body.error.message).toMatch(/already passed/);
      const far = await patch(id, { publishAt: later(91 * 86_400_000) }, alice.token);
      expect(far.status).toBe(400);
      expect(far.body.error.code).toBe('publish_time_invalid');
      expect(far.body.error.message).toMatch(/too far/);
      for (const body of [
        { publishAt: 'tomorrow' },
        { publishAt: '2030-01-01T10:00:00' },
        { publishAt: later(60_000), draft: false },
        { draft: 'yes' },
        { publishAt: later(60_000), publishNow: true },
      ]) {
        const r = await patch(id, body, alice.token);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.code).toBe('validation_failed');
      }
      // Nothing changed.
      expect((await get(id, alice.token)).body.publication).toBe('draft');
      // Someone else's draft: as missing as ever, and no stats.
      for (const token of [bob.token, carol.token]) {
        expect((await patch(id, { draft: false }, token)).status).toBe(404);
        const stats = await api('GET', `/api/v1/videos/${id}/stats`, { token });
        expect(stats.status).toBe(404);
        expect(stats.body.error.code).toBe('video_not_found');
      }
      expect((await get(id, carol.token)).status).toBe(404);
      // The upload form refuses the same.
      const create = (body: object) =>
        api('POST', '/api/v1/uploads', { token: alice.token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: 1000, ...body } });
      expect((await create({ publishAt: new Date(Date.now() - 1000).toISOString() })).body.error.code).toBe('publish_time_invalid');
      expect((await create({ publishAt: later(200 * 86_400_000) })).body.error.code).toBe('publish_time_invalid');
      expect((await create({ draft: true, publishAt: later(60_000) })).body.error.code).toBe('validation_failed');
      expect((await create({ coverTimeMs: -1 })).body.error.code).toBe('validation_failed');
    });

    it('publishes a scheduled video at its time everywhere; until then only its owner sees it; reschedule and cancel', async () => {
      const id = await seedDraft('scheduledword');
      // Scheduled far ahead, rescheduled, cancelled back to draft, then scheduled 2 s ahead.
      const ahead = later(3_600_000);
      const s1 = await patch(id, { publishAt: ahead }, alice.token);
      expect(s1.status).toBe(200);
      expect(s1.body).toMatchObject({ publication: 'scheduled', publishAt: new Date(ahead).toISOString() });
      const further = later(7_200_000);
      expect((await patch(id, { publishAt: further }, alice.token)).body.publishAt).toBe(new Date(further).toISOString());
      expect((await patch(id, { draft: true }, alice.token)).body.publication).toBe('draft');

      const soon = later(2_000);
      const scheduled = await patch(id, { publishAt: soon }, alice.token);
      expect(scheduled.body.publication).toBe('scheduled');
      const own = await api('GET', '/api/v1/me/videos', { token: alice.token });
      expect(own.body.items.find((v: { id: string }) => v.id === id)).toMatchObject({ publication: 'scheduled', publishAt: soon });
      // Fetched before its time (these answers may land in caches): nobody else sees it yet.
      if (Date.now() < Date.parse(soon) - 300) {
        const early = await surfaces(id, 'scheduledword', carol.token);
        if (Date.now() < Date.parse(soon)) expect(nowhere(early)).toEqual([]);
        await surfaces(id, 'scheduledword');
        await surfaces(id, 'scheduledword', bob.token);
      }

      // Then it appears: every surface, for the follower, a stranger and anonymous viewers (polled; caches are bounded).
      const want = { direct: true, feed: true, profile: true, search: true, hashtag: true };
      for (const [who, token] of [
        ['bob', bob.token],
        ['carol', carol.token],
        ['anonymous', undefined],
      ] as const) {
        let last: Record<string, boolean> = {};
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          last = await surfaces(id, 'scheduledword', token);
          if (Object.entries(want).every(([k]) => last[k]) && (token !== bob.token || last.following)) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(last, who).toMatchObject(want);
      }
      const after = await get(id, alice.token);
      expect(after.body.publication).toBeUndefined();
      expect(after.body.publishAt).toBeUndefined();
      // Its time has passed: no more rescheduling.
      expect((await patch(id, { publishAt: later(60_000) }, alice.token)).body.error.code).toBe('already_published');
    });

    it('shows the owner views, likes, comments, shares and average watch time; nobody else', async () => {
      const id = await seedVideo(t, alice, { caption: 'statsword', durationMs: 10_000 });
      const blank = await api('GET', `/api/v1/videos/${id}/stats`, { token: alice.token });
      expect(blank.status).toBe(200);
      expect(blank.body).toEqual({
        videoId: id,
        views: 0,
        likes: 0,
        comments: 0,
        shares: 0,
        viewers: 0,
        averageWatchMs: null,
        totalWatchMs: 0,
        durationMs: 10_000,
      });
      expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: bob.token })).status).toBeLessThan(300);
      expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: carol.token })).status).toBeLessThan(300);
      expect((await api('POST', `/api/v1/videos/${id}/comments`, { token: bob.token, body: { text: 'nice' } })).status).toBe(201);
      expect((await api('POST', `/api/v1/videos/${id}/share`, { token: carol.token, body: {} })).status).toBeLessThan(300);
      const events = (watchedMs: number[]) => ({
        events: [{ type: 'play', videoId: id }, ...watchedMs.map((ms) => ({ type: 'progress', videoId: id, watchedMs: ms }))],
      });
      // bob watched 2 s then 6 s of one play; carol 4 s: an average of (6 + 4) / 2 = 5 s over two viewers.
      expect((await api('POST', '/api/v1/events', { token: bob.token, body: events([2000, 6000]) })).status).toBeLessThan(300);
      expect((await api('POST', '/api/v1/events', { token: carol.token, body: events([4000]) })).status).toBeLessThan(300);

      const stats = await api('GET', `/api/v1/videos/${id}/stats`, { token: alice.token });
      expect(stats.body).toEqual({
        videoId: id,
        views: 2,
        likes: 2,
        comments: 1,
        shares: 1,
        viewers: 2,
        averageWatchMs: 5000,
        totalWatchMs: 10_000,
        durationMs: 10_000,
      });
      const own = await api('GET', '/api/v1/me/videos?limit=50', { token: alice.token });
      expect(own.body.items.find((v: { id: string }) => v.id === id).creatorStats).toEqual(stats.body);
      // Others: a visible video's stats are the owner's (403 forbidden); anonymous must sign in.
      const bobs = await api('GET', `/api/v1/videos/${id}/stats`, { token: bob.token });
      expect(bobs.status).toBe(403);
      expect(bobs.body.error.code).toBe('forbidden');
      expect((await api('GET', `/api/v1/videos/${id}/stats`)).status).toBe(401);
      expect((await api('GET', '/api/v1/me/videos')).status).toBe(401);
      // Bob's own list holds none of alice's videos.
      const bobsOwn = await api('GET', '/api/v1/me/videos', { token: bob.token });
      expect(bobsOwn.body.items).toEqual([]);
      for (const bad of ['nope', 'x'.repeat(70), '..%2Fetc']) {
        const r = await api('GET', `/api/v1/videos/${bad}/stats`, { token: alice.token });
        expect([400, 404], bad).toContain(r.status);
      }
      expect((await api('GET', `/api/v1/videos/${'A'.repeat(16)}/stats`, { token: alice.token })).status).toBe(404);
      expect((await api('GET', '/api/v1/me/videos?limit=0', { token: alice.token })).status).toBe(400);
    });

    it('uploads as a draft with a cover chosen up front: processed, the cover cut at that time, still a draft', async () => {
      const clip = join(t.dataDir, 'red-blue-draft.mp4');
      await makeRedBlueClip(clip);
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(clip);
      const created = await api('POST', '/api/v1/uploads', {
        token: alice.token,
        body: { filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length, caption: 'coverword', draft: true, coverTimeMs: 3000 },
      });
      expect(created.status).toBe(201);
      const { videoId, upload } = created.body;
      const put = await fetch(new URL(upload.url, t.baseUrl), { method: upload.method, headers: upload.headers, body: bytes });
      expect(put.ok).toBe(true);
      expect((await api('POST', `/api/v1/uploads/${videoId}/complete`, { token: alice.token, body: {} })).status).toBeLessThan(300);
      const ready = await waitForVideo(
        api,
        videoId,
        alice.token,
        (v) => v.status === 'failed' || (v.status === 'ready' && v.coverTimeMs === 3000),
        180_000,
      );
      expect(ready).toMatchObject({ status: 'ready', publication: 'draft', coverTimeMs: 3000 });
      // The poster is the chosen (blue) second half, and its URL is signed (a draft is never publicly servable).
      expect(ready.playback.poster).toContain('/media/s/');
      const poster = await fetch(ready.playback.poster);
      expect(poster.status).toBe(200);
      expect(isBlue(await averageColour(Buffer.from(await poster.arrayBuffer()), t.dataDir))).toBe(true);
      expect((await get(videoId, carol.token)).status).toBe(404);
      expect((await get(videoId)).status).toBe(404);
      // The plain URL of its media does not answer before it is published.
      const plain = (ready.playback.hls as string).replace(/\/media\/s\/[^/]+\/[^/]+\/[^/]+\//, '/media/');
      expect(plain).not.toBe(ready.playback.hls);
      expect((await fetch(plain)).status).toBe(404);
    }, 240_000);
  });
}
