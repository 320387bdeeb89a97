import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, withDuckdb } from '../../src/modules/lake/duckdb.js';
import { LAKE_AGGREGATES_PREFIX } from '../../src/modules/lake/lake-aggregates.js';
import { LakeMaintenance } from '../../src/modules/lake/lake-compaction.js';
import { LakeErasure } from '../../src/modules/lake/lake-erasure.js';
import { LakeReader } from '../../src/modules/lake/lake-reader.js';
import { LAKE_EVENTS_PREFIX, type LakeEvent } from '../../src/modules/lake/lake-schema.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { addLakeFile, daysAgo, lakeEvent } from '../support/lake.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, type TestApp } from '../support/test-app.js';
import { deliverAll } from './lake-ingest.suite.js';

export type Row = {
  event_id: string;
  user_id: string | null;
  device_id: string | null;
  creator_id: string | null;
  video_id: string | null;
};

const PASSWORD = 'correct horse battery';
const crash = () => Promise.reject(new Error('simulated crash'));

/** Every key under `prefix` in the store (listed, not from the manifest). */
async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listPage(prefix, cursor ? { cursor } : {});
    keys.push(...page.keys.map((k) => k.key));
    cursor = page.next;
  } while (cursor);
  return keys.sort();
}

/** Every row of every Parquet object under lake/events/ in the store, read by DuckDB directly (no manifest, no reader). */
export async function storedRows(store: ObjectStore): Promise<Row[]> {
  const keys = (await listAll(store, LAKE_EVENTS_PREFIX)).filter((k) => k.endsWith('.parquet'));
  if (keys.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'curta-erasure-read-'));
  try {
    const paths: string[] = [];
    for (const [i, k] of keys.entries()) {
      const p = join(dir, `${i}.parquet`);
      await store.getToFile(k, p);
      paths.push(p);
    }
    return await withDuckdb(async (c) => {
      const r = await c.runAndReadAll(
        `SELECT event_id, user_id, device_id, creator_id, video_id FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`,
      );
      return r.getRowObjectsJson() as unknown as Row[];
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const idsOf = (rows: readonly Row[]) => rows.map((r) => r.event_id).sort();

/**
 * The right to erasure in the lake: deleting an account removes its events
 * (and its devices' anonymous ones) from every lake file and from the
 * buffer, keeps everyone else's rows exactly once (rows about its videos
 * without its id), invalidates the aggregates of the touched days, and a
 * rewrite interrupted between its steps is finished by the next run. Run
 * against `start` (embedded: PGlite + filesystem; distributed: PostgreSQL +
 * Redis + S3).
 */
export function lakeErasureSuite(name: string, start: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let api: Api;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    let cache: string;
    const d1 = daysAgo(10);
    const d2 = daysAgo(9);
    const at = (dt: string, hour: number, s: number) => new Date(Date.parse(`${dt}T${String(hour).padStart(2, '0')}:00:00Z`) + s * 1000);
    const ev = (dt: string, hour: number, s: number, e: Partial<LakeEvent>) =>
      lakeEvent({ type: 'play', eventTime: at(dt, hour, s), durationMs: 10_000, ...e });

    beforeAll(async () => {
      t = await start();
      api = apiClient(t.baseUrl);
      cache = await mkdtemp(join(tmpdir(), 'curta-erasure-cache-'));
      const n = Date.now() % 100000;
      alice = await signup(api, `er_alice_${n}`);
      bob = await signup(api, `er_bob_${n}`);
      carol = await signup(api, `er_carol_${n}`);
      dave = await signup(api, `er_dave_${n}`);
      // Accounts from a month ago: the lake history below is theirs.
      await t.app.db.query(`UPDATE users SET created_at = now() - interval '30 days' WHERE id = ANY($1::text[])`, [
        [alice.id, bob.id, carol.id, dave.id],
      ]);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await rm(cache, { recursive: true, force: true });
    });

    it("erases a deleted account's events from every lake file and the buffer; everyone else's stay, once each", async () => {
      const { lake } = t.app.services;
      const va = await seedVideo(t, alice, { durationMs: 10_000 });
      const vb = await seedVideo(t, bob, { durationMs: 10_000 });
      // History: a mixed file, a file of alice alone, untouched files (one in the same partition as the mixed one).
      await addLakeFile(
        t.app,
        [
          ev(d1, 12, 1, { videoId: vb, creatorId: bob.id, userId: alice.id, deviceId: 'dev-alice' }),
          ev(d1, 12, 2, { videoId: vb, creatorId: bob.id, deviceId: 'dev-alice' }), // her device, signed out
          ev(d1, 12, 3, { videoId: va, creatorId: alice.id, userId: bob.id, deviceId: 'dev-bob' }), // about her video
          ev(d1, 12, 4, { videoId: vb, creatorId: bob.id, userId: carol.id }),
          ev(d1, 12, 5, { kind: 'engagement', type: 'follow', creatorId: alice.id, userId: carol.id }),
        ],
        d1,
        12,
      );
      await addLakeFile(t.app, [ev(d1, 12, 30, { videoId: vb, creatorId: bob.id, userId: carol.id })], d1, 12);
      await addLakeFile(
        t.app,
        [
          ev(d1, 13, 1, { videoId: va, creatorId: alice.id, userId: alice.id, deviceId: 'dev-alice' }),
          ev(d1, 13, 2, { kind: 'pipeline', type: 'upload_created', videoId: va, creatorId: alice.id, userId: alice.id }),
        ],
        d1,
        13,
      );
      const untouched = await addLakeFile(t.app, [ev(d2, 12, 1, { videoId: vb, creatorId: bob.id, userId: carol.id })], d2, 12);

      // Live events: delivered ones, and alice's still in the buffer when she goes (with bob's like of her video).
      const post = (u: TestUser | null, videoId: string, device?: string) =>
        api('POST', '/api/v1/events', {
          ...(u ? { token: u.token } : {}),
          ...(device ? { headers: { 'x-device-id': device } } : {}),
          body: {
            events: [
              { type: 'play', videoId },
              { type: 'progress', videoId, watchedMs: 4000 },
            ],
          },
        });
      expect((await post(alice, vb, 'dev-alice-000001')).status).toBe(200);
      expect((await post(bob, va)).status).toBe(200);
      expect((await post(carol, vb)).status).toBe(200);
      expect((await post(null, vb, 'dev-anon-00000001')).status).toBe(200);
      await deliverAll(t);
      expect((await post(alice, vb, 'dev-alice-000001')).status).toBe(200);
      expect((await post(null, vb, 'dev-alice-000001')).status).toBe(200);
      expect((await api('PUT', `/api/v1/videos/${va}/like`, { token: bob.token })).status).toBeLessThan(300);

      // Aggregates built and shared before (they include her rows); analytics of bob's video.
      await t.app.services.analytics.aggregates.refresh({ from: d1, to: d2 });
      const aggregatesBefore = await listAll(t.app.store, `${LAKE_AGGREGATES_PREFIX}dt=${d1}/`);
      expect(aggregatesBefore.length).toBeGreaterThan(0);
      const views = async () => {
        const r = await api('GET', `/api/v1/analytics/videos/${vb}?from=${d1}&to=${daysAgo(0)}`, { token: bob.token });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return r.body.views as number;
      };
      const viewsBefore = await views();

      const isHers = (r: Row) => r.user_id === alice.id || r.device_id?.startsWith('dev-alice') === true;
      const before = await storedRows(t.app.store);
      expect(before.some(isHers)).toBe(true);
      const others = idsOf(before.filter((r) => !isHers(r)));

      const del = await api('DELETE', '/api/v1/me', { token: alice.token, body: { password: PASSWORD } });
      expect(del.status, JSON.stringify(del.body)).toBeLessThan(300);
      expect(await lake.erasure.pending()).toBe(1);
      // Nothing of hers is left to deliver; rows about her video lost her id.
      const buffered = await t.app.db.query(
        `SELECT 1 FROM lake_buffer_events WHERE user_id = $1 OR creator_id = $1 OR device_id LIKE 'dev-alice%'`,
        [alice.id],
      );
      expect(buffered.rows).toHaveLength(0);
      expect((await t.app.db.query(`SELECT 1 FROM events WHERE device_id = 'dev-alice'`)).rows).toHaveLength(0);

      await deliverAll(t);
      await lake.runMaintenance();
      expect(await lake.erasure.pending()).toBe(0);
      const done = await t.app.db.query<{ files: number; events: string }>(
        `SELECT files, events::text FROM lake_erasures WHERE user_id = $1`,
        [alice.id],
      );
      expect(done.rows[0]!.files).toBeGreaterThanOrEqual(3);
      expect(Number(done.rows[0]!.events)).toBeGreaterThanOrEqual(6);

      // Read directly: no object of the lake names her, anywhere; everyone else's rows are all there, once.
      const after = await storedRows(t.app.store);
      expect(JSON.stringify(after)).not.toContain(alice.id);
      expect(after.filter(isHers)).toEqual([]);
      const ids = idsOf(after);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => others.includes(id))).toEqual(others);
      const added = after.filter((r) => !others.includes(r.event_id));
      // What was buffered after the delivery and is not hers: bob's like of her video, delivered after the deletion without her id.
      expect(added.length).toBeGreaterThan(0);
      expect(
        added.every((r) => r.user_id === bob.id && r.video_id === va && r.creator_id === null),
        JSON.stringify(added),
      ).toBe(true);
      // Bob's play of her video is kept, anonymously as to its creator.
      expect(after.filter((r) => r.video_id === va && r.user_id === bob.id).length).toBeGreaterThanOrEqual(3);
      expect(after.filter((r) => r.video_id === va).every((r) => r.creator_id === null)).toBe(true);
      // Untouched files were not rewritten.
      const live = (await t.app.db.query<{ key: string }>(`SELECT key FROM lake_files WHERE state = 'live'`)).rows.map((r) => r.key);
      expect(live).toContain(untouched);

      // The touched day's old aggregates are gone from the store; analytics still answer, without her plays.
      const aggregatesAfter = await listAll(t.app.store, `${LAKE_AGGREGATES_PREFIX}dt=${d1}/`);
      expect(aggregatesAfter.filter((k) => aggregatesBefore.includes(k))).toEqual([]);
      // Bob's video: plays by carol (3 in the history, 1 live) and an anonymous device (1) stay; hers (2 in the history, 1 live) go.
      expect(viewsBefore).toBe(8);
      expect(await views()).toBe(5);
      const reader = new LakeReader(t.app.db, t.app.store, { cacheDir: cache });
      const seen = await reader.query(`SELECT count(*)::INTEGER AS n, count(DISTINCT event_id)::INTEGER AS d FROM events`);
      expect(seen[0]).toEqual({ n: ids.length, d: ids.length });

      // Again: nothing to do, nothing changes.
      expect(await lake.erasure.run()).toEqual({ done: 0, waiting: 0, files: 0, events: 0 });
      expect(idsOf(await storedRows(t.app.store))).toEqual(ids);
    });

    it('finishes a rewrite interrupted after the new file was written, or after the swap: rows exactly once', async () => {
      const { lake } = t.app.services;
      const log = pino({ level: 'silent' });
      const vb = await seedVideo(t, bob, { durationMs: 10_000 });
      for (const [dt, hour] of [
        [d1, 15],
        [d2, 15],
      ] as const) {
        await addLakeFile(
          t.app,
          [
            ev(dt, hour, 1, { videoId: vb, creatorId: bob.id, userId: dave.id, deviceId: 'dev-dave' }),
            ev(dt, hour, 2, { videoId: vb, creatorId: bob.id, userId: carol.id, deviceId: 'dev-carol' }),
            ev(dt, hour, 3, { videoId: vb, creatorId: bob.id, userId: bob.id }),
          ],
          dt,
          hour,
        );
      }
      const isDaves = (r: Row) => r.user_id === dave.id || r.device_id === 'dev-dave';
      await deliverAll(t); // the seeded video's pipeline event
      const others = idsOf((await storedRows(t.app.store)).filter((r) => !isDaves(r)));
      const del = await api('DELETE', '/api/v1/me', { token: dave.token, body: { password: PASSWORD } });
      expect(del.status).toBeLessThan(300);
      await deliverAll(t);
      const reader = new LakeReader(t.app.db, t.app.store, { cacheDir: join(cache, 'crash') });
      const readerIds = async () => (await reader.query('SELECT event_id FROM events ORDER BY event_id')).map((r) => String(r['event_id']));

      // 1. Killed after writing the first rewritten file, before the swap: readers still see the old files, once each.
      const m1 = new LakeMaintenance(t.app.db, t.app.store, log, undefined, { afterMergedWritten: crash });
      await new LakeErasure(t.app.db, t.app.store, m1, log).run();
      expect(await lake.erasure.pending()).toBe(1);
      const r1 = await readerIds();
      expect(new Set(r1).size).toBe(r1.length);
      expect(r1.filter((id) => others.includes(id))).toEqual(others);

      // 2. Killed after the swap, before the old object was deleted: readers see the new file only.
      const m2 = new LakeMaintenance(t.app.db, t.app.store, log, undefined, { afterSwap: crash });
      await expect(new LakeErasure(t.app.db, t.app.store, m2, log).run()).rejects.toThrow('simulated crash');
      const r2 = await readerIds();
      expect(new Set(r2).size).toBe(r2.length);
      expect(r2.filter((id) => others.includes(id))).toEqual(others);

      // 3. The next run finishes both steps and the other partition.
      await lake.runMaintenance();
      expect(await lake.erasure.pending()).toBe(0);
      const after = await storedRows(t.app.store);
      expect(after.filter(isDaves)).toEqual([]);
      expect(JSON.stringify(after)).not.toContain(dave.id);
      const ids = idsOf(after);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => others.includes(id))).toEqual(others);
      expect(ids).toHaveLength(others.length);
    });
  });
}
