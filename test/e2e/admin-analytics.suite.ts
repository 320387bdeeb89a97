import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeRow, writeLakeFixture } from '../support/lake.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';

/**
 * GET /api/v1/admin/analytics on hand-built lake files whose figures were
 * worked out by hand (see the comments), against whatever app `start` gives
 * (embedded: PGlite + fs store; distributed: PostgreSQL, Redis, S3).
 */
export function adminAnalyticsSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let admin: TestUser;
    let plain: TestUser;
    let u1: TestUser;
    let u2: TestUser;
    let c1: TestUser;
    let c2: TestUser;
    let c3: TestUser;
    let v1: string;
    let v2: string;
    let lakeBytes = 0;
    const get = (token: string | undefined, query = '?from=2026-03-01&to=2026-03-03') =>
      api('GET', `/api/v1/admin/analytics${query}`, { token });

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      admin = await signup(api, 'aa_admin');
      plain = await signup(api, 'aa_plain');
      u1 = await signup(api, 'aa_u1');
      u2 = await signup(api, 'aa_u2');
      c1 = await signup(api, 'aa_c1');
      c2 = await signup(api, 'aa_c2');
      c3 = await signup(api, 'aa_c3');
      await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      v1 = await seedVideo(t, c1, { caption: 'first clip', durationMs: 10_000 });
      v2 = await seedVideo(t, c2, { caption: 'second clip', durationMs: 20_000 });
      const v3 = await seedVideo(t, c1, { caption: 'old one' });
      await t.app.db.query(`UPDATE videos SET status = 'archived' WHERE id = $1`, [v3]);

      const play = (type: string, at: string, who: { user?: string; device?: string }, video: string, f: Record<string, unknown> = {}) =>
        lakeRow('playback', type, at, {
          videoId: video,
          creatorId: video === v1 ? c1.id : c2.id,
          userId: who.user ?? null,
          deviceId: who.device ?? null,
          durationMs: video === v1 ? 10_000 : 20_000,
          ...f,
        });
      const pipe = (type: string, at: string, f: Record<string, unknown> = {}) => lakeRow('pipeline', type, at, f);
      const run = (at: string, stage: string, ms: number, ok = true) =>
        pipe(ok ? 'processing_finished' : 'processing_failed', at, { stage, ok, elapsedMs: ms });
      const D1 = '2026-03-01T10:';
      const D1b = '2026-03-01T15:';
      const D2 = '2026-03-02T08:';
      const events = [
        // Day 1 (plays as creator analytics counts them: a `play` and what follows). Active: u1 and d1 (2);
        // d2's play was not counted (over its address's allowance); u2 only saw an impression.
        play('play', `${D1}00:00Z`, { user: u1.id }, v1),
        play('progress', `${D1}00:05Z`, { user: u1.id }, v1, { watchedMs: 5000 }),
        play('complete', `${D1}00:10Z`, { user: u1.id }, v1, { watchedMs: 10_000 }), // play 1: 10,000 ms
        play('play', `${D1}00:30Z`, { user: u1.id }, v1),
        play('progress', `${D1}00:34Z`, { user: u1.id }, v1, { watchedMs: 4000 }), // a rewatch: 4,000 ms
        play('play', `${D1b}00:00Z`, { device: 'dev-d1' }, v1),
        play('progress', `${D1b}00:01Z`, { device: 'dev-d1' }, v1, { watchedMs: 1000 }), // 1,000 ms
        play('play', `${D1b}01:00Z`, { device: 'dev-d2' }, v1, { counted: false }),
        play('progress', `${D1b}01:08Z`, { device: 'dev-d2' }, v1, { watchedMs: 8000, counted: false }), // not a view; 8,000 ms watched
        play('impression', `${D1b}02:00Z`, { user: u2.id }, v2),
        // Uploads: 3 started by 2 creators, 2 completed.
        pipe('upload_created', `${D1}30:00Z`, { creatorId: c1.id, videoId: v1 }),
        pipe('upload_created', `${D1}31:00Z`, { creatorId: c2.id, videoId: v2 }),
        pipe('upload_created', `${D1b}31:00Z`, { creatorId: c1.id }),
        pipe('upload_completed', `${D1}32:00Z`, { creatorId: c1.id, videoId: v1, bytes: 1000 }),
        pipe('upload_completed', `${D1}33:00Z`, { creatorId: c2.id, videoId: v2, bytes: 2000 }),
        run(`${D1}40:00Z`, 'transcode', 100),
        run(`${D1}41:00Z`, 'transcode', 200),
        run(`${D1}42:00Z`, 'transcode', 300),
        run(`${D1}43:00Z`, 'transcode', 400, false),
        run(`${D1}44:00Z`, 'probe', 10),
        run(`${D1}45:00Z`, 'probe', 20),
        pipe('processing_started', `${D1}39:00Z`, { stage: 'transcode' }), // no duration: not a run
        pipe('processing_started', `${D1}38:00Z`, { stage: 'queue', elapsedMs: 150 }), // a stage without an outcome
        pipe('processing_started', `${D1}37:00Z`, { stage: 'queue', elapsedMs: 50 }),
        // Day 2. Active: u1, u2, d1 (3), a view each: 3,000 + 2,500 + 10,000 ms.
        play('play', `${D2}00:00Z`, { user: u1.id }, v2),
        play('progress', `${D2}00:03Z`, { user: u1.id }, v2, { watchedMs: 3000 }),
        play('play', `${D2}01:00Z`, { user: u2.id }, v1),
        play('skip', `${D2}01:03Z`, { user: u2.id }, v1, { watchedMs: 2500 }),
        play('play', `${D2}02:00Z`, { device: 'dev-d1' }, v1),
        play('complete', `${D2}02:10Z`, { device: 'dev-d1' }, v1, { watchedMs: 10_000 }),
        pipe('upload_created', `${D2}10:00Z`, { creatorId: c3.id }),
        run(`${D2}20:00Z`, 'transcode', 500),
        run(`${D2}21:00Z`, 'transcode', 600),
        run(`${D2}22:00Z`, 'transcode', 700, false),
        run(`${D2}23:00Z`, 'probe', 30),
        // Outside the range: never counted.
        play('complete', '2026-02-28T12:00:00Z', { user: plain.id }, v2, { watchedMs: 20_000 }),
        pipe('upload_created', '2026-03-04T00:00:00Z', { creatorId: plain.id }),
        run('2026-03-04T00:01:00Z', 'transcode', 99_999, false),
      ];
      const files = await writeLakeFixture(t.app.db, t.app.store, events);
      lakeBytes = files.reduce((s, f) => s + f.bytes, 0);
      // Storage: known objects under each prefix (the store is fresh).
      await t.app.store.put(`originals/${v1}`, Buffer.alloc(1000), { contentType: 'video/mp4' });
      await t.app.store.put(`media/${v1}/seed/video.mp4`, Buffer.alloc(500), { contentType: 'video/mp4' });
      await t.app.store.put(`media/${v1}/seed/poster.jpg`, Buffer.alloc(25), { contentType: 'image/jpeg' });
      await t.app.store.put(`avatars/${c1.id}/a1.jpg`, Buffer.alloc(50), { contentType: 'image/jpeg' });
      await t.app.store.put('recs/models/2026-03-01T00-00-00-000Z-abc.bin', Buffer.alloc(70), { contentType: 'application/octet-stream' });
      await t.app.store.put(`originals/${v3}`, Buffer.alloc(300), { contentType: 'video/mp4' });
      await t.app.store.put(`media/${v3}/seed/video.mp4`, Buffer.alloc(40), { contentType: 'video/mp4' });
      // A fresh sweep (a shared Redis may hold one from an earlier run under the same key).
      await t.app.services.adminDashboard.service.refreshStorage();
      // Two open reports, one closed.
      await t.app.db.query(
        `INSERT INTO reports (id, reporter_id, target_type, target_id, reason, status, created_at) VALUES
           ('rep_aa_0001', $1, 'video', $2, 'spam', 'open', '2026-03-02T00:00:00Z'),
           ('rep_aa_0002', $1, 'video', $3, 'spam', 'open', '2026-03-03T00:00:00Z'),
           ('rep_aa_0003', $1, 'user', $4, 'spam', 'dismissed', '2026-03-01T00:00:00Z')`,
        [plain.id, v1, v2, c1.id],
      );
      // Queue: one queued and one dead job.
      await t.app.db.query(
        `INSERT INTO jobs (queue, payload, status, run_at, attempt, max_attempts) VALUES
           ('video.process', '{}', 'dead', now(), 5, 5),
           ('video.process', '{}', 'queued', now() + interval '1 hour', 0, 5)`,
      );
    }, 120_000);

    afterAll(async () => {
      await t?.close();
    });

    it('refuses anonymous callers (401) and non-admins (403)', async () => {
      const anon = await get(undefined);
      expect(anon.status).toBe(401);
      const r = await get(plain.token);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    });

    it('refuses bad ranges with 400 validation_failed', async () => {
      for (const q of [
        '?from=2026-03-05&to=2026-03-01', // reversed
        '?from=2024-02-30&to=2024-03-01', // no such day
        '?from=yesterday',
        '?from=2024-01-01&to=2025-06-01', // over 366 days
        "?from=2026-03-01'%20OR%201=1--&to=2026-03-02",
        '?to=2026-13-01',
      ]) {
        const r = await get(admin.token, q);
        expect(r.status, q).toBe(400);
        expect(r.body.error.code, q).toBe('validation_failed');
      }
    });

    it('computes the lake figures by day and over the range', async () => {
      const r = await get(admin.token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const a = r.body;
      expect(a.range).toEqual({ from: '2026-03-01', to: '2026-03-03', days: 3 });
      expect(a.daily).toEqual([
        { date: '2026-03-01', activeViewers: 2, activeCreators: 2, uploads: 3, uploadsCompleted: 2, views: 3 },
        { date: '2026-03-02', activeViewers: 3, activeCreators: 1, uploads: 1, uploadsCompleted: 0, views: 3 },
        { date: '2026-03-03', activeViewers: 0, activeCreators: 0, uploads: 0, uploadsCompleted: 0, views: 0 },
      ]);
      expect(a.totals).toEqual({
        activeViewers: 3, // u1, u2, d1
        activeCreators: 3,
        uploads: 4,
        views: 6,
        watchTimeMs: 10_000 + 4000 + 1000 + 8000 + 3000 + 2500 + 10_000,
        processingRuns: 10,
        processingSuccessRate: 0.8,
      });
      // Nearest rank: p50 = value at rank ceil(0.5 n), p95 at ceil(0.95 n).
      expect(a.stages).toEqual([
        { stage: 'probe', runs: 3, succeeded: 3, failed: 0, successRate: 1, p50Ms: 20, p95Ms: 30 },
        { stage: 'queue', runs: 2, succeeded: 0, failed: 0, successRate: null, p50Ms: 50, p95Ms: 150 },
        { stage: 'transcode', runs: 7, succeeded: 5, failed: 2, successRate: 5 / 7, p50Ms: 400, p95Ms: 700 },
      ]);
      expect(a.topVideos).toEqual([
        // v1: 5 counted plays; 4 viewers played it (d2 too, uncounted); every play's watch time.
        {
          videoId: v1,
          caption: 'first clip',
          creator: 'aa_c1',
          views: 5,
          uniqueViewers: 4,
          watchTimeMs: 10_000 + 4000 + 1000 + 8000 + 2500 + 10_000,
        },
        { videoId: v2, caption: 'second clip', creator: 'aa_c2', views: 1, uniqueViewers: 1, watchTimeMs: 3000 },
      ]);
      expect(a.lake.files).toBe(3); // 03-01 hours 10 and 15, 03-02 hour 08
      expect(a.lake.events).toBe(35); // 24 on 03-01, 11 on 03-02
      // No viewer identity in the answer.
      for (const who of [u1.id, u2.id, 'dev-d1', 'dev-d2']) expect(JSON.stringify(a)).not.toContain(who);
    });

    it('reports queues, dead jobs, open reports and storage by kind', async () => {
      const r = await get(admin.token);
      expect(r.status).toBe(200);
      const a = r.body;
      const pv = a.queues.find((q: { queue: string }) => q.queue === 'video.process');
      expect(pv).toMatchObject({ queued: 1, running: 0, dead: 1 });
      expect(a.queues.map((q: { queue: string }) => q.queue)).toContain('video.purge'); // registered, empty
      expect(a.deadJobs).toBe(1);
      expect(a.reports).toEqual({ open: 2, oldestOpenAt: '2026-03-02T00:00:00.000Z' });
      const bytes = Object.fromEntries(
        a.storage.items.map((i: { kind: string; bytes: number; objects: number }) => [i.kind, [i.bytes, i.objects]]),
      );
      expect(bytes).toEqual({
        originals: [1000, 1],
        renditions: [525, 2],
        avatars: [50, 1],
        models: [70, 1],
        lake: [lakeBytes, 5], // 3 in the range, 02-28 and 03-04
        archive: [340, 2],
      });
      expect(a.storage.totalBytes).toBe(1000 + 525 + 50 + 70 + lakeBytes + 340);
      expect(a.storage.method).toMatch(/sweep/);
    });

    it('caches lake figures until the range gets a new file, and storage until its sweep expires', async () => {
      const first = (await get(admin.token)).body;
      const again = (await get(admin.token)).body;
      expect(again.lake.computedAt).toBe(first.lake.computedAt);
      expect(again.storage.measuredAt).toBe(first.storage.measuredAt);
      await t.app.store.put(`originals/${v2}`, Buffer.alloc(5), { contentType: 'video/mp4' });
      expect((await get(admin.token)).body.storage.items[0].bytes).toBe(1000); // the cached sweep
      // A new delivery on 03-03: recomputed at once, the new day counts.
      await writeLakeFixture(t.app.db, t.app.store, [
        lakeRow('playback', 'play', '2026-03-03T09:00:00Z', { videoId: v2, userId: u2.id, durationMs: 20_000 }),
        lakeRow('playback', 'complete', '2026-03-03T09:00:20Z', { videoId: v2, userId: u2.id, durationMs: 20_000, watchedMs: 20_000 }),
      ]);
      const after = (await get(admin.token)).body;
      expect(after.lake.files).toBe(4);
      expect(after.daily[2]).toMatchObject({ date: '2026-03-03', activeViewers: 1, views: 1 });
      expect(after.totals.views).toBe(7);
    });

    it('defaults to the last 28 days', async () => {
      const r = await get(admin.token, '');
      expect(r.status).toBe(200);
      expect(r.body.range.days).toBe(28);
      expect(r.body.range.to).toBe(new Date().toISOString().slice(0, 10));
      expect(r.body.daily).toHaveLength(28);
    });
  });
}
