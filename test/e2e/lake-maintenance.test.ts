import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeMaintenance } from '../../src/modules/lake/lake-compaction.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { signup, seedVideo, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';
import { deliverAll, LAKE_TEST_ENV } from './lake-ingest.suite.js';

const HOUR = 3_600_000;
const crash = () => Promise.reject(new Error('simulated crash'));

/**
 * Compaction is crash-safe at every step, an unreadable file is skipped and
 * counted, the lake's retention deletes whole days (objects and manifest
 * rows), and the OLTP window deletes only what the lake has or will get.
 * Embedded profile; the steps are the same SQL on PostgreSQL.
 */
describe('lake maintenance (embedded)', () => {
  let t: TestApp;
  let cache: string;
  let reader: LakeReader;
  const log = pino({ level: 'silent' });
  /** A past hour (whole: compaction only touches hours that are over). */
  const past = new Date(Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR);
  const old = new Date(past.getTime() - 10 * 24 * HOUR);

  /** Buffers `n` events at `at` (straight into the buffer, as the capture paths do) and delivers them as one batch. */
  async function deliverAt(at: Date, n: number): Promise<void> {
    await t.app.db.query(
      `INSERT INTO lake_buffer (event_time, kind, type, video_id, user_id, watched_ms)
       SELECT $1::timestamptz + make_interval(secs => i), 'playback', 'progress', 'v', 'u', i FROM generate_series(1, $2::int) i`,
      [at, n],
    );
    expect(await deliverAll(t)).toBe(n);
  }
  const liveFiles = async (at: Date) =>
    (
      await t.app.db.query<{ key: string }>(
        `SELECT key FROM lake_files WHERE state = 'live' AND dt = $1::date AND hour = $2 ORDER BY key`,
        [at.toISOString().slice(0, 10), at.getUTCHours()],
      )
    ).rows.map((r) => r.key);
  const lakeIds = async () => (await reader.query('SELECT event_id FROM events ORDER BY event_id')).map((r) => String(r['event_id']));
  const bufferedIds = async () =>
    (await t.app.db.query<{ id: string }>('SELECT event_id::text AS id FROM lake_buffer_events')).rows.map((r) => r.id);

  beforeAll(async () => {
    t = await startTestApp(LAKE_TEST_ENV, { workers: false });
    cache = await mkdtemp(join(tmpdir(), 'curta-lake-cache-'));
    reader = new LakeReader(t.app.db, t.app.store, cache);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await rm(cache, { recursive: true, force: true });
  });

  it('compaction merges a past hour into one file; a crash after the merged write or after the swap is finished by the next run', async () => {
    await deliverAt(past, 50);
    await deliverAt(past, 30);
    await deliverAt(past, 20);
    await deliverAt(new Date(), 5); // the current hour: never compacted
    const sources = await liveFiles(past);
    expect(sources).toHaveLength(3);
    const before = await lakeIds();
    expect(before).toHaveLength(105);

    // Crash 1: merged file written, manifest not swapped.
    await expect(new LakeMaintenance(t.app.db, t.app.store, log, undefined, { afterMergedWritten: crash }).compact()).rejects.toThrow(
      'simulated crash',
    );
    expect(await liveFiles(past)).toEqual(sources);
    expect(await lakeIds()).toEqual(before);
    // Crash 2 (the re-run): swapped, source objects not deleted yet.
    await expect(new LakeMaintenance(t.app.db, t.app.store, log, undefined, { afterSwap: crash }).compact()).rejects.toThrow(
      'simulated crash',
    );
    const swapped = await liveFiles(past);
    expect(swapped).toHaveLength(1);
    expect(swapped[0]).toMatch(/\/part-c\d{12}\.parquet$/);
    expect(await lakeIds()).toEqual(before);
    for (const s of sources) expect(await t.app.store.head(s)).not.toBeNull();
    // The next run finishes: sources gone, one live file, every event once.
    const report = await t.app.services.lake.maintenance.compact();
    expect(report).toMatchObject({ compacted: 1, merged: 3, failed: 0 });
    for (const s of sources) expect(await t.app.store.head(s)).toBeNull();
    expect(await liveFiles(past)).toEqual(swapped);
    expect(await lakeIds()).toEqual(before);
    const states = await t.app.db.query<{ state: string }>('SELECT state FROM lake_compactions ORDER BY id');
    expect(states.rows.map((r) => r.state)).toEqual(['done']);
    // Late events into the compacted hour: the next compaction merges the compacted file with them.
    await deliverAt(past, 7);
    expect(await t.app.services.lake.maintenance.compact()).toMatchObject({ compacted: 1, merged: 2 });
    expect(await liveFiles(past)).toHaveLength(1);
    expect(await lakeIds()).toHaveLength(112);
    expect(new Set(await lakeIds()).size).toBe(112);
  }, 60_000);

  it('an unreadable file is logged and counted: its partition stays as it was, and is not retried until it changes', async () => {
    const at = new Date(past.getTime() - HOUR);
    await deliverAt(at, 3);
    await deliverAt(at, 4);
    const files = await liveFiles(at);
    const good = join(cache, 'good.parquet');
    await t.app.store.getToFile(files[0]!, good);
    await t.app.store.put(files[0]!, Buffer.from('PAR1 garbage, not a parquet file'), { contentType: 'application/octet-stream' });
    expect(await t.app.services.lake.maintenance.compact()).toMatchObject({ compacted: 0, failed: 1 });
    expect(await liveFiles(at)).toEqual(files);
    expect(await t.app.store.head(files[1]!)).not.toBeNull();
    expect(await t.app.services.lake.maintenance.compact()).toMatchObject({ compacted: 0, failed: 0 });
    // Delivery is not affected.
    await deliverAt(new Date(), 2);
    // Repaired (the file put back): compacted at the next run.
    await t.app.store.putFile(files[0]!, good, { contentType: 'application/vnd.apache.parquet' });
    expect(await t.app.services.lake.maintenance.compact()).toMatchObject({ compacted: 0, failed: 0 });
    await t.app.db.query(`UPDATE lake_compactions SET sources = '{}' WHERE state = 'abandoned'`);
    expect(await t.app.services.lake.maintenance.compact()).toMatchObject({ compacted: 1, failed: 0 });
    expect(await liveFiles(at)).toHaveLength(1);
  }, 60_000);

  it("the lake's retention deletes whole days past LAKE_RETENTION_DAYS, manifest rows and objects (orphans too)", async () => {
    await deliverAt(old, 6);
    const oldDt = old.toISOString().slice(0, 10);
    await t.app.store.put(`lake/events/dt=2001-01-01/hour=00/part-x.parquet`, 'orphan', { contentType: 'text/plain' });
    const keptBefore = (await t.app.db.query(`SELECT key FROM lake_files WHERE dt <> $1::date`, [oldDt])).rows.length;
    const report = await t.app.services.lake.maintenance.prune(7);
    expect(report.partitions).toBe(2);
    expect(report.files).toBeGreaterThanOrEqual(2);
    expect((await t.app.db.query(`SELECT 1 FROM lake_files WHERE dt = $1::date`, [oldDt])).rows).toHaveLength(0);
    expect((await t.app.store.listPage(`lake/events/dt=${oldDt}/`)).keys).toHaveLength(0);
    expect((await t.app.store.listPage('lake/events/dt=2001-01-01/')).keys).toHaveLength(0);
    expect((await t.app.db.query(`SELECT key FROM lake_files`)).rows).toHaveLength(keptBefore);
    // 0 keeps everything.
    expect(await t.app.services.lake.maintenance.prune(0)).toEqual({ partitions: 0, files: 0 });
  }, 60_000);

  it('the OLTP window (EVENTS_RETENTION_HOURS, 48) deletes old events rows, never their way into the lake', async () => {
    const api = apiClient(t.baseUrl);
    const owner: TestUser = await signup(api, `lk_owner_${Date.now() % 100000}`);
    const video = await seedVideo(t, owner);
    await deliverAll(t);
    const r = await api('POST', '/api/v1/events', {
      token: owner.token,
      body: {
        events: [
          // Two rows the OLTP table keeps (a bare play next to a complete is the lake's alone: oltpRows).
          { type: 'impression', videoId: video },
          { type: 'complete', videoId: video, watchedMs: 1000 },
        ],
      },
    });
    expect(r.status).toBe(200);
    // Age them past the window before the lake got them (a delivery outage of two days).
    await t.app.db.query(`UPDATE events SET received_at = now() - interval '49 hours' WHERE video_id = $1`, [video]);
    const buffered = await bufferedIds();
    expect(buffered).toHaveLength(2);
    const pruned = await t.app.services.events.retention.prune();
    expect(pruned.events.deleted).toBeGreaterThanOrEqual(2);
    expect((await t.app.db.query('SELECT 1 FROM events WHERE video_id = $1', [video])).rows).toHaveLength(0);
    expect((await bufferedIds()).sort()).toEqual([...buffered].sort());
    await deliverAll(t);
    const inLake = await reader.query(`SELECT event_id FROM events WHERE video_id = '${video}' AND kind = 'playback'`);
    expect(inLake.map((x) => String(x['event_id'])).sort()).toEqual([...buffered].sort());
  }, 60_000);
});
