import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../contracts/support.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Scheduled retention in the real app: rows that have served their purpose
 * go when a worker runs the retention job, fresh ones stay.
 */
describe('scheduled retention', () => {
  let t: TestApp;
  const today = Math.floor(Date.now() / 86_400_000);

  beforeAll(async () => {
    t = await startTestApp({ JOB_RETENTION_DAYS: '7', JOB_DEAD_RETENTION_DAYS: '30', RETENTION_INTERVAL_SEC: '3600' }, { workers: false });
    const db = t.app.db;
    await db.query(`INSERT INTO users (id, username, password_hash) VALUES ('ret-user-0001', 'keeper', 'x')`);
    await db.query(
      `INSERT INTO sessions (token_hash, user_id, expires_at, revoked_at) VALUES
         ('expired', 'ret-user-0001', now() - interval '1 day', NULL),
         ('revoked', 'ret-user-0001', now() + interval '1 day', now()),
         ('live',    'ret-user-0001', now() + interval '1 day', NULL)`,
    );
    await db.query(
      `INSERT INTO held_usernames (username_key, held_until) VALUES ('gone-hold', now() - interval '1 hour'), ('still-held', now() + interval '1 day')`,
    );
    await db.query(
      `INSERT INTO upload_usage (user_id, day, uploads, bytes) VALUES ('ret-user-0001', $1, 3, 10), ('ret-user-0001', $2, 1, 1), ('ret-user-0001', $3, 2, 2)`,
      [today - 5, today - 1, today],
    );
    await db.query(
      `INSERT INTO jobs (queue, status, attempt, finished_at, last_error) VALUES
         ('ret-test', 'done', 1, now() - interval '8 days', NULL),
         ('ret-test', 'done', 1, now() - interval '6 days', NULL),
         ('ret-test', 'dead', 5, now() - interval '31 days', 'old failure'),
         ('ret-test', 'dead', 5, now() - interval '8 days', 'recent failure')`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('deletes dead sessions, run-out username holds, past quota days and old finished jobs; keeps the rest', async () => {
    // Workers ask for a retention run when they start.
    t.app.startWorkers();
    const [run] = await waitFor(
      async () => {
        const runs = await t.app.queue.findByDedupeKeys('retention', ['retention'], ['done']);
        return runs.length > 0 ? runs : null;
      },
      60_000,
      'retention run done',
    );
    expect(run?.status).toBe('done');

    const db = t.app.db;
    expect((await db.query<{ token_hash: string }>(`SELECT token_hash FROM sessions ORDER BY 1`)).rows.map((r) => r.token_hash)).toEqual([
      'live',
    ]);
    expect((await db.query<{ username_key: string }>(`SELECT username_key FROM held_usernames`)).rows.map((r) => r.username_key)).toEqual([
      'still-held',
    ]);
    expect((await db.query<{ day: number }>(`SELECT day FROM upload_usage ORDER BY day`)).rows.map((r) => r.day)).toEqual([
      today - 1,
      today,
    ]);
    const jobs = await db.query<{ status: string; age: number }>(
      `SELECT status, round(extract(epoch FROM now() - finished_at) / 86400)::int AS age FROM jobs WHERE queue = 'ret-test' ORDER BY status, age`,
    );
    expect(jobs.rows).toEqual([
      { status: 'dead', age: 8 },
      { status: 'done', age: 6 },
    ]);

    // What went is counted, by kind.
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^curta_retention_deleted_total\{kind="sessions"\} 2$/m);
    expect(metrics).toMatch(/^curta_retention_deleted_total\{kind="username_holds"\} 1$/m);
    expect(metrics).toMatch(/^curta_retention_deleted_total\{kind="upload_quota"\} 1$/m);
    expect(metrics).toMatch(/^curta_retention_deleted_total\{kind="jobs"\} 2$/m);
    expect(metrics).toMatch(/^curta_job_duration_seconds_count\{queue="retention",outcome="ok"\} 1$/m);
  });
});
