import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { useLakeCrashRig } from '../support/lake-crash.js';
import { postgresAvailable } from '../support/services.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import { apiClient } from '../support/test-app.js';
const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));
const HOUR = 3_600_000;

/**
 * Exactly once across SIGKILL: real `curta worker` processes deliver (and
 * compact) the lake on PostgreSQL while the API keeps buffering events; they
 * are killed at the worst points (files written, batch not committed; merged
 * file written, manifest not swapped) and at random ones, over and over. A
 * last worker finishes: every posted event is in the lake once.
 *
 * Each posted event carries a unique watchedMs, so the lake's rows of this
 * device name exactly which posted events arrived, and how often.
 *
 * PostgreSQL only: the embedded profile's PGlite is one process's database
 * (the API process holds it open), so a second process cannot deliver from it;
 * there delivery runs inside the one `curta start` process, whose crashes the
 * same batch records cover.
 */
const available = await postgresAvailable();
describe.skipIf(!available)('lake delivery and compaction survive SIGKILL (PostgreSQL, real worker processes)', () => {
  const rig = useLakeCrashRig('lake-crash', { LAKE_BATCH_MAX_EVENTS: '50' });
  const { worker, waitFor, kill, q } = rig;
  let cache: string;
  let viewer: TestUser;
  let video: string;
  let posted = 0;

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'curta-lake-cache-'));
    viewer = await signup(apiClient(rig.t.baseUrl), `lk_crash_${Date.now() % 100000}`);
    video = await seedVideo(rig.t, viewer);
  }, 60_000);

  afterAll(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  /** Posts `batches` batches of 20 events (two hours ago: a partition compaction may take), each with the next watchedMs values. */
  async function post(batches: number): Promise<void> {
    const api = apiClient(rig.t.baseUrl);
    for (let b = 0; b < batches; b++) {
      const at = Date.now() - 2 * HOUR;
      const events = Array.from({ length: 20 }, () => ({ type: 'progress', videoId: video, watchedMs: ++posted, at, source: 'for_you' }));
      const r = await api('POST', '/api/v1/events', { token: viewer.token, body: { events } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  }

  it('killed with files written and the batch not committed: the batch stays pending, its files unlisted', async () => {
    await post(5);
    const p = worker('paused-delivery', { CURTA_TEST_LAKE_PAUSE: 'after-files:120000' });
    await waitFor('the pause after the batch files', p, async () => p.output().includes('LAKE_PAUSED after-files'));
    await kill(p);
    const pending = await q<{ id: string }>('SELECT id FROM lake_batches WHERE delivered_at IS NULL');
    expect(pending).toHaveLength(1);
    const written = await rig.t.app.store.listPage('lake/events/');
    expect(written.keys.length).toBeGreaterThan(0);
    expect(await q('SELECT 1 FROM lake_files WHERE batch_id = $1', [pending[0]!.id])).toHaveLength(0);
  }, 120_000);

  it('killed at random points while the API keeps buffering, and during a compaction: a last worker delivers every event once', async () => {
    let killedMidBatch = 0;
    const inflight: Array<Promise<void>> = [];
    for (let round = 0; round < 5; round++) {
      const batches = async () => (await q<{ n: number }>('SELECT count(*)::int AS n FROM lake_batches'))[0]!.n;
      const before = await batches();
      await post(4);
      const p = worker(`random-${round}`);
      // Once it delivers, keep buffering and kill it somewhere in delivery (or compaction) at a random moment.
      await waitFor('a delivery by the new worker', p, async () => (await batches()) > before);
      inflight.push(post(3));
      await sleep(Math.floor(Math.random() * 400));
      await kill(p);
      if ((await q('SELECT 1 FROM lake_batches WHERE delivered_at IS NULL')).length > 0) killedMidBatch++;
    }
    await Promise.all(inflight);
    await post(1);
    console.log(`lake crash test: ${killedMidBatch} of 5 random kills left a batch pending`);
    // Killed with the merged file written and the manifest not swapped.
    await post(3);
    const p = worker('paused-compaction', { CURTA_TEST_LAKE_PAUSE: 'after-merge:120000' });
    await waitFor('the pause after a merged file', p, async () => p.output().includes('LAKE_PAUSED after-merge'), 90_000);
    await kill(p);
    expect(await q(`SELECT 1 FROM lake_compactions WHERE state = 'pending'`)).toHaveLength(1);
    await post(2);

    // A last worker, left alone: the buffer drains, pending batches and compactions finish.
    const last = worker('last');
    await waitFor(
      'an empty buffer, no pending batch or compaction',
      last,
      async () => {
        const [row] = await q<{ buffered: number; pending: number; open: number }>(
          `SELECT (SELECT count(*)::int FROM lake_buffer) AS buffered,
                (SELECT count(*)::int FROM lake_batches WHERE delivered_at IS NULL) AS pending,
                (SELECT count(*)::int FROM lake_compactions WHERE state IN ('pending', 'swapped')) AS open`,
        );
        return row!.buffered === 0 && row!.pending === 0 && row!.open === 0;
      },
      90_000,
    );
    await last.stop(20_000);

    const reader = new LakeReader(rig.t.app.db, rig.t.app.store, cache);
    const rows = await reader.query(
      `SELECT watched_ms, event_id FROM events WHERE kind = 'playback' AND video_id = '${video}' ORDER BY watched_ms`,
    );
    const watched = rows.map((r) => Number(r['watched_ms']));
    expect(watched).toHaveLength(posted);
    expect(watched).toEqual(Array.from({ length: posted }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r['event_id'])).size).toBe(posted);
    // And the files an engine listing the prefix would read hold the same events: no orphan, no leftover source.
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await rig.t.app.store.listPage('lake/events/', cursor ? { cursor } : {});
      for (const k of page.keys) listed.add(k.key);
      cursor = page.next;
    } while (cursor);
    const live = (await q<{ key: string }>(`SELECT key FROM lake_files WHERE state = 'live'`)).map((r) => r.key);
    expect([...listed].sort()).toEqual(live.sort());
  }, 300_000);
});
