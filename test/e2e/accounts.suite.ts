import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/modules/accounts/accounts.service.js';
import { DataExport, EXPORT_JSON_NAME } from '../../src/modules/accounts/data-export.js';
import { PlaybackHistory } from '../../src/modules/lake/playback-history.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';
import { readZip } from '../support/zip.js';

const PASSWORD = 'correct horse battery';

/** Low per-user limits for the two new actions, so the suite can reach them (every other user stays well under). */
export const ACCOUNTS_SUITE_ENV: Record<string, string> = {
  RATE_LIMIT_ACCOUNT_PER_USER: '4/1h',
  RATE_LIMIT_EXPORT_PER_USER: '3/1h',
};

/**
 * Account security end to end: password change, logging out everywhere,
 * session pruning, account deletion, the data export, and the two block
 * rules of profiles (follow lists, like counts). Runs against whatever app
 * `start` gives: the embedded defaults and PostgreSQL with Redis.
 */
export function accountsSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
    });

    afterAll(async () => {
      await t?.close();
    });

    const login = async (username: string, password = PASSWORD) => api('POST', '/api/v1/auth/login', { body: { username, password } });
    const me = async (token: string) => (await api('GET', '/api/v1/me', { token })).status;
    const count = async (sql: string, params: unknown[]) => (await t.app.db.query<{ n: number }>(sql, params)).rows[0]!.n;

    describe('sessions', () => {
      it('changes the password with the current one, ending every other session but keeping this one', async () => {
        const pat = await signup(api, 'pat');
        const second = (await login('pat')).body.token as string;
        const third = (await login('pat')).body.token as string;
        const change = (token: string | undefined, body: unknown) => api('POST', '/api/v1/me/password', { token, body });

        const wrong = await change(pat.token, { currentPassword: 'not my password', newPassword: 'a brand new secret' });
        expect(wrong.status).toBe(403);
        expect(wrong.body.error.code).toBe('wrong_password');
        for (const body of [
          { currentPassword: PASSWORD, newPassword: 'short' },
          { currentPassword: PASSWORD, newPassword: 'x'.repeat(257) },
          { currentPassword: PASSWORD },
          { currentPassword: PASSWORD, newPassword: 'a brand new secret', username: 'mallory' },
        ]) {
          const bad = await change(pat.token, body);
          expect(bad.status, JSON.stringify(body)).toBe(400);
          expect(bad.body.error.code).toBe('validation_failed');
        }
        expect((await change(undefined, { currentPassword: PASSWORD, newPassword: 'a brand new secret' })).status).toBe(401);
        // Nothing changed so far: every session still works, the old password still signs in.
        expect([await me(pat.token), await me(second), await me(third)]).toEqual([200, 200, 200]);

        expect((await change(second, { currentPassword: PASSWORD, newPassword: 'a brand new secret' })).status).toBe(204);
        expect([await me(pat.token), await me(second), await me(third)]).toEqual([401, 200, 401]);
        expect((await login('pat')).status).toBe(401);
        expect((await login('pat', 'a brand new secret')).status).toBe(200);
      });

      it("logs out everywhere: every session of the account ends, the caller's included, and nobody else's", async () => {
        const lou = await signup(api, 'lou');
        const other = await signup(api, 'lou_neighbour');
        const second = (await login('lou')).body.token as string;
        expect((await api('POST', '/api/v1/auth/logout-all')).status).toBe(401);
        expect((await api('POST', '/api/v1/auth/logout-all', { token: second })).status).toBe(204);
        expect([await me(lou.token), await me(second), await me(other.token)]).toEqual([401, 401, 200]);
        expect((await login('lou')).status).toBe(200);
      });

      it('prunes expired and revoked sessions when someone signs in', async () => {
        const sam = await signup(api, 'sam');
        const expired = (await login('sam')).body.token as string;
        const revoked = (await login('sam')).body.token as string;
        expect((await api('POST', '/api/v1/auth/logout', { token: revoked })).status).toBe(204);
        await t.app.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hashToken(expired)]);
        expect(await me(expired)).toBe(401);
        const before = await count('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [sam.id]);
        expect(before).toBe(3);

        await signup(api, 'sam_friend'); // anyone's sign-in prunes
        const left = await t.app.db.query<{ live: boolean }>(
          'SELECT (revoked_at IS NULL AND expires_at > now()) AS live FROM sessions WHERE user_id = $1',
          [sam.id],
        );
        expect(left.rows).toEqual([{ live: true }]);
        expect(await me(sam.token)).toBe(200);
        expect(await count('SELECT count(*)::int AS n FROM sessions WHERE expires_at <= now() OR revoked_at IS NOT NULL', [])).toBe(0);
      });

      it('rate-limits password checks and exports per user', async () => {
        const rita = await signup(api, 'rita');
        for (let i = 0; i < 4; i++) {
          const r = await api('POST', '/api/v1/me/password', {
            token: rita.token,
            body: { currentPassword: `guess ${i}`, newPassword: 'whatever it is' },
          });
          expect(r.status).toBe(403);
        }
        const limited = await api('DELETE', '/api/v1/me', { token: rita.token, body: { password: PASSWORD } });
        expect(limited.status).toBe(429);
        expect(limited.body.error.code).toBe('rate_limited');
        expect(await me(rita.token)).toBe(200);

        for (let i = 0; i < 3; i++) {
          const r = await fetch(`${t.baseUrl}/api/v1/me/export`, { headers: { authorization: `Bearer ${rita.token}` } });
          expect(r.status).toBe(200);
          await r.arrayBuffer();
        }
        const exports = await api('GET', '/api/v1/me/export', { token: rita.token });
        expect(exports.status).toBe(429);
        expect(exports.body.error.details.action).toBe('export');
      });
    });

    describe('data export', () => {
      let exa: TestUser;
      let ann: TestUser;
      let videos: string[];
      let theirs: string;
      const originals = [Buffer.alloc(300_000, 7), Buffer.from('a second original, small')];

      beforeAll(async () => {
        [exa, ann] = [await signup(api, 'exa'), await signup(api, 'exa_friend')];
        const avatarKey = `avatars/${exa.id}/exportnonce.jpg`;
        await t.app.store.put(avatarKey, Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
        await t.app.db.query('UPDATE users SET avatar_key = $2, bio = $3 WHERE id = $1', [exa.id, avatarKey, 'my bio']);
        videos = [
          await seedVideo(t, exa, { caption: 'first #mine', ageMs: 2000 }),
          await seedVideo(t, exa, { caption: 'second', visibility: 'private' }),
        ];
        await t.app.db.query("UPDATE videos SET original_filename = 'Holiday Clip.MOV' WHERE id = $1", [videos[0]]);
        for (const [i, id] of videos.entries()) await t.app.store.put(`originals/${id}`, originals[i]!, { contentType: 'video/mp4' });
        videos.push(await seedVideo(t, exa, { status: 'uploading' })); // nothing stored yet
        theirs = await seedVideo(t, ann, { caption: 'friend clip' });
        const tok = exa.token;
        expect((await api('PUT', `/api/v1/videos/${theirs}/like`, { token: tok })).status).toBe(200);
        expect((await api('PUT', `/api/v1/videos/${theirs}/bookmark`, { token: tok })).status).toBe(200);
        expect((await api('POST', `/api/v1/videos/${theirs}/comments`, { token: tok, body: { text: 'nice <b>one</b>' } })).status).toBe(
          201,
        );
        expect((await api('PUT', `/api/v1/users/exa_friend/follow`, { token: tok })).status).toBe(200);
        expect((await api('PUT', `/api/v1/users/exa/follow`, { token: ann.token })).status).toBe(200);
        expect((await api('POST', `/api/v1/videos/${theirs}/not-interested`, { token: tok })).status).toBe(200);
        expect((await api('PATCH', '/api/v1/me/privacy', { token: tok, body: { likedVideosPublic: true } })).status).toBe(200);
        expect((await api('PUT', '/api/v1/me/notification-settings', { token: tok, body: { muted: ['like'] } })).status).toBe(200);
        const blocked = await signup(api, 'exa_pest');
        expect((await api('PUT', `/api/v1/users/exa_pest/block`, { token: tok })).status).toBe(200);
        expect(
          (await api('POST', '/api/v1/reports', { token: tok, body: { targetType: 'user', targetId: blocked.id, reason: 'spam' } })).status,
        ).toBe(201);
        const events = await api('POST', '/api/v1/events', {
          token: tok,
          body: {
            events: [
              { type: 'play', videoId: theirs },
              { type: 'complete', videoId: theirs },
            ],
          },
        });
        expect(events.body.accepted).toBe(2);
      });

      it('streams a ZIP with the JSON document, the avatar and every stored original', async () => {
        const res = await fetch(`${t.baseUrl}/api/v1/me/export`, { headers: { authorization: `Bearer ${exa.token}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/zip');
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="curta-exa-\d{4}-\d{2}-\d{2}\.zip"$/);
        expect(res.headers.get('cache-control')).toBe('private, no-store');
        expect(res.headers.get('content-length')).toBeNull(); // streamed as it is made
        const files = readZip(Buffer.from(await res.arrayBuffer()));
        expect([...files.keys()].sort()).toEqual(
          [EXPORT_JSON_NAME, 'avatar.jpg', `originals/${videos[0]}.mov`, `originals/${videos[1]}.mp4`].sort(),
        );
        expect(files.get(`originals/${videos[0]}.mov`)!.equals(originals[0]!)).toBe(true);
        expect(files.get(`originals/${videos[1]}.mp4`)!.equals(originals[1]!)).toBe(true);
        expect(files.get('avatar.jpg')!.toString()).toBe('jpeg bytes');

        const doc = JSON.parse(files.get(EXPORT_JSON_NAME)!.toString('utf8'));
        expect(doc.format).toBe('curta-export/1');
        expect(doc.profile).toMatchObject({
          id: exa.id,
          username: 'exa',
          bio: 'my bio',
          avatar: 'avatar.jpg',
          followerCount: 1,
          followingCount: 1,
          likedVideosPublic: true,
          mutedNotifications: ['like'],
        });
        expect(doc.notInterested).toEqual([expect.objectContaining({ videoId: theirs })]);
        expect(doc.videos.map((v: any) => v.id)).toEqual([videos[0], videos[1], videos[2]]);
        expect(doc.videos[0]).toMatchObject({
          caption: 'first #mine',
          visibility: 'public',
          status: 'ready',
          hashtags: ['mine'],
          original: { filename: 'Holiday Clip.MOV', file: `originals/${videos[0]}.mov` },
        });
        expect(doc.videos[1]).toMatchObject({ visibility: 'private', original: { file: `originals/${videos[1]}.mp4` } });
        expect(doc.videos[2]).toMatchObject({ status: 'uploading', original: { file: null } });
        expect(doc.comments).toEqual([expect.objectContaining({ text: 'nice <b>one</b>', parentId: null })]);
        expect(doc.likes).toHaveLength(1);
        expect(doc.bookmarks).toHaveLength(1);
        expect(doc.following).toEqual([expect.objectContaining({ username: 'exa_friend' })]);
        expect(doc.followers).toEqual([expect.objectContaining({ username: 'exa_friend' })]);
        expect(doc.blocks).toEqual([expect.objectContaining({ username: 'exa_pest' })]);
        expect(doc.reportsFiled).toEqual([expect.objectContaining({ targetType: 'user', reason: 'spam', status: 'open' })]);
        // The whole history, from the lake (the events table keeps only what serving reads: not the bare `play`).
        expect(doc.playbackHistory.map((e: any) => [e.type, e.videoId])).toEqual([
          ['play', theirs],
          ['complete', theirs],
        ]);
        expect(doc.videos.some((v: any) => v.id === undefined)).toBe(false);
        // Other people's data stays out.
        expect(JSON.stringify(doc)).not.toContain(ann.token);
      });

      it('pages the JSON past one query and reads originals one at a time, only as the client pulls', async () => {
        // More playback history than one page of the document: some not yet copied from before the lake (its
        // backfill pending, as migration 0028 records it), some delivered to the lake's files, some still buffered.
        const preLake = await t.app.db.query<{ id: string }>(
          `INSERT INTO events (type, video_id, user_id, client_at, received_at)
           SELECT 'impression', $2, $1, now() - interval '1 hour', now() - interval '1 hour' FROM generate_series(1, 3) RETURNING id::text`,
          [exa.id, videos[0]],
        );
        const ids = preLake.rows.map((r) => Number(r.id));
        await t.app.db.query(
          `INSERT INTO lake_backfill (upto_id, next_id) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET upto_id = EXCLUDED.upto_id, next_id = EXCLUDED.next_id, done_at = NULL`,
          [Math.max(...ids), Math.min(...ids) - 1],
        );
        const post = async (n: number) => {
          const r = await api('POST', '/api/v1/events', {
            token: exa.token,
            body: { events: Array.from({ length: n }, () => ({ type: 'impression', videoId: videos[0], source: 'profile' })) },
          });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
        };
        await post(500);
        await post(500);
        await t.app.services.lake.delivery.flush();
        await post(234);
        const opened: string[] = [];
        const store = t.app.store;
        const watched: ObjectStore = Object.create(store, {
          get: { value: (key: string, range?: never) => (opened.push(key), store.get(key, range)) },
        });
        const history = new PlaybackHistory(t.app.db, t.app.services.analytics.reader);
        const exporter = new DataExport(t.app.db, watched, pino({ level: 'silent' }), history);
        const user = { id: exa.id, username: 'exa', role: 'user' as const, createdAt: '' };
        const stream = exporter.stream(user);
        // Nobody reads: the archive stops at its buffers, inside the first original (larger than them); the next is not opened.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(opened).not.toContain(`originals/${videos[1]}`);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        expect(opened.sort()).toEqual([`avatars/${exa.id}/exportnonce.jpg`, `originals/${videos[0]}`, `originals/${videos[1]}`].sort());
        const doc = JSON.parse(readZip(Buffer.concat(chunks)).get(EXPORT_JSON_NAME)!.toString('utf8'));
        const items: Array<{ id: string; type: string; source: string | null; at: string }> = doc.playbackHistory;
        expect(items).toHaveLength(3 + 2 + 1234);
        expect(new Set(items.map((e) => e.id)).size).toBe(items.length);
        // Oldest first: the pre-lake rows, then the files' events, then the buffer's.
        expect(items.slice(0, 3).map((e) => e.source)).toEqual([null, null, null]);
        expect(items.slice(3).every((e, i, a) => i === 0 || a[i - 1]!.at <= e.at)).toBe(true);
        expect(items.filter((e) => e.source === 'profile')).toHaveLength(1234);

        // The backfill copies the pre-lake rows to the buffer (same event ids), delivery takes everything to the
        // files: each event is still written once.
        await t.app.services.lake.backfill.run();
        await t.app.services.lake.delivery.flush();
        const again: string[] = [];
        for await (const e of history.read(exa.id, new Date(Date.now() - 86_400_000))) again.push(e.id);
        expect(again.sort()).toEqual(items.map((e) => e.id).sort());
      });
    });

    describe('account deletion', () => {
      let del: TestUser;
      let ann: TestUser;
      let ben: TestUser;
      let annVideo: string;
      let delVideos: string[];
      let benTop: string;
      let delTop: string;
      const objectKeys = (ids: string[]) => [
        ...ids.flatMap((id) => [`originals/${id}`, `media/${id}/seed/hls/master.m3u8`, `media/${id}/rev2/poster.jpg`]),
      ];

      const stats = async (id: string) => (await api('GET', `/api/v1/videos/${id}`)).body.stats;
      const comments = async (id: string) => (await api('GET', `/api/v1/videos/${id}/comments`)).body.items as any[];

      beforeAll(async () => {
        [del, ann, ben] = [await signup(api, 'del'), await signup(api, 'del_ann'), await signup(api, 'del_ben')];
        await signup(api, 'del_cat');
        delVideos = [
          await seedVideo(t, del, { caption: 'mine' }),
          await seedVideo(t, del, { caption: 'mine too', visibility: 'followers' }),
        ];
        for (const key of objectKeys(delVideos)) await t.app.store.put(key, Buffer.from(key), { contentType: 'application/octet-stream' });
        const avatarKey = `avatars/${del.id}/deletenonce.jpg`;
        await t.app.store.put(avatarKey, Buffer.from('jpeg'), { contentType: 'image/jpeg' });
        await t.app.db.query('UPDATE users SET avatar_key = $2 WHERE id = $1', [del.id, avatarKey]);
        annVideo = await seedVideo(t, ann, { caption: 'hello @del and friends' });

        const ok = (r: { status: number; body: unknown }, status = 200) => expect(r.status, JSON.stringify(r.body)).toBe(status);
        ok(await api('PUT', `/api/v1/videos/${annVideo}/like`, { token: del.token }));
        ok(await api('PUT', `/api/v1/videos/${annVideo}/like`, { token: ben.token }));
        ok(await api('PUT', `/api/v1/videos/${annVideo}/bookmark`, { token: del.token }));
        const post = (token: string, text: string, parentId?: string) =>
          api('POST', `/api/v1/videos/${annVideo}/comments`, { token, body: parentId ? { text, parentId } : { text } });
        delTop = (await post(del.token, 'first!')).body.id;
        ok(await post(ben.token, 'reply to del', delTop), 201);
        benTop = (await post(ben.token, 'ben here')).body.id;
        ok(await post(del.token, 'reply to ben', benTop), 201);
        ok(await api('PUT', `/api/v1/videos/${annVideo}/comments/${benTop}/like`, { token: del.token }));
        ok(await api('PUT', `/api/v1/videos/${delVideos[0]}/like`, { token: ann.token }));
        ok(await api('POST', `/api/v1/videos/${delVideos[0]}/comments`, { token: ben.token, body: { text: 'on del video' } }), 201);
        ok(await api('PUT', '/api/v1/users/del_ann/follow', { token: del.token }));
        ok(await api('PUT', '/api/v1/users/del/follow', { token: ben.token }));
        ok(await api('PUT', '/api/v1/users/del_cat/block', { token: del.token }));
        ok(
          await api('POST', '/api/v1/reports', { token: del.token, body: { targetType: 'video', targetId: annVideo, reason: 'spam' } }),
          201,
        );
        ok(await api('POST', '/api/v1/reports', { token: ann.token, body: { targetType: 'user', targetId: del.id, reason: 'spam' } }), 201);
        ok(
          await api('POST', '/api/v1/reports', { token: ben.token, body: { targetType: 'video', targetId: delVideos[0], reason: 'spam' } }),
          201,
        );
        const events = await api('POST', '/api/v1/events', {
          token: del.token,
          body: { events: [{ type: 'complete', videoId: annVideo }] },
        });
        expect(events.body.viewsCounted).toBe(1);
      });

      /** Everything the deletion must leave as it found it, or remove. */
      const snapshot = async () => ({
        stats: await stats(annVideo),
        threads: (await comments(annVideo)).map((c) => [c.text, c.replyCount, c.likeCount]),
        annFollowers: (await api('GET', '/api/v1/users/del_ann')).body.followerCount,
        benFollowing: (await api('GET', '/api/v1/users/del_ben')).body.followingCount,
        mentions: (await api('GET', `/api/v1/videos/${annVideo}`)).body.mentions.map((m: any) => m.username),
        rows: await count(
          `SELECT (SELECT count(*) FROM videos WHERE owner_id = $1) + (SELECT count(*) FROM video_likes WHERE user_id = $1)
                + (SELECT count(*) FROM comments WHERE author_id = $1) + (SELECT count(*) FROM comment_likes WHERE user_id = $1)
                + (SELECT count(*) FROM follows WHERE follower_id = $1 OR followee_id = $1)
                + (SELECT count(*) FROM blocks WHERE blocker_id = $1 OR blocked_id = $1)
                + (SELECT count(*) FROM bookmarks WHERE user_id = $1) + (SELECT count(*) FROM events WHERE user_id = $1)
                + (SELECT count(*) FROM video_views WHERE viewer_key = 'u:' || $1)
                + (SELECT count(*) FROM reports WHERE reporter_id = $1) + (SELECT count(*) FROM sessions WHERE user_id = $1)
                + (SELECT count(*) FROM users WHERE id = $1) AS n`,
          [del.id],
        ),
        objects: (
          await Promise.all([...objectKeys(delVideos), `avatars/${del.id}/deletenonce.jpg`].map((k) => t.app.store.head(k)))
        ).filter(Boolean).length,
        purges: await count(`SELECT count(*)::int AS n FROM jobs WHERE queue IN ('video.purge', 'account.purge')`, []),
      });

      it('needs the password, and a failure midway leaves the account whole; running it again finishes', async () => {
        const wrong = await api('DELETE', '/api/v1/me', { token: del.token, body: { password: 'not it at all' } });
        expect(wrong.status).toBe(403);
        expect(wrong.body.error.code).toBe('wrong_password');
        expect((await api('DELETE', '/api/v1/me', { token: del.token, body: {} })).status).toBe(400);
        expect((await api('DELETE', '/api/v1/me', { body: { password: PASSWORD } })).status).toBe(401);

        const before = await snapshot();
        expect(before).toMatchObject({
          stats: { likes: 2, comments: 4, views: 1 },
          threads: [
            ['ben here', 1, 1],
            ['first!', 1, 0],
          ],
          annFollowers: 1,
          benFollowing: 1,
          mentions: ['del'],
          objects: 7,
          purges: 0,
        });
        // The very last step (removing the users row) fails, as a crash there would.
        await t.app.db.exec(`
          CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated crash'; END $$;
          CREATE TRIGGER refuse_delete BEFORE DELETE ON users FOR EACH ROW WHEN (OLD.username = 'del') EXECUTE FUNCTION refuse_delete();`);
        try {
          const failed = await api('DELETE', '/api/v1/me', { token: del.token, body: { password: PASSWORD } });
          expect(failed.status).toBe(500);
        } finally {
          await t.app.db.exec('DROP TRIGGER refuse_delete ON users; DROP FUNCTION refuse_delete();');
        }
        expect(await snapshot()).toEqual(before);
        expect(await me(del.token)).toBe(200);

        const done = await api('DELETE', '/api/v1/me', { token: del.token, body: { password: PASSWORD } });
        expect(done.status).toBe(204);
      });

      it("removed everything of the account, with the counts on other people's videos, comments and profiles", async () => {
        const after = await snapshot();
        expect(after).toMatchObject({
          stats: { likes: 1, comments: 1, views: 1 }, // views that happened stay counted
          threads: [['ben here', 0, 0]],
          annFollowers: 0,
          benFollowing: 0,
          mentions: [],
          rows: 0,
          objects: 0,
        });
        // Each video's purge (and the avatar's) is queued in the same transaction, as a safety net behind the inline purge.
        const jobs = await t.app.db.query<{ dedupe_key: string }>(
          `SELECT dedupe_key FROM jobs WHERE queue IN ('video.purge', 'account.purge')`,
        );
        expect(jobs.rows.map((j) => j.dedupe_key).sort()).toEqual(
          [`purge-account:${del.id}`, ...delVideos.map((id) => `purge:${id}`)].sort(),
        );
        expect(await me(del.token)).toBe(401);
        expect((await login('del')).status).toBe(401);
        expect((await api('GET', '/api/v1/users/del')).status).toBe(404);
        for (const id of delVideos) expect((await api('GET', `/api/v1/videos/${id}`)).status).toBe(404);
        // Reports about the account and its videos stay for moderators; the ones it filed went.
        expect(await count(`SELECT count(*)::int AS n FROM reports WHERE target_id = ANY($1::text[])`, [[del.id, delVideos[0]]])).toBe(2);
        expect(await count(`SELECT count(*)::int AS n FROM reports WHERE target_id = $1`, [annVideo])).toBe(0);
      });

      it('holds the username for a while, then frees it', async () => {
        for (const name of ['del', 'DEL']) {
          const taken = await api('POST', '/api/v1/auth/signup', { body: { username: name, password: PASSWORD } });
          expect(taken.status).toBe(409);
          expect(taken.body.error.code).toBe('username_taken');
        }
        await t.app.db.query(`UPDATE held_usernames SET held_until = now() - interval '1 second' WHERE username_key = 'del'`);
        const again = await api('POST', '/api/v1/auth/signup', { body: { username: 'Del', password: PASSWORD } });
        expect(again.status).toBe(201);
        expect(again.body.user.id).not.toBe(del.id);
        expect((await api('GET', '/api/v1/users/del')).body).toMatchObject({
          username: 'Del',
          followerCount: 0,
          likeCount: 0,
          videoCount: 0,
        });
      });
    });

    describe('profiles and blocks', () => {
      let star: TestUser;
      let fans: TestUser[];
      let vic: TestUser;

      beforeAll(async () => {
        star = await signup(api, 'star');
        fans = [await signup(api, 'fan_one'), await signup(api, 'fan_two'), await signup(api, 'fan_three')];
        vic = await signup(api, 'vic');
        for (const f of [...fans, vic]) expect((await api('PUT', '/api/v1/users/star/follow', { token: f.token })).status).toBe(200);
        for (const f of fans.slice(0, 2))
          expect((await api('PUT', `/api/v1/users/${f.username}/follow`, { token: star.token })).status).toBe(200);
        expect((await api('PUT', '/api/v1/users/fan_one/block', { token: vic.token })).status).toBe(200); // vic blocked fan_one
        expect((await api('PUT', '/api/v1/users/vic/block', { token: fans[1]!.token })).status).toBe(200); // fan_two blocked vic
      });

      const names = async (path: string, token?: string) => {
        const r = await api('GET', path, { token });
        expect(r.status).toBe(200);
        return (r.body.items as any[]).map((i) => i.username).sort();
      };

      it('leaves people in a block with the viewer (either way) out of follower and following lists', async () => {
        expect(await names('/api/v1/users/star/followers')).toEqual(['fan_one', 'fan_three', 'fan_two', 'vic']);
        expect(await names('/api/v1/users/star/followers', vic.token)).toEqual(['fan_three', 'vic']);
        expect(await names('/api/v1/users/star/followers', fans[0]!.token)).toEqual(['fan_one', 'fan_three', 'fan_two']);
        expect(await names('/api/v1/users/star/following')).toEqual(['fan_one', 'fan_two']);
        expect(await names('/api/v1/users/star/following', vic.token)).toEqual([]);
        expect(await names('/api/v1/users/star/following', fans[1]!.token)).toEqual(['fan_one', 'fan_two']);
        // Counts still include them (as the README says of every counter).
        expect((await api('GET', '/api/v1/users/star', { token: vic.token })).body).toMatchObject({ followerCount: 4, followingCount: 2 });
      });

      it("counts a profile's likes only on the videos the viewer sees listed there", async () => {
        const likes: Array<[Parameters<typeof seedVideo>[2], number]> = [
          [{ visibility: 'public' }, 1],
          [{ visibility: 'followers' }, 2],
          [{ visibility: 'private' }, 4],
          [{ visibility: 'public' }, 8], // taken down below
          [{ visibility: 'unlisted' }, 16],
          [{ visibility: 'public', status: 'processing' }, 32],
        ];
        const ids: string[] = [];
        for (const [v, n] of likes) {
          const id = await seedVideo(t, star, v);
          ids.push(id);
          await t.app.db.query('INSERT INTO video_stats (video_id, likes) VALUES ($1, $2)', [id, n]);
        }
        await t.app.db.query('UPDATE videos SET taken_down_at = now(), takedown_reason = $2 WHERE id = $1', [ids[3], 'test']);
        const outsider = await signup(api, 'star_outsider');
        expect((await api('PUT', '/api/v1/users/star_outsider/block', { token: star.token })).status).toBe(200);
        const likeCount = async (token?: string) => {
          const r = await api('GET', '/api/v1/users/star', { token });
          return [r.body.likeCount, r.body.videoCount];
        };
        expect(await likeCount()).toEqual([1, 1]);
        expect(await likeCount(fans[2]!.token)).toEqual([3, 2]); // a follower: + followers-only
        expect(await likeCount(outsider.token)).toEqual([0, 0]); // blocked by star
        expect(await likeCount(star.token)).toEqual([63, 6]); // the owner: everything
      });
    });
  });
}
