import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, SqlExecutor } from '../../ports/database.js';

/**
 * The migrations folder of this file's tree: src/migrations when running from
 * `src/adapters/db/` (tsx, vitest), dist/src/migrations when running from
 * `dist/src/adapters/db/` after tsc (the build copies the SQL files there).
 * If a build forgot the copy, a checkout's src/migrations is used instead.
 */
export const defaultMigrationsDir: string =
  [new URL('../../migrations/', import.meta.url), new URL('../../../../src/migrations/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Arbitrary constant: the advisory lock every migrator takes, in every process. */
export const MIGRATION_LOCK_KEY = 4_715_283_901;

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * A transaction executor that can also run a multi-statement script. Database
 * adapters hand one of these to `transaction` callbacks, so a migration file
 * runs inside the same transaction that records it.
 */
export interface ScriptExecutor extends SqlExecutor {
  exec(sql: string): Promise<void>;
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
}

export interface MigrateResult {
  /** Files applied by this call, in order (empty when already up to date). */
  applied: string[];
}

/** Reads `NNNN_name.sql` files in version order; other files are an error, as are duplicate versions. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const file of names) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`Migration file name ${file} does not match NNNN_name.sql (lower case)`);
    const version = Number(match[1]);
    const clash = seen.get(version);
    if (clash) throw new Error(`Migrations ${clash} and ${file} share version ${version}`);
    seen.set(version, file);
    files.push({ version, name: match[2] ?? '', file, sql: await readFile(join(dir, file), 'utf8') });
  }
  return files.sort((a, b) => a.version - b.version);
}

/**
 * Applies pending migrations in version order, each in its own transaction
 * together with its row in schema_migrations, so a failed file leaves no
 * trace and is retried next time. Every step holds a transaction-scoped
 * advisory lock and re-checks schema_migrations under it, so several
 * processes starting at once against one PostgreSQL apply each file exactly
 * once. Migration files must not contain BEGIN/COMMIT.
 */
export async function migrate(db: Database, dir: string = defaultMigrationsDir): Promise<MigrateResult> {
  const files = await readMigrations(dir);

  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
  });

  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => r.version));
  const applied: string[] = [];

  for (const migration of files) {
    if (done.has(migration.version)) continue;
    try {
      const ran = await db.transaction(async (tx) => {
        await lock(tx);
        const already = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (already.rowCount > 0) return false; // another process got there first
        await runScript(tx, migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        return true;
      });
      if (ran) applied.push(migration.file);
    } catch (err) {
      throw new Error(`Migration ${migration.file} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return { applied };
}

async function lock(tx: SqlExecutor): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
}

/**
 * A script of several statements needs the simple query protocol: adapters'
 * transaction executors provide `exec` for that (see ScriptExecutor). Failing
 * that, `query` without parameters is the simple protocol in node-postgres.
 */
async function runScript(tx: SqlExecutor, sql: string): Promise<void> {
  const scriptable = tx as SqlExecutor & Partial<Pick<ScriptExecutor, 'exec'>>;
  if (typeof scriptable.exec === 'function') await scriptable.exec(sql);
  else await tx.query(sql);
}
