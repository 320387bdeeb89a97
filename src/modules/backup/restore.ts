import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultMigrationsDir, migrate, migrationStatus, readMigrations } from '../../adapters/db/migrate.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import {
  BACKUP_EXIT,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupError,
  MANIFEST_FILE,
  manifestSchema,
  objectEntrySchema,
  objectFile,
  type BackupManifest,
  type ObjectEntry,
} from './backup-format.js';
import { listTables, quoteIdent, type TableInfo } from './catalog.js';
import { allKeys } from './backup.js';

export interface RestoreOptions {
  /** Erase the target's rows and objects first instead of refusing a target that has any. */
  force: boolean;
  migrationsDir?: string;
  say?: (line: string) => void;
}

export interface RestoreSummary {
  rows: number;
  objects: number;
  objectBytes: number;
  /** Migrations newer than the backup, applied to the restored rows. */
  upgraded: string[];
}

/** Rows per INSERT: big enough to be quick, small enough for one statement's parameter. */
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;
const OBJECT_CONCURRENCY = 4;

const fmt = (v: number) => String(v).padStart(4, '0');

/** Reads and checks `DIR/manifest.json`; BackupError when DIR is no (complete) backup. */
export async function readManifest(dir: string): Promise<BackupManifest> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new BackupError(`no backup at ${dir}: the folder does not exist`, BACKUP_EXIT.noInput);
  if (!info.isDirectory()) throw new BackupError(`${dir} is a file, not a backup folder`, BACKUP_EXIT.noInput);
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new BackupError(`${dir} has no ${MANIFEST_FILE}: not a Curta backup, or one that did not finish`, BACKUP_EXIT.noInput);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BackupError(`${join(dir, MANIFEST_FILE)} is not valid JSON: the backup is damaged`, BACKUP_EXIT.dataErr);
  }
  const format = (raw as { format?: unknown; formatVersion?: unknown } | null) ?? {};
  if (format.format !== BACKUP_FORMAT)
    throw new BackupError(`${join(dir, MANIFEST_FILE)} is not a Curta backup manifest`, BACKUP_EXIT.dataErr);
  if (typeof format.formatVersion === 'number' && format.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BackupError(
      `this backup uses format ${format.formatVersion}, newer than this Curta reads (${BACKUP_FORMAT_VERSION}): restore it with a newer Curta`,
      BACKUP_EXIT.dataErr,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      `${join(dir, MANIFEST_FILE)} is damaged: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
      BACKUP_EXIT.dataErr,
    );
  }
  return parsed.data;
}

/**
 * Checks the backup's schema against this Curta's migration files: every
 * migration the backup was made at must exist here with the same content.
 * A backup from a newer Curta is refused, naming the first migration this
 * one lacks.
 */
export async function checkBackupSchema(manifest: BackupManifest, migrationsDir: string = defaultMigrationsDir): Promise<void> {
  const files = new Map((await readMigrations(migrationsDir)).map((f) => [f.version, f]));
  const newest = Math.max(0, ...files.keys());
  for (const m of manifest.schema.migrations) {
    const file = files.get(m.version);
    if (!file) {
      throw new BackupError(
        `this backup comes from a newer Curta (${manifest.curtaVersion}): its database schema includes migration ` +
          `${fmt(m.version)}_${m.name}, and this Curta's newest is ${fmt(newest)}. Upgrade Curta, then restore.`,
        BACKUP_EXIT.dataErr,
      );
    }
    if (m.checksum !== null && m.checksum !== file.checksum) {
      throw new BackupError(
        `migration ${file.file} of this Curta differs from the one the backup's database was built with; ` +
          'restore with the Curta version that made the backup',
        BACKUP_EXIT.dataErr,
      );
    }
  }
}

async function sha256File(path: string): Promise<{ sha256: string; bytes: number } | null> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function* jsonLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) yield line;
}

async function* objectEntries(dir: string, manifest: BackupManifest): AsyncGenerator<ObjectEntry> {
  let n = 0;
  for await (const line of jsonLines(join(dir, manifest.objects.file))) {
    n++;
    let parsed: ReturnType<typeof objectEntrySchema.safeParse>;
    try {
      parsed = objectEntrySchema.safeParse(JSON.parse(line));
    } catch {
      throw new BackupError(`${manifest.objects.file} line ${n} is not JSON: the backup is damaged`, BACKUP_EXIT.dataErr);
    }
    if (!parsed.success) throw new BackupError(`${manifest.objects.file} line ${n} is not an object entry`, BACKUP_EXIT.dataErr);
    yield parsed.data;
  }
}

/**
 * Reads every file the manifest names and compares its sha256: a damaged or
 * missing file is found before anything is written to the target.
 */
export async function verifyBackup(dir: string, manifest: BackupManifest): Promise<void> {
  const check = async (label: string, path: string, expected: string | null, size: number) => {
    const got = await sha256File(path);
    if (!got) throw new BackupError(`backup file ${label} is missing`, BACKUP_EXIT.dataErr);
    if (got.bytes !== size || (expected !== null && got.sha256 !== expected)) {
      throw new BackupError(`backup file ${label} is damaged: its sha256 differs from the manifest's`, BACKUP_EXIT.dataErr);
    }
  };
  for (const t of manifest.tables) await check(t.file, join(dir, t.file), t.sha256, t.bytes);
  const index = await sha256File(join(dir, manifest.objects.file));
  if (!index) throw new BackupError(`backup file ${manifest.objects.file} is missing`, BACKUP_EXIT.dataErr);
  if (index.sha256 !== manifest.objects.sha256) {
    throw new BackupError(`backup file ${manifest.objects.file} is damaged: its sha256 differs from the manifest's`, BACKUP_EXIT.dataErr);
  }
  let count = 0;
  for await (const entry of objectEntries(dir, manifest)) {
    count++;
    if (manifest.objects.mode === 'copied' && !entry.inArchive) {
      if (entry.sha256 === null)
        throw new BackupError(`object ${entry.key} has no checksum in ${manifest.objects.file}`, BACKUP_EXIT.dataErr);
      await check(`for object ${entry.key}`, objectFile(dir, entry.key), entry.sha256, entry.size);
    }
  }
  if (count !== manifest.objects.count) {
    throw new BackupError(
      `${manifest.objects.file} lists ${count} objects, the manifest says ${manifest.objects.count}`,
      BACKUP_EXIT.dataErr,
    );
  }
}

/**
 * Reads and checks a backup before any target is touched: the manifest, the
 * schema (a backup from a newer Curta is refused), and every file's checksum.
 *
 * Then `restoreBackup` restores it into any profile (a backup of the
 * embedded profile restores into PostgreSQL + S3): it refuses a target that
 * is not empty (or erases it with force), then applies the migrations up to
 * the backup's schema, loads all rows
 * in one transaction (parents before children; a self-referencing table in
 * one statement), restores the sequences, copies the objects through the ObjectStore port (streamed
 * from their files), and finally applies the migrations newer than the backup, which
 * upgrade the restored rows as they would have upgraded the original.
 */
export async function inspectBackup(dir: string, opts: Pick<RestoreOptions, 'migrationsDir' | 'say'> = {}): Promise<BackupManifest> {
  const say = opts.say ?? (() => undefined);
  const manifest = await readManifest(dir);
  await checkBackupSchema(manifest, opts.migrationsDir ?? defaultMigrationsDir);
  say(
    `backup of ${manifest.createdAt} (Curta ${manifest.curtaVersion}, ${manifest.source.database} + ${manifest.source.storage}), schema ${fmt(manifest.schema.version)}`,
  );
  await verifyBackup(dir, manifest);
  say(`checked: ${manifest.tables.length} table files, ${manifest.objects.count} objects, every checksum matches`);
  return manifest;
}

/**
 * Restores the backup in `dir`, which `inspectBackup` read and checked
 * (manifest, schema, every file's checksum), into `db` and `store`.
 */
export async function restoreBackup(
  db: Database,
  store: ObjectStore,
  dir: string,
  manifest: BackupManifest,
  opts: RestoreOptions,
): Promise<RestoreSummary> {
  const say = opts.say ?? (() => undefined);
  const migrationsDir = opts.migrationsDir ?? defaultMigrationsDir;
  const ahead = (await migrationStatus(db, migrationsDir)).filter(
    (s) => (s.state === 'applied' || s.state === 'unknown') && s.version > manifest.schema.version,
  );
  if (ahead.length > 0) {
    throw new BackupError(
      `the target database is already at schema ${fmt(Math.max(...ahead.map((s) => s.version)))}, newer than the backup's ` +
        `${fmt(manifest.schema.version)}: restore into a new, empty database (don't run curta start or migrate on it first)`,
      BACKUP_EXIT.cantCreate,
    );
  }
  await migrate(db, migrationsDir, { upTo: manifest.schema.version });

  const tables = new Map((await listTables(db)).map((t) => [t.name, t]));
  const copyObjects = manifest.objects.mode === 'copied';
  const filled: string[] = [];
  for (const t of tables.values()) {
    if ((await db.query(`SELECT 1 FROM ${quoteIdent(t.name)} LIMIT 1`)).rowCount > 0) filled.push(t.name);
  }
  const storeHasObjects = copyObjects && (await store.listPage('', { limit: 1 })).keys.length > 0;
  if ((filled.length > 0 || storeHasObjects) && !opts.force) {
    const what = [
      ...(filled.length > 0 ? [`its database has rows (${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''})`] : []),
      ...(storeHasObjects ? ['its object store has objects'] : []),
    ];
    throw new BackupError(
      `the target is not empty: ${what.join(' and ')}. Restore into an empty one, or pass --force to erase it first`,
      BACKUP_EXIT.cantCreate,
    );
  }
  if (!copyObjects) await checkObjectsPresent(dir, manifest, store);

  for (const t of manifest.tables) {
    if (!tables.has(t.name)) throw new BackupError(`table ${t.name} of the backup does not exist in the target`, BACKUP_EXIT.dataErr);
  }
  const rows = await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.query('SET LOCAL statement_timeout = 0');
    // Restored rows are not new events: the lake's capture triggers stay quiet (lake_buffer itself is restored).
    await tx.query(`SELECT set_config('curta.restoring', 'on', true)`);
    if (opts.force && filled.length > 0) {
      await tx.query(`TRUNCATE ${[...tables.keys()].map(quoteIdent).join(', ')} RESTART IDENTITY CASCADE`);
    }
    let total = 0;
    for (const t of manifest.tables) {
      const loaded = await loadTable(tx, tables.get(t.name)!, t.columns, join(dir, t.file));
      if (loaded !== t.rows) throw new BackupError(`${t.file}: loaded ${loaded} rows, the manifest says ${t.rows}`, BACKUP_EXIT.dataErr);
      total += loaded;
    }
    for (const s of manifest.sequences) {
      const exists = await tx.query(
        `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind = 'S' AND c.relname = $1`,
        [s.name],
      );
      if (exists.rowCount > 0) await tx.query('SELECT setval($1::regclass, $2::bigint, $3)', [quoteIdent(s.name), s.lastValue, s.isCalled]);
    }
    return total;
  });
  say(`database: ${manifest.tables.length} tables, ${rows} rows loaded`);

  let objects = 0;
  let objectBytes = 0;
  let inArchive = 0;
  if (copyObjects) {
    if (opts.force && storeHasObjects) {
      // Archived originals the backup only lists live nowhere else: --force erases everything but them.
      const keep = new Set<string>();
      for await (const entry of objectEntries(dir, manifest)) if (entry.inArchive) keep.add(entry.key);
      if (keep.size === 0) await store.deletePrefix('');
      else for await (const key of allKeys(store)) if (!keep.has(key)) await store.delete(key);
    }
    await forEachConcurrently(objectEntries(dir, manifest), OBJECT_CONCURRENCY, async (entry) => {
      if (entry.inArchive) {
        inArchive++; // not in the backup: its bytes are in the source store's archive tier
        return;
      }
      const info = await store.putFile(entry.key, objectFile(dir, entry.key), {
        contentType: entry.contentType,
        ...(entry.cacheControl ? { cacheControl: entry.cacheControl } : {}),
        storageClass: entry.storageClass,
      });
      if (info.size !== entry.size) throw new Error(`object ${entry.key}: stored ${info.size} bytes, expected ${entry.size}`);
      objects++;
      objectBytes += entry.size;
    });
    say(`objects: ${objects} copied, ${objectBytes} bytes`);
    if (inArchive > 0) {
      say(
        `objects: ${inArchive} archived originals were not in the backup (the source store's archive tier): ` +
          'restoring into that same store keeps them; into another, those videos stay archived and cannot be restored until the objects are copied there',
      );
    }
  }

  const { applied } = await migrate(db, migrationsDir);
  if (applied.length > 0) say(`upgraded the restored database: ${applied.join(', ')}`);
  return { rows, objects, objectBytes, upgraded: applied };
}

/**
 * One table's rows, in batches of INSERT … SELECT FROM json_populate_recordset:
 * PostgreSQL parses each value with its column's own input function, the
 * inverse of the row_to_json that wrote it, so every type round-trips without
 * going through JavaScript values. Identity columns keep their values
 * (OVERRIDING SYSTEM VALUE). Columns the target has and the backup lacks take
 * their defaults. A self-referencing table is staged and inserted in one
 * statement, whose foreign-key checks run at its end, so a reply may come
 * before its parent in the file.
 */
async function loadTable(tx: SqlExecutor, table: TableInfo, backupColumns: string[], path: string): Promise<number> {
  const present = new Set(table.columns);
  const cols = backupColumns.filter((c) => present.has(c));
  const list = cols.map(quoteIdent).join(', ');
  const target = quoteIdent(table.name);
  const insertFrom = (source: string) =>
    `INSERT INTO ${target} (${list}) OVERRIDING SYSTEM VALUE SELECT ${cols.map((c) => `r.${quoteIdent(c)}`).join(', ')} FROM ${source}`;

  if (table.selfReferencing) await tx.query('CREATE TEMP TABLE curta_restore_stage (j json NOT NULL) ON COMMIT DROP');
  const flush = async (batch: string[]) => {
    const json = `[${batch.join(',')}]`;
    if (table.selfReferencing)
      await tx.query('INSERT INTO curta_restore_stage (j) SELECT value FROM json_array_elements($1::json)', [json]);
    else await tx.query(insertFrom(`json_populate_recordset(NULL::${target}, $1::json) r`), [json]);
  };
  let batch: string[] = [];
  let bytes = 0;
  let rows = 0;
  for await (const line of jsonLines(path)) {
    batch.push(line);
    bytes += line.length;
    rows++;
    if (batch.length >= BATCH_ROWS || bytes >= BATCH_BYTES) {
      await flush(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) await flush(batch);
  if (table.selfReferencing) {
    await tx.query(insertFrom(`curta_restore_stage s, json_populate_record(NULL::${target}, s.j) r`));
    await tx.query('DROP TABLE curta_restore_stage');
  }
  return rows;
}

/** A backup made with --no-objects restores rows only: their objects must already be in the target store. */
async function checkObjectsPresent(dir: string, manifest: BackupManifest, store: ObjectStore): Promise<void> {
  const missing: string[] = [];
  let count = 0;
  await forEachConcurrently(objectEntries(dir, manifest), 8, async (entry) => {
    const info = await store.head(entry.key);
    if (info?.size !== entry.size) {
      count++;
      if (missing.length < 3) missing.push(entry.key);
    }
  });
  if (count > 0) {
    throw new BackupError(
      `this backup holds the object list only (made with --no-objects), and ${count} of its objects are missing from ` +
        `the target store or differ in size (${missing.join(', ')}${count > missing.length ? ', …' : ''}): ` +
        'restore the bucket (e.g. from its versions) first, or point S3_BUCKET at the original',
      BACKUP_EXIT.cantCreate,
    );
  }
}

/** Runs `fn` over an async stream of items, at most `limit` at a time; the first failure stops it. */
async function forEachConcurrently<T>(items: AsyncIterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | null = null;
  for await (const item of items) {
    if (failure) break;
    const p: Promise<void> = fn(item)
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => running.delete(p));
    running.add(p);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw (failure as { err: unknown }).err as Error;
}
