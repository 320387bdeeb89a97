import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parallel, seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * The suite runs against whatever app `start` gives: the embedded defaults
 * (PGlite, in-process cache) and PostgreSQL with Redis.
 */
export function discoverySuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let maker: TestUser;
    let fans: TestUser[];

    const BAD_CURSOR = 'bm90LWEtY3Vyc29y';

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      maker = await signup(api, 'maker');
      fans = await parallel(3, (i) => signup(api, `watcher${i}`));
    });

    afterAll(async () => {
      await t?.close();
    });

    const ids = (r: { body: { items: Array<{ id: string }> } }) => r.body.items.map((v) => v.id);

    describe('search', () => {
      let strong: string;
      let weak: string;
      let hidden: string[];

      beforeAll(async () => {
        strong = await seedVideo(t, maker, { caption: 'Sunset, sunset and more sunset over the beach #sunset' });
        weak = await seedVideo(t, maker, { caption: 'A long walk by the lake that ended with a sunset' });
        hidden = [
          await seedVideo(t, maker, { caption: 'sunset sunset sunset sunset #sunset', visibility: 'unlisted' }),
          await seedVideo(t, maker, { caption: 'sunset sunset sunset sunset #sunset', visibility: 'private' }),
          await seedVideo(t, maker, { caption: 'sunset sunset sunset sunset #sunset', visibility: 'followers' }),
          await seedVideo(t, maker, { caption: 'sunset sunset sunset sunset #sunset', status: 'processing' }),
        ];
        await seedVideo(t, maker, { caption: 'Early #sunrise at the golden hour' });
        await seedVideo(t, maker, { caption: 'hour of gold, not golden' });
      });

      it('ranks a strong caption match above a weaker one and never shows unlisted, private or unpublished videos', async () => {
        const r = await api('GET', '/api/v1/search?q=sunset');
        expect(r.status).toBe(200);
        expect(r.body.query).toBe('sunset');
        expect(r.body.videos.map((v: any) => v.id)).toEqual([strong, weak]);
        for (const id of hidden) expect(r.body.videos.map((v: any) => v.id)).not.toContain(id);
        expect(r.body.videos[0].stats).toEqual({ views: 0, likes: 0, comments: 0, shares: 0 });
        // For the owner too: search is a discovery surface.
        const own = await api('GET', '/api/v1/search?q=sunset', { token: maker.token });
        expect(own.body.videos.map((v: any) => v.id)).toEqual([strong, weak]);
      });

      it('understands web-search syntax: phrases, exclusions, hashtags', async () => {
        const phrase = await api('GET', `/api/v1/search?q=${encodeURIComponent('"golden hour"')}`);
        expect(phrase.body.videos.map((v: any) => v.caption)).toEqual(['Early #sunrise at the golden hour']);
        const minus = await api('GET', `/api/v1/search?q=${encodeURIComponent('sunset -lake')}`);
        expect(minus.body.videos.map((v: any) => v.id)).toEqual([strong]);
        const tag = await api('GET', `/api/v1/search?q=${encodeURIComponent('#sunrise')}`);
        expect(tag.body.videos).toHaveLength(1);
        expect(tag.body.hashtags).toEqual([{ tag: 'sunrise', videos: 1 }]);
        const prefix = await api('GET', '/api/v1/search?q=sun');
        // Only discoverable videos count; the exact tag would come first.
        expect(prefix.body.hashtags).toEqual([
          { tag: 'sunrise', videos: 1 },
          { tag: 'sunset', videos: 1 },
        ]);
        // Nothing to search for is not an error.
        const punctuation = await api('GET', `/api/v1/search?q=${encodeURIComponent('!!! ???')}`);
        expect(punctuation.status).toBe(200);
        expect(punctuation.body).toMatchObject({ users: [], videos: [], hashtags: [] });
      });

      it('finds people by username prefix and by display name, the exact username first', async () => {
        const sunny = await signup(api, 'sunny_days');
        const exact = await signup(api, 'sun');
        await api('PATCH', '/api/v1/me', { token: sunny.token, body: { displayName: 'Praia Lover' } });
        const bySun = await api('GET', '/api/v1/search?q=sun');
        expect(bySun.body.users.map((u: any) => u.username)).toEqual(['sun', 'sunny_days']);
        expect(bySun.body.users[0]).toEqual({ id: exact.id, username: 'sun', displayName: '', avatarUrl: null });
        const byName = await api('GET', '/api/v1/search?q=lover');
        expect(byName.body.users.map((u: any) => u.username)).toEqual(['sunny_days']);
        const at = await api('GET', '/api/v1/search?q=%40sunny');
        expect(at.body.users.map((u: any) => u.username)).toEqual(['sunny_days']);
        const wildcard = await api('GET', '/api/v1/search?q=%25');
        expect(wildcard.body.users).toEqual([]);
      });

      it('refuses a missing, empty or over-long query', async () => {
        for (const qs of ['', '?q=', '?q=%20%20', `?q=${'x'.repeat(101)}`, '?q=ok&limit=500']) {
          const r = await api('GET', `/api/v1/search${qs}`);
          expect(r.status, qs).toBe(400);
          expect(r.body.error.code).toBe('validation_failed');
        }
      });
    });

    describe('hashtags', () => {
      it('lists discoverable videos with a tag, newest first, case-insensitively', async () => {
        const older = await seedVideo(t, maker, { caption: 'dia de #Praia', ageMs: 2000 });
        const newer = await seedVideo(t, maker, { caption: '#praia again #verão', ageMs: 1000 });
        await seedVideo(t, maker, { caption: 'secret #praia', visibility: 'unlisted' });
        await seedVideo(t, maker, { caption: 'not a tag: praia' });
        const first = await api('GET', '/api/v1/hashtags/PRAIA/videos?limit=1');
        expect(first.status).toBe(200);
        expect(first.body.tag).toBe('praia');
        expect(ids(first)).toEqual([newer]);
        expect(first.body.items[0].hashtags).toEqual(['praia', 'verão']);
        const second = await api('GET', `/api/v1/hashtags/%23praia/videos?limit=1&cursor=${first.body.nextCursor}`);
        expect(ids(second)).toEqual([older]);
        expect(second.body.nextCursor).toBeNull();
        expect(ids(await api('GET', `/api/v1/hashtags/${encodeURIComponent('Verão')}/videos`))).toEqual([newer]);
        expect((await api('GET', '/api/v1/hashtags/nobodyusesthis/videos')).body).toEqual({
          tag: 'nobodyusesthis',
          items: [],
          nextCursor: null,
        });
      });

      it('refuses malformed tags and cursors', async () => {
        const bad = await api('GET', '/api/v1/hashtags/not%20a%20tag/videos');
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('validation_failed');
        const cursor = await api('GET', `/api/v1/hashtags/praia/videos?cursor=${BAD_CURSOR}`);
        expect(cursor.status).toBe(400);
        expect(cursor.body.error.code).toBe('invalid_cursor');
      });
    });

    describe('trending', () => {
      it('ranks discoverable videos by weighted engagement inside the window', async () => {
        const liked = await seedVideo(t, maker, { caption: 'liked' }); // 3 likes = 12
        const talked = await seedVideo(t, maker, { caption: 'talked' }); // 2 comments + 1 share = 20
        const watched = await seedVideo(t, maker, { caption: 'watched' }); // 5 anonymous views, all from 127.0.0.1 = 1
        const old = await seedVideo(t, maker, { caption: 'old news' }); // 10 likes, 4 days ago
        const unlisted = await seedVideo(t, maker, { caption: 'unlisted', visibility: 'unlisted' });
        await seedVideo(t, maker, { caption: 'quiet' });

        for (const f of fans) {
          expect((await api('PUT', `/api/v1/videos/${liked}/like`, { token: f.token })).status).toBe(200);
          expect((await api('PUT', `/api/v1/videos/${unlisted}/like`, { token: f.token })).status).toBe(200);
        }
        for (const f of fans.slice(0, 2)) {
          expect((await api('POST', `/api/v1/videos/${talked}/comments`, { token: f.token, body: { text: 'wow' } })).status).toBe(201);
        }
        expect((await api('POST', `/api/v1/videos/${talked}/share`)).status).toBe(200);
        for (let i = 0; i < 5; i++) {
          const r = await api('POST', '/api/v1/events', {
            headers: { 'x-device-id': `trending-device-${i}-abcdef` },
            body: { events: [{ type: 'complete', videoId: watched }] },
          });
          expect(r.body.viewsCounted).toBe(1);
        }
        await t.app.db.query(
          `INSERT INTO video_likes (video_id, user_id, created_at)
           SELECT $1, id, now() - interval '4 days' FROM users`,
          [old],
        );

        const first = await api('GET', '/api/v1/feed/trending?limit=2');
        expect(first.status).toBe(200);
        expect(ids(first)).toEqual([talked, liked]);
        expect(first.body.items[0].stats).toMatchObject({ comments: 2, shares: 1 });
        const second = await api('GET', `/api/v1/feed/trending?limit=2&cursor=${first.body.nextCursor}`);
        expect(ids(second)).toEqual([watched]);
        expect(second.body.nextCursor).toBeNull();

        const bad = await api('GET', `/api/v1/feed/trending?cursor=${BAD_CURSOR}`);
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('invalid_cursor');
      });
    });
  });
}
