import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/lib/ids.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

interface Item {
  id: string;
  author: { username: string };
}

/**
 * The app's settings for this suite: no exploration slots. Every seeded video
 * is new and so on trial, and a Thompson draw may lift any of them into a
 * random slot, which would make the rank comparisons below a coin toss
 * (exploration honours the marks too: exploration.test.ts, recs-simulation).
 */
export const NOT_INTERESTED_ENV = { RECS_EXPLORE_SHARE: '0' };

/**
 * POST/DELETE /api/v1/videos/{id}/not-interested and what it does to For You,
 * against whatever app `start` gives (embedded, and PostgreSQL + Redis), started with NOT_INTERESTED_ENV.
 */
export function notInterestedSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let viewer: TestUser;
    let other: TestUser;
    let bob: TestUser;
    let ana: TestUser;
    let cy: TestUser;
    const bobs: string[] = [];
    const rest: string[] = [];
    let cyDogs: string;

    const mark = (token: string | undefined, id: string, method: 'POST' | 'DELETE' = 'POST', extra: Record<string, unknown> = {}) =>
      api(method, `/api/v1/videos/${encodeURIComponent(id)}/not-interested`, { token, ...extra });
    const forYou = (token: string | undefined, query = '?limit=30', device?: string) =>
      api('GET', `/api/v1/feed/for-you${query}`, { token, headers: device ? { 'x-device-id': device } : {} });
    /** Every page of one cursor chain. */
    async function allIds(token: string | undefined, device?: string): Promise<string[]> {
      const out: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await forYou(token, `?limit=7${cursor ? `&cursor=${cursor}` : ''}`, device);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        out.push(...r.body.items.map((i: Item) => i.id));
        cursor = r.body.nextCursor;
      } while (cursor && ++pages < 50);
      return out;
    }
    /**
     * Mean position of `ids` among this suite's seeded videos on one For You
     * page (all of them must be on it): videos other tests add (the viewer's
     * own, a hidden one) do not shift the ranks compared.
     */
    async function meanRank(token: string | undefined, ids: string[]): Promise<number> {
      const r = await forYou(token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const seeded = new Set([...rest, cyDogs, ...bobs]);
      const page: string[] = r.body.items.map((i: Item) => i.id).filter((id: string) => seeded.has(id));
      const ranks = ids.map((id) => page.indexOf(id));
      expect(
        ranks.every((i) => i >= 0),
        `all of ${ids.join(',')} on ${page.join(',')}`,
      ).toBe(true);
      return ranks.reduce((a, b) => a + b, 0) / ranks.length;
    }

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      viewer = await signup(api, 'ni_viewer');
      other = await signup(api, 'ni_other');
      bob = await signup(api, 'ni_bob');
      ana = await signup(api, 'ni_ana');
      cy = await signup(api, 'ni_cy');
      // Oldest first: the "fresh" source ranks bob's (and cy's #dogs) videos first before any mark. One hashtag each:
      // with three #cats in a row forbidden (diversify), a run of them would pull a sunk video up between them.
      for (const [i, tag] of ['cats', 'food', 'cars', 'art'].entries())
        rest.push(await seedVideo(t, i % 2 ? ana : cy, { caption: `plain ${i} #${tag}`, ageMs: 60_000 * (10 - i) }));
      cyDogs = await seedVideo(t, cy, { caption: 'a dog too #dogs', ageMs: 30_000 });
      for (let i = 0; i < 3; i++) bobs.push(await seedVideo(t, bob, { caption: `bob ${i} #dogs`, ageMs: 1000 * (3 - i) }));
      t.app.services.recs.catalog.invalidate();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('needs a signed-in viewer: anonymous callers (with or without a device id) get 401 unauthorized', async () => {
      for (const headers of [{}, { 'x-device-id': randomUUID() }]) {
        for (const method of ['POST', 'DELETE'] as const) {
          const r = await mark(undefined, bobs[0]!, method, { headers });
          expect(r.status, method).toBe(401);
          expect(r.body.error.code).toBe('unauthorized');
        }
      }
    });

    it('refuses malformed ids, unknown videos, videos the viewer cannot see, their own, and unknown fields', async () => {
      for (const bad of ["' OR 1=1 --", 'not an id!', 'x'.repeat(90), '%00']) {
        const r = await mark(viewer.token, bad);
        expect(r.status, bad).toBe(400);
        expect(r.body.error.code).toBe('validation_failed');
      }
      const unknown = await mark(viewer.token, randomId());
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('video_not_found');
      const hidden = await seedVideo(t, ana, { visibility: 'private' });
      const priv = await mark(viewer.token, hidden);
      expect(priv.status).toBe(404);
      expect(priv.body.error.code).toBe('video_not_found');
      const mine = await seedVideo(t, viewer, { caption: 'mine' });
      const own = await mark(viewer.token, mine);
      expect(own.status).toBe(400);
      expect(own.body.error.code).toBe('cannot_mark_own_video');
      const extra = await mark(viewer.token, bobs[0]!, 'POST', { body: { reason: 'boring' } });
      expect(extra.status).toBe(400);
      // Nothing was stored by any of these.
      const stored = await t.app.db.query(`SELECT count(*)::int AS n FROM video_not_interested WHERE user_id = $1`, [viewer.id]);
      expect(stored.rows[0]).toEqual({ n: 0 });
    });

    it("hides the video from that viewer's For You for good and sinks its author and hashtag; others are unaffected; undo restores", async () => {
      const [marked, ...bobsOthers] = bobs as [string, ...string[]];
      const before = await allIds(viewer.token);
      expect(before).toContain(marked);
      const bobBefore = await meanRank(viewer.token, bobsOthers);
      const dogsBefore = await meanRank(viewer.token, [cyDogs]);

      // Idempotent: twice is the same as once.
      for (let i = 0; i < 2; i++) {
        const r = await mark(viewer.token, marked);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toEqual({ notInterested: true });
      }

      const after = await allIds(viewer.token);
      expect(after).not.toContain(marked);
      // Down-weighted, not banned: bob's other videos still come, later than before; so does the other #dogs video.
      for (const id of [...bobsOthers, ...rest, cyDogs]) expect(after).toContain(id);
      const bobAfter = await meanRank(viewer.token, bobsOthers);
      expect(bobAfter).toBeGreaterThan(bobBefore);
      expect(await meanRank(viewer.token, [cyDogs])).toBeGreaterThan(dogsBefore);
      // Below every unrelated video: the penalty outweighs the sources.
      expect(bobAfter).toBeGreaterThan(await meanRank(viewer.token, rest));

      // Other viewers (a user, an anonymous device) still get it, and bob ahead of where the viewer now has him.
      const device = randomUUID();
      expect(await allIds(other.token)).toContain(marked);
      expect(await allIds(undefined, device)).toContain(marked);
      expect(await meanRank(other.token, bobsOthers)).toBeLessThan(bobAfter);

      // Training reads the mark as the strongest negative of that pair only.
      const { pairs } = await t.app.services.recs.source.history(new Date(Date.now() - 3600_000)); // from the lake, the buffer delivered first
      expect(pairs.find((p) => p.viewer === viewer.id && p.videoId === marked)).toMatchObject({ notInterested: true });
      expect(pairs.some((p) => p.viewer !== viewer.id && p.notInterested)).toBe(false);

      // Undo (idempotent too): back in the feed.
      for (let i = 0; i < 2; i++) {
        const r = await mark(viewer.token, marked, 'DELETE');
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ notInterested: false });
      }
      expect(await allIds(viewer.token)).toContain(marked);
    });

    it("also leaves that viewer's trending (For You's fallback), and only theirs", async () => {
      const v = await seedVideo(t, ana, { caption: 'trending one #cats' });
      expect((await api('PUT', `/api/v1/videos/${v}/like`, { token: other.token })).status).toBe(200);
      const trending = async (token: string | undefined) => {
        const r = await api('GET', '/api/v1/feed/trending?limit=50', { token });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return r.body.items.map((i: Item) => i.id) as string[];
      };
      expect(await trending(viewer.token)).toContain(v);
      expect((await mark(viewer.token, v)).status).toBe(200);
      expect(await trending(viewer.token)).not.toContain(v);
      expect(await trending(other.token)).toContain(v);
      expect(await trending(undefined)).toContain(v);
      expect((await mark(viewer.token, v, 'DELETE')).status).toBe(200);
      expect(await trending(viewer.token)).toContain(v);
    });

    it('undo works after the video became hidden, and a deleted video takes its marks with it', async () => {
      const v = await seedVideo(t, ana, { caption: 'soon private' });
      expect((await mark(viewer.token, v)).status).toBe(200);
      await t.app.db.query(`UPDATE videos SET visibility = 'private' WHERE id = $1`, [v]);
      expect((await mark(viewer.token, v, 'DELETE')).body).toEqual({ notInterested: false });
      const n = async () =>
        (await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM video_not_interested WHERE video_id = $1`, [v])).rows[0]!.n;
      expect(await n()).toBe(0);
      await t.app.db.query(`UPDATE videos SET visibility = 'public' WHERE id = $1`, [v]);
      expect((await mark(other.token, v)).status).toBe(200);
      expect(await n()).toBe(1);
      await t.app.db.query(`DELETE FROM videos WHERE id = $1`, [v]);
      expect(await n()).toBe(0);
    });
  });
}
