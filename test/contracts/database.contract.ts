import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError, migrate, migrationStatus, readMigrations } from '../../src/adapters/db/migrate.js';
import type { Database } from '../../src/ports/database.js';
import { deferred, rejectsWithCode } from './support.js';

export interface DatabaseFixture {
  /** A fresh, empty database (PGlite in memory; a new PostgreSQL database or schema). */
  db: Database;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every Database adapter (PGlite, PostgreSQL) must share,
 * including the JS types rows come back as, so repositories can rely on them.
 */
export function databaseContract(name: string, factory: () => Promise<DatabaseFixture>): void {
  describe(`Database contract: ${name}`, () => {
    let fixture: DatabaseFixture;
    let db: Database;

    beforeAll(async () => {
      fixture = await factory();
      db = fixture.db;
      await db.exec(`
        CREATE TABLE contract_items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty integer NOT NULL DEFAULT 0);
        CREATE TABLE contract_counter (id integer PRIMARY KEY, n integer NOT NULL);
        INSERT INTO contract_counter VALUES (1, 0);
      `);
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    it('answers ping', async () => {
      await db.ping();
    });

    it('runs parameterised queries and reports rowCount like node-postgres', async () => {
      const inserted = await db.query<{ id: number }>('INSERT INTO contract_items (name, qty) VALUES ($1, $2), ($3, $4) RETURNING id', [
        'apple',
        3,
        'pear',
        5,
      ]);
      expect(inserted.rowCount).toBe(2);
      expect(inserted.rows).toHaveLength(2);

      const selected = await db.query<{ name: string; qty: number }>(
        'SELECT name, qty FROM contract_items WHERE qty >= $1 ORDER BY name',
        [3],
      );
      expect(selected.rows).toEqual([
        { name: 'apple', qty: 3 },
        { name: 'pear', qty: 5 },
      ]);
      expect(selected.rowCount).toBe(2);

      const updated = await db.query('UPDATE contract_items SET qty = qty + 1 WHERE name = $1', ['apple']);
      expect(updated.rowCount).toBe(1);
      expect(updated.rows).toEqual([]);

      const none = await db.query('SELECT * FROM contract_items WHERE name = $1', ['nope']);
      expect(none).toEqual({ rows: [], rowCount: 0 });
    });

    it('maps PostgreSQL types to the agreed JS types', async () => {
      const { rows } = await db.query(
        `SELECT 42::int4 AS i4, 9007199254740991::int8 AS i8, count(*) AS cnt, 1.50::numeric AS num,
                0.5::float8 AS f8, true AS b, 'x'::text AS t, '2024-02-29'::date AS d,
                '2024-01-02T03:04:05.678Z'::timestamptz AS ts, '{"a":[1,2]}'::jsonb AS j,
                'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, ARRAY['x','y']::text[] AS arr,
                NULL::text AS nothing
         FROM (VALUES (1), (2)) v(x)`,
      );
      const row = rows[0]!;
      expect(row.i4).toBe(42);
      expect(row.i8).toBe(9007199254740991);
      expect(row.cnt).toBe(2);
      expect(row.num).toBe('1.50');
      expect(row.f8).toBe(0.5);
      expect(row.b).toBe(true);
      expect(row.t).toBe('x');
      expect(row.d).toBe('2024-02-29');
      expect(row.ts).toBeInstanceOf(Date);
      expect((row.ts as Date).toISOString()).toBe('2024-01-02T03:04:05.678Z');
      expect(row.j).toEqual({ a: [1, 2] });
      expect(row.u).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
      expect(row.arr).toEqual(['x', 'y']);
      expect(row.nothing).toBeNull();
    });

    it('accepts Dates, arrays, JSON text and null as parameters', async () => {
      const when = new Date('2030-05-06T07:08:09.123Z');
      const { rows } = await db.query<{ ts: Date; n: number; j: unknown; missing: string | null }>(
        `SELECT $1::timestamptz AS ts, cardinality($2::int[]) AS n, $3::text::jsonb AS j, $4::text AS missing`,
        [when, [1, 2, 3], JSON.stringify({ k: 'v' }), null],
      );
      expect(rows[0]!.ts.toISOString()).toBe(when.toISOString());
      expect(rows[0]!.n).toBe(3);
      expect(rows[0]!.j).toEqual({ k: 'v' });
      expect(rows[0]!.missing).toBeNull();

      const found = await db.query<{ name: string }>('SELECT name FROM contract_items WHERE name = ANY($1::text[]) ORDER BY name', [
        ['pear', 'apple', 'kiwi'],
      ]);
      expect(found.rows.map((r) => r.name)).toEqual(['apple', 'pear']);
    });

    it('surfaces the SQLSTATE as error.code', async () => {
      await rejectsWithCode(db.query("INSERT INTO contract_items (name) VALUES ('apple')"), '23505');
      await rejectsWithCode(db.query('SELECT no_such_column FROM contract_items'), '42703');
    });

    it('runs multi-statement scripts with exec', async () => {
      await db.exec(`
        CREATE TABLE contract_script (v integer);
        INSERT INTO contract_script VALUES (1);
        INSERT INTO contract_script VALUES (2);
      `);
      const { rows } = await db.query<{ total: number }>('SELECT sum(v)::int AS total FROM contract_script');
      expect(rows[0]!.total).toBe(3);
    });

    it('commits a transaction and returns its result', async () => {
      const id = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: number }>("INSERT INTO contract_items (name) VALUES ('committed') RETURNING id");
        await tx.query("UPDATE contract_items SET qty = 7 WHERE name = 'committed'");
        return rows[0]!.id;
      });
      const { rows } = await db.query<{ id: number; qty: number }>("SELECT id, qty FROM contract_items WHERE name = 'committed'");
      expect(rows).toEqual([{ id, qty: 7 }]);
    });

    it('rolls back when the callback throws, rethrowing its error', async () => {
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO contract_items (name) VALUES ('rolled-back')");
          throw boom;
        }),
      ).rejects.toBe(boom);
      const { rowCount } = await db.query("SELECT 1 FROM contract_items WHERE name = 'rolled-back'");
      expect(rowCount).toBe(0);
    });

    it('rolls back when a statement fails inside the transaction', async () => {
      await rejectsWithCode(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO contract_items (name) VALUES ('half-done')");
          await tx.query("INSERT INTO contract_items (name) VALUES ('apple')"); // duplicate
        }),
        '23505',
      );
      const { rowCount } = await db.query("SELECT 1 FROM contract_items WHERE name = 'half-done'");
      expect(rowCount).toBe(0);
      await db.ping(); // the connection is usable afterwards
    });

    it('keeps concurrent transactions isolated and serialised on the rows they lock', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(async (tx) => {
            const { rows } = await tx.query<{ n: number }>('SELECT n FROM contract_counter WHERE id = 1 FOR UPDATE');
            await tx.query('UPDATE contract_counter SET n = $1 WHERE id = 1', [rows[0]!.n + 1]);
          }),
        ),
      );
      const { rows } = await db.query<{ n: number }>('SELECT n FROM contract_counter WHERE id = 1');
      expect(rows[0]!.n).toBe(20);
    });

    it('never lets a query from outside a running transaction join it', async () => {
      const gate = deferred();
      const inTx = deferred();
      const failing = db.transaction(async (tx) => {
        await tx.query("INSERT INTO contract_items (name) VALUES ('inside')");
        inTx.resolve();
        await gate.promise;
        throw new Error('roll it back');
      });
      await inTx.promise;
      // Issued while the transaction is open; must not become part of it.
      const outside = db.query("INSERT INTO contract_items (name) VALUES ('outside')");
      gate.resolve();
      await expect(failing).rejects.toThrow('roll it back');
      await outside;
      const { rows } = await db.query<{ name: string }>("SELECT name FROM contract_items WHERE name IN ('inside', 'outside')");
      expect(rows.map((r) => r.name)).toEqual(['outside']);
    });

    describe('migrate', () => {
      let dir: string;

      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'curta-migrations-'));
      });
      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      it('applies versioned files in order, once, and records them', async () => {
        await writeFile(join(dir, '0002_add_color.sql'), `ALTER TABLE mig_widgets ADD COLUMN color text;`);
        await writeFile(
          join(dir, '0001_widgets.sql'),
          `CREATE TABLE mig_widgets (id serial PRIMARY KEY, name text NOT NULL);
           INSERT INTO mig_widgets (name) VALUES ('first');`,
        );
        expect(await migrate(db, dir)).toEqual({ applied: ['0001_widgets.sql', '0002_add_color.sql'] });
        expect(await migrate(db, dir)).toEqual({ applied: [] });

        const { rows } = await db.query<{ version: number; name: string; applied_at: Date }>(
          'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((r) => [r.version, r.name])).toEqual([
          [1, 'widgets'],
          [2, 'add_color'],
        ]);
        expect(rows[0]!.applied_at).toBeInstanceOf(Date);
        const widgets = await db.query('SELECT name, color FROM mig_widgets');
        expect(widgets.rows).toEqual([{ name: 'first', color: null }]);
      });

      it('applies each file exactly once when several migrators run at once', async () => {
        await writeFile(join(dir, '0003_counter.sql'), `CREATE TABLE mig_runs (n integer); INSERT INTO mig_runs VALUES (1);`);
        const results = await Promise.all([migrate(db, dir), migrate(db, dir), migrate(db, dir)]);
        expect(results.flatMap((r) => r.applied)).toEqual(['0003_counter.sql']);
        const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM mig_runs');
        expect(rows[0]!.n).toBe(1);
      });

      it('rolls back a failing file completely and does not record it', async () => {
        await writeFile(
          join(dir, '0004_broken.sql'),
          `CREATE TABLE mig_half (id integer);
           INSERT INTO mig_widgets (name) VALUES (NULL);`,
        );
        await expect(migrate(db, dir)).rejects.toThrow(/0004_broken\.sql/);
        const half = await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'mig_half'");
        expect(half.rowCount).toBe(0);
        const recorded = await db.query('SELECT 1 FROM schema_migrations WHERE version = 4');
        expect(recorded.rowCount).toBe(0);

        await writeFile(join(dir, '0004_broken.sql'), `CREATE TABLE mig_half (id integer);`);
        expect(await migrate(db, dir)).toEqual({ applied: ['0004_broken.sql'] });
      });

      it('records a checksum per applied file and refuses an applied file edited since, naming it', async () => {
        const { rows } = await db.query<{ version: number; checksum: string | null }>(
          'SELECT version, checksum FROM schema_migrations ORDER BY version',
        );
        const files = await readMigrations(dir);
        expect(rows.map((r) => r.checksum)).toEqual(files.map((f) => f.checksum));
        expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum ?? ''))).toBe(true);

        const original = await readFile(join(dir, '0002_add_color.sql'), 'utf8');
        await writeFile(join(dir, '0002_add_color.sql'), `${original}\nALTER TABLE mig_widgets ADD COLUMN size int;`);
        await writeFile(join(dir, '0005_later.sql'), 'CREATE TABLE mig_later (id integer);');
        try {
          const err = await migrate(db, dir).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(MigrationError);
          expect((err as Error).message).toMatch(/Applied migration 0002_add_color\.sql changed since it was applied/);
          // Nothing after the edited file ran either.
          expect((await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'mig_later'")).rowCount).toBe(0);
          const status = await migrationStatus(db, dir);
          expect(status.map((s) => [s.file, s.state])).toEqual([
            ['0001_widgets.sql', 'applied'],
            ['0002_add_color.sql', 'edited'],
            ['0003_counter.sql', 'applied'],
            ['0004_broken.sql', 'applied'],
            ['0005_later.sql', 'pending'],
          ]);
        } finally {
          await writeFile(join(dir, '0002_add_color.sql'), original);
        }
        // Line endings are not an edit (a Windows checkout).
        await writeFile(join(dir, '0002_add_color.sql'), original.replace(/\n/g, '\r\n'));
        expect(await migrate(db, dir)).toEqual({ applied: ['0005_later.sql'] });
        await writeFile(join(dir, '0002_add_color.sql'), original);
      });

      it('backfills checksums of files applied before checksums were recorded, then guards them', async () => {
        await db.query('UPDATE schema_migrations SET checksum = NULL');
        expect((await migrationStatus(db, dir)).every((s) => s.state === 'applied')).toBe(true);
        expect(await migrate(db, dir)).toEqual({ applied: [] });
        const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations WHERE checksum IS NULL');
        expect(rows[0]!.n).toBe(0);
        const first = await readFile(join(dir, '0001_widgets.sql'), 'utf8');
        const later = await readFile(join(dir, '0005_later.sql'), 'utf8');
        try {
          await writeFile(join(dir, '0001_widgets.sql'), 'CREATE TABLE mig_widgets (id serial PRIMARY KEY);');
          await expect(migrate(db, dir)).rejects.toThrow(/0001_widgets\.sql changed since it was applied/);
          await rm(join(dir, '0005_later.sql'));
          const status = await migrationStatus(db, dir);
          expect(status.find((s) => s.version === 5)).toMatchObject({ state: 'unknown', file: null, name: 'later' });
          expect(status.find((s) => s.version === 1)).toMatchObject({ state: 'edited' });
        } finally {
          await writeFile(join(dir, '0001_widgets.sql'), first);
          await writeFile(join(dir, '0005_later.sql'), later);
        }
      });

      it('applies files only up to a version when asked', async () => {
        await writeFile(join(dir, '0006_six.sql'), 'CREATE TABLE mig_six (id integer);');
        await writeFile(join(dir, '0007_seven.sql'), 'CREATE TABLE mig_seven (id integer);');
        expect(await migrate(db, dir, { upTo: 6 })).toEqual({ applied: ['0006_six.sql'] });
        expect(await migrate(db, dir)).toEqual({ applied: ['0007_seven.sql'] });
        for (const f of ['0005_later.sql', '0006_six.sql', '0007_seven.sql']) await rm(join(dir, f));
      });

      it('refuses badly named files and duplicate versions', async () => {
        const bad = await mkdtemp(join(tmpdir(), 'curta-migrations-bad-'));
        try {
          await writeFile(join(bad, '1_oops.sql'), 'SELECT 1;');
          await expect(migrate(db, bad)).rejects.toThrow(/NNNN_name/);
          await rm(join(bad, '1_oops.sql'));
          await writeFile(join(bad, '0001_a.sql'), 'SELECT 1;');
          await writeFile(join(bad, '0001_b.sql'), 'SELECT 1;');
          await expect(migrate(db, bad)).rejects.toThrow(/share version/);
        } finally {
          await rm(bad, { recursive: true, force: true });
        }
      });
    });
  });
}
