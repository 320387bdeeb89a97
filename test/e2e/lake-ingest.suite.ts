import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { LAKE_COLUMNS, parseLakeKey } from '../../src/modules/lake/lake-schema.js';
import { makeClip } from '../support/media.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, waitForVideo, type TestApp } from '../support/test-app.js';

/** Lake settings for these suites: nothing delivers on its own, the tests run delivery when they want it. */
export const LAKE_TEST_ENV = { LAKE_DELIVERY_INTERVAL_SEC: '0', LAKE_COMPACT_INTERVAL_SEC: '0' };

type Row = Record<string, unknown>;

/**
 * Delivers everything buffered now. A row becomes deliverable once every
 * transaction older than it has ended (xid below the snapshot's xmin): a
 * worker's transaction in flight on another connection can hold it back for
 * a moment, so this tries again until the buffer is empty. Returns the events delivered.
 */
export async function deliverAll(t: TestApp): Promise<number> {
  let total = 0;
  for (let i = 0; i < 100; i++) {
    total += (await t.app.services.lake.delivery.run({ force: true })).events;
    if ((await t.app.db.query('SELECT 1 FROM lake_buffer LIMIT 1')).rows.length === 0) return total;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the lake buffer did not drain');
}

/** A value as both readers should agree on it: timestamps as epoch ms, 64-bit integers as numbers. */
function normal(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  return v ?? null;
}

/**
 * Every event — playback, engagement, pipeline — reaches Parquet files under
 * the Hive layout exactly once, with typed columns, readable by DuckDB and by
 * an independent reader (hyparquet), against whatever app `start` gives
 * (embedded: PGlite + filesystem store; distributed: PostgreSQL + Redis + S3).
 */
export function lakeIngestSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser;
    let bob: TestUser;
    let uploaded: string;
    let uploadedSize: number;
    let seeded: string;
    let cache: string;

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      cache = await mkdtemp(join(tmpdir(), 'curta-lake-cache-'));
      alice = await signup(api, `lk_alice_${Date.now() % 100000}`);
      bob = await signup(api, `lk_bob_${Date.now() % 100000}`);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await rm(cache, { recursive: true, force: true });
    });

    it('an upload goes through processing', async () => {
      const clip = join(t.dataDir, 'lake-clip.mp4');
      await makeClip(clip, { seconds: 1 });
      const bytes = await readFile(clip);
      uploadedSize = bytes.length;
      const created = await api('POST', '/api/v1/uploads', {
        token: alice.token,
        body: { filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length, caption: 'lake' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      uploaded = created.body.videoId;
      const { upload } = created.body;
      const put = await fetch(new URL(upload.url, t.baseUrl), { method: upload.method, headers: upload.headers, body: bytes });
      expect(put.ok).toBe(true);
      expect((await api('POST', `/api/v1/uploads/${uploaded}/complete`, { token: alice.token, body: {} })).status).toBeLessThan(300);
      const v = await waitForVideo(api, uploaded, alice.token, (x) => x.status === 'ready' || x.status === 'failed', 180_000);
      expect(v.status).toBe('ready');
    }, 200_000);

    it('delivers every event exactly once as Parquet under dt=/hour=, typed, equal in DuckDB and hyparquet', async () => {
      seeded = await seedVideo(t, alice, { durationMs: 20_000 });
      // Playback: signed in (with sources) and anonymous.
      const events = [
        { type: 'impression', videoId: seeded, source: 'for_you' },
        { type: 'play', videoId: seeded, source: 'for_you' },
        { type: 'progress', videoId: seeded, watchedMs: 5000, source: 'for_you' },
        { type: 'complete', videoId: seeded, watchedMs: 20_000, source: 'for_you' },
        { type: 'play', videoId: uploaded, source: 'share' },
        { type: 'skip', videoId: uploaded, watchedMs: 300, source: 'profile' },
      ];
      const r1 = await api('POST', '/api/v1/events', { token: bob.token, body: { events } });
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      expect(r1.body.accepted).toBe(6);
      const r2 = await api('POST', '/api/v1/events', {
        headers: { 'x-device-id': 'lake-device-000001' },
        body: {
          events: [
            { type: 'play', videoId: seeded, source: 'hashtag' },
            { type: 'impression', videoId: seeded },
          ],
        },
      });
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      // An unknown source is refused at the edge.
      const bad = await api('POST', '/api/v1/events', {
        token: bob.token,
        body: { events: [{ type: 'play', videoId: seeded, source: 'tv' }] },
      });
      expect(bad.status).toBe(400);
      // Engagement.
      expect((await api('PUT', `/api/v1/videos/${seeded}/like`, { token: bob.token })).status).toBeLessThan(300);
      const c = await api('POST', `/api/v1/videos/${seeded}/comments`, { token: bob.token, body: { text: 'nice' } });
      expect(c.status, JSON.stringify(c.body)).toBeLessThan(300);
      expect((await api('PUT', `/api/v1/users/${alice.username}/follow`, { token: bob.token })).status).toBeLessThan(300);
      expect((await api('PUT', `/api/v1/videos/${seeded}/bookmark`, { token: bob.token })).status).toBeLessThan(300);
      expect((await api('POST', `/api/v1/videos/${uploaded}/share`, { token: bob.token, body: {} })).status).toBeLessThan(300);
      expect((await api('POST', `/api/v1/videos/${uploaded}/not-interested`, { token: bob.token })).status).toBeLessThan(300);

      const buffered = await t.app.db.query<{ event_id: string }>('SELECT event_id::text FROM lake_buffer_events');
      const ids = buffered.rows.map((r) => r.event_id);
      // 8 playback, 6 engagement, 4 pipeline events of the upload and the seeded video's upload_created.
      expect(ids.length).toBeGreaterThanOrEqual(8 + 6 + 4 + 1);

      // The buffer's depth is on /metrics (an estimate from its index: at least what it holds).
      const scrape = await (await fetch(`${t.baseUrl}/metrics`)).text();
      expect(Number(/^curta_lake_buffer_events (\d+)/m.exec(scrape)?.[1])).toBeGreaterThanOrEqual(ids.length);
      expect(scrape).toMatch(/^curta_lake_buffer_oldest_seconds \d/m);

      expect(await deliverAll(t)).toBe(ids.length);
      expect(await t.app.services.lake.depth()).toEqual({ events: 0, oldestSec: 0 });
      expect((await t.app.db.query('SELECT 1 FROM lake_buffer')).rows).toHaveLength(0);

      const files = await t.app.db.query<{ key: string; events: number; dt: string; hour: number }>(
        `SELECT key, events, to_char(dt, 'YYYY-MM-DD') AS dt, hour FROM lake_files WHERE state = 'live' ORDER BY key`,
      );
      expect(files.rows.length).toBeGreaterThan(0);
      for (const f of files.rows) {
        expect(f.key).toMatch(/^lake\/events\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/part-b\d{12}\.parquet$/);
        expect(parseLakeKey(f.key)).toEqual({ dt: f.dt, hour: f.hour });
        expect(await t.app.store.head(f.key)).not.toBeNull();
      }

      // DuckDB, through the manifest-driven reader.
      const reader = new LakeReader(t.app.db, t.app.store, cache);
      const duck = await reader.query(
        `SELECT event_id, schema_version, epoch_ms(event_time)::DOUBLE AS event_time, epoch_ms(received_at)::DOUBLE AS received_at,
                kind, type, video_id, creator_id, user_id, device_id, watched_ms, duration_ms, source, counted, stage, ok,
                elapsed_ms::DOUBLE AS elapsed_ms, bytes::DOUBLE AS bytes, attrs, dt::VARCHAR AS dt, hour::INTEGER AS hour
         FROM events ORDER BY event_id`,
      );
      expect(duck.map((r) => r['event_id']).sort()).toEqual([...ids].sort());
      expect(new Set(duck.map((r) => r['event_id'])).size).toBe(duck.length);

      // hyparquet: an independent reader of the same files, column types from the file's own schema.
      const hy: Row[] = [];
      for (const f of files.rows) {
        const path = await reader.localPath(f.key);
        const file = await asyncBufferFromFile(path);
        const meta = await parquetMetadataAsync(file);
        const schema = parquetSchema(meta);
        expect(schema.children.map((c) => c.element.name)).toEqual(LAKE_COLUMNS.map(([n]) => n));
        const el = (n: string) => schema.children.find((c) => c.element.name === n)!.element;
        expect(el('event_id')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
        expect(el('schema_version').type).toBe('INT32');
        expect(el('event_time').type).toBe('INT64');
        expect(el('event_time').logical_type).toMatchObject({ type: 'TIMESTAMP', isAdjustedToUTC: true });
        expect(el('watched_ms').type).toBe('INT32');
        expect(el('elapsed_ms').type).toBe('INT64');
        expect(el('bytes').type).toBe('INT64');
        expect(el('counted').type).toBe('BOOLEAN');
        expect(el('ok').type).toBe('BOOLEAN');
        expect(Number(meta.num_rows)).toBe(f.events);
        const rows = (await parquetReadObjects({ file })) as Row[];
        for (const r of rows) hy.push({ ...r, dt: f.dt, hour: f.hour });
      }
      hy.sort((a, b) => (String(a['event_id']) < String(b['event_id']) ? -1 : 1));
      expect(hy).toHaveLength(duck.length);
      const columns = [...LAKE_COLUMNS.map(([n]) => n), 'dt', 'hour'];
      for (const [i, d] of duck.entries()) {
        const h = hy[i]!;
        for (const col of columns) expect(normal(h[col]), `${col} of ${String(d['event_id'])}`).toEqual(normal(d[col]));
        // The partition is the event time's UTC date and hour.
        const at = new Date(Number(d['event_time']));
        expect(d['dt']).toBe(at.toISOString().slice(0, 10));
        expect(d['hour']).toBe(at.getUTCHours());
        expect(d['schema_version']).toBe(1);
      }

      const of = (type: string, video?: string) => duck.filter((r) => r['type'] === type && (!video || r['video_id'] === video));
      // Playback: owner, duration, source, counted, viewer.
      expect(of('complete', seeded)).toHaveLength(1);
      expect(of('complete', seeded)[0]).toMatchObject({
        kind: 'playback',
        creator_id: alice.id,
        user_id: bob.id,
        watched_ms: 20_000,
        duration_ms: 20_000,
        source: 'for_you',
        counted: true,
      });
      expect(of('skip', uploaded)[0]).toMatchObject({ source: 'profile', watched_ms: 300 });
      const anon = duck.filter((r) => r['device_id'] === 'lake-device-000001');
      expect(anon.map((r) => r['source']).sort()).toEqual(['hashtag', null]);
      expect(anon.every((r) => r['user_id'] === null)).toBe(true);
      // Engagement: one each, the actor and the creator.
      for (const [type, video] of [
        ['like', seeded],
        ['comment', seeded],
        ['bookmark', seeded],
        ['share', uploaded],
        ['not_interested', uploaded],
      ] as const) {
        expect(of(type, video), type).toHaveLength(1);
        expect(of(type, video)[0], type).toMatchObject({ kind: 'engagement', user_id: bob.id, creator_id: alice.id });
      }
      expect(of('follow')).toHaveLength(1);
      expect(of('follow')[0]).toMatchObject({ kind: 'engagement', user_id: bob.id, creator_id: alice.id, video_id: null });
      expect(JSON.parse(String(of('comment')[0]!['attrs']))).toMatchObject({ commentId: c.body.id ?? c.body.comment?.id, reply: false });
      // Pipeline of the real upload: created → uploaded → processing → finished, with stage durations and sizes.
      const pipe = duck.filter((r) => r['kind'] === 'pipeline' && r['video_id'] === uploaded);
      expect(pipe.map((r) => r['type'])).toEqual(
        expect.arrayContaining(['upload_created', 'upload_completed', 'processing_started', 'processing_finished']),
      );
      const finished = pipe.find((r) => r['type'] === 'processing_finished')!;
      expect(finished).toMatchObject({ stage: 'processing', ok: true, creator_id: alice.id, bytes: uploadedSize });
      expect(Number(finished['elapsed_ms'])).toBeGreaterThan(0);
      expect(Number(finished['duration_ms'])).toBeGreaterThan(500);
      expect(pipe.find((r) => r['type'] === 'upload_completed')).toMatchObject({ stage: 'upload', ok: true });
      expect(pipe.find((r) => r['type'] === 'processing_started')).toMatchObject({ stage: 'queue' });

      // A second run finds nothing to do; the lake keeps exactly the same events.
      expect(await deliverAll(t)).toBe(0);
      const again = await reader.query('SELECT count(*)::INTEGER AS n, count(DISTINCT event_id)::INTEGER AS d FROM events');
      expect(again[0]).toEqual({ n: ids.length, d: ids.length });
    }, 120_000);

    it('a corrupt or foreign object under lake/events/ does not break delivery or compaction', async () => {
      const files = await t.app.db.query<{ key: string }>(`SELECT key FROM lake_files WHERE state = 'live' ORDER BY key LIMIT 1`);
      const dir = files.rows[0]!.key.replace(/[^/]+$/, '');
      await t.app.store.put(`${dir}part-zzzz.parquet`, Buffer.from('not parquet at all'), { contentType: 'application/octet-stream' });
      await t.app.store.put('lake/events/README.txt', 'foreign', { contentType: 'text/plain' });
      const r = await api('POST', '/api/v1/events', {
        token: bob.token,
        body: { events: [{ type: 'play', videoId: seeded, source: 'search' }] },
      });
      expect(r.status).toBe(200);
      expect(await deliverAll(t)).toBe(1);
      await expect(t.app.services.lake.maintenance.compact()).resolves.toMatchObject({ failed: 0 });
      const reader = new LakeReader(t.app.db, t.app.store, cache);
      const n = await reader.query(`SELECT count(*)::INTEGER AS n FROM events WHERE source = 'search'`);
      expect(n[0]).toEqual({ n: 1 });
    }, 60_000);
  });
}
