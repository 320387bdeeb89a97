import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../support/media.js';
import { parallel, seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, waitForVideo, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);

/**
 * The suite runs against whatever app `start` gives: the embedded defaults
 * (PGlite, in-process cache) and PostgreSQL with Redis.
 */
export function socialSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // creator
    let bob: TestUser; // follows alice
    let carol: TestUser; // stranger

    const BAD_CURSOR = 'bm90LWEtY3Vyc29y';

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [alice, bob, carol] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'carol')]);
    });

    afterAll(async () => {
      await t?.close();
    });

    const video = (id: string, tok?: string) => api('GET', `/api/v1/videos/${id}`, { token: tok });

    describe('profiles', () => {
      it('shows a profile with counts, and 404 user_not_found for unknown or impossible names', async () => {
        const r = await api('GET', '/api/v1/users/ALICE');
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({
          id: alice.id,
          username: 'alice',
          displayName: '',
          bio: '',
          avatarUrl: null,
          followerCount: 0,
          followingCount: 0,
          likeCount: 0,
          videoCount: 0,
        });
        expect(r.body.viewer).toBeUndefined();
        expect(new Date(r.body.createdAt).getTime()).toBeGreaterThan(0);
        const signedIn = await api('GET', '/api/v1/users/alice', { token: bob.token });
        expect(signedIn.body.viewer).toEqual({ follows: false, blocking: false });
        // A shared cache may keep the anonymous answer briefly, never a signed-in one.
        expect(r.headers.get('cache-control')).toBe('public, max-age=5');
        expect(signedIn.headers.get('cache-control')).toBe('private, no-store');

        for (const name of ['nobody_here', 'a%20b', 'x', 'a%2F..%2Fb', '%3Cscript%3E', 'a'.repeat(80)]) {
          const missing = await api('GET', `/api/v1/users/${name}`);
          expect(missing.status, name).toBe(404);
          expect(missing.body.error.code).toBe('user_not_found');
        }
      });

      it('edits display name and bio as plain text, with limits', async () => {
        const r = await api('PATCH', '/api/v1/me', {
          token: alice.token,
          body: { displayName: '  Alice\u0007 \u202Eda\nSilva ', bio: '<script>alert(1)</script>\r\nfilms & <b>clips</b>\u0000' },
        });
        expect(r.status).toBe(200);
        expect(r.body.displayName).toBe('Alice da Silva');
        expect(r.body.bio).toBe('<script>alert(1)</script>\nfilms & <b>clips</b>');
        expect((await api('GET', '/api/v1/users/alice')).body.bio).toBe('<script>alert(1)</script>\nfilms & <b>clips</b>');

        for (const body of [{}, { displayName: 'x'.repeat(51) }, { bio: 'x'.repeat(161) }, { username: 'mallory' }, { bio: 5 }]) {
          const bad = await api('PATCH', '/api/v1/me', { token: alice.token, body });
          expect(bad.status, JSON.stringify(body)).toBe(400);
          expect(bad.body.error.code).toBe('validation_failed');
        }
        expect((await api('PATCH', '/api/v1/me', { body: { bio: 'hi' } })).status).toBe(401);
      });

      it('takes an avatar image, resizes it to a 256×256 JPEG and serves it immutably', async () => {
        const png = join(t.dataDir, 'avatar.png');
        await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1', png]);
        const bytes = await readFile(png);
        const put = (body: Buffer, type: string, token: string | null = carol.token) =>
          fetch(`${t.baseUrl}/api/v1/me/avatar`, {
            method: 'PUT',
            headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: new Uint8Array(body),
          });

        const ok = await put(bytes, 'image/png');
        expect(ok.status).toBe(200);
        const profile = await ok.json();
        expect(profile.avatarUrl).toMatch(new RegExp(`/avatars/${carol.id}/[A-Za-z0-9_-]+\\.jpg$`));

        const img = await fetch(profile.avatarUrl);
        expect(img.status).toBe(200);
        expect(img.headers.get('content-type')).toBe('image/jpeg');
        expect(img.headers.get('cache-control')).toBe('public, max-age=31536000, s-maxage=5, immutable');
        const jpeg = Buffer.from(await img.arrayBuffer());
        const file = join(t.dataDir, 'served.jpg');
        await writeFile(file, jpeg);
        const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file]);
        expect(probe.stdout.trim()).toBe('mjpeg,256,256');
        const again = await fetch(profile.avatarUrl, { headers: { 'if-none-match': img.headers.get('etag')! } });
        expect(again.status).toBe(304);

        // A new avatar gets a new URL and the old object goes away.
        const second = await (await put(bytes, 'image/png')).json();
        expect(second.avatarUrl).not.toBe(profile.avatarUrl);
        expect((await fetch(profile.avatarUrl)).status).toBe(404);
        expect((await fetch(second.avatarUrl)).status).toBe(200);

        // Not an image, a lie about the type, a truncated image, JSON, anonymous, too large.
        const text = await put(Buffer.from('<svg onload="alert(1)"></svg>'), 'image/png');
        expect(text.status).toBe(422);
        expect((await text.json()).error.code).toBe('invalid_image');
        const truncated = await put(bytes.subarray(0, 2000), 'image/png');
        expect(truncated.status).toBe(422);
        expect((await truncated.json()).error.code).toBe('invalid_image');
        const json = await put(Buffer.from('{"a":1}'), 'application/json');
        expect(json.status).toBe(415);
        expect((await json.json()).error.code).toBe('unsupported_media_type');
        expect((await put(bytes, 'image/png', null)).status).toBe(401);
        const huge = await put(Buffer.concat([bytes, randomBytes(5 * 1024 * 1024)]), 'image/png');
        expect(huge.status).toBe(413);
        expect((await huge.json()).error.code).toBe('payload_too_large');
        expect((await fetch(`${t.baseUrl}/avatars/${carol.id}%2F..%2F..%2Foriginals%2Fx.jpg`)).status).toBe(404);
        // The failed attempts left the current avatar alone.
        expect((await api('GET', '/api/v1/users/carol')).body.avatarUrl).toBe(second.avatarUrl);
      });
    });

    describe('follow graph', () => {
      it('follows and unfollows idempotently, with exact counts', async () => {
        for (let i = 0; i < 2; i++) {
          const r = await api('PUT', '/api/v1/users/alice/follow', { token: bob.token });
          expect(r.status).toBe(200);
          expect(r.body).toEqual({ following: true, followerCount: 1 });
        }
        const [a, b] = await Promise.all([api('GET', '/api/v1/users/alice', { token: bob.token }), api('GET', '/api/v1/users/bob')]);
        expect(a.body.followerCount).toBe(1);
        expect(a.body.viewer).toEqual({ follows: true, blocking: false });
        expect(b.body.followingCount).toBe(1);

        // Concurrent duplicate follows and mutual follows keep counts exact.
        await parallel(10, () => api('PUT', '/api/v1/users/bob/follow', { token: carol.token }));
        await parallel(2, (i) => api('PUT', `/api/v1/users/${i ? 'carol' : 'bob'}/follow`, { token: i ? bob.token : carol.token }));
        expect((await api('GET', '/api/v1/users/bob')).body.followerCount).toBe(1);
        expect((await api('GET', '/api/v1/users/carol')).body).toMatchObject({ followerCount: 1, followingCount: 1 });

        for (let i = 0; i < 2; i++) {
          const r = await api('DELETE', '/api/v1/users/bob/follow', { token: carol.token });
          expect(r.body).toEqual({ following: false, followerCount: 0 });
        }
        expect((await api('GET', '/api/v1/users/carol')).body.followingCount).toBe(0);
      });

      it('refuses self-follow, unknown users and anonymous follows', async () => {
        const self = await api('PUT', '/api/v1/users/Alice/follow', { token: alice.token });
        expect(self.status).toBe(400);
        expect(self.body.error.code).toBe('cannot_follow_self');
        const ghost = await api('PUT', '/api/v1/users/ghost_user/follow', { token: alice.token });
        expect(ghost.status).toBe(404);
        expect(ghost.body.error.code).toBe('user_not_found');
        expect((await api('PUT', '/api/v1/users/alice/follow')).status).toBe(401);
        expect((await api('GET', '/api/v1/users/ghost_user/followers')).body.error.code).toBe('user_not_found');
      });

      it('lists followers and following with a cursor', async () => {
        const fans = await parallel(3, (i) => signup(api, `fan${i}`));
        for (const f of fans) expect((await api('PUT', '/api/v1/users/carol/follow', { token: f.token })).status).toBe(200);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const r: any = await api('GET', `/api/v1/users/carol/followers?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          expect(r.status).toBe(200);
          seen.push(...r.body.items.map((u: any) => u.username));
          cursor = r.body.nextCursor;
        } while (cursor);
        // Most recent first (bob followed carol in an earlier test).
        expect(seen).toEqual(['fan2', 'fan1', 'fan0', 'bob']);
        const item = (await api('GET', '/api/v1/users/fan0/following')).body.items[0];
        expect(item).toMatchObject({
          id: expect.any(String),
          username: 'carol',
          displayName: '',
          avatarUrl: expect.stringContaining('/avatars/'),
        });
        expect(typeof item.followedAt).toBe('string');

        const bad = await api('GET', `/api/v1/users/carol/followers?cursor=${BAD_CURSOR}`);
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('invalid_cursor');
      });

      it('serves the following feed: ready videos the viewer may see from people they follow, newest first', async () => {
        const dave = await signup(api, 'dave');
        const erin = await signup(api, 'erin');
        const reader = await signup(api, 'reader');
        await api('PUT', '/api/v1/users/dave/follow', { token: reader.token });
        const d1 = await seedVideo(t, dave, { ageMs: 5000 });
        const d2 = await seedVideo(t, dave, { visibility: 'followers', ageMs: 4000 });
        await seedVideo(t, dave, { visibility: 'unlisted', ageMs: 3000 });
        await seedVideo(t, dave, { visibility: 'private', ageMs: 2000 });
        await seedVideo(t, dave, { status: 'processing', ageMs: 1000 });
        await seedVideo(t, erin, {}); // not followed
        const d3 = await seedVideo(t, dave, { ageMs: 0 });

        const first = await api('GET', '/api/v1/feed/following?limit=2', { token: reader.token });
        expect(first.status).toBe(200);
        expect(first.body.items.map((v: any) => v.id)).toEqual([d3, d2]);
        expect(first.body.items[0].viewer).toEqual({ liked: false, bookmarked: false, followsAuthor: true });
        const second = await api('GET', `/api/v1/feed/following?limit=2&cursor=${first.body.nextCursor}`, { token: reader.token });
        expect(second.body.items.map((v: any) => v.id)).toEqual([d1]);
        expect(second.body.nextCursor).toBeNull();

        expect((await api('GET', '/api/v1/feed/following')).status).toBe(401);
        expect((await api('GET', `/api/v1/feed/following?cursor=${BAD_CURSOR}`, { token: reader.token })).body.error.code).toBe(
          'invalid_cursor',
        );
      });
    });

    describe('visibility', () => {
      const ids: Record<string, string> = {};
      beforeAll(async () => {
        // bob follows alice (earlier test); make sure, since tests may run alone.
        await api('PUT', '/api/v1/users/alice/follow', { token: bob.token });
        for (const v of ['public', 'unlisted', 'followers', 'private'] as const) ids[v] = await seedVideo(t, alice, { visibility: v });
        ids.processing = await seedVideo(t, alice, { status: 'processing' });
      });

      it('applies public / unlisted / followers / private to anonymous, owner, follower and stranger', async () => {
        const expected: Record<string, [number, number, number, number]> = {
          //            anonymous owner follower stranger
          public: [200, 200, 200, 200],
          unlisted: [200, 200, 200, 200],
          // Followers-only says so (403 followers_only naming the author) on GET video, so a stranger can follow.
          followers: [403, 200, 200, 403],
          private: [404, 200, 404, 404],
          processing: [404, 200, 404, 404],
        };
        for (const [kind, statuses] of Object.entries(expected)) {
          const got = await Promise.all(
            [undefined, alice.token, bob.token, carol.token].map(async (tok) => (await video(ids[kind]!, tok)).status),
          );
          expect(got, kind).toEqual(statuses);
        }
        const hidden = await video(ids.private!, carol.token);
        expect(hidden.body.error.code).toBe('video_not_found');
        const forFollowers = await video(ids.followers!, carol.token);
        expect(forFollowers.body.error).toMatchObject({ code: 'followers_only', details: { author: { id: alice.id, username: 'alice' } } });
      });

      it('applies the same rule to engagement: hidden videos cannot be liked, commented, bookmarked or shared', async () => {
        for (const id of [ids.private!, ids.followers!]) {
          for (const [method, path] of [
            ['PUT', 'like'],
            ['PUT', 'bookmark'],
            ['POST', 'share'],
            ['GET', 'comments'],
          ] as const) {
            const r = await api(method, `/api/v1/videos/${id}/${path}`, { token: carol.token });
            expect(r.status, path).toBe(404);
            expect(r.body.error.code).toBe('video_not_found');
          }
          const c = await api('POST', `/api/v1/videos/${id}/comments`, { token: carol.token, body: { text: 'hi' } });
          expect(c.status).toBe(404);
        }
        // The follower may.
        expect((await api('PUT', `/api/v1/videos/${ids.followers}/like`, { token: bob.token })).status).toBe(200);
      });

      it("lists a profile's videos: all for the owner, visible and listed ones for others", async () => {
        const list = async (tok?: string) => {
          const r = await api('GET', '/api/v1/users/alice/videos?limit=50', { token: tok });
          expect(r.status).toBe(200);
          return new Set<string>(r.body.items.map((v: any) => v.id));
        };
        const [anon, owner, follower, stranger] = await Promise.all([list(), list(alice.token), list(bob.token), list(carol.token)]);
        for (const id of Object.values(ids)) expect(owner.has(id)).toBe(true);
        expect(anon.has(ids.public!) && !anon.has(ids.unlisted!) && !anon.has(ids.followers!) && !anon.has(ids.private!)).toBe(true);
        expect(follower.has(ids.followers!) && !follower.has(ids.private!) && !follower.has(ids.processing!)).toBe(true);
        expect(stranger.has(ids.followers!)).toBe(false);
        const profile = await api('GET', '/api/v1/users/alice', { token: alice.token });
        expect(profile.body.videoCount).toBe(owner.size);
        expect((await api('GET', '/api/v1/users/alice')).body.videoCount).toBe(anon.size);

        const page1 = await api('GET', '/api/v1/users/alice/videos?limit=1', { token: alice.token });
        const page2 = await api('GET', `/api/v1/users/alice/videos?limit=1&cursor=${page1.body.nextCursor}`, { token: alice.token });
        expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
        expect((await api('GET', `/api/v1/users/alice/videos?cursor=${BAD_CURSOR}`)).body.error.code).toBe('invalid_cursor');
      });

      it('hides a video at once when its owner makes it private (cache invalidated)', async () => {
        const id = await seedVideo(t, alice, {});
        expect((await video(id)).status).toBe(200); // now cached
        const r = await api('PATCH', `/api/v1/videos/${id}`, { token: alice.token, body: { visibility: 'private' } });
        expect(r.status).toBe(200);
        expect(r.body.visibility).toBe('private');
        expect((await video(id)).status).toBe(404);
        expect((await video(id, bob.token)).status).toBe(404);
        await api('PATCH', `/api/v1/videos/${id}`, { token: alice.token, body: { visibility: 'followers' } });
        expect((await video(id, bob.token)).status).toBe(200);
        expect((await video(id, carol.token)).status).toBe(403); // followers_only: carol may follow to see it
      });
    });

    describe('likes', () => {
      let crowd: TestUser[];
      beforeAll(async () => {
        crowd = await parallel(30, (i) => signup(api, `liker${i}`));
      });

      it('counts 30 concurrent likes by 30 users exactly, and 20 concurrent duplicates as one', async () => {
        const id = await seedVideo(t, alice, {});
        const results = await parallel(30, (i) => api('PUT', `/api/v1/videos/${id}/like`, { token: crowd[i]!.token }));
        expect(results.every((r) => r.status === 200 && r.body.liked === true)).toBe(true);
        expect((await video(id)).body.stats).toEqual({ views: 0, likes: 30, comments: 0, shares: 0 });

        const dup = await seedVideo(t, alice, {});
        const dups = await parallel(20, () => api('PUT', `/api/v1/videos/${dup}/like`, { token: bob.token }));
        expect(dups.every((r) => r.status === 200)).toBe(true);
        const seen = await video(dup, bob.token);
        expect(seen.body.stats.likes).toBe(1);
        expect(seen.body.viewer).toEqual({ liked: true, bookmarked: false, followsAuthor: true });
        expect((await video(dup, carol.token)).body.viewer.liked).toBe(false);

        // Concurrent unlikes and relikes end consistent with the rows.
        await parallel(30, (i) => api(i % 2 ? 'DELETE' : 'PUT', `/api/v1/videos/${id}/like`, { token: crowd[i]!.token }));
        const count = await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM video_likes WHERE video_id = $1', [id]);
        expect(count.rows[0]!.n).toBe(15);
        expect((await video(id)).body.stats.likes).toBe(15);
      });

      it('unlikes idempotently, counts likes received on the profile, and 404s for missing videos', async () => {
        const id = await seedVideo(t, carol, {});
        const before = (await api('GET', '/api/v1/users/carol')).body.likeCount;
        expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: bob.token })).body).toEqual({ liked: true, likes: 1 });
        expect((await api('GET', '/api/v1/users/carol')).body.likeCount).toBe(before + 1);
        for (let i = 0; i < 2; i++) {
          expect((await api('DELETE', `/api/v1/videos/${id}/like`, { token: bob.token })).body).toEqual({ liked: false, likes: 0 });
        }
        const missing = await api('PUT', '/api/v1/videos/doesNotExist123/like', { token: bob.token });
        expect(missing.status).toBe(404);
        expect(missing.body.error.code).toBe('video_not_found');
        expect((await api('PUT', '/api/v1/videos/bad!id/like', { token: bob.token })).status).toBe(400);
        expect((await api('PUT', `/api/v1/videos/${id}/like`)).status).toBe(401);
      });
    });

    describe('comments', () => {
      let id: string;
      beforeAll(async () => {
        id = await seedVideo(t, alice, { caption: 'comment on me' });
      });

      const post = (tok: string, body: unknown, vid = id) => api('POST', `/api/v1/videos/${vid}/comments`, { token: tok, body });

      it('posts comments and one level of replies; a reply to a reply joins the thread', async () => {
        const top = await post(bob.token, { text: '  <img src=x onerror=alert(1)> nice\u0000 ' });
        expect(top.status).toBe(201);
        expect(top.body).toMatchObject({
          videoId: id,
          parentId: null,
          text: '<img src=x onerror=alert(1)> nice',
          likeCount: 0,
          replyCount: 0,
          author: { id: bob.id, username: 'bob' },
          viewer: { liked: false },
        });
        const reply = await post(carol.token, { text: 'agreed', parentId: top.body.id });
        expect(reply.status).toBe(201);
        expect(reply.body.parentId).toBe(top.body.id);
        const nested = await post(alice.token, { text: 'thanks both', parentId: reply.body.id });
        expect(nested.status).toBe(201);
        expect(nested.body.parentId).toBe(top.body.id);
        const second = await post(carol.token, { text: 'second' });

        const list = await api('GET', `/api/v1/videos/${id}/comments`);
        expect(list.status).toBe(200);
        expect(list.body.items.map((c: any) => c.id)).toEqual([second.body.id, top.body.id]);
        expect(list.body.items[1].replyCount).toBe(2);
        expect(list.body.items[0].viewer).toBeUndefined();
        const replies = await api('GET', `/api/v1/videos/${id}/comments?parentId=${top.body.id}&limit=1`);
        expect(replies.body.items.map((c: any) => c.text)).toEqual(['agreed']);
        const more = await api('GET', `/api/v1/videos/${id}/comments?parentId=${top.body.id}&cursor=${replies.body.nextCursor}`);
        expect(more.body.items.map((c: any) => c.text)).toEqual(['thanks both']);
        expect((await video(id)).body.stats.comments).toBe(4);
      });

      it('refuses empty, over-long and malformed comments, and unknown parents', async () => {
        for (const body of [
          { text: '' },
          { text: ' \u0007 ' },
          { text: 'x'.repeat(1001) },
          {},
          { text: 'a', extra: 1 },
          { text: 'a', parentId: '!' },
        ]) {
          const r = await post(bob.token, body);
          expect(r.status, JSON.stringify(body).slice(0, 50)).toBe(400);
          expect(r.body.error.code).toBe('validation_failed');
        }
        expect((await post(bob.token, { text: 'x'.repeat(1000) })).status).toBe(201);
        const other = await seedVideo(t, alice, {});
        const foreign = await post(carol.token, { text: 'x' }, other);
        const wrongThread = await post(bob.token, { text: 'hi', parentId: foreign.body.id });
        expect(wrongThread.status).toBe(404);
        expect(wrongThread.body.error.code).toBe('comment_not_found');
        expect((await post('', { text: 'hi' })).status).toBe(401);
        expect((await api('GET', `/api/v1/videos/${id}/comments?cursor=${BAD_CURSOR}`)).body.error.code).toBe('invalid_cursor');
      });

      it('likes comments idempotently', async () => {
        const c = await post(carol.token, { text: 'like me' });
        const url = `/api/v1/videos/${id}/comments/${c.body.id}/like`;
        await parallel(5, () => api('PUT', url, { token: bob.token }));
        expect((await api('PUT', url, { token: alice.token })).body).toEqual({ liked: true, likes: 2 });
        const listed = (await api('GET', `/api/v1/videos/${id}/comments`, { token: bob.token })).body.items.find(
          (x: any) => x.id === c.body.id,
        );
        expect(listed).toMatchObject({ likeCount: 2, viewer: { liked: true } });
        expect((await api('DELETE', url, { token: bob.token })).body).toEqual({ liked: false, likes: 1 });
        expect((await api('DELETE', url, { token: bob.token })).body).toEqual({ liked: false, likes: 1 });
        const missing = await api('PUT', `/api/v1/videos/${id}/comments/noSuchComment1/like`, { token: bob.token });
        expect(missing.status).toBe(404);
        expect(missing.body.error.code).toBe('comment_not_found');
      });

      it('lets authors delete their own comments and the video owner delete any, keeping counts right', async () => {
        const vid = await seedVideo(t, alice, {});
        const top = await post(bob.token, { text: 'thread' }, vid);
        const r1 = await post(carol.token, { text: 'r1', parentId: top.body.id }, vid);
        await post(bob.token, { text: 'r2', parentId: top.body.id }, vid);
        const lone = await post(carol.token, { text: 'lone' }, vid);
        const del = (tok: string, cid: string) => api('DELETE', `/api/v1/videos/${vid}/comments/${cid}`, { token: tok });

        const notYours = await del(bob.token, lone.body.id);
        expect(notYours.status).toBe(403);
        expect(notYours.body.error.code).toBe('forbidden');
        expect((await del(carol.token, r1.body.id)).status).toBe(204);
        expect((await api('GET', `/api/v1/videos/${vid}/comments`)).body.items.find((c: any) => c.id === top.body.id).replyCount).toBe(1);
        // The owner removes a whole thread (the comment and its replies).
        expect((await del(alice.token, top.body.id)).status).toBe(204);
        const gone = await del(alice.token, top.body.id);
        expect(gone.status).toBe(404);
        expect(gone.body.error.code).toBe('comment_not_found');
        expect((await video(vid)).body.stats.comments).toBe(1);
        expect((await api('GET', `/api/v1/videos/${vid}/comments`)).body.items.map((c: any) => c.id)).toEqual([lone.body.id]);
      });

      it('refuses new comments with comments_disabled when the owner turns them off', async () => {
        const vid = await seedVideo(t, alice, {});
        const c = await post(bob.token, { text: 'before' }, vid);
        const off = await api('PATCH', `/api/v1/videos/${vid}`, { token: alice.token, body: { commentsEnabled: false } });
        expect(off.body.commentsEnabled).toBe(false);
        const r = await post(bob.token, { text: 'after' }, vid);
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('comments_disabled');
        expect((await api('PUT', `/api/v1/videos/${vid}/comments/${c.body.id}/like`, { token: carol.token })).body.error.code).toBe(
          'comments_disabled',
        );
        // Existing comments stay readable and deletable.
        expect((await api('GET', `/api/v1/videos/${vid}/comments`)).body.items).toHaveLength(1);
        expect((await api('DELETE', `/api/v1/videos/${vid}/comments/${c.body.id}`, { token: bob.token })).status).toBe(204);
      });
    });

    describe('shares and bookmarks', () => {
      it('counts shares (anonymous too) and returns a link', async () => {
        const id = await seedVideo(t, alice, {});
        const r = await api('POST', `/api/v1/videos/${id}/share`);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ url: `${t.baseUrl}/v/${id}`, shares: 1 });
        await parallel(9, () => api('POST', `/api/v1/videos/${id}/share`, { token: bob.token }));
        expect((await video(id)).body.stats.shares).toBe(10);
      });

      it('bookmarks idempotently and lists what the user may still see', async () => {
        const a = await seedVideo(t, alice, { ageMs: 1000 });
        const b = await seedVideo(t, alice, { visibility: 'unlisted' });
        for (const id of [a, a, b])
          expect((await api('PUT', `/api/v1/videos/${id}/bookmark`, { token: carol.token })).body).toEqual({ bookmarked: true });
        const list = await api('GET', '/api/v1/me/bookmarks?limit=1', { token: carol.token });
        expect(list.body.items.map((v: any) => v.id)).toEqual([b]);
        expect(list.body.items[0].viewer.bookmarked).toBe(true);
        const rest = await api('GET', `/api/v1/me/bookmarks?limit=1&cursor=${list.body.nextCursor}`, { token: carol.token });
        expect(rest.body.items.map((v: any) => v.id)).toEqual([a]);

        await api('PATCH', `/api/v1/videos/${b}`, { token: alice.token, body: { visibility: 'private' } });
        expect((await api('GET', '/api/v1/me/bookmarks', { token: carol.token })).body.items.map((v: any) => v.id)).toEqual([a]);
        for (let i = 0; i < 2; i++) {
          expect((await api('DELETE', `/api/v1/videos/${a}/bookmark`, { token: carol.token })).body).toEqual({ bookmarked: false });
        }
        expect((await api('GET', '/api/v1/me/bookmarks', { token: carol.token })).body.items).toEqual([]);
        expect((await api('GET', '/api/v1/me/bookmarks')).status).toBe(401);
        expect((await api('GET', `/api/v1/me/bookmarks?cursor=${BAD_CURSOR}`, { token: carol.token })).body.error.code).toBe(
          'invalid_cursor',
        );
      });
    });

    describe('playback events and views', () => {
      const send = (events: unknown[], opts: { token?: string; device?: string } = {}) =>
        api('POST', '/api/v1/events', {
          token: opts.token,
          headers: opts.device ? { 'x-device-id': opts.device } : {},
          body: { events },
        });
      const DEVICE = 'device-0123456789abcdef';

      it('validates the batch and the viewer identity', async () => {
        const id = await seedVideo(t, alice, {});
        const ok = { type: 'play', videoId: id };
        const noId = await send([ok]);
        expect(noId.status).toBe(400);
        expect(noId.body.error.code).toBe('device_id_required');
        for (const device of ['short', 'x'.repeat(65), 'has spaces in it!!']) {
          expect((await send([ok], { device })).status).toBe(400);
        }
        const bad: unknown[][] = [
          [],
          Array.from({ length: 501 }, () => ok),
          [{ ...ok, type: 'like' }],
          [{ ...ok, videoId: '../../x' }],
          [{ ...ok, watchedMs: -1 }],
          [{ ...ok, watchedMs: 1.5 }],
          [{ ...ok, at: 'yesterday' }],
          [{ ...ok, extra: true }],
        ];
        for (const events of bad) {
          const r = await send(events, { device: DEVICE });
          expect(r.status, JSON.stringify(events).slice(0, 80)).toBe(400);
          expect(r.body.error.code).toBe('validation_failed');
        }
        // A full batch of the largest documented shape fits the JSON body limit.
        const largest = {
          type: 'impression',
          videoId: id,
          watchedMs: 86_400_000,
          at: '2026-12-03T14:19:45.123+00:00',
          source: 'following',
        };
        const full = await send(
          Array.from({ length: 500 }, () => largest),
          { device: DEVICE },
        );
        expect(full.status, JSON.stringify(full.body)).toBe(200);
        expect(full.body).toEqual({ accepted: 500, dropped: 0, viewsCounted: 0 });
      });

      it('counts a view once per viewer per day after a minimum watch, and stores the events serving reads', async () => {
        const id = await seedVideo(t, alice, { durationMs: 30_000 });
        const at = new Date(Date.now() - 3 * 86_400_000).toISOString(); // clamped to 24 h ago
        const r1 = await send(
          [
            { type: 'impression', videoId: id, at },
            { type: 'play', videoId: id },
            { type: 'progress', videoId: id, watchedMs: 1500 },
          ],
          { device: DEVICE },
        );
        expect(r1.body).toEqual({ accepted: 3, dropped: 0, viewsCounted: 0 });
        expect((await video(id)).body.stats.views).toBe(0);
        const r2 = await send([{ type: 'progress', videoId: id, watchedMs: 2500 }], { device: DEVICE });
        expect(r2.body.viewsCounted).toBe(1);
        const r3 = await send([{ type: 'complete', videoId: id, watchedMs: 30_000 }], { device: DEVICE });
        expect(r3.body.viewsCounted).toBe(0);
        // Another device, and a signed-in viewer, are other viewers.
        expect((await send([{ type: 'complete', videoId: id }], { device: 'another-device-0000000' })).body.viewsCounted).toBe(1);
        expect((await send([{ type: 'skip', videoId: id, watchedMs: 4000 }], { token: bob.token, device: DEVICE })).body.viewsCounted).toBe(
          1,
        );
        expect((await video(id)).body.stats.views).toBe(3);

        const rows = await t.app.db.query<any>(
          'SELECT type, user_id, device_id, watched_ms, client_at, received_at FROM events WHERE video_id = $1 ORDER BY id',
          [id],
        );
        // The bare play adds nothing serving reads (the progress in its batch watched longer): the lake alone keeps it.
        expect(rows.rows.map((e) => e.type)).toEqual(['impression', 'progress', 'progress', 'complete', 'complete', 'skip']);
        const first = rows.rows[0];
        expect(first.device_id).toBe(DEVICE);
        expect(first.user_id).toBeNull();
        const lag = new Date(first.received_at).getTime() - new Date(first.client_at).getTime();
        expect(lag).toBe(86_400_000);
        expect(rows.rows[5].user_id).toBe(bob.id);
        expect(rows.rows[1].watched_ms).toBe(1500);
      });

      it('needs only half of a very short video', async () => {
        const id = await seedVideo(t, alice, { durationMs: 3000 });
        expect((await send([{ type: 'progress', videoId: id, watchedMs: 1500 }], { token: carol.token })).body.viewsCounted).toBe(1);
      });

      it('counts concurrent qualifying batches from one viewer exactly once', async () => {
        const id = await seedVideo(t, alice, {});
        const results = await parallel(20, () => send([{ type: 'complete', videoId: id }], { token: carol.token }));
        expect(results.every((r) => r.status === 200)).toBe(true);
        expect(results.reduce((n, r) => n + r.body.viewsCounted, 0)).toBe(1);
        const viewers = await parallel(10, (i) =>
          send([{ type: 'complete', videoId: id }], { device: `parallel-device-${String(i).padStart(4, '0')}` }),
        );
        expect(viewers.every((r) => r.body.viewsCounted === 1)).toBe(true);
        expect((await video(id)).body.stats.views).toBe(11);
      });

      it('drops events for videos the viewer may not see, keeping the rest of the batch', async () => {
        const open = await seedVideo(t, alice, {});
        const priv = await seedVideo(t, alice, { visibility: 'private' });
        const r = await send(
          [
            { type: 'complete', videoId: open },
            { type: 'complete', videoId: priv },
            { type: 'complete', videoId: 'neverExisted1' },
          ],
          { device: DEVICE },
        );
        expect(r.body).toEqual({ accepted: 1, dropped: 2, viewsCounted: 1 });
        const stored = await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE video_id = ANY($1)', [
          [priv, 'neverExisted1'],
        ]);
        expect(stored.rows[0]!.n).toBe(0);
        // The owner's own events on a private video count.
        expect((await send([{ type: 'complete', videoId: priv }], { token: alice.token })).body.accepted).toBe(1);
      });
    });

    describe('video management', () => {
      it('edits caption (hashtags and mentions linked), visibility and comments; owner only', async () => {
        const id = await seedVideo(t, alice, { caption: 'plain' });
        const r = await api('PATCH', `/api/v1/videos/${id}`, {
          token: alice.token,
          body: { caption: 'Beach day #Sunset #praia with @bob and @nobody_at_all <b>bold</b>\u0007' },
        });
        expect(r.status).toBe(200);
        expect(r.body.caption).toBe('Beach day #Sunset #praia with @bob and @nobody_at_all <b>bold</b>');
        expect(r.body.hashtags).toEqual(['sunset', 'praia']);
        expect(r.body.mentions).toEqual([{ id: bob.id, username: 'bob' }]);
        expect(r.body.stats).toEqual({ views: 0, likes: 0, comments: 0, shares: 0 });
        // Fresh for everyone (the cached row was dropped).
        expect((await video(id)).body.hashtags).toEqual(['sunset', 'praia']);

        const notOwner = await api('PATCH', `/api/v1/videos/${id}`, { token: bob.token, body: { caption: 'mine now' } });
        expect(notOwner.status).toBe(403);
        expect(notOwner.body.error.code).toBe('forbidden');
        expect((await api('DELETE', `/api/v1/videos/${id}`, { token: bob.token })).status).toBe(403);
        expect((await api('PATCH', `/api/v1/videos/${id}`, { body: { caption: 'x' } })).status).toBe(401);
        for (const body of [{}, { caption: 'x'.repeat(2201) }, { visibility: 'secret' }, { commentsEnabled: 'no' }, { status: 'ready' }]) {
          const bad = await api('PATCH', `/api/v1/videos/${id}`, { token: alice.token, body });
          expect(bad.status, JSON.stringify(body).slice(0, 40)).toBe(400);
          expect(bad.body.error.code).toBe('validation_failed');
        }
        const priv = await seedVideo(t, alice, { visibility: 'private' });
        expect((await api('PATCH', `/api/v1/videos/${priv}`, { token: carol.token, body: { caption: 'x' } })).status).toBe(404);
      });

      it('sets hashtags, mentions and visibility at upload, then deletes a processed video with all its objects', async () => {
        const path = join(t.dataDir, 'clip.mp4');
        await makeClip(path, { seconds: 2 });
        const bytes = await readFile(path);
        const created = await api('POST', '/api/v1/uploads', {
          token: alice.token,
          body: {
            filename: 'clip.mp4',
            contentType: 'video/mp4',
            size: bytes.length,
            caption: 'real one #Real @carol',
            visibility: 'followers',
          },
        });
        expect(created.status).toBe(201);
        const id = created.body.videoId;
        const put = await fetch(created.body.upload.url, {
          method: 'PUT',
          headers: created.body.upload.headers,
          body: new Uint8Array(bytes),
        });
        expect(put.status).toBe(200);
        const ready = await waitForVideo(api, id, alice.token, (v) => v.status === 'ready');
        expect(ready).toMatchObject({ visibility: 'followers', hashtags: ['real'], mentions: [{ id: carol.id, username: 'carol' }] });
        expect((await video(id)).status).toBe(403); // followers_only
        expect((await video(id, bob.token)).status).toBe(200);

        // Engagement on it, then delete.
        await api('PUT', `/api/v1/videos/${id}/like`, { token: bob.token });
        await api('POST', `/api/v1/videos/${id}/comments`, { token: bob.token, body: { text: 'wow' } });
        expect((await t.app.store.list(`media/${id}/`)).length).toBeGreaterThan(3);
        expect(await t.app.store.head(`originals/${id}`)).not.toBeNull();

        const del = await api('DELETE', `/api/v1/videos/${id}`, { token: alice.token });
        expect(del.status).toBe(204);
        expect(await t.app.store.list(`media/${id}/`)).toEqual([]);
        expect(await t.app.store.head(`originals/${id}`)).toBeNull();
        expect((await fetch(ready.playback.mp4)).status).toBe(404);
        for (const tok of [alice.token, bob.token]) expect((await video(id, tok)).status).toBe(404);
        const like = await api('PUT', `/api/v1/videos/${id}/like`, { token: bob.token });
        expect(like.status).toBe(404);
        expect(like.body.error.code).toBe('video_not_found');
        expect((await api('DELETE', `/api/v1/videos/${id}`, { token: alice.token })).status).toBe(404);
        const left = await t.app.db.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM video_likes WHERE video_id = $1) + (SELECT count(*) FROM comments WHERE video_id = $1)
                + (SELECT count(*) FROM video_hashtags WHERE video_id = $1) AS n`,
          [id],
        );
        expect(Number(left.rows[0]!.n)).toBe(0);
      });
    });
  });
}
