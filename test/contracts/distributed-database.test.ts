import { describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';
import { databaseContract } from './database.contract.js';
import { rejectsWithCode } from './support.js';

const available = await postgresAvailable();

/** A PostgresDatabase on a database of its own, dropped afterwards. */
async function freshDatabase(opts: Parameters<typeof PostgresDatabase.open>[1] = {}) {
  const { url, drop } = await createTestDatabase();
  try {
    const db = await PostgresDatabase.open(url, { logger: { warn: () => undefined, error: () => undefined }, ...opts });
    return {
      db,
      cleanup: async () => {
        await db.close();
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

if (available) {
  databaseContract('PostgresDatabase (pg pool)', () => freshDatabase());

  describe('PostgresDatabase specifics', () => {
    it('applies statement_timeout (SQLSTATE 57014) and stays usable', async () => {
      const { db, cleanup } = await freshDatabase({ statementTimeoutMs: 100 });
      try {
        await rejectsWithCode(db.query('SELECT pg_sleep(2)'), '57014');
        await db.ping();
      } finally {
        await cleanup();
      }
    });

    it('runs sessions in UTC, like PGlite, and parses arrays and intervals like it', async () => {
      const { db, cleanup } = await freshDatabase();
      try {
        const { rows } = await db.query(
          `SELECT current_setting('TimeZone') AS tz, ARRAY[1, 9007199254740993]::int8[] AS i8a,
                  ARRAY['2024-02-29']::date[] AS da, ARRAY[1.50]::numeric[] AS na, '1 day'::interval AS iv,
                  ARRAY[NULL, 2]::int8[] AS withnull`,
        );
        expect(rows[0]).toEqual({
          tz: 'UTC',
          i8a: [1, '9007199254740993'],
          da: ['2024-02-29'],
          na: ['1.50'],
          iv: '1 day',
          withnull: [null, 2],
        });
      } finally {
        await cleanup();
      }
    });

    it('refuses db.query inside a transaction callback, as PGlite does', async () => {
      const { db, cleanup } = await freshDatabase();
      try {
        await expect(db.transaction(async () => db.query('SELECT 1'))).rejects.toThrow(/inside a transaction callback/);
        let leaked: Parameters<Parameters<typeof db.transaction>[0]>[0] | undefined;
        await db.transaction(async (tx) => {
          leaked = tx;
        });
        await expect(leaked!.query('SELECT 1')).rejects.toThrow(/transaction has ended/);
        await db.ping();
      } finally {
        await cleanup();
      }
    });

    it('fails to open with a clear error when the database does not exist', async () => {
      const { url, drop } = await createTestDatabase();
      await drop();
      await rejectsWithCode(PostgresDatabase.open(url), '3D000');
    });
  });
} else {
  describe.skip('Database contract: PostgresDatabase (no PostgreSQL server)', () => {
    it('needs PostgreSQL', () => undefined);
  });
}
