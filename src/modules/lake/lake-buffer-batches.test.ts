/**
 * Migration 0026 (one lake_buffer row per playback batch) on both profiles:
 * rows buffered before the upgrade survive it and are delivered as they
 * were; a batch row's events get the ids lake_buffer_events shows (the same
 * rule in PostgreSQL and in DuckDB), each in the lake once, with its own
 * columns and in its own hour's partition. (Re-runs after a crash:
 * test/e2e/lake-crash.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { databaseProfiles } from '../../../test/support/db-profiles.js';
import { openLakeRig, type LakeRig } from '../../../test/support/lake.js';
import type { Database } from '../../ports/database.js';
import { EventsRepository, type StoredEvent } from '../events/events.repository.js';
import type { LakeDelivery } from './lake-delivery.js';
import type { LakeReader } from './lake-reader.js';

const OLD_IDS = ['0b2b6f0e-6c1d-4d6a-9b1e-000000000001', '0b2b6f0e-6c1d-4d6a-9b1e-000000000002'];

const profiles = await databaseProfiles();

/** The lake's rows as our reader sees them (the files the manifest lists). */
async function lakeRows(reader: LakeReader): Promise<Array<Record<string, unknown>>> {
  return reader.query(
    `SELECT event_id, kind, type, video_id, creator_id, device_id, watched_ms, duration_ms, source, counted,
            epoch_ms(event_time)::DOUBLE AS t
     FROM events ORDER BY event_id`,
  );
}

describe.each(profiles)('lake_buffer batch rows ($name)', (profile) => {
  let rig: LakeRig;
  let db: Database;
  let delivery: LakeDelivery;
  let reader: LakeReader;

  beforeAll(async () => {
    rig = await openLakeRig(profile, 'lake-batches');
    ({ db, delivery, reader } = rig);
  }, 60_000);

  afterAll(() => rig?.close());

  it('keeps the rows buffered before the upgrade, and delivers them and batch rows once each', async () => {
    // A database before 0026 with rows in its buffer (one per event, as 0019 wrote them).
    await migrate(db, undefined, { upTo: 25 });
    await db.query(
      `INSERT INTO lake_buffer (event_id, event_time, kind, type, video_id, creator_id, device_id, watched_ms, duration_ms, source, counted)
       VALUES ($1, '2026-03-01T10:15:00Z', 'playback', 'progress', 'vOld1', 'cOld', 'dOld', 4000, 9000, 'search', true),
              ($2, '2026-03-01T11:05:00Z', 'engagement', 'like', 'vOld2', 'cOld', NULL, NULL, NULL, NULL, NULL)`,
      OLD_IDS,
    );
    await migrate(db);
    const kept = await db.query<{ id: string }>('SELECT event_id::text AS id FROM lake_buffer_events ORDER BY 1');
    expect(kept.rows.map((r) => r.id)).toEqual(OLD_IDS);

    // A playback batch through the events route's repository: one buffer row for its three events.
    const at = (iso: string) => new Date(iso);
    const events: StoredEvent[] = [
      {
        type: 'impression',
        videoId: 'vNew1',
        watchedMs: null,
        clientAt: at('2026-03-01T10:59:59.998Z'),
        creatorId: 'c1',
        durationMs: 8000,
        source: 'for_you',
      },
      {
        type: 'play',
        videoId: 'vNew1',
        watchedMs: null,
        clientAt: at('2026-03-01T11:00:00.001Z'),
        creatorId: 'c1',
        durationMs: 8000,
        source: null,
      },
      {
        type: 'complete',
        videoId: 'vNew2',
        watchedMs: 7000,
        clientAt: at('2026-03-01T11:00:03.000Z'),
        creatorId: null,
        durationMs: null,
        source: 'share',
      },
    ];
    const repo = new EventsRepository(db);
    await repo.record({ userId: null, deviceId: 'dNew' }, events, at('2026-03-01T11:00:04Z'), false, {
      videoIds: [],
      viewerKey: 'd:dNew',
      period: 0,
      address: null,
      budget: 1,
    });
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM lake_buffer');
    expect(rows.rows[0]!.n).toBe(3); // two old rows, one batch row
    // The OLTP table: the impression and the complete (the bare play adds nothing serving reads: oltpRows).
    expect((await db.query<{ type: string }>('SELECT type FROM events ORDER BY id')).rows.map((r) => r.type)).toEqual([
      'impression',
      'complete',
    ]);
    const buffered = await db.query<{ id: string; type: string }>(
      `SELECT event_id::text AS id, type FROM lake_buffer_events WHERE kind = 'playback' AND device_id = 'dNew' ORDER BY event_time`,
    );
    expect(buffered.rows.map((r) => r.type)).toEqual(['impression', 'play', 'complete']);
    const ids = buffered.rows.map((r) => r.id);
    // One base id, numbered 0, 1, 2 in its last 4 hex digits.
    expect(ids.map((id) => id.slice(-4))).toEqual(['0000', '0001', '0002']);
    expect(new Set(ids.map((id) => id.slice(0, 32))).size).toBe(1);
    const depth = await delivery.depth();
    expect(depth.events).toBe(5);

    const report = await delivery.run({ force: true });
    expect(report.events).toBe(5);
    expect((await db.query('SELECT 1 FROM lake_buffer')).rows).toHaveLength(0);
    expect(await delivery.depth()).toEqual({ events: 0, oldestSec: 0 });

    const lake = await lakeRows(reader);
    expect(lake.map((r) => r['event_id'])).toEqual([...OLD_IDS, ...ids].sort());
    const byId = new Map(lake.map((r) => [r['event_id'], r]));
    expect(byId.get(OLD_IDS[0])).toMatchObject({
      kind: 'playback',
      type: 'progress',
      video_id: 'vOld1',
      watched_ms: 4000,
      source: 'search',
    });
    expect(byId.get(OLD_IDS[1])).toMatchObject({ kind: 'engagement', type: 'like', video_id: 'vOld2', counted: null });
    expect(byId.get(ids[0])).toMatchObject({
      type: 'impression',
      video_id: 'vNew1',
      creator_id: 'c1',
      device_id: 'dNew',
      duration_ms: 8000,
      source: 'for_you',
      counted: false,
      t: Date.parse('2026-03-01T10:59:59.998Z'),
    });
    expect(byId.get(ids[2])).toMatchObject({ type: 'complete', video_id: 'vNew2', creator_id: null, watched_ms: 7000, source: 'share' });

    // Partitions by each event's own time: the batch row spans 10:00 and 11:00.
    const files = await db.query<{ hour: number; events: number }>(
      `SELECT hour, sum(events)::int AS events FROM lake_files WHERE state = 'live' GROUP BY hour ORDER BY hour`,
    );
    expect(files.rows).toEqual([
      { hour: 10, events: 2 },
      { hour: 11, events: 3 },
    ]);
    const times = await db.query<{ min: string; max: string }>(
      `SELECT to_char(min(min_time) AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') AS min, to_char(max(max_time) AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') AS max
       FROM lake_files WHERE hour = 11`,
    );
    expect(times.rows[0]).toEqual({ min: '11:00:00.001', max: '11:05:00.000' });
  }, 120_000);

  it('refuses a batch row whose arrays disagree with its event count', async () => {
    await expect(
      db.query(
        `INSERT INTO lake_buffer (received_at, kind, n_events, event_times, types, video_ids, creator_ids, watched_ms_list, duration_ms_list, sources)
         VALUES (now(), 'playback', 2, ARRAY[now()], ARRAY['play'], ARRAY['v'], ARRAY[NULL::text], ARRAY[NULL::int], ARRAY[NULL::int], ARRAY[NULL::text])`,
      ),
    ).rejects.toThrow(/lake_buffer_shape/);
    // Migration 0030: times as offsets instead, never both.
    for (const [times, offsets] of [
      ['ARRAY[now()]', 'ARRAY[0]'],
      ['NULL', 'ARRAY[0, 1]'],
    ]) {
      await expect(
        db.query(
          `INSERT INTO lake_buffer (received_at, kind, n_events, event_times, event_offsets_ms, types, video_ids, creator_ids, watched_ms_list,
                                    duration_ms_list, sources)
           VALUES (now(), 'playback', 1, ${times}, ${offsets}, ARRAY['play'], ARRAY['v'], ARRAY[NULL::text], ARRAY[NULL::int],
                   ARRAY[NULL::int], ARRAY[NULL::text])`,
        ),
      ).rejects.toThrow(/lake_buffer_shape/);
    }
  });

  it('delivers a batch row written before migration 0030 (event times, not offsets) and one written after, each at its times', async () => {
    await db.query(
      `INSERT INTO lake_buffer (received_at, kind, device_id, n_events, event_times, types, video_ids, creator_ids, watched_ms_list,
                                duration_ms_list, sources)
       VALUES ('2026-03-02T08:00:05Z', 'playback', 'dTimes', 2, ARRAY['2026-03-02T08:00:01.5Z', '2026-03-02T07:59:59.999Z']::timestamptz[],
               ARRAY['play', 'impression'], ARRAY['v1', 'v1'], ARRAY['c', 'c'], ARRAY[NULL, NULL]::int[], ARRAY[9000, 9000], ARRAY[NULL, NULL]::text[])`,
    );
    await db.query(
      `INSERT INTO lake_buffer (received_at, kind, device_id, n_events, event_offsets_ms, types, video_ids, creator_ids, watched_ms_list,
                                duration_ms_list, sources)
       VALUES ('2026-03-02T08:00:05Z', 'playback', 'dOffsets', 2, ARRAY[-3500, -5001], ARRAY['play', 'impression'], ARRAY['v1', 'v1'],
               ARRAY['c', 'c'], ARRAY[NULL, NULL]::int[], ARRAY[9000, 9000], ARRAY[NULL, NULL]::text[])`,
    );
    const view = await db.query<{ device_id: string; t: string }>(
      `SELECT device_id, to_char(event_time AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') AS t FROM lake_buffer_events
       WHERE device_id IN ('dTimes', 'dOffsets') ORDER BY device_id, event_time`,
    );
    const expected = [
      { device_id: 'dOffsets', t: '07:59:59.999' },
      { device_id: 'dOffsets', t: '08:00:01.500' },
      { device_id: 'dTimes', t: '07:59:59.999' },
      { device_id: 'dTimes', t: '08:00:01.500' },
    ];
    expect(view.rows).toEqual(expected);
    const report = await delivery.run({ force: true });
    expect(report.events).toBe(4);
    const lake = await reader.query(
      `SELECT device_id, strftime(event_time AT TIME ZONE 'UTC', '%H:%M:%S.%g') AS t, type FROM events
       WHERE device_id IN ('dTimes', 'dOffsets') ORDER BY device_id, event_time`,
    );
    expect(lake.map((r) => ({ device_id: r['device_id'], t: r['t'] }))).toEqual(expected);
    expect(lake.map((r) => r['type'])).toEqual(['impression', 'play', 'impression', 'play']);
  }, 120_000);
});
