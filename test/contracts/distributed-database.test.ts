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
    it('prepares a named statement once per connection, and runs it unprepared once a migration changed what it returns', async () => {
      const { db, cleanup } = await freshDatabase({ maxConnections: 1 });
      try {
        await db.exec('CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2);');
        const select = () => db.query('SELECT * FROM t WHERE a = $1', [2], { prepare: 'contract_t_by_a' });
        expect((await select()).rows).toEqual([{ a: 2 }]);
        const cached = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
        expect(cached.rows.map((r) => r.name)).toContain('contract_t_by_a');
        // What a rolling upgrade does under a running process: the cached `*` plan would now return another row type.
        await db.exec('ALTER TABLE t ADD COLUMN b text');
        expect((await select()).rows).toEqual([{ a: 2, b: null }]);
        expect((await select()).rows).toEqual([{ a: 2, b: null }]);
        // Inside a transaction nothing is prepared (a refused plan would abort it).
        await db.transaction(async (tx) => {
          expect((await tx.query('SELECT a FROM t WHERE a = $1', [1], { prepare: 'contract_in_tx' })).rows).toEqual([{ a: 1 }]);
        });
        expect((await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name)).not.toContain(
          'contract_in_tx',
        );
      } finally {
        await cleanup();
      }
    });

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
