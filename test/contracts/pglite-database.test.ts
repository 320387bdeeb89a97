import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/adapters/db/migrate.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';

/** PGlite specifics beyond the shared Database contract. */
describe('PgliteDatabase', () => {
  let db: PgliteDatabase;

  beforeAll(async () => {
    db = await PgliteDatabase.open(null);
  });
  afterAll(async () => {
    await db.close();
  });

  it('fails fast instead of deadlocking when db is used inside its own transaction', async () => {
    await expect(db.transaction(async () => db.query('SELECT 1'))).rejects.toThrow(/use the transaction's executor/);
    await expect(db.transaction(async () => db.transaction(async () => 1))).rejects.toThrow(/inside a transaction/);
    // Once the transaction is over, work started inside it may use db again.
    let later: Promise<unknown> = Promise.resolve();
    await db.transaction(async () => {
      later = new Promise((resolve) => setTimeout(resolve, 10)).then(() => db.query('SELECT 1'));
    });
    await expect(later).resolves.toMatchObject({ rowCount: 1 });
  });

  it('applies the project migrations, including the jobs table, idempotently', async () => {
    const files = await readMigrations(defaultMigrationsDir);
    expect(files[0]?.file).toBe('0001_jobs.sql');
    const first = await migrate(db);
    expect(first.applied).toEqual(files.map((f) => f.file));
    expect(await migrate(db)).toEqual({ applied: [] });
    const { rows } = await db.query<{ id: string }>("INSERT INTO jobs (queue) VALUES ('q') RETURNING id");
    expect(rows[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('on disk', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'curta-pglite-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('persists across reopen and refuses a second opener while open', async () => {
      const dataDir = join(dir, 'db');
      const first = await PgliteDatabase.open(dataDir);
      try {
        await first.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here');");
        expect((await readFile(`${dataDir}.lock`, 'utf8')).trim()).toBe(String(process.pid));
        await expect(PgliteDatabase.open(dataDir)).rejects.toThrow(/already open/);
      } finally {
        await first.close();
      }
      const second = await PgliteDatabase.open(dataDir);
      try {
        const { rows } = await second.query<{ v: string }>('SELECT v FROM kept');
        expect(rows).toEqual([{ v: 'still here' }]);
      } finally {
        await second.close();
      }
    });

    it('refuses a directory locked by another live process and takes over a stale lock', async () => {
      const dataDir = join(dir, 'locked');
      await writeFile(`${dataDir}.lock`, String(process.ppid)); // a live process that is not us
      await expect(PgliteDatabase.open(dataDir)).rejects.toThrow(/in use by process/);

      const exited = spawnSync(process.execPath, ['-e', '']);
      await writeFile(`${dataDir}.lock`, String(exited.pid)); // its owner is gone
      const db = await PgliteDatabase.open(dataDir);
      await db.ping();
      await db.close();
      await expect(readFile(`${dataDir}.lock`)).rejects.toThrow();
    });
  });
});
