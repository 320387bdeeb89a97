import { createHash } from 'node:crypto';
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
  /** sha256 (hex) of the file with line endings normalised to LF, so a CRLF checkout is not "edited". */
  checksum: string;
}

export interface MigrateResult {
  /** Files applied by this call, in order (empty when already up to date). */
  applied: string[];
}

export interface MigrateOptions {
  /** Apply only files up to this version (restore loads rows at the schema they were dumped from). */
  upTo?: number;
}

/**
 * An expected migration failure: an applied file was edited, or a migration
 * file does not apply. The CLI prints its message without a stack.
 */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** One row of `curta migrate status`. */
export interface MigrationState {
  version: number;
  name: string;
  file: string | null;
  /**
   * applied: recorded and its file unchanged; pending: a file not applied yet;
   * edited: applied, but the file's checksum differs from the recorded one;
   * unknown: applied by another (newer) Curta, no file here.
   */
  state: 'applied' | 'pending' | 'edited' | 'unknown';
  appliedAt: Date | null;
  checksum: string | null;
}

/** Reads `NNNN_name.sql` files in version order; other files are an error, as are duplicate versions. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const file of names) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`Migration file name ${file} does not match NNNN_name.sql (lower case)`);
    const version = Number(match[1]);
    const clash = seen.get(version);
    if (clash) throw new MigrationError(`Migrations ${clash} and ${file} share version ${version}`);
    seen.set(version, file);
    const sql = await readFile(join(dir, file), 'utf8');
    files.push({ version, name: match[2] ?? '', file, sql, checksum: migrationChecksum(sql) });
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
 *
 * Each applied file's checksum is recorded; before applying anything, an
 * applied file whose content changed since is refused (MigrationError naming
 * it): the database was built by the old text, so the new text would never
 * run there and the two profiles' schemas would silently drift. Rows
 * recorded before checksums existed are backfilled from the files as they
 * are now, on the first run that sees them.
 */
export async function migrate(db: Database, dir: string = defaultMigrationsDir, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const files = await readMigrations(dir);
  await ensureBookkeeping(db);

  const recorded = await readRecorded(db);
  const edited = files.filter((f) => {
    const row = recorded.get(f.version);
    return row?.checksum != null && row.checksum !== f.checksum;
  });
  if (edited.length > 0) {
    throw new MigrationError(
      `Applied migration${edited.length > 1 ? 's' : ''} ${edited.map((f) => f.file).join(', ')} ` +
        `changed since ${edited.length > 1 ? 'they were' : 'it was'} applied (checksum differs). ` +
        'Applied migrations are never edited: restore the original file and put the change in a new migration.',
    );
  }

  const applied: string[] = [];
  for (const migration of files) {
    if (opts.upTo !== undefined && migration.version > opts.upTo) break;
    if (recorded.has(migration.version)) continue;
    try {
      const ran = await db.transaction(async (tx) => {
        await lock(tx);
        const already = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (already.rowCount > 0) return false; // another process got there first
        await runScript(tx, migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        return true;
      });
      if (ran) applied.push(migration.file);
    } catch (err) {
      throw new MigrationError(`Migration ${migration.file} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  const unchecked = files.filter((f) => recorded.get(f.version)?.checksum === null);
  for (const f of unchecked) {
    await db.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL', [f.version, f.checksum]);
  }
  return { applied };
}

/**
 * The migration files of `dir` against what the database recorded, in
 * version order (files and recorded rows merged). Reads only: creates the
 * bookkeeping table if absent but applies nothing.
 */
export async function migrationStatus(db: Database, dir: string = defaultMigrationsDir): Promise<MigrationState[]> {
  const files = await readMigrations(dir);
  await ensureBookkeeping(db);
  const recorded = await readRecorded(db);
  const states: MigrationState[] = files.map((f) => {
    const row = recorded.get(f.version);
    if (!row) return { version: f.version, name: f.name, file: f.file, state: 'pending', appliedAt: null, checksum: f.checksum };
    const state = row.checksum != null && row.checksum !== f.checksum ? 'edited' : 'applied';
    return { version: f.version, name: f.name, file: f.file, state, appliedAt: row.applied_at, checksum: row.checksum ?? f.checksum };
  });
  const known = new Set(files.map((f) => f.version));
  for (const row of recorded.values()) {
    if (known.has(row.version)) continue;
    states.push({ version: row.version, name: row.name, file: null, state: 'unknown', appliedAt: row.applied_at, checksum: row.checksum });
  }
  return states.sort((a, b) => a.version - b.version);
}

interface RecordedMigration {
  version: number;
  name: string;
  applied_at: Date;
  checksum: string | null;
}

async function readRecorded(db: SqlExecutor): Promise<Map<number, RecordedMigration>> {
  const { rows } = await db.query<RecordedMigration>('SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version');
  return new Map(rows.map((r) => [r.version, r]));
}

/**
 * The bookkeeping table is the migrator's own, not a migration's: it must
 * exist, checksum column included, before the first file is checked or
 * applied. `ADD COLUMN IF NOT EXISTS` upgrades tables created before
 * checksums were recorded.
 */
async function ensureBookkeeping(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        checksum text
      )`);
    await tx.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
  });
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
