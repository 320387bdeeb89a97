/**
 * The backfill of pre-lake history (migration 0028) on both databases: a
 * deployment from before migration 0019 has events rows and no buffer rows;
 * after the upgrade the events retention deletes none of them before the
 * backfill has copied them, the backfill puts each into the lake exactly
 * once (an interrupted run resumes where it stopped; a second run adds
 * nothing), with the id lake_backfill_event_id(events.id), and events
 * recorded after the upgrade (the normal path) are not copied again.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { databaseProfiles } from '../../../test/support/db-profiles.js';
import { openLakeRig, type LakeRig } from '../../../test/support/lake.js';
import type { Database } from '../../ports/database.js';
import { EventsRepository } from '../events/events.repository.js';
import { EventsRetention } from '../events/events-retention.js';
import { LakeBackfill } from './lake-backfill.js';
import type { LakeDelivery } from './lake-delivery.js';
import type { LakeReader } from './lake-reader.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;

const profiles = await databaseProfiles();

describe.each(profiles)('lake backfill of pre-lake events ($name)', (profile) => {
  let rig: LakeRig;
  let db: Database;
  let delivery: LakeDelivery;
  let reader: LakeReader;

  beforeAll(async () => {
    rig = await openLakeRig(profile, 'lake-backfill');
    ({ db, delivery, reader } = rig);
  }, 60_000);

  afterAll(() => rig?.close());

  const lakeIds = async () => (await reader.query('SELECT event_id FROM events ORDER BY event_id')).map((r) => String(r['event_id']));

  it('copies every pre-lake event into the lake once, keeps them from the retention until then, and adds nothing on a second run', async () => {
    // A deployment from before the lake: events rows, no lake_buffer (migration 0019 does not exist yet).
    await migrate(db, undefined, { upTo: 18 });
    const now = Date.now();
    await db.query(`INSERT INTO users (id, username, password_hash) VALUES ('creator1', 'creator1', 'x'), ('viewer1', 'viewer1', 'x')`);
    await db.query(
      `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at)
       SELECT (ARRAY['impression', 'play', 'progress', 'complete', 'skip'])[1 + i % 5], 'v' || (i % 3), CASE WHEN i % 2 = 0 THEN 'viewer1' END,
              'dev' || (i % 4), i * 100, $1::timestamptz + make_interval(mins => i), $1::timestamptz + make_interval(mins => i)
       FROM generate_series(1, 23) i`,
      [new Date(now - 20 * DAY)],
    );
    const pre = await db.query<{ id: string }>('SELECT id::text AS id FROM events ORDER BY events.id');
    expect(pre.rows).toHaveLength(23);

    await migrate(db);
    const backfill = new LakeBackfill(db, log);
    expect(await backfill.state()).toMatchObject({ uptoId: Number(pre.rows.at(-1)!.id), nextId: 0, done: false });
    expect(await backfill.oldestPending()).toEqual(new Date(now - 20 * DAY + 60_000));

    // After the upgrade, the normal path: events rows with their buffer row (not for the backfill).
    const repo = new EventsRepository(db);
    await repo.record(
      { userId: 'viewer1', deviceId: null },
      [
        {
          type: 'play',
          videoId: 'v1',
          watchedMs: null,
          clientAt: new Date(now - 1000),
          creatorId: 'creator1',
          durationMs: 5000,
          source: null,
        },
      ],
      new Date(now),
      true,
      { videoIds: [], viewerKey: 'u:viewer1', period: 0, address: null, budget: 1 },
    );

    // The retention (48 h) before the backfill: none of the pre-lake events go, though all are 20 days old.
    const retention = new EventsRetention(repo, 48);
    retention.keepFrom(() => backfill.oldestPending());
    expect((await retention.prune()).events.deleted).toBe(0);
    expect((await db.query('SELECT 1 FROM events')).rows).toHaveLength(24);

    // An interrupted backfill (a crash after 10 of 23): the next run carries on from its cursor.
    const first = await backfill.run({ maxEvents: 10, chunk: 5 });
    expect(first).toEqual({ events: 10, chunks: 2, done: false });
    // The 10 copied (now in lake_buffer) may go; the 13 still to copy stay.
    expect((await retention.prune()).events.deleted).toBe(10);
    const rest = await backfill.run({ chunk: 5 });
    expect(rest).toMatchObject({ events: 13, done: true });
    await delivery.run({ force: true });

    const expected = (
      await db.query<{ id: string }>(`SELECT lake_backfill_event_id(x)::text AS id FROM unnest($1::bigint[]) x ORDER BY 1`, [
        pre.rows.map((r) => r.id),
      ])
    ).rows.map((r) => r.id);
    const ids = await lakeIds();
    expect(ids).toHaveLength(24); // 23 backfilled + the one of the normal path
    expect(new Set(ids).size).toBe(24);
    expect(ids.filter((id) => id.startsWith('b0000000-'))).toEqual(expected);
    // The columns the normal path would write.
    const one = await reader.query(
      `SELECT type, video_id, user_id, device_id, watched_ms, kind, counted, epoch_ms(event_time)::DOUBLE AS t FROM events
       WHERE event_id = '${expected[0]}'`,
    );
    expect(one[0]).toMatchObject({ kind: 'playback', video_id: 'v1', user_id: null, device_id: 'dev1', watched_ms: 100, counted: true });

    // Again: nothing more (the cursor is at the end), nothing duplicated.
    expect(await backfill.run()).toEqual({ events: 0, chunks: 0, done: true });
    await delivery.run({ force: true });
    expect(await lakeIds()).toEqual(ids);

    // Copied: the retention's window applies again.
    expect(await backfill.oldestPending()).toBeNull();
    expect((await retention.prune()).events.deleted).toBe(13);
  });
});
