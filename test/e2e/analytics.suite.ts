import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeEvent } from '../../src/modules/lake/lake-schema.js';
import { csvCell } from '../../src/modules/analytics/analytics.service.js';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { addForeignLakeFile, addLakeFile, daysAgo, lakeEvent } from '../support/lake.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * Creator analytics (GET /api/v1/analytics/videos/{id}, /account) on lake
 * files written straight into the object store and the manifest, against
 * whatever app `start` gives (embedded; PostgreSQL + Redis + S3).
 */
export function analyticsSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let owner: TestUser;
    let other: TestUser;
    let root: TestUser;
    let popular: string;
    let quiet: string;
    let formula: string;
    let foreignVideo: string;
    const d1 = daysAgo(3);
    const d2 = daysAgo(2);
    const today = daysAgo(0);
    /** Viewer ids that must never appear in an answer. */
    const viewers = Array.from({ length: 6 }, (_, i) => `viewer-secret-${i}`);
    const device = 'device-secret-abcdefgh';

    const at = (dt: string, s: number) => new Date(Date.parse(`${dt}T12:00:00Z`) + s * 1000);
    const get = (path: string, token?: string) => api('GET', path, { token });

    /** One viewer's play of `videoId` (duration 10 s) watching `ms`. */
    function play(
      dt: string,
      s: number,
      videoId: string,
      creatorId: string,
      viewer: { userId?: string; deviceId?: string },
      ms: number,
      source: string | null,
    ): LakeEvent[] {
      const base = { videoId, creatorId, userId: viewer.userId ?? null, deviceId: viewer.deviceId ?? null, durationMs: 10_000 };
      return [
        lakeEvent({ ...base, type: 'play', eventTime: at(dt, s), source }),
        lakeEvent({ ...base, type: ms >= 10_000 ? 'complete' : 'progress', eventTime: at(dt, s + ms / 1000 + 0.1), watchedMs: ms }),
      ];
    }

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      owner = await signup(api, 'an_owner');
      other = await signup(api, 'an_other');
      root = await signup(api, 'an_root');
      expect((await adminCommand(t.app.db, ['grant', 'an_root'])).code).toBe(0);
      popular = await seedVideo(t, owner, { caption: 'popular one', durationMs: 10_000 });
      quiet = await seedVideo(t, owner, { caption: 'quiet one', durationMs: 10_000 });
      formula = await seedVideo(t, owner, { caption: '=HYPERLINK("http://evil.example","x")', durationMs: 10_000 });
      foreignVideo = await seedVideo(t, other, { caption: 'not yours', durationMs: 10_000 });
      const day1: LakeEvent[] = [
        // Six viewers of `popular`: watches of 10, 8, 6, 4, 2 and 0 s; viewer 0 plays twice.
        ...viewers.flatMap((v, i) =>
          play(d1, i * 20, popular, owner.id, { userId: v }, 10_000 - i * 2000, i % 2 ? 'following' : 'for_you'),
        ),
        ...play(d1, 200, popular, owner.id, { userId: viewers[0]! }, 3000, 'profile'),
        // Two viewers of `quiet`: too few to break down.
        ...play(d1, 300, quiet, owner.id, { userId: viewers[0]! }, 5000, 'search'),
        ...play(d1, 320, quiet, owner.id, { deviceId: device }, 5000, 'share'),
        // Another creator's video.
        ...play(d1, 400, foreignVideo, other.id, { userId: viewers[1]! }, 5000, 'for_you'),
      ];
      const day2: LakeEvent[] = [
        ...play(d2, 0, popular, owner.id, { userId: viewers[1]! }, 10_000, 'hashtag'),
        lakeEvent({ type: 'like', kind: 'engagement', eventTime: at(d2, 30), videoId: popular, creatorId: owner.id, userId: viewers[2]! }),
        lakeEvent({
          type: 'comment',
          kind: 'engagement',
          eventTime: at(d2, 31),
          videoId: popular,
          creatorId: owner.id,
          userId: viewers[3]!,
        }),
        lakeEvent({ type: 'follow', kind: 'engagement', eventTime: at(d2, 32), creatorId: owner.id, userId: viewers[4]! }),
      ];
      await addLakeFile(t.app, day1, d1);
      await addLakeFile(t.app, day2, d2);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
    });

    it("shows a video's figures to its owner, and nothing that identifies a viewer", async () => {
      const r = await get(`/api/v1/analytics/videos/${popular}?from=${d1}&to=${today}`, owner.token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const a = r.body;
      expect(a).toMatchObject({ videoId: popular, caption: 'popular one', from: d1, to: today, durationMs: 10_000 });
      // 6 plays on day 1 + viewer 0's second + viewer 1's on day 2.
      expect(a.views).toBe(8);
      expect(a.plays).toBe(8);
      expect(a.uniqueViewers).toBe(6);
      // 10+8+6+4+2+0 + 3 + 10 seconds.
      expect(a.watchTimeMs).toBe(43_000);
      expect(a.averageViewDurationMs).toBe(Math.round(43_000 / 8));
      expect(a.completionRate).toBeCloseTo(2 / 8);
      expect(a.rewatchRate).toBeCloseTo(2 / 6);
      expect(a.withheld).toBe(false);
      expect(a.minimumViewers).toBe(5);
      // Longest watch per viewer: 10, 10 (viewer 1 on day 2), 6, 4, 2, 0 s.
      expect(a.retention).toHaveLength(11);
      expect(a.retention[0]).toBe(1);
      expect(a.retention[10]).toBeCloseTo(2 / 6);
      for (let s = 1; s < a.retention.length; s++) expect(a.retention[s]).toBeLessThanOrEqual(a.retention[s - 1]);
      const sources = Object.fromEntries(a.trafficSources.map((s: { source: string; plays: number }) => [s.source, s.plays]));
      expect(sources).toEqual({ for_you: 3, following: 3, profile: 1, search: 0, hashtag: 1, share: 0, other: 0 });
      expect(a.trafficSources.reduce((n: number, s: { share: number }) => n + s.share, 0)).toBeCloseTo(1);
      expect([a.likes, a.comments, a.shares, a.follows, a.bookmarks]).toEqual([1, 1, 0, 0, 0]);
      expect(a.daily).toHaveLength(4);
      expect(a.daily.map((d: { views: number }) => d.views)).toEqual([7, 1, 0, 0]);
      expect(new Date(a.through).getTime()).toBeGreaterThanOrEqual(at(d2, 32).getTime());
      const text = JSON.stringify(a);
      for (const id of [...viewers, device]) expect(text).not.toContain(id);
    });

    it('hides the video from anyone else (404, as for no video), shows it to admins, and asks anonymous callers to sign in', async () => {
      const mine = await get(`/api/v1/analytics/videos/${popular}`, other.token);
      const none = await get(`/api/v1/analytics/videos/AAAAAAAAAAAAAAAA`, other.token);
      expect(mine.status).toBe(404);
      expect(mine.body.error.code).toBe('video_not_found');
      expect(none.status).toBe(404);
      expect(mine.body.error.message.replace(popular, 'X')).toBe(none.body.error.message.replace('AAAAAAAAAAAAAAAA', 'X'));
      expect((await get(`/api/v1/analytics/videos/${popular}?format=csv`, other.token)).status).toBe(404);
      expect((await get(`/api/v1/analytics/videos/${popular}`)).status).toBe(401);
      expect((await get(`/api/v1/analytics/account`)).status).toBe(401);
      const admin = await get(`/api/v1/analytics/videos/${popular}?from=${d1}&to=${d2}`, root.token);
      expect(admin.status).toBe(200);
      expect(admin.body.views).toBe(8);
    });

    it('withholds breakdowns under the minimum number of viewers', async () => {
      const r = await get(`/api/v1/analytics/videos/${quiet}?from=${d1}&to=${d2}`, owner.token);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        uniqueViewers: 2,
        views: 2,
        withheld: true,
        minimumViewers: 5,
        retention: null,
        trafficSources: null,
      });
      expect(r.body.daily).toHaveLength(2);
    });

    it("sums the owner's videos into the account, with top videos", async () => {
      const r = await get(`/api/v1/analytics/account?from=${d1}&to=${d2}`, owner.token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.views).toBe(10);
      expect(r.body.uniqueViewers).toBe(7);
      expect(r.body.follows).toBe(1);
      expect(r.body.topVideos.map((v: { videoId: string; caption: string; views: number }) => [v.videoId, v.caption, v.views])).toEqual([
        [popular, 'popular one', 8],
        [quiet, 'quiet one', 2],
      ]);
      // The other creator sees only theirs.
      const theirs = await get(`/api/v1/analytics/account?from=${d1}&to=${d2}`, other.token);
      expect(theirs.body.views).toBe(1);
      expect(theirs.body.withheld).toBe(true);
    });

    it('refuses bad ranges', async () => {
      for (const q of [`from=${d2}&to=${d1}`, 'from=2025-01-01&to=2026-06-01', 'from=2026-02-30', 'to=yesterday', 'format=xml']) {
        const r = await get(`/api/v1/analytics/videos/${popular}?${q}`, owner.token);
        expect(r.status, q).toBe(400);
        expect(r.body.error.code, q).toBe('validation_failed');
      }
      const r = await get(`/api/v1/analytics/account?from=${daysAgo(400)}`, owner.token);
      expect(r.status).toBe(400);
      // The default: the last 28 days.
      const d = await get(`/api/v1/analytics/account`, owner.token);
      expect(d.body.daily).toHaveLength(28);
      expect(d.body.to).toBe(today);
    });

    it('exports the daily series as CSV, safe from formula injection', async () => {
      const r = await api('GET', `/api/v1/analytics/videos/${popular}?from=${d1}&to=${d2}&format=csv`, { token: owner.token });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="curta-video-/);
      const lines = (r.body as string).trimEnd().split('\r\n');
      expect(lines[0]).toBe('video_id,caption,date,views,unique_viewers,watch_time_ms,likes,comments,shares,follows,bookmarks');
      expect(lines).toHaveLength(3);
      // Ids may start with '-' (a spreadsheet would read a formula): escaped like any text.
      expect(lines[1]).toBe(`${csvCell(popular)},popular one,${d1},7,6,33000,0,0,0,0,0`);
      const f = await api('GET', `/api/v1/analytics/videos/${formula}?from=${d1}&to=${d1}&format=csv`, { token: owner.token });
      expect((f.body as string).split('\r\n')[1]).toBe(
        `${csvCell(formula)},"'=HYPERLINK(""http://evil.example"",""x"")",${d1},0,0,0,0,0,0,0,0`,
      );
      const acc = await api('GET', `/api/v1/analytics/account?from=${d1}&to=${d2}&format=csv`, { token: owner.token });
      expect((acc.body as string).split('\r\n')[0]).toBe('date,views,unique_viewers,watch_time_ms,likes,comments,shares,follows,bookmarks');
    });

    it('skips a corrupt lake file (logged and counted) and recomputes only the day that changed', async () => {
      const { reader, aggregates } = t.app.services.analytics;
      const skipped = reader.stats.skippedFiles;
      await addForeignLakeFile(t.app, Buffer.from('not parquet at all'), d2);
      await aggregates.idle();
      const computed = aggregates.stats.dayComputations;
      const r = await get(`/api/v1/analytics/videos/${popular}?from=${d1}&to=${d2}`, owner.token);
      expect(r.status).toBe(200);
      expect(r.body.views).toBe(8);
      await aggregates.idle();
      expect(reader.stats.skippedFiles).toBe(skipped + 1);
      expect(aggregates.stats.dayComputations).toBe(computed + 1);
      expect(aggregates.stats.computedDays.at(-1)).toBe(d2);
      const metrics = await api('GET', '/metrics');
      expect(metrics.body as string).toMatch(/^curta_lake_files_skipped [1-9]/m);

      // A new file for day 1: day 1 alone is recomputed, and the cached answer is not served.
      await addLakeFile(t.app, play(d1, 900, popular, owner.id, { userId: 'viewer-new' }, 1000, null), d1, 18);
      const after = await get(`/api/v1/analytics/videos/${popular}?from=${d1}&to=${d2}`, owner.token);
      expect(after.body.views).toBe(9);
      await aggregates.idle();
      expect(aggregates.stats.dayComputations).toBe(computed + 2);
      expect(aggregates.stats.computedDays.at(-1)).toBe(d1);
      // Asked again: from the cache, nothing recomputed.
      await get(`/api/v1/analytics/videos/${popular}?from=${d1}&to=${d2}`, owner.token);
      expect(aggregates.stats.dayComputations).toBe(computed + 2);
    });

    it("counts a video's watch time over its whole history in Your videos: the lake and the recent events, each viewer once", async () => {
      // The lake alone (these events are days old, never in the events table): each viewer's longest counted watch,
      // 10, 10, 6, 4, 2 and 1 s (viewer 5 watched 0 s: no watch time reported).
      const stats = () => api('GET', `/api/v1/videos/${popular}/stats`, { token: owner.token });
      const lakeOnly = await stats();
      expect(lakeOnly.status, JSON.stringify(lakeOnly.body)).toBe(200);
      expect(lakeOnly.body).toMatchObject({ viewers: 6, totalWatchMs: 33_000, averageWatchMs: 5500 });
      // A recent watch, in the events table and the lake buffer (not delivered yet).
      const posted = await api('POST', '/api/v1/events', {
        token: other.token,
        body: {
          events: [
            { type: 'play', videoId: popular },
            { type: 'progress', videoId: popular, watchedMs: 7000 },
          ],
        },
      });
      expect(posted.status).toBeLessThan(300);
      const both = await stats();
      expect(both.body).toMatchObject({ viewers: 7, totalWatchMs: 40_000, averageWatchMs: Math.round(40_000 / 7) });
      // Delivered to the lake too: in both places now, still counted once.
      await t.app.services.lake.delivery.flush();
      expect((await stats()).body).toEqual(both.body);
      const own = await api('GET', '/api/v1/me/videos?limit=50', { token: owner.token });
      expect(own.body.items.find((v: { id: string }) => v.id === popular).creatorStats).toEqual(both.body);
      expect(JSON.stringify(own.body)).not.toContain('viewer-secret');
    });
  });
}
