/**
 * LakeDelivery.flush on real PostgreSQL: a buffer row is deliverable only once
 * every older transaction has ended, and xids are the server's, so a
 * transaction open in another database holds a fresh event back. `run` then
 * delivers nothing; `flush` waits for that transaction and delivers the event,
 * or, past its wait, delivers what it can and says so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PostgresDatabase } from '../../adapters/db/postgres-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL } from '../../../test/support/services.js';
import { EventsRepository } from '../events/events.repository.js';
import { LakeDelivery } from './lake-delivery.js';

const available = await postgresAvailable();

describe.skipIf(!available)('lake delivery flush (PostgreSQL)', () => {
  let root: string;
  let t: { url: string; drop: () => Promise<void> };
  let db: PostgresDatabase;
  let delivery: LakeDelivery;
  const logged: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'curta-lake-flush-'));
    t = await createTestDatabase();
    db = await PostgresDatabase.open(t.url, { maxConnections: 3 });
    await migrate(db);
    const store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    delivery = new LakeDelivery(db, store, { maxEvents: 100_000, maxBytes: 5 * 1024 ** 2, maxAgeSec: 60 }, log);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await t?.drop();
    await rm(root, { recursive: true, force: true });
  });

  const record = (device: string) =>
    new EventsRepository(db).record(
      { userId: null, deviceId: device },
      [{ type: 'impression', videoId: 'v1', watchedMs: null, clientAt: new Date(), creatorId: 'c1', durationMs: 8000, source: 'for_you' }],
      new Date(),
      false,
      { videoIds: [], viewerKey: `d:${device}`, period: 0, address: null, budget: 1 },
    );

  /** A transaction holding an xid in another database of the same server, until `end()`. */
  async function openElsewhere(): Promise<{ end: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_current_xact_id()');
    return {
      end: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  it('waits for a transaction open elsewhere on the server, then delivers the event committed before the call', async () => {
    const other = await openElsewhere();
    let ended = false;
    try {
      await record('d-held');
      // Held back: the plain run finds nothing deliverable.
      expect((await delivery.run({ force: true })).events).toBe(0);
      const flushed = delivery.flush({ settleMs: 10_000 });
      await new Promise((res) => setTimeout(res, 300));
      await other.end();
      ended = true;
      const report = await flushed;
      expect(report.events).toBe(1);
      expect((await db.query('SELECT 1 FROM lake_buffer')).rows).toHaveLength(0);
    } finally {
      if (!ended) await other.end();
    }
  });

  it('past its wait, delivers what it can, logs why the rest waits, and the next flush takes it', async () => {
    await record('d-early');
    const other = await openElsewhere();
    try {
      await record('d-late');
      const report = await delivery.flush({ settleMs: 200 });
      expect(report.events).toBe(1); // d-early's, committed before the open transaction began
      expect(logged.some((l) => l.includes('a long transaction holds fresh buffer rows back'))).toBe(true);
    } finally {
      await other.end();
    }
    expect((await delivery.flush()).events).toBe(1);
    expect((await db.query('SELECT 1 FROM lake_buffer')).rows).toHaveLength(0);
  });
});
