import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * The viewer's pages' API (issue 13): another user's liked videos (private by
 * default, a privacy setting, blocks and each video's visibility), follow
 * lists with the viewer's own follow state, search suggestions while typing,
 * and what search shows before typing (trending hashtags and creators).
 * Runs on the embedded defaults and on PostgreSQL with Redis.
 */
export function viewerPagesSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let ana: TestUser; // likes things
    let ben: TestUser; // creator
    let cat: TestUser; // another viewer
    let dan: TestUser; // creator cat blocks
    let eve: TestUser; // blocked by ana

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [ana, ben, cat, dan, eve] = await Promise.all([
        signup(api, 'ana'),
        signup(api, 'ben'),
        signup(api, 'cat'),
        signup(api, 'dan'),
        signup(api, 'eve'),
      ]);
    });

    afterAll(async () => {
      await t?.close();
    });

    const ids = (r: { body: { items: Array<{ id: string }> } }) => r.body.items.map((v) => v.id);
    const liked = (username: string, token?: string, query = '') => api('GET', `/api/v1/users/${username}/liked${query}`, { token });

    describe('liked videos', () => {
      let vPub: string;
      let vFol: string;
      let vPriv: string;
      let vUnl: string;
      let vDown: string;
      let vDan: string;
      let vOwn: string;

      beforeAll(async () => {
        [vPub, vFol, vPriv, vUnl, vDown] = await Promise.all([
          seedVideo(t, ben, { caption: 'public #sunset' }),
          seedVideo(t, ben, { caption: 'soon for followers' }),
          seedVideo(t, ben, { caption: 'soon private' }),
          seedVideo(t, ben, { caption: 'soon unlisted' }),
          seedVideo(t, ben, { caption: 'soon taken down' }),
        ]);
        vDan = await seedVideo(t, dan, { caption: 'dan public' });
        vOwn = await seedVideo(t, ana, { caption: 'ana own', visibility: 'private' });
        expect((await api('PUT', '/api/v1/users/ben/follow', { token: ana.token })).status).toBe(200);
        // One at a time, so "most recently liked first" has one answer.
        for (const id of [vPub, vFol, vPriv, vUnl, vDown, vDan, vOwn]) {
          expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: ana.token })).status).toBe(200);
          await new Promise((r) => setTimeout(r, 5));
        }
        for (const [id, visibility] of [
          [vFol, 'followers'],
          [vPriv, 'private'],
          [vUnl, 'unlisted'],
        ] as const) {
          expect((await api('PATCH', `/api/v1/videos/${id}`, { token: ben.token, body: { visibility } })).status).toBe(200);
        }
        await t.app.db.query(`UPDATE videos SET taken_down_at = now(), takedown_reason = 'spam' WHERE id = $1`, [vDown]);
        expect((await api('PUT', '/api/v1/users/eve/block', { token: ana.token })).status).toBe(200);
        expect((await api('PUT', '/api/v1/users/dan/block', { token: cat.token })).status).toBe(200);
      });

      it('are private by default: only their owner sees them, everyone else gets 403 liked_videos_private', async () => {
        const profile = await api('GET', '/api/v1/users/ana');
        expect(profile.body.likedVideosPublic).toBe(false);
        expect((await api('GET', '/api/v1/me/privacy', { token: ana.token })).body).toEqual({ likedVideosPublic: false });

        for (const token of [undefined, cat.token, ben.token]) {
          const r = await liked('ana', token);
          expect(r.status).toBe(403);
          expect(r.body.error.code).toBe('liked_videos_private');
          expect(JSON.stringify(r.body)).not.toContain(vPub);
        }
        // Across a block it is as if the user did not exist.
        const blocked = await liked('ana', eve.token);
        expect(blocked.status).toBe(404);
        expect(blocked.body.error.code).toBe('user_not_found');

        // The owner: newest like first, only what she may still see (her own private video included, the
        // unlisted one she has the link to, the followers-only one of someone she follows), never the
        // private or taken-down ones.
        const own = await liked('ANA', ana.token);
        expect(own.status).toBe(200);
        expect(ids(own)).toEqual([vOwn, vDan, vUnl, vFol, vPub]);
        expect(own.body.items[0].viewer).toMatchObject({ liked: true });
        expect(own.headers.get('cache-control')).toBe('private, no-store');
      });

      it('once made public, others see what they would see on each author’s profile', async () => {
        for (const body of [{}, { likedVideosPublic: 'yes' }, { likedVideosPublic: true, bio: 'x' }, { liked_videos_public: true }]) {
          const bad = await api('PATCH', '/api/v1/me/privacy', { token: ana.token, body });
          expect(bad.status, JSON.stringify(body)).toBe(400);
          expect(bad.body.error.code).toBe('validation_failed');
        }
        expect((await api('PATCH', '/api/v1/me/privacy', { body: { likedVideosPublic: true } })).status).toBe(401);
        expect((await api('GET', '/api/v1/me/privacy')).status).toBe(401);

        const on = await api('PATCH', '/api/v1/me/privacy', { token: ana.token, body: { likedVideosPublic: true } });
        expect(on.status).toBe(200);
        expect(on.body).toEqual({ likedVideosPublic: true });
        expect((await api('GET', '/api/v1/users/ana', { token: cat.token })).body.likedVideosPublic).toBe(true);
        // Another user's setting is untouched.
        expect((await api('GET', '/api/v1/users/ben')).body.likedVideosPublic).toBe(false);

        // Anonymous: public videos only (no followers-only, unlisted, private, taken down, nor ana's own private one).
        expect(ids(await liked('ana'))).toEqual([vDan, vPub]);
        // ben, their author, also sees his own followers-only and unlisted videos there, but not his private one
        // (ana can't see it any more) nor the one taken down.
        expect(ids(await liked('ana', ben.token))).toEqual([vDan, vUnl, vFol, vPub]);
        // cat blocked dan: dan's video is not in cat's view of the list; following ben adds his followers-only video.
        expect(ids(await liked('ana', cat.token))).toEqual([vPub]);
        expect((await api('PUT', '/api/v1/users/ben/follow', { token: cat.token })).status).toBe(200);
        expect(ids(await liked('ana', cat.token))).toEqual([vFol, vPub]);
        // Still nothing across ana's block.
        expect((await liked('ana', eve.token)).status).toBe(404);
      });

      it('pages through with signed cursors and refuses bad input', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const r = await liked('ana', ana.token, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(r.status).toBe(200);
          expect(r.body.items.length).toBeLessThanOrEqual(2);
          seen.push(...ids(r));
          cursor = r.body.nextCursor;
        } while (cursor);
        expect(seen).toEqual([vOwn, vDan, vUnl, vFol, vPub]);

        const forged = await liked('ana', ana.token, '?cursor=bm90LWEtY3Vyc29y');
        expect(forged.status).toBe(400);
        expect(forged.body.error.code).toBe('invalid_cursor');
        expect((await liked('ana', ana.token, '?limit=0')).status).toBe(400);
        expect((await liked('ana', ana.token, '?limit=1000')).status).toBe(400);
        for (const bad of ['nobody_here', 'a%25', '%3Cscript%3E', 'x'.repeat(80)]) {
          const r = await liked(bad);
          expect(r.status, bad).toBe(404);
          expect(r.body.error.code).toBe('user_not_found');
        }
      });

      it('go private again at once', async () => {
        expect((await api('PATCH', '/api/v1/me/privacy', { token: ana.token, body: { likedVideosPublic: false } })).status).toBe(200);
        const r = await liked('ana');
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('liked_videos_private');
        expect((await liked('ana', ana.token)).status).toBe(200);
      });
    });

    describe('follow lists', () => {
      it("say, to a signed-in viewer, whom of the listed they follow; anonymous lists don't", async () => {
        // ana and cat follow ben (above); cat follows ana now.
        expect((await api('PUT', '/api/v1/users/ana/follow', { token: cat.token })).status).toBe(200);
        const asCat = await api('GET', '/api/v1/users/ben/followers', { token: cat.token });
        expect(asCat.status).toBe(200);
        const byName = Object.fromEntries(asCat.body.items.map((u: { username: string; viewer?: unknown }) => [u.username, u.viewer]));
        expect(byName).toEqual({ ana: { follows: true }, cat: { follows: false } });
        const anon = await api('GET', '/api/v1/users/ben/followers');
        expect(anon.body.items.map((u: { viewer?: unknown }) => u.viewer)).toEqual([undefined, undefined]);
        const following = await api('GET', '/api/v1/users/cat/following', { token: ana.token });
        expect(following.body.items.map((u: { username: string }) => u.username).sort()).toEqual(['ana', 'ben']);
        expect(following.body.items.find((u: { username: string }) => u.username === 'ben').viewer).toEqual({ follows: true });
      });
    });

    describe('search suggestions', () => {
      beforeAll(async () => {
        const [sugar, plum] = await Promise.all([signup(api, 'sugar_x'), signup(api, 'sugarplum'), signup(api, 'xsugar')]);
        await api('PATCH', '/api/v1/me', { token: plum.token, body: { displayName: 'Maria Sunshine' } });
        await Promise.all([
          seedVideo(t, sugar, { caption: '#sugarrush and #sugar_free' }),
          seedVideo(t, plum, { caption: '#sugarrush again' }),
          seedVideo(t, plum, { caption: 'hidden #sugarsecret', visibility: 'private' }),
        ]);
      });
      const suggest = (q: string, token?: string, extra = '') =>
        api('GET', `/api/v1/search/suggest?q=${encodeURIComponent(q)}${extra}`, { token });

      it('suggests people by username or name prefix and hashtags by prefix', async () => {
        const r = await suggest('Sugar');
        expect(r.status).toBe(200);
        expect(r.body.query).toBe('Sugar');
        expect(r.body.users.map((u: { username: string }) => u.username).sort()).toEqual(['sugar_x', 'sugarplum']);
        // The most used first; a private video's tag is never suggested.
        expect(r.body.hashtags).toEqual([
          { tag: 'sugarrush', videos: 2 },
          { tag: 'sugar_free', videos: 1 },
        ]);
        expect(r.headers.get('cache-control')).toBe('public, max-age=5');

        // A word of a display name.
        expect((await suggest('sunsh')).body.users.map((u: { username: string }) => u.username)).toEqual(['sugarplum']);
        // "@" asks for people only, "#" for hashtags only.
        const people = await suggest('@sugarp');
        expect(people.body.users.map((u: { username: string }) => u.username)).toEqual(['sugarplum']);
        expect(people.body.hashtags).toEqual([]);
        const tags = await suggest('#SUGARR');
        expect(tags.body.users).toEqual([]);
        expect(tags.body.hashtags).toEqual([{ tag: 'sugarrush', videos: 2 }]);
        expect((await suggest('sugar', undefined, '&limit=1')).body.users).toHaveLength(1);
      });

      it('takes the text as a prefix, never a pattern, and refuses empty or very long text', async () => {
        for (const q of ['%', '_', '%sugar', '\\', "'", '"', '*', '%%%']) {
          const r = await suggest(q);
          expect(r.status, q).toBe(200);
          expect(r.body.users, q).toEqual([]);
          expect(r.body.hashtags, q).toEqual([]);
        }
        // "_" matches only itself: sugar_x and #sugar_free, not sugarplum or #sugarrush.
        const underscore = await suggest('sugar_');
        expect(underscore.body.users.map((u: { username: string }) => u.username)).toEqual(['sugar_x']);
        expect(underscore.body.hashtags).toEqual([{ tag: 'sugar_free', videos: 1 }]);

        // Control characters go (NUL would make the database refuse the query): what is left is the text.
        const nul = await suggest('sug\u0000ar\u202E_');
        expect(nul.status).toBe(200);
        expect(nul.body.query).toBe('sugar_');
        expect(nul.body.users.map((u: { username: string }) => u.username)).toEqual(['sugar_x']);

        // The full search takes the same care.
        const search = await api('GET', `/api/v1/search?q=${encodeURIComponent('sug\u0000ar_x')}`);
        expect(search.status).toBe(200);
        expect(search.body.query).toBe('sugar_x');
        expect(search.body.users.map((u: { username: string }) => u.username)).toEqual(['sugar_x']);
        expect((await api('GET', `/api/v1/search?q=${encodeURIComponent('\u0000')}`)).status).toBe(400);

        for (const q of ['', '   ', '\u0000', '\u202E\u0007', 'a'.repeat(101)]) {
          const r = await suggest(q);
          expect(r.status, JSON.stringify(q)).toBe(400);
          expect(r.body.error.code).toBe('validation_failed');
        }
        expect((await api('GET', '/api/v1/search/suggest')).status).toBe(400);
        expect((await suggest('sugar', undefined, '&limit=11')).status).toBe(400);
        expect((await suggest('sugar', undefined, '&limit=abc')).status).toBe(400);
      });

      it('leaves out people in a block with the viewer', async () => {
        const r = await suggest('e', ana.token);
        expect(r.body.users.map((u: { username: string }) => u.username)).not.toContain('eve');
        expect((await suggest('e', cat.token)).body.users.map((u: { username: string }) => u.username)).toContain('eve');
        expect((await suggest('da', cat.token)).body.users).toEqual([]);
        expect((await suggest('da')).body.users.map((u: { username: string }) => u.username)).toEqual(['dan']);
      });
    });

    describe('trending hashtags and creators', () => {
      it('ranks by recent engagement, then use; never a private video’s tag; minus blocks and oneself', async () => {
        // ana's likes (above) on ben's #sunset video and on dan's video are the only engagement.
        const r = await api('GET', '/api/v1/search/trending');
        expect(r.status).toBe(200);
        const tags = r.body.hashtags.map((h: { tag: string }) => h.tag);
        expect(tags).toContain('sunset');
        expect(tags).toContain('sugarrush');
        expect(tags).not.toContain('sugarsecret');
        expect(r.body.hashtags.find((h: { tag: string }) => h.tag === 'sugarrush')).toEqual({ tag: 'sugarrush', videos: 2 });
        const creators = r.body.creators.map((c: { username: string }) => c.username);
        // ben and dan drew likes lately; the others have public videos but none; ana's only video is private; cat and eve have none.
        expect(creators.slice(0, 2).sort()).toEqual(['ben', 'dan']);
        expect(creators).toEqual(expect.arrayContaining(['sugar_x', 'sugarplum']));
        for (const none of ['ana', 'cat', 'eve', 'xsugar']) expect(creators).not.toContain(none);
        expect(r.body.creators.find((c: { username: string }) => c.username === 'ben')).toMatchObject({
          followerCount: 2,
          avatarUrl: null,
          displayName: '',
        });

        // cat blocked dan; ben does not see himself.
        const asCat = await api('GET', '/api/v1/search/trending', { token: cat.token });
        expect(asCat.body.creators.map((c: { username: string }) => c.username)).not.toContain('dan');
        const asBen = await api('GET', '/api/v1/search/trending', { token: ben.token });
        expect(asBen.body.creators.map((c: { username: string }) => c.username)).not.toContain('ben');
        expect(asBen.body.creators.map((c: { username: string }) => c.username)).toContain('dan');

        expect((await api('GET', '/api/v1/search/trending?limit=1')).body.hashtags).toHaveLength(1);
        expect((await api('GET', '/api/v1/search/trending?limit=21')).status).toBe(400);
      });
    });
  });
}
