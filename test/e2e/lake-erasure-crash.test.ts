import { beforeAll, describe, expect, it } from 'vitest';
import { curta } from '../support/cli.js';
import { addLakeFile, daysAgo, lakeEvent } from '../support/lake.js';
import { useLakeCrashRig } from '../support/lake-crash.js';
import { postgresAvailable } from '../support/services.js';
import { signup, type TestUser } from '../support/social.js';
import { apiClient } from '../support/test-app.js';
import { storedRows, type Row } from './lake-erasure.suite.js';

/**
 * A lake erasure across SIGKILL: real `curta worker` processes run the lake
 * maintenance that rewrites a deleted account's files, and are killed with a
 * rewritten file written and the manifest not swapped, then with the
 * manifest swapped and the old object not deleted. A last worker finishes:
 * no stored object holds the account's rows, every other event is there
 * exactly once. The same last worker's delivery runs backfill pre-lake
 * events on their own; `curta lake status` reports both, and `curta lake
 * backfill` then adds nothing. PostgreSQL only (a second process cannot open PGlite).
 */
const available = await postgresAvailable();
describe.skipIf(!available)('lake erasure survives SIGKILL (PostgreSQL, real worker processes)', () => {
  const rig = useLakeCrashRig('erasure-crash');
  const { worker, waitFor, kill, q } = rig;
  let gone: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    const api = apiClient(rig.t.baseUrl);
    gone = await signup(api, `er_crash_${Date.now() % 100000}`);
    other = await signup(api, `er_other_${Date.now() % 100000}`);
    await rig.t.app.db.query(`UPDATE users SET created_at = now() - interval '30 days'`);
  }, 60_000);

  it('killed after the rewritten file is written, then after the swap: a last worker leaves every other row once and none of hers, and backfills pre-lake events on its own', async () => {
    // One file per partition (nothing for plain compaction to do), each mixing her rows and another's.
    for (const d of [12, 11, 10]) {
      const dt = daysAgo(d);
      const at = (s: number) => new Date(Date.parse(`${dt}T08:00:00Z`) + s * 1000);
      await addLakeFile(
        rig.t.app,
        [
          lakeEvent({ type: 'play', eventTime: at(1), videoId: 'v1', userId: gone.id, deviceId: 'crash-device-0001' }),
          lakeEvent({ type: 'play', eventTime: at(2), videoId: 'v1', userId: other.id }),
          lakeEvent({ type: 'play', eventTime: at(3), videoId: 'v2', creatorId: gone.id, userId: other.id }),
        ],
        dt,
        8,
      );
    }
    const isHers = (r: Row) => r.user_id === gone.id || r.device_id === 'crash-device-0001';
    const others = (await storedRows(rig.t.app.store))
      .filter((r) => !isHers(r))
      .map((r) => r.event_id)
      .sort();
    expect(others).toHaveLength(6);
    const del = await apiClient(rig.t.baseUrl)('DELETE', '/api/v1/me', { token: gone.token, body: { password: 'correct horse battery' } });
    expect(del.status).toBeLessThan(300);

    const cli = { DATABASE_URL: rig.databaseUrl, CURTA_SIGNING_SECRET: rig.secret, CURTA_DATA_DIR: rig.dataDir, LOG_LEVEL: 'warn' };
    const status = async () => {
      const r = await curta(['lake', 'status', '--json'], cli);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { erasuresPending: number; backfill: { done: boolean; copied: number; remaining: number } };
    };
    expect((await status()).erasuresPending).toBe(1);

    const first = worker('paused-rewrite', { CURTA_TEST_LAKE_PAUSE: 'after-merge:120000' });
    await waitFor('the pause after a rewritten file', first, async () => first.output().includes('LAKE_PAUSED after-merge'));
    await kill(first);
    // Its three partitions' rewrites recorded, the first one's file written, none swapped.
    expect(await q(`SELECT 1 FROM lake_compactions WHERE state = 'pending' AND erasure_id IS NOT NULL`)).toHaveLength(3);

    const second = worker('paused-swap', { CURTA_TEST_LAKE_PAUSE: 'after-swap:120000' });
    await waitFor('the pause after a swap', second, async () => second.output().includes('LAKE_PAUSED after-swap'));
    await kill(second);
    expect(await q(`SELECT 1 FROM lake_compactions WHERE state = 'swapped' AND erasure_id IS NOT NULL`)).toHaveLength(1);
    expect(await q(`SELECT 1 FROM lake_erasures WHERE state = 'pending'`)).toHaveLength(1);

    // Pre-lake history too (events rows without buffer rows, their range as migration 0028 records it): the worker's
    // delivery runs copy them on their own.
    await q(
      `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at)
       SELECT 'progress', 'v9', $1, 'pre-lake-device-01', i, now() - interval '20 days', now() - interval '20 days'
       FROM generate_series(1, 7) i`,
      [other.id],
    );
    // What migration 0028 records on a database with pre-lake events (a new one has no row).
    await q(
      `INSERT INTO lake_backfill (upto_id) SELECT max(id) FROM events
       ON CONFLICT (id) DO UPDATE SET upto_id = EXCLUDED.upto_id, next_id = 0, done_at = NULL`,
    );
    expect((await status()).backfill).toMatchObject({ done: false, remaining: 7 });

    const last = worker('last');
    await waitFor('the erasure and the backfill done', last, async () => {
      const rows = await q<{ open: number; pending: number; backfilled: boolean; buffered: number }>(
        `SELECT (SELECT count(*)::int FROM lake_erasures WHERE state = 'pending') AS pending,
                (SELECT count(*)::int FROM lake_compactions WHERE state IN ('pending', 'swapped')) AS open,
                (SELECT done_at IS NOT NULL FROM lake_backfill) AS backfilled,
                (SELECT count(*)::int FROM lake_buffer) AS buffered`,
      );
      return rows[0]!.pending === 0 && rows[0]!.open === 0 && rows[0]!.backfilled && rows[0]!.buffered === 0;
    });
    await last.stop(20_000);
    expect(await status()).toMatchObject({ erasuresPending: 0, backfill: { done: true, copied: 7, remaining: 0 } });
    const again = await curta(['lake', 'backfill'], cli);
    expect(again.stdout).toContain('backfilled 0 pre-lake events');

    const after = await storedRows(rig.t.app.store);
    expect(JSON.stringify(after)).not.toContain(gone.id);
    expect(after.filter(isHers)).toEqual([]);
    const ids = after.map((r) => r.event_id).sort();
    expect(ids.filter((id) => others.includes(id))).toEqual(others);
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.filter((r) => r.device_id === 'pre-lake-device-01')).toHaveLength(7);
    expect(ids.filter((id) => id.startsWith('b0000000-'))).toHaveLength(7);
  }, 300_000);
});
