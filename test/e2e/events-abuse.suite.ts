import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEED_GENERATION_KEY } from '../../src/modules/videos/video-events.js';
import { parallel, seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * Low limits and budgets for this suite. Every client is 127.0.0.1, so the
 * app trusts X-Forwarded-For and each scenario speaks from addresses of its
 * own — random per run, since on Redis the day-long windows outlive a run.
 */
export const EVENTS_ABUSE_ENV: Record<string, string> = {
  TRUST_PROXY: 'true',
  RATE_LIMIT_EVENTS_PER_DEVICE: '3/1d',
  RATE_LIMIT_EVENTS_PER_USER: '4/1d',
  RATE_LIMIT_EVENTS_PER_IP: '250/1d',
  EVENTS_NEW_DEVICES_PER_IP: '5/1d',
  EVENTS_ANON_VIEWS_PER_IP: '3',
};
const BUDGET = 3;
const NEW_DEVICES = 5;

/** Fake views, unbounded events and their retention (issue 11, point 4), against the real app. */
export function eventsAbuseSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let maker: TestUser;
    const run = randomBytes(4).toString('hex');
    const [a, b] = [...randomBytes(2)];
    let hosts = 0;
    /** A fresh IPv4 address. */
    const address = () => `10.${a}.${b}.${++hosts}`;
    let devices = 0;
    const device = () => `abuse-${run}-${String(++devices).padStart(6, '0')}`;
    const send = (events: unknown[], from: string, opts: { device?: string; token?: string } = {}) =>
      api('POST', '/api/v1/events', {
        token: opts.token,
        headers: { 'x-forwarded-for': from, ...(opts.device ? { 'x-device-id': opts.device } : {}) },
        body: { events },
      });
    const complete = (videoId: string) => ({ type: 'complete', videoId });
    const views = async (id: string): Promise<number> => (await api('GET', `/api/v1/videos/${id}`)).body.stats.views;
    const expectLimited = (r: { status: number; body: any; headers: Headers }) => {
      expect(r.status, JSON.stringify(r.body)).toBe(429);
      expect(r.body.error.code).toBe('rate_limited');
      expect(r.body.error.message).toMatch(/playback event batches/);
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      expect(r.body.error.details.retryAfter).toBe(retryAfter);
    };

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      maker = await signup(api, `abusemaker${run}`);
    });

    afterAll(async () => {
      await t?.close();
    });

    it('adds at most the per-address budget of views for 200 rotated device ids, and does not move the video up trending', async () => {
      const fan = await signup(api, `abusefan${run}`);
      const liked = await seedVideo(t, maker, { caption: 'liked once' }); // 1 like = 4
      const watched = await seedVideo(t, maker, { caption: 'watched twice' }); // 2 viewers from 2 addresses = 2
      const target = await seedVideo(t, maker, { caption: 'boost me' });
      expect((await api('PUT', `/api/v1/videos/${liked}/like`, { token: fan.token })).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await send([complete(watched)], address(), { device: device() })).body.viewsCounted).toBe(1);

      // One address, 200 device ids, at once.
      const attacker = address();
      const attack = await parallel(200, () => send([complete(target)], attacker, { device: device() }));
      expect(attack.map((r) => r.status)).toEqual(attack.map(() => 200));
      expect(attack.reduce((n, r) => n + r.body.viewsCounted, 0)).toBe(BUDGET);
      expect(await views(target)).toBe(BUDGET);

      // IPv6: a whole /64 is one address; rotating addresses inside it changes nothing.
      const [c, d] = [...randomBytes(2)].map((x) => x.toString(16));
      const target6 = await seedVideo(t, maker, { caption: 'boost me over IPv6' });
      const attack6 = await parallel(60, (i) =>
        send([complete(target6)], `2001:db8:${c}:${d}::${(i + 1).toString(16)}`, { device: device() }),
      );
      expect(attack6.reduce((n, r) => n + r.body.viewsCounted, 0)).toBe(BUDGET);

      // Anyone else still counts.
      expect((await send([complete(target)], address(), { device: device() })).body.viewsCounted).toBe(1);
      expect((await send([complete(target)], attacker, { token: fan.token })).body.viewsCounted).toBe(1);
      expect(await views(target)).toBe(BUDGET + 2);

      // Trending counts anonymous viewers by address: the whole attack is one viewer. Scores: liked 4 (a like),
      // target 3 (the attacker's address, another address, an account), watched 2 (two addresses).
      await t.app.cache.incr(FEED_GENERATION_KEY); // videos seeded behind the app's back: a fresh ranking
      t.app.services.videos.forgetFeedGeneration();
      const trending = await api('GET', '/api/v1/feed/trending?limit=50');
      expect(trending.status).toBe(200);
      const mine = new Set([liked, watched, target]);
      const order = (trending.body.items as Array<{ id: string }>).map((v) => v.id).filter((id) => mine.has(id));
      expect(order).toEqual([liked, target, watched]);
    });

    it('counts only the first new device ids an address brings; the others are stored but never counted', async () => {
      const from = address();
      const popular = await seedVideo(t, maker, { caption: 'trial' });
      const own: string[] = [];
      for (let i = 0; i < 2 * NEW_DEVICES; i++) own.push(await seedVideo(t, maker, { caption: `own ${i}` }));
      const names = own.map(() => device());
      const counted: number[] = [];
      for (const [i, id] of own.entries()) {
        const r = await send([complete(id), complete(popular)], from, { device: names[i] });
        expect(r.status).toBe(200);
        expect(r.body.accepted).toBe(2);
        counted.push(r.body.viewsCounted);
      }
      // The first three: their own video and the shared one; the next two: the shared one's budget is spent; the rest: nothing.
      expect(counted).toEqual([2, 2, 2, 1, 1, 0, 0, 0, 0, 0]);
      expect(await views(popular)).toBe(BUDGET);
      const another = await seedVideo(t, maker, { caption: 'later' });
      expect((await send([complete(another)], from, { device: names[0] })).body.viewsCounted).toBe(1); // admitted: still counts
      expect((await send([complete(another)], from, { device: names[NEW_DEVICES] })).body.viewsCounted).toBe(0);
      expect((await send([complete(another)], address(), { device: device() })).body.viewsCounted).toBe(1); // another address

      const stored = await t.app.db.query<{ counted: boolean; n: number }>(
        `SELECT counted, count(*)::int AS n FROM events WHERE device_id = ANY($1::text[]) GROUP BY counted ORDER BY counted`,
        [names],
      );
      expect(stored.rows).toEqual([
        { counted: false, n: 2 * NEW_DEVICES + 1 },
        { counted: true, n: 2 * NEW_DEVICES + 1 },
      ]);
      // The trial's exposure (what promotes a new video in For You) sees the counted devices only.
      const stats = await t.app.services.recs.repo.exploreStats(new Date(Date.now() - 3600_000));
      expect(stats.find((s) => s.videoId === popular)).toMatchObject({ viewers: NEW_DEVICES, engaged: NEW_DEVICES });
    });

    it('answers 429 rate_limited with Retry-After per device, per user and per address', async () => {
      const video = await seedVideo(t, maker, { caption: 'limits' });
      const batch = [{ type: 'impression', videoId: video }];
      // Per device: 3 a day.
      const from = address();
      const dev = device();
      for (let i = 0; i < 3; i++) expect((await send(batch, from, { device: dev })).status).toBe(200);
      expectLimited(await send(batch, from, { device: dev }));
      expectLimited(await send(batch, address(), { device: dev })); // from anywhere
      expect((await send(batch, from, { device: device() })).status).toBe(200); // another device is not affected

      // Per user: 4 a day, whatever the device.
      const viewer = await signup(api, `abuseviewer${run}`);
      for (let i = 0; i < 4; i++) expect((await send(batch, address(), { token: viewer.token, device: device() })).status).toBe(200);
      expectLimited(await send(batch, address(), { token: viewer.token, device: device() }));

      // Per address: 250 a day, however many devices.
      const crowded = address();
      const unknownVideo = 'AAAAAAAAAAAAAAAA'; // dropped: nothing stored
      const within = await parallel(250, () => send([{ type: 'impression', videoId: unknownVideo }], crowded, { device: device() }));
      expect(within.every((r) => r.status === 200)).toBe(true);
      expectLimited(await send(batch, crowded, { device: device() }));
      expect((await send(batch, address(), { device: device() })).status).toBe(200);
    });

    it('deletes events past the retention window in batches, idempotently, leaving the counters', async () => {
      const video = await seedVideo(t, maker, { caption: 'retention' });
      const from = address();
      for (let i = 0; i < 2; i++) expect((await send([complete(video)], from, { device: device() })).body.viewsCounted).toBe(1);
      const old = `old-${run}-device-0001`;
      // Ten events from 50 hours ago, one from 47 hours ago (inside the default 48: EVENTS_RETENTION_HOURS), and an old view record.
      await t.app.db.query(
        `INSERT INTO events (type, video_id, device_id, client_at, received_at)
         SELECT 'impression', $1, $2, now() - make_interval(hours => d), now() - make_interval(hours => d)
         FROM unnest(array[50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 47]) AS x(d)`,
        [video, old],
      );
      await t.app.db.query(
        `INSERT INTO video_views (video_id, viewer_key, period, created_at)
         VALUES ($1, $2, floor(extract(epoch from now() - interval '100 days') / 86400)::int, now() - interval '100 days')`,
        [video, `d:${old}`],
      );
      await t.app.db.query(
        `INSERT INTO view_budgets (video_id, address, period, used)
         VALUES ($1, 'old-address', floor(extract(epoch from now() - interval '3 days') / 86400)::int, 1)`,
        [video],
      );
      const stats = async () =>
        (await t.app.db.query<{ views: number }>('SELECT views FROM video_stats WHERE video_id = $1', [video])).rows[0];
      const count = async (sql: string) => (await t.app.db.query<{ n: number }>(sql, [video])).rows[0]!.n;
      const before = await stats();
      expect(before).toEqual({ views: 2 });

      const report = await t.app.services.events.retention.prune({ batchSize: 4 });
      expect(report.events).toEqual({ deleted: 10, batches: 3 });
      expect(report.views.deleted).toBe(1);
      expect(report.budgets.deleted).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM events WHERE video_id = $1 AND received_at < now() - interval '48 hours'`)).toBe(
        0,
      );
      expect(await count(`SELECT count(*)::int AS n FROM events WHERE video_id = $1`)).toBe(3); // the 47-hour-old one and today's two
      expect(await count(`SELECT count(*)::int AS n FROM video_views WHERE video_id = $1`)).toBe(2);
      expect(await count(`SELECT count(*)::int AS n FROM view_budgets WHERE video_id = $1`)).toBe(1); // today's
      expect(await stats()).toEqual(before);
      expect(await views(video)).toBe(2);

      const again = await t.app.services.events.retention.prune({ batchSize: 4 });
      expect(again.events).toEqual({ deleted: 0, batches: 1 });
      expect(await count(`SELECT count(*)::int AS n FROM events WHERE video_id = $1`)).toBe(3);
    });
  });
}
