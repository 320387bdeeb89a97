import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { FEED_GENERATION_KEY } from '../../src/modules/videos/video-events.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * Blocks, reports and moderation end to end. Runs against whatever app
 * `start` gives: the embedded defaults and PostgreSQL with Redis (where a
 * ban or takedown must also reach cached rows and feed pages in Redis).
 */
export function safetySuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // creator
    let bob: TestUser; // follows alice
    let carol: TestUser; // stranger, reporter
    let dave: TestUser; // gets blocked, later banned
    let root: TestUser; // admin

    const BAD_CURSOR = 'bm90LWEtY3Vyc29y';
    const ids = (r: { body: { items: Array<{ id: string }> } }) => r.body.items.map((v) => v.id);
    const video = (id: string, tok?: string) => api('GET', `/api/v1/videos/${id}`, { token: tok });
    const comment = (id: string, tok: string, text: string) => api('POST', `/api/v1/videos/${id}/comments`, { token: tok, body: { text } });

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      [alice, bob, carol, dave, root] = (await Promise.all(['alice', 'bob', 'carol', 'dave', 'root'].map((n) => signup(api, n)))) as [
        TestUser,
        TestUser,
        TestUser,
        TestUser,
        TestUser,
      ];
      expect(await adminCommand(t.app.db, ['grant', 'root'])).toMatchObject({ code: 0, stdout: 'root is now an admin.\n' });
      // Sessions carry the role as the database has it now: no new login needed.
      expect((await api('GET', '/api/v1/me', { token: root.token })).body.user.role).toBe('admin');
      expect((await api('GET', '/api/v1/me', { token: alice.token })).body.user.role).toBe('user');
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('blocks', () => {
      let aliceVideo: string;
      let daveVideo: string;
      let carolVideo: string;
      let daveComment: string;

      beforeAll(async () => {
        aliceVideo = await seedVideo(t, alice, { caption: 'Morning at the lighthouse #farol' });
        daveVideo = await seedVideo(t, dave, { caption: 'hi @alice and @carol #farol' });
        carolVideo = await seedVideo(t, carol, { caption: 'shout-out to @alice' });
        expect((await api('PUT', '/api/v1/users/alice/follow', { token: dave.token })).status).toBe(200);
        expect((await api('PUT', '/api/v1/users/dave/follow', { token: alice.token })).status).toBe(200);
        const c = await comment(carolVideo, dave.token, 'first!');
        expect(c.status).toBe(201);
        daveComment = c.body.id;
        expect((await comment(aliceVideo, dave.token, 'dave was here before the block')).status).toBe(201);
        expect((await comment(carolVideo, bob.token, 'second')).status).toBe(201);
        // Engagement so alice's video trends.
        expect((await api('PUT', `/api/v1/videos/${aliceVideo}/like`, { token: bob.token })).status).toBe(200);
        expect((await video(daveVideo, carol.token)).body.mentions.map((m: any) => m.username)).toEqual(['alice', 'carol']);
      });

      it('blocking is idempotent, removes follows both ways with the counts, and lists the blocked', async () => {
        for (let i = 0; i < 2; i++) {
          const r = await api('PUT', '/api/v1/users/DAVE/block', { token: alice.token });
          expect(r.status).toBe(200);
          expect(r.body).toEqual({ blocking: true });
        }
        const a = await api('GET', '/api/v1/users/alice', { token: alice.token });
        expect(a.body).toMatchObject({ followerCount: 0, followingCount: 0 });
        const d = await api('GET', '/api/v1/users/dave', { token: alice.token });
        expect(d.body).toMatchObject({ followerCount: 0, followingCount: 0, viewer: { follows: false, blocking: true } });
        const list = await api('GET', '/api/v1/me/blocks', { token: alice.token });
        expect(list.status).toBe(200);
        expect(list.body.items).toEqual([expect.objectContaining({ username: 'dave', id: dave.id, blockedAt: expect.any(String) })]);
        expect(list.body.nextCursor).toBeNull();
        expect((await api('GET', '/api/v1/me/blocks', { token: dave.token })).body.items).toEqual([]);
      });

      it('refuses follows across a block, both ways, with 403 user_blocked', async () => {
        for (const [who, whom] of [
          [dave, 'alice'],
          [alice, 'dave'],
        ] as const) {
          const r = await api('PUT', `/api/v1/users/${whom}/follow`, { token: who.token });
          expect(r.status).toBe(403);
          expect(r.body.error.code).toBe('user_blocked');
        }
        expect((await api('GET', '/api/v1/users/alice/followers')).body.items).toEqual([]);
      });

      it("hides each one's videos from the other everywhere, so the blocked cannot comment or like", async () => {
        expect((await video(aliceVideo, dave.token)).status).toBe(404);
        expect((await video(daveVideo, alice.token)).status).toBe(404);
        const c = await comment(aliceVideo, dave.token, 'let me in');
        expect(c.status).toBe(404);
        expect(c.body.error.code).toBe('video_not_found');
        expect((await api('PUT', `/api/v1/videos/${aliceVideo}/like`, { token: dave.token })).status).toBe(404);
        expect((await api('GET', `/api/v1/videos/${aliceVideo}/comments`, { token: dave.token })).status).toBe(404);
        // Others still see both.
        expect((await video(aliceVideo, carol.token)).status).toBe(200);
        expect((await video(daveVideo)).status).toBe(200);

        expect(ids(await api('GET', '/api/v1/feed', { token: dave.token }))).not.toContain(aliceVideo);
        expect(ids(await api('GET', '/api/v1/feed', { token: carol.token }))).toEqual(expect.arrayContaining([aliceVideo, daveVideo]));
        expect(ids(await api('GET', '/api/v1/feed', { token: alice.token }))).not.toContain(daveVideo);
        const profile = await api('GET', '/api/v1/users/alice/videos', { token: dave.token });
        expect(profile.body.items).toEqual([]);
        expect((await api('GET', '/api/v1/users/alice', { token: dave.token })).body.videoCount).toBe(0);
        const tag = await api('GET', '/api/v1/hashtags/farol/videos', { token: dave.token });
        expect(ids(tag)).toEqual([daveVideo]);
        const search = await api('GET', '/api/v1/search?q=lighthouse', { token: dave.token });
        expect(search.body.videos).toEqual([]);
        expect((await api('GET', '/api/v1/search?q=alice', { token: dave.token })).body.users).toEqual([]);
        expect((await api('GET', '/api/v1/search?q=alice', { token: carol.token })).body.users.map((u: any) => u.username)).toContain(
          'alice',
        );
        expect(ids(await api('GET', '/api/v1/feed/trending', { token: dave.token }))).not.toContain(aliceVideo);
        expect(ids(await api('GET', '/api/v1/feed/trending', { token: carol.token }))).toContain(aliceVideo);
        // Playback events for a hidden video are dropped.
        const ev = await api('POST', '/api/v1/events', {
          token: dave.token,
          body: { events: [{ type: 'complete', videoId: aliceVideo }] },
        });
        expect(ev.body).toEqual({ accepted: 0, dropped: 1, viewsCounted: 0 });
      });

      it("hides the blocked one's comments on the blocker's videos from everyone", async () => {
        const forCarol = await api('GET', `/api/v1/videos/${aliceVideo}/comments`, { token: carol.token });
        expect(forCarol.body.items).toEqual([]);
        expect((await api('GET', `/api/v1/videos/${aliceVideo}/comments`)).body.items).toEqual([]);
      });

      it("hides the other's comments on third-party videos, and refuses replies to them", async () => {
        const forAlice = await api('GET', `/api/v1/videos/${carolVideo}/comments`, { token: alice.token });
        expect(forAlice.body.items.map((c: any) => c.text)).toEqual(['second']);
        const forCarol = await api('GET', `/api/v1/videos/${carolVideo}/comments`, { token: carol.token });
        expect(forCarol.body.items.map((c: any) => c.text)).toEqual(['second', 'first!']);
        const reply = await api('POST', `/api/v1/videos/${carolVideo}/comments`, {
          token: alice.token,
          body: { text: 'no', parentId: daveComment },
        });
        expect(reply.status).toBe(404);
        expect(reply.body.error.code).toBe('comment_not_found');
        expect((await api('PUT', `/api/v1/videos/${carolVideo}/comments/${daveComment}/like`, { token: alice.token })).status).toBe(404);
      });

      it('does not link mentions across a block, and links them again after unblocking', async () => {
        expect((await video(daveVideo, carol.token)).body.mentions.map((m: any) => m.username)).toEqual(['carol']);
        expect((await video(carolVideo, carol.token)).body.mentions.map((m: any) => m.username)).toEqual(['alice']);

        for (let i = 0; i < 2; i++) {
          const r = await api('DELETE', '/api/v1/users/dave/block', { token: alice.token });
          expect(r.status).toBe(200);
          expect(r.body).toEqual({ blocking: false });
        }
        expect((await video(daveVideo, carol.token)).body.mentions.map((m: any) => m.username)).toEqual(['alice', 'carol']);
        expect((await video(aliceVideo, dave.token)).status).toBe(200);
        expect((await video(daveVideo, alice.token)).status).toBe(200);
        expect((await api('GET', `/api/v1/videos/${aliceVideo}/comments`)).body.items.map((c: any) => c.text)).toEqual([
          'dave was here before the block',
        ]);
        // The follows the block removed stay removed.
        expect((await api('GET', '/api/v1/users/alice', { token: dave.token })).body.viewer).toEqual({ follows: false, blocking: false });
        expect((await api('PUT', '/api/v1/users/alice/follow', { token: dave.token })).status).toBe(200);
        expect((await api('GET', '/api/v1/me/blocks', { token: alice.token })).body.items).toEqual([]);
      });

      it('answers bad block requests with clear codes', async () => {
        const self = await api('PUT', '/api/v1/users/alice/block', { token: alice.token });
        expect(self.status).toBe(400);
        expect(self.body.error.code).toBe('cannot_block_self');
        const missing = await api('PUT', '/api/v1/users/nobody_here/block', { token: alice.token });
        expect(missing.status).toBe(404);
        expect(missing.body.error.code).toBe('user_not_found');
        expect((await api('PUT', '/api/v1/users/dave/block')).status).toBe(401);
        expect((await api('GET', '/api/v1/me/blocks')).status).toBe(401);
        const cursor = await api('GET', `/api/v1/me/blocks?cursor=${BAD_CURSOR}`, { token: alice.token });
        expect(cursor.status).toBe(400);
        expect(cursor.body.error.code).toBe('invalid_cursor');
      });
    });

    describe('reports and the admin queue', () => {
      let target: string;
      let privateVideo: string;
      let commentId: string;
      const reportIds: string[] = [];
      const report = (tok: string | undefined, body: unknown) => api('POST', '/api/v1/reports', { token: tok, body });

      beforeAll(async () => {
        target = await seedVideo(t, alice, { caption: 'reported clip' });
        privateVideo = await seedVideo(t, alice, { caption: 'mine only', visibility: 'private' });
        commentId = (await comment(target, bob.token, 'buy followers at example.com')).body.id;
      });

      it('takes a report of a video, a comment or an account, once per reporter while open', async () => {
        const r = await report(carol.token, { targetType: 'video', targetId: target, reason: 'spam', details: '  <b>spam</b>\u0000 ' });
        expect(r.status).toBe(201);
        expect(r.body.report).toMatchObject({
          targetType: 'video',
          targetId: target,
          reason: 'spam',
          details: '<b>spam</b>',
          status: 'open',
        });
        reportIds.push(r.body.report.id);

        const again = await report(carol.token, { targetType: 'video', targetId: target, reason: 'hate' });
        expect(again.status).toBe(409);
        expect(again.body.error).toMatchObject({ code: 'already_reported', details: { reportId: r.body.report.id } });

        const byBob = await report(bob.token, { targetType: 'video', targetId: target, reason: 'violence' });
        expect(byBob.status).toBe(201);
        reportIds.push(byBob.body.report.id);
        const c = await report(carol.token, { targetType: 'comment', targetId: commentId, reason: 'spam' });
        expect(c.status).toBe(201);
        reportIds.push(c.body.report.id);
        const u = await report(carol.token, { targetType: 'user', targetId: dave.id, reason: 'other', details: 'impersonates me' });
        expect(u.status).toBe(201);
        reportIds.push(u.body.report.id);
      });

      it('refuses reports of what the reporter cannot see, of themselves, and malformed ones', async () => {
        const cases: Array<[string | undefined, unknown, number, string]> = [
          [undefined, { targetType: 'video', targetId: target, reason: 'spam' }, 401, 'unauthorized'],
          [carol.token, { targetType: 'video', targetId: privateVideo, reason: 'spam' }, 404, 'video_not_found'],
          [alice.token, { targetType: 'video', targetId: target, reason: 'spam' }, 400, 'cannot_report_self'],
          [bob.token, { targetType: 'comment', targetId: commentId, reason: 'spam' }, 400, 'cannot_report_self'],
          [carol.token, { targetType: 'user', targetId: carol.id, reason: 'spam' }, 400, 'cannot_report_self'],
          [carol.token, { targetType: 'comment', targetId: 'AAAAAAAAAAAAAAAA', reason: 'spam' }, 404, 'comment_not_found'],
          [carol.token, { targetType: 'user', targetId: 'AAAAAAAAAAAAAAAA', reason: 'spam' }, 404, 'user_not_found'],
          [carol.token, { targetType: 'video', targetId: target, reason: 'other' }, 400, 'validation_failed'],
          [carol.token, { targetType: 'video', targetId: target, reason: 'boring' }, 400, 'validation_failed'],
          [carol.token, { targetType: 'playlist', targetId: target, reason: 'spam' }, 400, 'validation_failed'],
          [carol.token, { targetType: 'video', targetId: '../etc', reason: 'spam' }, 400, 'validation_failed'],
          [carol.token, { targetType: 'video', targetId: target, reason: 'spam', details: 'x'.repeat(1001) }, 400, 'validation_failed'],
          [carol.token, { targetType: 'video', targetId: target, reason: 'spam', extra: 1 }, 400, 'validation_failed'],
        ];
        for (const [tok, body, status, code] of cases) {
          const r = await report(tok, body);
          expect(r.status, JSON.stringify(body)).toBe(status);
          expect(r.body.error.code, JSON.stringify(body)).toBe(code);
        }
      });

      it('shows admins — and only admins — the open queue, oldest first, with each target as it is now', async () => {
        expect((await api('GET', '/api/v1/admin/reports')).status).toBe(401);
        const notAdmin = await api('GET', '/api/v1/admin/reports', { token: alice.token });
        expect(notAdmin.status).toBe(403);
        expect(notAdmin.body.error.code).toBe('forbidden');

        const q = await api('GET', '/api/v1/admin/reports?status=open', { token: root.token });
        expect(q.status).toBe(200);
        expect(q.body.items.map((r: any) => r.id)).toEqual(reportIds);
        const [first, , onComment, onUser] = q.body.items;
        expect(first).toMatchObject({
          reporter: { id: carol.id, username: 'carol' },
          openReportsOnTarget: 2,
          resolution: null,
          target: { type: 'video', id: target, caption: 'reported clip', author: { username: 'alice' }, ownerBanned: false },
        });
        expect(onComment.target).toMatchObject({
          type: 'comment',
          id: commentId,
          videoId: target,
          author: { username: 'bob', banned: false },
        });
        expect(onUser.target).toMatchObject({ type: 'user', id: dave.id, username: 'dave', banned: null });

        const p1 = await api('GET', '/api/v1/admin/reports?limit=1', { token: root.token });
        const p2 = await api('GET', `/api/v1/admin/reports?limit=1&cursor=${p1.body.nextCursor}`, { token: root.token });
        expect([...ids(p1), ...ids(p2)]).toEqual(reportIds.slice(0, 2));
        const onlyUsers = await api('GET', '/api/v1/admin/reports?targetType=user', { token: root.token });
        expect(ids(onlyUsers)).toEqual([reportIds[3]]);
        for (const query of ['status=closed', 'targetType=song', 'limit=0', `cursor=${BAD_CURSOR}`]) {
          expect((await api('GET', `/api/v1/admin/reports?${query}`, { token: root.token })).status, query).toBe(400);
        }
        const one = await api('GET', `/api/v1/admin/reports/${reportIds[0]}`, { token: root.token });
        expect(one.body.report.id).toBe(reportIds[0]);
        expect((await api('GET', '/api/v1/admin/reports/AAAAAAAAAAAAAAAA', { token: root.token })).body.error.code).toBe(
          'report_not_found',
        );
      });

      it('resolves and dismisses reports (idempotently), and refuses to flip a closed one', async () => {
        const resolved = await api('POST', `/api/v1/admin/reports/${reportIds[2]}/resolve`, {
          token: root.token,
          body: { note: 'comment removed' },
        });
        expect(resolved.status).toBe(200);
        expect(resolved.body.report).toMatchObject({
          status: 'resolved',
          resolution: { note: 'comment removed', by: { id: root.id, username: 'root' }, at: expect.any(String) },
        });
        const again = await api('POST', `/api/v1/admin/reports/${reportIds[2]}/resolve`, { token: root.token });
        expect(again.status).toBe(200);
        expect(again.body.report.resolution.note).toBe('comment removed');
        const flip = await api('POST', `/api/v1/admin/reports/${reportIds[2]}/dismiss`, { token: root.token });
        expect(flip.status).toBe(409);
        expect(flip.body.error.code).toBe('report_closed');
        const dismissed = await api('POST', `/api/v1/admin/reports/${reportIds[3]}/dismiss`, { token: root.token });
        expect(dismissed.body.report.status).toBe('dismissed');
        expect((await api('POST', `/api/v1/admin/reports/${reportIds[3]}/dismiss`, { token: carol.token })).status).toBe(403);
        expect(ids(await api('GET', '/api/v1/admin/reports?status=resolved', { token: root.token }))).toEqual([reportIds[2]]);
        // Closed, the reporter may report the same thing again.
        expect((await report(carol.token, { targetType: 'comment', targetId: commentId, reason: 'spam' })).status).toBe(201);
      });

      it('takes a video down: gone for everyone but its owner, who sees why; its open reports are resolved', async () => {
        const bad = await api('POST', `/api/v1/admin/videos/${target}/takedown`, { token: root.token, body: { reason: '  ' } });
        expect(bad.status).toBe(400);
        expect((await api('POST', `/api/v1/admin/videos/${target}/takedown`, { token: alice.token, body: { reason: 'x' } })).status).toBe(
          403,
        );
        const missing = await api('POST', '/api/v1/admin/videos/AAAAAAAAAAAAAAAA/takedown', { token: root.token, body: { reason: 'x' } });
        expect(missing.body.error.code).toBe('video_not_found');

        expect(ids(await api('GET', '/api/v1/feed'))).toContain(target);
        await t.app.store.put(`media/${target}/seed/poster.jpg`, Buffer.from('poster'), { contentType: 'image/jpeg' });
        const poster: string = (await video(target)).body.playback.poster;
        expect((await fetch(poster)).status).toBe(200);
        const down = await api('POST', `/api/v1/admin/videos/${target}/takedown`, { token: root.token, body: { reason: 'Spam links' } });
        expect(down.status).toBe(200);
        expect(down.body.video).toMatchObject({ id: target, takedown: { reason: 'Spam links', at: expect.any(String) } });

        for (const tok of [undefined, bob.token, carol.token, root.token]) {
          expect((await video(target, tok)).status).toBe(404);
          expect(ids(await api('GET', '/api/v1/feed', { token: tok }))).not.toContain(target);
          expect(ids(await api('GET', '/api/v1/users/alice/videos', { token: tok }))).not.toContain(target);
        }
        const own = await video(target, alice.token);
        expect(own.status).toBe(200);
        expect(own.body.takedown).toEqual({ reason: 'Spam links', at: down.body.video.takedown.at });
        expect(ids(await api('GET', '/api/v1/users/alice/videos', { token: alice.token }))).toContain(target);
        expect((await comment(target, bob.token, 'still here?')).status).toBe(404);
        expect((await fetch(poster)).status).toBe(404); // its plain media URL is refused too

        const queue = await api('GET', '/api/v1/admin/reports?status=resolved', { token: root.token });
        const auto = queue.body.items.filter((r: any) => r.targetId === target);
        expect(auto).toHaveLength(2);
        for (const r of auto) expect(r.resolution.note).toBe('Video taken down: Spam links');

        const back = await api('DELETE', `/api/v1/admin/videos/${target}/takedown`, { token: root.token });
        expect(back.status).toBe(200);
        expect(back.body.video.takedown).toBeUndefined();
        expect((await video(target, bob.token)).status).toBe(200);
        expect(ids(await api('GET', '/api/v1/feed'))).toContain(target);
      });

      it('bans an account: sessions revoked, login refused with the reason, profile, videos and comments hidden; unban restores', async () => {
        const daveVideo = await seedVideo(t, dave, { caption: 'dave was here' });
        const carolVideo = await seedVideo(t, carol, { caption: 'comments welcome' });
        await t.app.cache.incr(FEED_GENERATION_KEY); // seeded behind the app's back: let the feed see it
        t.app.services.videos.forgetFeedGeneration(); // (and don't wait out this process's memo of it)
        expect((await comment(carolVideo, dave.token, 'dave says hi')).status).toBe(201);
        const secondSession = await api('POST', '/api/v1/auth/login', { body: { username: 'dave', password: 'correct horse battery' } });
        expect(secondSession.status).toBe(200);
        expect(ids(await api('GET', '/api/v1/feed'))).toContain(daveVideo);

        const adminBan = await api('POST', '/api/v1/admin/users/root/ban', { token: root.token, body: { reason: 'x' } });
        expect(adminBan.status).toBe(403);
        expect(adminBan.body.error.code).toBe('cannot_ban_admin');
        expect((await api('POST', '/api/v1/admin/users/nobody_here/ban', { token: root.token, body: { reason: 'x' } })).status).toBe(404);

        const ban = await api('POST', '/api/v1/admin/users/dave/ban', { token: root.token, body: { reason: 'Impersonation' } });
        expect(ban.status).toBe(200);
        expect(ban.body.user).toMatchObject({ username: 'dave', banned: { reason: 'Impersonation' } });

        for (const tok of [dave.token, secondSession.body.token]) expect((await api('GET', '/api/v1/me', { token: tok })).status).toBe(401);
        const login = await api('POST', '/api/v1/auth/login', { body: { username: 'dave', password: 'correct horse battery' } });
        expect(login.status).toBe(403);
        expect(login.body.error).toMatchObject({ code: 'account_banned', details: { reason: 'Impersonation' } });
        // A wrong password says nothing about the ban.
        const wrong = await api('POST', '/api/v1/auth/login', { body: { username: 'dave', password: 'wrong password!' } });
        expect(wrong.status).toBe(401);

        expect((await api('GET', '/api/v1/users/dave')).status).toBe(404);
        expect((await video(daveVideo, carol.token)).status).toBe(404);
        expect(ids(await api('GET', '/api/v1/feed'))).not.toContain(daveVideo);
        expect((await api('GET', `/api/v1/videos/${carolVideo}/comments`)).body.items).toEqual([]);
        expect((await api('GET', '/api/v1/search?q=dave')).body.users).toEqual([]);
        expect((await api('GET', '/api/v1/users/alice/followers')).body.items.map((u: any) => u.username)).not.toContain('dave');
        // Reports on the account were resolved by the ban; admins still see it.
        const info = await api('GET', '/api/v1/admin/users/dave', { token: root.token });
        expect(info.body.user).toMatchObject({ username: 'dave', role: 'user', banned: { reason: 'Impersonation' }, videoCount: 2 });

        const unban = await api('DELETE', '/api/v1/admin/users/dave/ban', { token: root.token });
        expect(unban.status).toBe(200);
        expect(unban.body.user.banned).toBeNull();
        expect((await api('POST', '/api/v1/auth/login', { body: { username: 'dave', password: 'correct horse battery' } })).status).toBe(
          200,
        );
        expect((await video(daveVideo, carol.token)).status).toBe(200);
        expect(ids(await api('GET', '/api/v1/feed'))).toContain(daveVideo);
        expect((await api('GET', `/api/v1/videos/${carolVideo}/comments`)).body.items.map((c: any) => c.text)).toEqual(['dave says hi']);
      });

      it('answers malformed admin requests with clear codes', async () => {
        const cases: Array<[string, string, unknown, number, string]> = [
          ['POST', '/api/v1/admin/videos/not%20an%20id/takedown', { reason: 'x' }, 400, 'validation_failed'],
          ['POST', `/api/v1/admin/videos/${target}/takedown`, {}, 400, 'validation_failed'],
          ['POST', `/api/v1/admin/videos/${target}/takedown`, { reason: 'x'.repeat(501) }, 400, 'validation_failed'],
          ['POST', `/api/v1/admin/videos/${target}/takedown`, { reason: 'x', extra: true }, 400, 'validation_failed'],
          ['DELETE', '/api/v1/admin/videos/AAAAAAAAAAAAAAAA/takedown', undefined, 404, 'video_not_found'],
          ['POST', '/api/v1/admin/users/dave/ban', { reason: 7 }, 400, 'validation_failed'],
          ['DELETE', '/api/v1/admin/users/nobody_here/ban', undefined, 404, 'user_not_found'],
          ['GET', '/api/v1/admin/users/nobody_here', undefined, 404, 'user_not_found'],
          ['GET', '/api/v1/admin/reports/bad!', undefined, 400, 'validation_failed'],
          ['POST', '/api/v1/admin/reports/AAAAAAAAAAAAAAAA/resolve', undefined, 404, 'report_not_found'],
          ['POST', `/api/v1/admin/reports/${reportIds[0]}/resolve`, { note: 'x'.repeat(1001) }, 400, 'validation_failed'],
        ];
        for (const [method, path, body, status, code] of cases) {
          const r = await api(method, path, { token: root.token, body });
          expect(r.status, `${method} ${path}`).toBe(status);
          expect(r.body.error.code, `${method} ${path}`).toBe(code);
        }
        const raw = await api('POST', '/api/v1/reports', {
          token: carol.token,
          rawBody: '{"targetType":',
          headers: { 'content-type': 'application/json' },
        });
        expect(raw.body.error.code).toBe('invalid_json');
      });

      it('revoking the role takes admin powers away at once', async () => {
        expect(await adminCommand(t.app.db, ['grant', 'ROOT'])).toMatchObject({ code: 0, stdout: 'root is already an admin.\n' });
        expect(await adminCommand(t.app.db, ['grant', 'nobody_here'])).toMatchObject({ code: 1, stderr: 'No user named "nobody_here".\n' });
        expect(await adminCommand(t.app.db, ['promote', 'root'])).toMatchObject({ code: 64 });
        expect(await adminCommand(t.app.db, ['revoke', 'root'])).toMatchObject({ code: 0, stdout: 'root is no longer an admin.\n' });
        expect((await api('GET', '/api/v1/admin/reports', { token: root.token })).status).toBe(403);
      });
    });
  });
}
