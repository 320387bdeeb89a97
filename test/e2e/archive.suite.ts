import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadClipViaApi } from '../support/browser.js';
import { makeClip } from '../support/media.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, waitForVideo, type TestApp } from '../support/test-app.js';

/** Settings every archive suite runs with: sweeps started by the test, restores of a couple of seconds, low viewer limits. */
export const ARCHIVE_TEST_ENV: Record<string, string> = {
  ARCHIVE_SWEEP_INTERVAL_SEC: '0',
  ARCHIVE_MIN_AGE_DAYS: '0',
  ARCHIVE_IDLE_DAYS: '30',
  ARCHIVE_SWEEP_PAUSE_MS: '0',
  ARCHIVE_RESTORE_POLL_SEC: '1',
  STORAGE_ARCHIVE_RESTORE_DELAY_SEC: '2',
  S3_ARCHIVE_STORAGE_CLASS: 'GLACIER',
  ARCHIVE_RESTORES_PER_USER_PER_HOUR: '2',
  ARCHIVE_RESTORES_PER_IP_PER_HOUR: '1000',
  ARCHIVE_RESTORE_MAX_ATTEMPTS: '2',
};

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Reads a video's status stream until `until(view)` (or the deadline); returns every status event's view. */
async function readStatusStream(baseUrl: string, id: string, token: string, until: (v: any) => boolean, ms = 120_000): Promise<any[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const seen: any[] = [];
  try {
    const res = await fetch(`${baseUrl}/api/v1/videos/${id}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'status' && data) {
          const view = JSON.parse(data);
          seen.push(view);
          if (until(view)) {
            controller.abort();
            return seen;
          }
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

/**
 * The cold archive end to end (issue 15) on whatever app `start` gives
 * (embedded: fs store with its cold folder and PGlite; distributed:
 * PostgreSQL, Redis and the S3 front modelling GLACIER): a real clip is
 * uploaded and processed by ffmpeg, swept into the archive, shown as
 * archived everywhere it may be seen (never playable), restored through
 * the store's restore and the same pipeline, and ready again; plus who may
 * restore and pin, one restore per video, deletion during a restore, and a
 * failed restore reported.
 */
export function archiveSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser; // creator
    let bob: TestUser; // a viewer
    let admin: TestUser;
    let scratch: string;
    let clip: string;
    const device = { 'x-device-id': 'archive-suite-device-000001' };

    const db = () => t.app.db;
    const sweep = (dryRun = false) => t.app.services.archive.archive.sweep({ dryRun });
    /** Makes a video look old and unwatched: created 400 days ago, last viewed 100 days ago. */
    const makeIdle = async (id: string) => {
      await db().query(`UPDATE videos SET created_at = now() - interval '400 days', ready_at = now() - interval '399 days' WHERE id = $1`, [
        id,
      ]);
      await db().query(
        `INSERT INTO video_stats (video_id, views) VALUES ($1, 1) ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + 1`,
        [id],
      );
      await db().query(`UPDATE video_stats SET last_viewed_at = now() - interval '100 days' WHERE video_id = $1`, [id]);
    };
    const keysUnder = async (prefix: string) => (await t.app.store.listPage(prefix)).keys;
    /** A seeded ready video with an original that is no video, in the archive tier (a restore takes the store's delay, then processing fails). */
    const seededOriginal = async (caption: string, storageClass: 'STANDARD' | 'ARCHIVE') => {
      const id = await seedVideo(t, alice, { caption });
      await t.app.store.put(`originals/${id}`, 'not a video at all', { contentType: 'video/mp4', storageClass });
      return id;
    };
    /** …marked archived straight in the database. */
    const seededArchived = async (caption: string) => {
      const id = await seededOriginal(caption, 'ARCHIVE');
      await db().query(`UPDATE videos SET status = 'archived', archived_at = now(), playback = '{"poster":"poster.jpg"}' WHERE id = $1`, [
        id,
      ]);
      await t.app.services.videos.countersChanged(id);
      await t.app.cache.delete(`video:${id}`);
      return id;
    };
    const restoreRows = async (id: string) =>
      (
        await db().query<{ state: string; requester: string; tier: string; bytes: string | null; error: string | null }>(
          'SELECT state, requester, tier, bytes::text AS bytes, error FROM archive_restores WHERE video_id = $1 ORDER BY id',
          [id],
        )
      ).rows;
    const webhookEvents = async (id: string) =>
      (
        await db().query<{ type: string; error: { code: string; message: string } | null }>(
          `SELECT type, data->'video'->'error' AS error FROM webhook_events WHERE data->'video'->>'id' = $1 ORDER BY created_at, id`,
          [id],
        )
      ).rows;
    const uploadReady = async (caption: string) => {
      const id = await uploadClipViaApi(t.baseUrl, api, alice.token, clip, caption);
      await waitForVideo(api, id, alice.token, (v) => v.status === 'ready', 180_000);
      return id;
    };

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      scratch = await mkdtemp(join(tmpdir(), 'curta-archive-suite-'));
      clip = join(scratch, 'clip.mp4');
      await makeClip(clip, { seconds: 2 });
      [alice, bob, admin] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'admin1')]);
      await db().query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      // Alice's integration hears about her videos (the outbox is what is asserted; nothing is delivered to this address).
      await db().query(
        `INSERT INTO webhook_endpoints (id, owner_id, created_by, url, events, secret)
         VALUES ('wh_archive_suite', $1, $1, 'http://127.0.0.1:9/hook', $2, 'secret')`,
        [alice.id, ['video.ready', 'video.archived', 'video.restored', 'video.restore_failed']],
      );
    }, 120_000);

    afterAll(async () => {
      await t?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('archives a real video, shows it archived (poster, never playable), restores it through the pipeline with SSE progress', async () => {
      const id = await uploadReady('old clip #archiveword');
      // The owner picked a cover frame: it must survive the archive and the restore.
      expect((await api('PATCH', `/api/v1/videos/${id}`, { token: alice.token, body: { coverTimeMs: 1000 } })).status).toBe(200);
      const ready = await waitForVideo(api, id, alice.token, (v) => v.coverTimeMs === 1000, 60_000);
      expect(ready.archive).toBeNull();
      expect(ready.archivePinned).toBe(false);
      const oldMaster = ready.playback.hls as string;
      const original = `originals/${id}`;
      const originalSize = (await t.app.store.head(original))!.size;

      // Not old or idle yet: the sweep leaves it.
      expect((await sweep()).archived).toBe(0);
      await makeIdle(id);
      const dry = await sweep(true);
      expect(dry.videos.map((v) => v.id)).toEqual([id]);
      expect((await api('GET', `/api/v1/videos/${id}`)).body.status).toBe('ready');

      const report = await sweep();
      expect(report.videos.map((v) => v.id)).toEqual([id]);
      expect(report.archiveBytes).toBe(originalSize);
      expect(report.freedBytes).toBeGreaterThan(0);
      expect((await sweep()).archived).toBe(0); // idempotent

      // The store: the original in the archive tier, nothing of the renditions but the poster.
      expect((await t.app.store.head(original))!.storageClass).toBe('ARCHIVE');
      const left = await keysUnder(`media/${id}/`);
      // A ready public video's poster has a plain URL: its path is the object's key.
      expect(left.map((k) => k.key)).toEqual([new URL(ready.playback.poster).pathname.slice(1)]);
      const row = (
        await db().query<{ archive_bytes: string; archive_freed_bytes: string; archive_pending: boolean }>(
          'SELECT archive_bytes, archive_freed_bytes, archive_pending FROM videos WHERE id = $1',
          [id],
        )
      ).rows[0]!;
      expect(Number(row.archive_bytes)).toBe(originalSize);
      expect(Number(row.archive_freed_bytes)).toBe(report.freedBytes);
      expect(row.archive_pending).toBe(false);

      // Everyone who may see it sees it archived, with its poster, and nothing to play.
      for (const token of [undefined, bob.token, alice.token]) {
        const v = (await api('GET', `/api/v1/videos/${id}`, { token })).body;
        expect(v.status).toBe('archived');
        expect(v.archive).toMatchObject({ restore: null });
        expect(Date.parse(v.archive.archivedAt)).toBeGreaterThan(Date.now() - 600_000);
        expect(v.playback).toMatchObject({ hls: null, mp4: null });
        const poster = await fetch(new URL(v.playback.poster, t.baseUrl));
        expect(poster.status).toBe(200);
        expect(poster.headers.get('content-type')).toMatch(/image\/jpeg/);
        expect('archivePinned' in v).toBe(token === alice.token);
      }
      // Old rendition URLs: 409 video_archived, never a 500 or stale bytes.
      const stale = await fetch(new URL(oldMaster, t.baseUrl));
      expect(stale.status).toBe(409);
      expect((await stale.json()).error.code).toBe('video_archived');
      // Never handed out as playable by a feed; on the profile, with its archive state.
      const has = (items: Array<{ id: string }> | undefined) => (items ?? []).some((v) => v.id === id);
      expect(has((await api('GET', '/api/v1/feed?limit=50')).body.items)).toBe(false);
      expect(has((await api('GET', '/api/v1/feed/trending?limit=50')).body.items)).toBe(false);
      expect(has((await api('GET', '/api/v1/search?q=archiveword')).body.videos)).toBe(false);
      expect(has((await api('GET', '/api/v1/hashtags/archiveword/videos')).body.items)).toBe(false);
      expect(has((await api('GET', '/api/v1/feed/for-you?limit=50', { headers: device })).body.items)).toBe(false);
      const profile = (await api('GET', '/api/v1/users/alice/videos?limit=50', { token: bob.token })).body.items;
      expect(profile.find((v: any) => v.id === id)).toMatchObject({ status: 'archived', playback: { hls: null, mp4: null } });
      const mine = (await api('GET', '/api/v1/me/videos?limit=50', { token: alice.token })).body.items;
      expect(mine.find((v: any) => v.id === id)).toMatchObject({ status: 'archived', archivePinned: false });

      // The owner's status stream follows the restore: archived → restoring (retrieving, processing) → ready.
      const stream = readStatusStream(t.baseUrl, id, alice.token, (v) => v.status === 'ready');
      await sleep(300);
      const [first, second] = await Promise.all([
        api('POST', `/api/v1/videos/${id}/restore`, { token: alice.token }),
        api('POST', `/api/v1/videos/${id}/restore`, { token: bob.token }),
      ]);
      expect([first.status, second.status]).toEqual([202, 202]);
      for (const r of [first, second]) {
        expect(r.body.status).toBe('restoring');
        expect(r.body.archive.restore.phase).toMatch(/retrieving|processing/);
        expect(Date.parse(r.body.archive.restore.etaAt)).toBeGreaterThan(Date.now() - 60_000);
      }
      // A third, while it runs: joins it.
      expect((await api('POST', `/api/v1/videos/${id}/restore`, { headers: device })).status).toBe(202);
      const restored = await waitForVideo(api, id, alice.token, (v) => v.status === 'ready', 180_000);
      const events = await stream;
      const states = events.map((v) => (v.status === 'restoring' ? `restoring:${v.archive.restore.phase}` : v.status));
      expect(states[0]).toBe('archived');
      expect(states).toContain('restoring:retrieving');
      expect(states).toContain('restoring:processing');
      expect(states.at(-1)).toBe('ready');

      expect(restored.archive).toBeNull();
      expect(restored.playback.hls).not.toBe(oldMaster);
      const master = await fetch(new URL(restored.playback.hls, t.baseUrl));
      expect(master.status).toBe(200);
      expect(await master.text()).toContain('#EXT-X-STREAM-INF');
      expect((await fetch(new URL(restored.playback.mp4, t.baseUrl))).status).toBe(200);
      // One restore, whoever asked; the bytes retrieved are the original's.
      const rows = await restoreRows(id);
      // The owner and a viewer asked at the same instant: whichever came first started it (the other joined).
      expect(rows).toEqual([
        { state: 'done', requester: expect.stringMatching(/^(owner|viewer)$/), tier: 'Standard', bytes: String(originalSize), error: null },
      ]);
      // Only the new revision is left under the video's media folder.
      const prefix = new URL(restored.playback.hls, t.baseUrl).pathname.split('/').slice(1, 4).join('/');
      expect((await keysUnder(`media/${id}/`)).every((k) => k.key.startsWith(`${prefix}/`))).toBe(true);
      // Back in the feed.
      expect(has((await api('GET', '/api/v1/feed?limit=50')).body.items)).toBe(true);
      // The owner's cover is cut again from the new renditions (the old one went with the old revision).
      const isCut = (v: any) => /\/poster-[\w-]+\.jpg$/.test(new URL(v.playback?.poster ?? '/', t.baseUrl).pathname);
      expect(isCut(ready)).toBe(true); // a cut cover, not the pipeline's poster.jpg
      const covered = await waitForVideo(api, id, alice.token, (v) => v.coverTimeMs === 1000 && isCut(v), 60_000);
      expect(covered.playback.poster).not.toBe(ready.playback.poster);
      expect(new URL(covered.playback.poster, t.baseUrl).pathname.split('/').slice(1, 4).join('/')).toBe(prefix);
      expect((await fetch(new URL(covered.playback.poster, t.baseUrl))).status).toBe(200);
      // Integrations heard it leave and come back, not a second "ready"; the owner's inbox has one "ready" (the upload).
      expect((await webhookEvents(id)).map((e) => e.type)).toEqual(['video.ready', 'video.archived', 'video.restored']);
      const inbox = (await api('GET', '/api/v1/me/notifications?limit=50', { token: alice.token })).body.items as Array<{
        type: string;
        video: { id: string } | null;
      }>;
      expect(inbox.filter((n) => n.video?.id === id).map((n) => n.type)).toEqual(['video_ready']);
    }, 400_000);

    it('lets only the owner or an admin pin; a pinned video is never swept', async () => {
      const id = await seededOriginal('pinned one', 'STANDARD');
      const hidden = await seedVideo(t, alice, { caption: 'private', visibility: 'private' });
      expect((await api('PUT', `/api/v1/videos/${id}/archive-pin`, { token: bob.token })).body.error.code).toBe('forbidden');
      expect((await api('PUT', `/api/v1/videos/${hidden}/archive-pin`, { token: bob.token })).status).toBe(404);
      expect((await api('PUT', `/api/v1/videos/${id}/archive-pin`)).status).toBe(401);
      expect((await api('PUT', `/api/v1/videos/${id}/archive-pin`, { token: alice.token })).status).toBe(204);
      expect((await api('GET', `/api/v1/videos/${id}`, { token: alice.token })).body.archivePinned).toBe(true);
      await makeIdle(id);
      expect((await sweep(true)).videos.map((v) => v.id)).not.toContain(id);
      expect((await api('DELETE', `/api/v1/videos/${id}/archive-pin`, { token: admin.token })).status).toBe(204);
      expect((await api('GET', `/api/v1/videos/${id}`, { token: alice.token })).body.archivePinned).toBe(false);
      expect((await sweep(true)).videos.map((v) => v.id)).toContain(id);
      expect((await api('PUT', `/api/v1/videos/${id}/archive-pin`, { token: admin.token })).status).toBe(204);
      expect((await sweep(true)).videos.map((v) => v.id)).not.toContain(id);
    });

    it('rate-limits restores started by viewers (not the owner), refuses other states, and reports a restore that cannot succeed', async () => {
      const [a, b, c, d] = (await Promise.all(['rl a', 'rl b', 'rl c', 'rl d'].map(seededArchived))) as [string, string, string, string];
      // A viewer of their own: the first test's concurrent restore may have been started by (and counted against) bob.
      const carol = await signup(api, 'carol');
      const ready = await seedVideo(t, alice, { caption: 'ready' });
      const notArchived = await api('POST', `/api/v1/videos/${ready}/restore`, { token: carol.token });
      expect([notArchived.status, notArchived.body.error.code]).toEqual([409, 'not_archived']);
      const anonymous = await api('POST', `/api/v1/videos/${a}/restore`);
      expect([anonymous.status, anonymous.body.error.code]).toEqual([400, 'device_id_required']);
      expect((await api('POST', `/api/v1/videos/${a}/restore`, { token: carol.token })).status).toBe(202);
      // Joining the restore in flight costs nothing.
      expect((await api('POST', `/api/v1/videos/${a}/restore`, { token: carol.token })).status).toBe(202);
      expect((await api('POST', `/api/v1/videos/${b}/restore`, { token: carol.token })).status).toBe(202);
      const limited = await api('POST', `/api/v1/videos/${c}/restore`, { token: carol.token });
      expect([limited.status, limited.body.error.code]).toEqual([429, 'restore_rate_limited']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await api('GET', `/api/v1/videos/${c}`)).body.status).toBe('archived');
      // The owner and admins are not limited.
      expect((await api('POST', `/api/v1/videos/${c}/restore`, { token: alice.token })).status).toBe(202);
      expect((await api('POST', `/api/v1/videos/${d}/restore`, { token: admin.token })).status).toBe(202);
      expect((await restoreRows(d)).map((r) => r.requester)).toEqual(['admin']);

      // These seeded originals are no video: the restore retrieves them, processing refuses them, the failure is reported, the video stays archived.
      const failed = await waitForVideo(api, a, alice.token, (v) => v.status === 'archived' && v.archive?.lastError, 60_000);
      expect(failed.archive.lastError).toMatch(/restore failed/i);
      expect((await api('GET', `/api/v1/videos/${a}`, { token: bob.token })).body.archive.lastError).toBeUndefined();
      expect((await restoreRows(a)).map((r) => r.state)).toEqual(['failed']);
      // The owner is told (a viewer started it), with the reason; integrations get video.restore_failed.
      const told = (await api('GET', '/api/v1/me/notifications?limit=50', { token: alice.token })).body.items.filter(
        (n: { type: string; video: { id: string } | null }) => n.type === 'restore_failed' && n.video?.id === a,
      );
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({ text: 'Your archived video could not be restored', video: { status: 'archived' } });
      expect(told[0].video.error).toEqual({ code: 'restore_failed', message: failed.archive.lastError });
      const hooks = await webhookEvents(a);
      expect(hooks.map((e) => e.type)).toEqual(['video.archived', 'video.restore_failed']);
      expect(hooks[1]!.error).toEqual({ code: 'restore_failed', message: failed.archive.lastError });
    }, 120_000);

    it('cleans up a video deleted during its restore: restore cancelled, no objects left', async () => {
      const id = await uploadReady('to delete');
      await makeIdle(id);
      await t.app.services.archive.archive.archiveNow(id);
      expect((await api('POST', `/api/v1/videos/${id}/restore`, { token: alice.token })).status).toBe(202);
      expect((await api('DELETE', `/api/v1/videos/${id}`, { token: alice.token })).status).toBe(204);
      expect((await restoreRows(id)).map((r) => r.state)).toEqual(['cancelled']);
      // Whatever the restore job had in flight is removed when it next looks.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const jobs = await db().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM jobs WHERE queue = 'archive.restore' AND status IN ('queued', 'running') AND payload->>'videoId' = $1`,
          [id],
        );
        const left = [...(await keysUnder(`media/${id}/`)), ...(await keysUnder(`originals/${id}`))];
        if (jobs.rows[0]!.n === 0 && left.length === 0) break;
        if (Date.now() > deadline) throw new Error(`left behind: ${jobs.rows[0]!.n} jobs, ${left.map((k) => k.key).join(', ')}`);
        await sleep(250);
      }
      expect((await api('GET', `/api/v1/videos/${id}`, { token: alice.token })).status).toBe(404);
    }, 300_000);
  });
}
