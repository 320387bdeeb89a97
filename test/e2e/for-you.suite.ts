import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/** Who asks: a signed-in user (token) and/or an anonymous device. */
interface Viewer {
  token?: string;
  device?: string;
}

const newDevice = (): Viewer => ({ device: randomUUID() });

/**
 * GET /api/v1/feed/for-you against whatever app `start` gives (embedded, and
 * PostgreSQL + Redis). The pool here is small, so `limit` is large enough to
 * page through all of it.
 */
export function forYouSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let viewer: TestUser;
    let creators: TestUser[];

    const forYou = (v: Viewer, query = '') =>
      api('GET', `/api/v1/feed/for-you${query}`, { token: v.token, headers: v.device ? { 'x-device-id': v.device } : {} });

    /** Every page of one cursor chain. */
    async function allPages(v: Viewer, limit = 7): Promise<string[][]> {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const r = await forYou(v, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        pages.push(r.body.items.map((i: { id: string }) => i.id));
        cursor = r.body.nextCursor;
      } while (cursor && pages.length < 50);
      return pages;
    }

    async function send(v: Viewer, events: Array<Record<string, unknown>>) {
      const r = await api('POST', '/api/v1/events', {
        token: v.token,
        headers: v.device ? { 'x-device-id': v.device } : {},
        body: { events },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const complete = (v: Viewer, id: string) =>
      send(v, [
        { type: 'impression', videoId: id },
        { type: 'play', videoId: id },
        { type: 'complete', videoId: id, watchedMs: 15_000 },
      ]);
    const quickSkip = (v: Viewer, id: string) =>
      send(v, [
        { type: 'impression', videoId: id },
        { type: 'play', videoId: id },
        { type: 'skip', videoId: id, watchedMs: 600 },
      ]);

    /** The catalog is a few seconds stale by design; seeded rows bypass the publish event that refreshes it. */
    const refreshCatalog = () => t.app.services.recs.catalog.invalidate();

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      viewer = await signup(api, 'viewer');
      creators = [];
      for (const n of ['cat1', 'cat2', 'dog1', 'dog2']) creators.push(await signup(api, n));
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('who may ask', () => {
      beforeAll(async () => {
        await seedVideo(t, creators[0]!, { caption: 'hello #first' });
        refreshCatalog();
      });

      it('answers signed-in viewers, anonymous devices and anonymous visitors without a device', async () => {
        for (const v of [{ token: viewer.token }, newDevice(), {}]) {
          const r = await forYou(v);
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          expect(Array.isArray(r.body.items)).toBe(true);
          expect(r.body.items.length).toBeGreaterThan(0);
          expect(r.headers.get('cache-control')).toMatch(/private|no-store/);
        }
      });

      it('refuses a malformed device id, a forged cursor and a silly limit with 400', async () => {
        const bad = await forYou({ device: 'short' });
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('validation_failed');
        for (const q of ['?limit=0', '?limit=1000']) {
          const r = await forYou(newDevice(), q);
          expect(r.status, q).toBe(400);
          expect(r.body.error.code).toBe('validation_failed');
        }
        // Cursors are signed: one this feed did not hand out (well-formed or not) is never looked up.
        for (const cursor of ["' OR 1=1 --", 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAA.1', 'AAAAAAAAAAAAAAAA.1.AAAAAAAAAAAAAAAAAAAAAA']) {
          const r = await forYou(newDevice(), `?cursor=${encodeURIComponent(cursor)}`);
          expect(r.status, cursor).toBe(400);
          expect(r.body.error.code).toBe('invalid_cursor');
        }
      });
    });

    describe('what it never shows', () => {
      let visible: string[];
      let hidden: Record<string, string>;

      beforeAll(async () => {
        const [c1, c2, d1, d2] = creators as [TestUser, TestUser, TestUser, TestUser];
        const blocked = await signup(api, 'blocked');
        const blocker = await signup(api, 'blocker');
        const root = await signup(api, 'root');
        expect((await adminCommand(t.app.db, ['grant', 'root'])).code).toBe(0);
        visible = [];
        for (const [i, c] of [c1, c2, d1, d2, c1, c2, d1, d2, c1, c2].entries())
          visible.push(await seedVideo(t, c, { caption: `clip ${i}` }));
        hidden = {
          own: await seedVideo(t, viewer, { caption: 'my own' }),
          private: await seedVideo(t, c1, { visibility: 'private' }),
          unlisted: await seedVideo(t, c1, { visibility: 'unlisted' }),
          followers: await seedVideo(t, c1, { visibility: 'followers' }),
          processing: await seedVideo(t, c1, { status: 'processing' }),
          failed: await seedVideo(t, c1, { status: 'failed' }),
          takenDown: await seedVideo(t, c2, { caption: 'soon gone' }),
          blockedByViewer: await seedVideo(t, blocked, { caption: 'blocked by the viewer' }),
          blockerOfViewer: await seedVideo(t, blocker, { caption: 'its author blocked the viewer' }),
        };
        await api('PUT', `/api/v1/users/${c1.username}/follow`, { token: viewer.token });
        expect((await api('PUT', `/api/v1/users/blocked/block`, { token: viewer.token })).status).toBeLessThan(300);
        expect((await api('PUT', `/api/v1/users/viewer/block`, { token: blocker.token })).status).toBeLessThan(300);
        refreshCatalog();
        // Taken down after the catalog saw it: the per-row re-check must still drop it.
        await forYou(newDevice());
        const td = await api('POST', `/api/v1/admin/videos/${hidden.takenDown}/takedown`, { token: root.token, body: { reason: 'test' } });
        expect(td.status).toBe(200);
      });

      it('pages through everything once: no repeats, nothing hidden, every visible video reached', async () => {
        const pages = await allPages({ token: viewer.token });
        const seen = pages.flat();
        expect(new Set(seen).size).toBe(seen.length);
        for (const [why, id] of Object.entries(hidden)) expect(seen, why).not.toContain(id);
        for (const id of visible) expect(seen).toContain(id);
      });

      it('shows each video with its fresh counters and, signed in, the viewer’s own flags (read with the re-checked rows)', async () => {
        const [bookmarked, other] = [visible[0]!, visible[1]!]; // by c1 (whom the viewer follows) and c2
        const fan = await signup(api, 'fan_counts');
        for (const id of [bookmarked, other])
          expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: fan.token })).status).toBe(200);
        expect((await api('PUT', `/api/v1/videos/${bookmarked}/bookmark`, { token: viewer.token })).status).toBe(200);
        /** Every item of one cursor chain, by id. */
        const items = async (v: Viewer) => {
          const byId = new Map<string, { stats: { likes: number }; viewer?: Record<string, boolean> }>();
          let cursor: string | null = null;
          do {
            const r = await forYou(v, `?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
            expect(r.status).toBe(200);
            for (const item of r.body.items) byId.set(item.id, item);
            cursor = r.body.nextCursor;
          } while (cursor && byId.size < 200);
          return byId;
        };
        // Twice: with the snapshot still holding the videos taken down or hidden since (a page refilled after its
        // re-check, presented with one more query), then with a fresh snapshot (rows and counters in one statement).
        for (const fresh of [false, true]) {
          if (fresh) refreshCatalog();
          const mine = await items({ token: viewer.token });
          expect(mine.get(bookmarked)).toMatchObject({
            stats: { likes: 1 },
            viewer: { liked: false, bookmarked: true, followsAuthor: true },
          });
          expect(mine.get(other)).toMatchObject({ stats: { likes: 1 }, viewer: { liked: false, bookmarked: false, followsAuthor: false } });
          const anonymous = await items(newDevice());
          expect(anonymous.get(bookmarked)?.stats.likes).toBe(1);
          expect(anonymous.get(bookmarked)?.viewer).toBeUndefined();
        }
      });

      it('hides blocks and own videos per viewer: an anonymous device sees those, never the private or taken-down ones', async () => {
        const seen = (await allPages(newDevice())).flat();
        expect(seen).toContain(hidden.blockedByViewer);
        expect(seen).not.toContain(hidden.takenDown);
        expect(seen).not.toContain(hidden.private);
        // The viewer's own video is hidden from them only.
        expect(seen).toContain(hidden.own);
      });

      it('never puts one creator twice in a row while others are available', async () => {
        const r = await forYou(newDevice(), '?limit=8');
        const owners: string[] = r.body.items.map((i: { author: { username: string } }) => i.author.username);
        expect(owners.length).toBe(8);
        for (let i = 1; i < owners.length; i++) expect(owners[i], owners.join(',')).not.toBe(owners[i - 1]);
      });

      it('does not show again what the viewer already watched', async () => {
        const device = newDevice();
        const first = await forYou(device, '?limit=3');
        const watched: string[] = first.body.items.map((i: { id: string }) => i.id);
        for (const id of watched) await complete(device, id);
        const again = (await allPages(device)).flat();
        for (const id of watched) expect(again).not.toContain(id);
      });

      it('refills the page when videos were taken down after the snapshot it ranks from', async () => {
        const admin = await signup(api, 'root_refill');
        expect((await adminCommand(t.app.db, ['grant', 'root_refill'])).code).toBe(0);
        const doomed: string[] = [];
        for (let i = 0; i < 6; i++) doomed.push(await seedVideo(t, creators[i % 4]!, { caption: `refill ${i}` }));
        refreshCatalog();
        const before = (await allPages(newDevice())).flat();
        for (const id of doomed) expect(before).toContain(id);
        for (const id of doomed) {
          const td = await api('POST', `/api/v1/admin/videos/${id}/takedown`, { token: admin.token, body: { reason: 'test' } });
          expect(td.status).toBe(200);
        }
        // The next request still ranks the old snapshot (it refreshes in the background), whose top candidates hold
        // most of the six: the re-check drops them and the rest of the candidates fill the page.
        const limit = before.length - doomed.length;
        const r = await forYou(newDevice(), `?limit=${limit}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const ids: string[] = r.body.items.map((i: { id: string }) => i.id);
        for (const id of doomed) expect(ids).not.toContain(id);
        expect(ids.length).toBe(limit);
        expect(new Set(ids).size).toBe(limit);
      });
    });

    describe('real time', () => {
      let cats: string[];
      let dogs: string[];

      beforeAll(async () => {
        const [c1, c2, d1, d2] = creators as [TestUser, TestUser, TestUser, TestUser];
        cats = [];
        dogs = [];
        for (let i = 0; i < 4; i++) {
          cats.push(await seedVideo(t, i % 2 ? c2 : c1, { caption: `cat video ${i} #cats` }));
          dogs.push(await seedVideo(t, i % 2 ? d2 : d1, { caption: `dog video ${i} #dogs` }));
        }
        refreshCatalog();
      });

      it('an event changes the very next page, with no retraining', async () => {
        const device = newDevice();
        const rankOf = (items: Array<{ id: string }>, set: string[]) => {
          const ranks = items.map((v, i) => (set.includes(v.id) ? i : -1)).filter((i) => i >= 0);
          expect(ranks.length, 'the compared videos must be on the page').toBeGreaterThan(0);
          return ranks.reduce((a, b) => a + b, 0) / Math.max(1, ranks.length);
        };
        await complete(device, cats[0]!);
        await quickSkip(device, dogs[0]!);
        const started = Date.now();
        await complete(device, cats[1]!);
        await quickSkip(device, dogs[1]!);
        const page = await forYou(device, '?limit=30');
        const elapsed = Date.now() - started;
        const items: Array<{ id: string }> = page.body.items;
        const catsLeft = cats.slice(2);
        const dogsLeft = dogs.slice(2);
        // Watched or skipped: gone. The liked kind comes before the skipped kind.
        for (const id of [...cats.slice(0, 2), ...dogs.slice(0, 2)]) expect(items.map((v) => v.id)).not.toContain(id);
        expect(rankOf(items, catsLeft)).toBeLessThan(rankOf(items, dogsLeft));

        // And the other way round for another viewer, from the same catalog and model.
        const other = newDevice();
        await complete(other, dogs[0]!);
        await quickSkip(other, cats[0]!);
        const flipped: Array<{ id: string }> = (await forYou(other, '?limit=30')).body.items;
        expect(rankOf(flipped, dogs.slice(1))).toBeLessThan(rankOf(flipped, cats.slice(1)));
        // Reported, not asserted: timings belong in bench/recs.
        if (process.env.CURTA_VERBOSE) console.log(`[for-you] events → adapted page in ${elapsed} ms`);
      });
    });

    describe('learning from stored events', () => {
      const groupA: string[] = [];
      const groupB: string[] = [];
      let a2: TestUser;

      beforeAll(async () => {
        const [a1, b1] = [await signup(api, 'tasteA1'), await signup(api, 'tasteB1')];
        a2 = await signup(api, 'tasteA2');
        const b2 = await signup(api, 'tasteB2');
        // No hashtags: what connects a group is only who watches it.
        for (let i = 0; i < 6; i++) {
          for (const [owner, group] of [
            [a1, groupA],
            [a2, groupA],
            [b1, groupB],
            [b2, groupB],
          ] as const) {
            group.push(await seedVideo(t, owner, { caption: `untagged ${owner.username} ${i}` }));
          }
        }
        refreshCatalog();
        // 24 viewers with hidden tastes: each completes most of their group and quick-skips some of the other.
        for (let v = 0; v < 24; v++) {
          const device = newDevice();
          const [liked, disliked] = v % 2 ? [groupA, groupB] : [groupB, groupA];
          const events: Array<Record<string, unknown>> = [];
          liked.forEach((id, i) => {
            if ((i + v) % 3 !== 0) events.push({ type: 'impression', videoId: id }, { type: 'complete', videoId: id, watchedMs: 15_000 });
          });
          for (const id of disliked.slice(v % 4, (v % 4) + 3))
            events.push({ type: 'impression', videoId: id }, { type: 'skip', videoId: id, watchedMs: 500 });
          await send(device, events);
        }
      });

      it('trains a versioned model that the API process loads without a restart, then folds new viewers into it', async () => {
        const recs = t.app.services.recs;
        const before = recs.models.version;
        const outcome = await recs.trainer.train({ force: true });
        expect(outcome.trained).toBe(true);
        if (!outcome.trained) return;
        expect(outcome.summary.version).toBeGreaterThan(before);
        expect(outcome.summary.users).toBeGreaterThanOrEqual(24);
        expect(outcome.summary.videos).toBeGreaterThanOrEqual(24);
        expect(outcome.summary.eventsRead).toBeGreaterThanOrEqual(24 * 8);
        expect(await t.app.store.head(outcome.summary.objectKey)).not.toBeNull();
        // Nothing new since: a scheduled run skips.
        expect(await recs.trainer.train()).toEqual({ trained: false, reason: 'no new events since the current model' });

        // The API process notices the new version on its own (RECS_MODEL_POLL_SEC=1 here).
        const deadline = Date.now() + 10_000;
        while (recs.models.version !== outcome.summary.version && Date.now() < deadline) {
          await forYou(newDevice());
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(recs.models.version).toBe(outcome.summary.version);
        const metrics = await fetch(`${t.baseUrl}/metrics`).then((r) => r.text());
        expect(metrics).toContain(`curta_recs_model_version ${outcome.summary.version}`);

        // A new viewer completes one of tasteA1's videos: tasteA2's videos (same hidden taste, other creator,
        // no shared hashtag) now rank above group B — only the learned model connects them.
        const device = newDevice();
        await complete(device, groupA[0]!);
        const items: Array<{ id: string; author: { username: string } }> = (await forYou(device, '?limit=30')).body.items;
        const rank = (pred: (v: { id: string; author: { username: string } }) => boolean) => {
          const r = items.map((v, i) => (pred(v) ? i : -1)).filter((i) => i >= 0);
          expect(r.length).toBeGreaterThan(0);
          return r.reduce((x, y) => x + y, 0) / r.length;
        };
        expect(rank((v) => v.author.username === a2.username)).toBeLessThan(rank((v) => groupB.includes(v.id)));

        // A newer version whose artifact is broken is logged and skipped: the loaded model keeps serving.
        const broken = 'recs/models/broken.bin';
        await t.app.store.put(broken, Buffer.from('not a model'), { contentType: 'application/octet-stream' });
        await t.app.db.query(
          `INSERT INTO recs_models (object_key, events_read, users, videos, pairs, train_ms) VALUES ($1, 0, 0, 0, 0, 0)`,
          [broken],
        );
        await recs.models.refresh();
        expect(recs.models.version).toBe(outcome.summary.version);
        expect((await forYou(newDevice())).status).toBe(200);
      });
    });
  });
}
