import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFailure } from '../../src/modules/processing/video-lifecycle.js';
import { VideosRepository } from '../../src/modules/videos/videos.repository.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** One event of a Server-Sent Events stream. */
export interface SseEvent {
  event: string;
  data: any;
}

/**
 * An open notification stream: `next(pred)` waits (at most `timeoutMs`) for
 * the first event since the last `next` matching `pred`.
 */
export async function openNotificationStream(baseUrl: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/me/notifications/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  let cursor = 0;
  let ended = false;
  const waiters = new Set<() => void>();
  if (res.ok && res.body) {
    void (async () => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
          }
          for (const w of waiters) w();
        }
      } catch {
        // aborted
      } finally {
        ended = true;
        for (const w of waiters) w();
      }
    })();
  }
  return {
    res,
    events,
    async next(pred: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < events.length) {
          const e = events[cursor++]!;
          if (pred(e)) return e;
        }
        if (ended) throw new Error(`stream ended; events: ${JSON.stringify(events)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; events: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, left);
          waiters.add(done);
        });
      }
    },
    close() {
      controller.abort();
    },
  };
}

/**
 * The suite runs against whatever app `start` gives: the embedded defaults
 * (PGlite, in-process cache) and PostgreSQL with Redis.
 */
export function notificationsSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // creator
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    let erin: TestUser;

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      const name = (n: string) => `${n}_${Math.random().toString(36).slice(2, 7)}`;
      [alice, bob, carol, dave, erin] = await Promise.all([
        signup(api, name('alice')),
        signup(api, name('bob')),
        signup(api, name('carol')),
        signup(api, name('dave')),
        signup(api, name('erin')),
      ]);
    });

    afterAll(async () => {
      await t?.close();
    });

    const inbox = async (u: TestUser, query = '') => {
      const r = await api('GET', `/api/v1/me/notifications${query}`, { token: u.token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { items: any[]; nextCursor: string | null };
    };
    const unread = async (u: TestUser) => {
      const r = await api('GET', '/api/v1/me/notifications/unread-count', { token: u.token });
      expect(r.status).toBe(200);
      return r.body.unread as number;
    };
    const like = (u: TestUser, videoId: string, on = true) =>
      api(on ? 'PUT' : 'DELETE', `/api/v1/videos/${videoId}/like`, { token: u.token });
    const comment = async (u: TestUser, videoId: string, text: string, parentId?: string) => {
      const r = await api('POST', `/api/v1/videos/${videoId}/comments`, { token: u.token, body: parentId ? { text, parentId } : { text } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body as { id: string };
    };
    const follow = (u: TestUser, target: TestUser, on = true) =>
      api(on ? 'PUT' : 'DELETE', `/api/v1/users/${target.username}/follow`, { token: u.token });
    const block = (u: TestUser, target: TestUser, on = true) =>
      api(on ? 'PUT' : 'DELETE', `/api/v1/users/${target.username}/block`, { token: u.token });
    const mute = async (u: TestUser, muted: string[]) => {
      const r = await api('PUT', '/api/v1/me/notification-settings', { token: u.token, body: { muted } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const ofVideo = (items: any[], videoId: string, type?: string) =>
      items.filter((n) => n.video?.id === videoId && (!type || n.type === type));

    it('groups likes into one row per video, newest liker first, and unliking is no news', async () => {
      const v = await seedVideo(t, alice, { caption: 'grouped likes' });
      expect((await like(bob, v)).status).toBe(200);
      await sleep(5);
      expect((await like(carol, v)).status).toBe(200);
      await sleep(5);
      expect((await like(dave, v)).status).toBe(200);
      await like(alice, v); // her own like: never news to herself

      let rows = ofVideo((await inbox(alice)).items, v);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({
        type: 'like',
        read: false,
        actorCount: 3,
        text: `${dave.username} and 2 others liked your video`,
        video: { id: v, caption: 'grouped likes', status: 'ready' },
        comment: null,
      });
      expect(row.actors.map((a: any) => a.username)).toEqual([dave.username, carol.username, bob.username]);
      expect(row.actors[0]).toEqual({ id: dave.id, username: dave.username, displayName: '', avatarUrl: null });

      // Read, then bob unlikes and likes again: nothing moves, nothing unread.
      expect((await api('POST', `/api/v1/me/notifications/${row.id}/read`, { token: alice.token })).body.read).toBe(true);
      await like(bob, v, false);
      await like(bob, v, true);
      rows = ofVideo((await inbox(alice)).items, v);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: row.id, read: true, updatedAt: row.updatedAt });

      // Someone new: the same row, unread again, on top, with the newcomer first.
      await sleep(5);
      await like(erin, v);
      const items = (await inbox(alice)).items;
      expect(items[0]).toMatchObject({ id: row.id, read: false, actorCount: 4, text: `${erin.username} and 3 others liked your video` });
      expect(items[0].actors.map((a: any) => a.username)).toEqual([erin.username, dave.username, carol.username]);
      expect(new Date(items[0].updatedAt).getTime()).toBeGreaterThan(new Date(row.updatedAt).getTime());

      // An unlike drops the liker from the row (they no longer like it), quietly.
      await like(erin, v, false);
      const after = ofVideo((await inbox(alice)).items, v)[0];
      expect(after).toMatchObject({ actorCount: 3, text: `${dave.username} and 2 others liked your video` });
    });

    it('tells the owner about comments, the answered author about replies, and the @mentioned — once each, never oneself', async () => {
      const v = await seedVideo(t, alice, { caption: 'talk to me' });
      const top = await comment(bob, v, `first! @${carol.username} look @${bob.username} @nobody_at_all`);
      const reply = await comment(carol, v, 'thanks for the mention', top.id);
      await comment(alice, v, `@${alice.username} replying to myself`, reply.id);

      const a = ofVideo((await inbox(alice)).items, v);
      expect(a.map((n) => [n.type, n.actors[0].username])).toEqual([
        ['comment', carol.username],
        ['comment', bob.username],
      ]);
      expect(a[1]).toMatchObject({
        text: `${bob.username} commented on your video`,
        comment: { id: top.id, parentId: null, text: expect.stringContaining('first!') },
      });

      const b = ofVideo((await inbox(bob)).items, v);
      // carol answered bob's comment; alice answered carol's reply (so carol hears it, not bob).
      expect(b.map((n) => [n.type, n.actors[0].username])).toEqual([['reply', carol.username]]);
      expect(b[0]).toMatchObject({ text: `${carol.username} replied to your comment`, comment: { id: reply.id, parentId: top.id } });

      const c = ofVideo((await inbox(carol)).items, v);
      expect(c.map((n) => [n.type, n.actors[0].username])).toEqual([
        ['reply', alice.username],
        ['mention', bob.username],
      ]);
      expect(c[1].text).toBe(`${bob.username} mentioned you in a comment`);

      // A deleted comment takes its notifications along (the reply thread with it).
      expect((await api('DELETE', `/api/v1/videos/${v}/comments/${top.id}`, { token: bob.token })).status).toBe(204);
      expect(ofVideo((await inbox(alice)).items, v)).toEqual([]);
      expect(ofVideo((await inbox(bob)).items, v)).toEqual([]);
      expect(ofVideo((await inbox(carol)).items, v)).toEqual([]);
    });

    it('tells about a new follower once, however often they unfollow and follow again', async () => {
      const followers = (u: TestUser) => inbox(alice).then((i) => i.items.filter((n) => n.type === 'follow' && n.actors[0].id === u.id));
      expect((await follow(erin, alice)).status).toBe(200);
      await follow(erin, alice, false);
      await follow(erin, alice);
      const rows = await followers(erin);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ text: `${erin.username} started following you`, video: null, comment: null, actorCount: 1 });
    });

    it('says when an upload is ready or failed (whatever path moved it), and tells the people its caption mentions once it is published', async () => {
      const repo = new VideosRepository(t.app.db);
      const ok = await seedVideo(t, alice, { status: 'processing', caption: `with @${bob.username} and @${alice.username}` });
      const bad = await seedVideo(t, alice, { status: 'processing', caption: `never @${carol.username}` });
      // Not published yet: nobody hears of the mention.
      expect(ofVideo((await inbox(bob)).items, ok)).toEqual([]);

      expect(await repo.transition(ok, ['processing'], 'ready')).not.toBeNull();
      expect(await repo.fail(bad, ['processing'], videoFailure('no_video_stream'))).not.toBeNull();

      const mine = (await inbox(alice)).items;
      expect(ofVideo(mine, ok)).toEqual([
        expect.objectContaining({ type: 'video_ready', text: 'Your video is ready', actors: [], actorCount: 0, read: false }),
      ]);
      const failed = ofVideo(mine, bad);
      expect(failed).toEqual([expect.objectContaining({ type: 'video_failed', text: 'Your video could not be processed' })]);
      expect(failed[0].video.error.code).toBe('no_video_stream');
      expect(ofVideo(mine, ok, 'mention')).toEqual([]); // her own mention of herself

      expect(ofVideo((await inbox(bob)).items, ok)).toEqual([
        expect.objectContaining({ type: 'mention', text: `${alice.username} mentioned you in a video`, comment: null }),
      ]);
      expect(ofVideo((await inbox(carol)).items, bad)).toEqual([]); // a failed video is never published

      // A caption edit tells the newly mentioned (only them, once).
      const edit = await api('PATCH', `/api/v1/videos/${ok}`, {
        token: alice.token,
        body: { caption: `with @${bob.username} and now @${dave.username}` },
      });
      expect(edit.status, JSON.stringify(edit.body)).toBe(200);
      expect(ofVideo((await inbox(dave)).items, ok, 'mention')).toHaveLength(1);
      expect(ofVideo((await inbox(bob)).items, ok, 'mention')).toHaveLength(1);
      // Dropped from the caption: that mention is no longer shown.
      await api('PATCH', `/api/v1/videos/${ok}`, { token: alice.token, body: { caption: 'nobody now' } });
      expect(ofVideo((await inbox(bob)).items, ok)).toEqual([]);
    });

    it('marks one or all read, counts unread, pages with a cursor', async () => {
      const u = await signup(api, `pager_${Math.random().toString(36).slice(2, 7)}`);
      for (const who of [bob, carol, dave]) {
        expect((await follow(who, u)).status).toBe(200);
        await sleep(5);
      }
      expect(await unread(u)).toBe(3);
      const first = await inbox(u, '?limit=2');
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await inbox(u, `?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
      expect(second.items).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
      expect([...first.items, ...second.items].map((n) => n.actors[0].username)).toEqual([dave.username, carol.username, bob.username]);

      const one = await api('POST', `/api/v1/me/notifications/${first.items[0].id}/read`, { token: u.token });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: first.items[0].id, read: true });
      expect(await unread(u)).toBe(2);
      const all = await api('POST', '/api/v1/me/notifications/read-all', { token: u.token });
      expect(all.body).toEqual({ marked: 2, unread: 0 });
      expect((await inbox(u)).items.every((n) => n.read)).toBe(true);

      const bad = await api('GET', '/api/v1/me/notifications?cursor=bm90LWEtY3Vyc29y', { token: u.token });
      expect(bad.status).toBe(400);
      expect((await api('GET', '/api/v1/me/notifications?limit=500', { token: u.token })).status).toBe(400);
    });

    it("refuses anonymous callers, other people's notifications, bad ids and unknown fields", async () => {
      const v = await seedVideo(t, alice);
      await like(bob, v);
      const mine = ofVideo((await inbox(alice)).items, v)[0];
      expect(mine).toBeDefined();

      for (const [method, path] of [
        ['GET', '/api/v1/me/notifications'],
        ['GET', '/api/v1/me/notifications/unread-count'],
        ['GET', '/api/v1/me/notifications/stream'],
        ['POST', `/api/v1/me/notifications/${mine.id}/read`],
        ['POST', '/api/v1/me/notifications/read-all'],
        ['GET', '/api/v1/me/notification-settings'],
      ] as const) {
        expect((await api(method, path)).status, path).toBe(401);
      }
      // Someone else's: exactly like a missing one, and it stays unread.
      const theirs = await api('POST', `/api/v1/me/notifications/${mine.id}/read`, { token: bob.token });
      expect(theirs.status).toBe(404);
      expect(theirs.body.error.code).toBe('notification_not_found');
      expect(ofVideo((await inbox(alice)).items, v)[0].read).toBe(false);
      const missing = await api('POST', `/api/v1/me/notifications/ntf_${'0'.repeat(32)}/read`, { token: alice.token });
      expect(missing.status).toBe(404);
      for (const id of ['nope', '..%2F..%2Fx', 'x'.repeat(65), 'a%20b%20c%20d']) {
        expect((await api('POST', `/api/v1/me/notifications/${id}/read`, { token: alice.token })).status, id).toBe(400);
      }
      for (const body of [{ muted: ['likes'] }, { muted: 'like' }, { muted: [], extra: true }, {}]) {
        const r = await api('PUT', '/api/v1/me/notification-settings', { token: alice.token, body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.code).toBe('validation_failed');
      }
      const readAll = await api('POST', '/api/v1/me/notifications/read-all', { token: alice.token, body: { everything: true } });
      expect(readAll.status).toBe(400);
    });

    it('mutes per type: nothing is written while muted, and muted rows are not shown', async () => {
      const u = await signup(api, `muter_${Math.random().toString(36).slice(2, 7)}`);
      const v = await seedVideo(t, u);
      await like(bob, v);
      expect(await mute(u, ['like', 'follow', 'like'])).toEqual({
        muted: ['like', 'follow'],
        types: ['like', 'comment', 'reply', 'mention', 'follow', 'video_ready', 'video_failed', 'restore_failed'],
      });
      expect((await api('GET', '/api/v1/me/notification-settings', { token: u.token })).body.muted).toEqual(['like', 'follow']);
      await like(carol, v);
      await follow(carol, u);
      await comment(carol, v, 'still heard');
      expect((await inbox(u)).items.map((n) => n.type)).toEqual(['comment']);
      expect(await unread(u)).toBe(1);

      await mute(u, []);
      const items = (await inbox(u)).items;
      // The like row written before the mute shows again; carol's like and follow, made while muted, were never written.
      expect(items.map((n) => n.type)).toEqual(['comment', 'like']);
      expect(items[1]).toMatchObject({ actorCount: 1, actors: [expect.objectContaining({ id: bob.id })] });
    });

    it("hides notifications across a block (either way) and writes none; the like group's count leaves them out", async () => {
      const u = await signup(api, `blocker_${Math.random().toString(36).slice(2, 7)}`);
      const m = await signup(api, `mallory_${Math.random().toString(36).slice(2, 7)}`);
      const v = await seedVideo(t, u);
      await like(bob, v);
      await like(m, v);
      await follow(m, u);
      await comment(m, v, 'hi there');
      expect((await inbox(u)).items.map((n) => n.type).sort()).toEqual(['comment', 'follow', 'like']);

      expect((await block(u, m)).status).toBe(200);
      let items = (await inbox(u)).items;
      expect(items.map((n) => n.type)).toEqual(['like']);
      expect(items[0]).toMatchObject({ actorCount: 1, text: `${bob.username} liked your video` });
      expect(await unread(u)).toBe(1);

      // The other way round: m blocked by nobody, but m blocks carol; carol's doings never reach m.
      const mv = await seedVideo(t, m);
      await like(carol, mv);
      expect((await block(m, carol)).status).toBe(200);
      expect((await inbox(m)).items).toEqual([]);
      // And nothing new is written across it even where the API would let the action through (a mention in a comment).
      const cv = await seedVideo(t, carol);
      await comment(carol, cv, `hey @${m.username}`);
      await block(m, carol, false);
      expect((await inbox(m)).items.filter((n) => n.type === 'mention')).toEqual([]);
      // Unblocked: what was written before the block shows again.
      expect((await inbox(m)).items.map((n) => n.type)).toEqual(['like']);
      items = (await inbox(u)).items;
      expect(items).toHaveLength(1);
    });

    it('a deleted video or account takes its notifications with it', async () => {
      const u = await signup(api, `leaver_${Math.random().toString(36).slice(2, 7)}`);
      const v = await seedVideo(t, alice);
      await like(u, v);
      await follow(u, alice);
      const uv = await seedVideo(t, u);
      await like(alice, uv);
      await like(bob, uv);
      expect((await inbox(u)).items).toHaveLength(1);
      const count = async (sql: string, id: string) =>
        (await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE ${sql}`, [id])).rows[0]!.n;
      expect(await count('recipient_id = $1', u.id)).toBe(1);

      expect((await api('DELETE', '/api/v1/me', { token: u.token, body: { password: 'correct horse battery' } })).status).toBe(204);
      expect(await count('recipient_id = $1', u.id)).toBe(0);
      expect(await count('actor_id = $1', u.id)).toBe(0);
      const a = (await inbox(alice)).items;
      expect(a.filter((n) => n.actors.some((x: any) => x.id === u.id))).toEqual([]);
      expect(ofVideo(a, v)).toEqual([]); // u was its only liker

      // A deleted video: its like row goes.
      const w = await seedVideo(t, alice);
      await like(bob, w);
      expect(ofVideo((await inbox(alice)).items, w)).toHaveLength(1);
      expect((await api('DELETE', `/api/v1/videos/${w}`, { token: alice.token })).status).toBe(204);
      expect(ofVideo((await inbox(alice)).items, w)).toEqual([]);
      expect(await count('video_id = $1', w)).toBe(0);
    });

    it('retention deletes notifications that last changed longer ago than the retention days', async () => {
      const u = await signup(api, `old_${Math.random().toString(36).slice(2, 7)}`);
      await follow(bob, u);
      await follow(carol, u);
      await t.app.db.query(
        `UPDATE notifications SET created_at = now() - interval '100 days', updated_at = now() - interval '100 days'
         WHERE recipient_id = $1 AND actor_id = $2`,
        [u.id, bob.id],
      );
      expect(await t.app.services.notifications.prune(90)).toBeGreaterThanOrEqual(1);
      expect((await inbox(u)).items.map((n) => n.actors[0].id)).toEqual([carol.id]);
    });

    it('streams new notifications and the unread count live over SSE, including ones no request of this process wrote', async () => {
      const u = await signup(api, `live_${Math.random().toString(36).slice(2, 7)}`);
      const v = await seedVideo(t, u);
      const stream = await openNotificationStream(t.baseUrl, u.token);
      try {
        expect(stream.res.status).toBe(200);
        expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
        expect((await stream.next((e) => e.event === 'unread')).data).toEqual({ unread: 0 });

        await like(bob, v);
        const n = await stream.next((e) => e.event === 'notification');
        expect(n.data).toMatchObject({ type: 'like', text: `${bob.username} liked your video`, video: { id: v } });
        expect((await stream.next((e) => e.event === 'unread')).data).toEqual({ unread: 1 });

        // More likes: the same row again, grouped.
        await like(carol, v);
        const again = await stream.next((e) => e.event === 'notification');
        expect(again.data).toMatchObject({ id: n.data.id, actorCount: 2 });

        // A database trigger (a worker elsewhere finishing a video) pokes nobody here: the shared read finds it.
        const p = await seedVideo(t, u, { status: 'processing' });
        await new VideosRepository(t.app.db).transition(p, ['processing'], 'ready');
        const ready = await stream.next((e) => e.event === 'notification' && e.data.type === 'video_ready');
        expect(ready.data.video.id).toBe(p);

        // Reading elsewhere (another tab) lowers the count on this stream.
        await api('POST', '/api/v1/me/notifications/read-all', { token: u.token });
        expect((await stream.next((e) => e.event === 'unread' && e.data.unread === 0)).data).toEqual({ unread: 0 });
      } finally {
        stream.close();
      }
    });
  });
}
