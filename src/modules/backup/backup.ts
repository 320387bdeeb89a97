import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AppError } from '../../errors.js';
import type { Database } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import {
  BACKUP_EXIT,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupError,
  MANIFEST_FILE,
  OBJECT_INDEX_FILE,
  objectFile,
  type BackupManifest,
  type ObjectEntry,
} from './backup-format.js';
import { listSequences, listTables, quoteIdent } from './catalog.js';

export interface BackupOptions {
  /** Write the object index only, not the bytes (a store backed up by its own means: S3 versioning, replication). */
  objects: 'copied' | 'index';
  curtaVersion: string;
  /** Progress lines. */
  say?: (line: string) => void;
}

export interface BackupSummary {
  tables: number;
  rows: number;
  objects: number;
  objectBytes: number;
  /** Objects listed but deleted before they could be read (deleted after the snapshot). */
  vanished: number;
  dbMs: number;
  objectsMs: number;
}

const FETCH_ROWS = 1000;

/**
 * Writes a backup of `db` and `store` into `dir` (created; must be absent or
 * empty).
 *
 * The database is read inside one REPEATABLE READ, READ ONLY transaction:
 * every table as of the same instant, whatever runs meanwhile. Rows are
 * streamed through a cursor a thousand at a time, so memory stays flat.
 * On the embedded profile PGlite has one connection, so other queries wait
 * for the dump (the objects are copied after it, outside the transaction).
 *
 * Objects are copied after the snapshot, one stream at a time through the
 * ObjectStore port: everything the snapshot refers to existed when it was
 * taken (objects are written before the rows that name them), and an object
 * deleted since (a video deleted meanwhile) is counted as vanished, not an
 * error. Objects written after the snapshot are copied too; the restored
 * instance's storage sweep removes those no row refers to.
 *
 * The manifest is written last: a folder without one is an interrupted backup.
 */
export async function createBackup(db: Database, store: ObjectStore, dir: string, opts: BackupOptions): Promise<BackupSummary> {
  const say = opts.say ?? (() => undefined);
  const known = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!known.rows[0]?.t) {
    throw new BackupError('the database has no Curta schema (no migration applied): nothing to back up', BACKUP_EXIT.noInput);
  }
  await prepareTarget(dir);
  await mkdir(join(dir, 'db'), { recursive: true });

  const dbStarted = Date.now();
  const snapshot = await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const migrations = await tx.query<{ version: number; name: string; checksum: string | null }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const tables: BackupManifest['tables'] = [];
    for (const [index, table] of (await listTables(tx)).entries()) {
      const file = `db/${String(index + 1).padStart(3, '0')}_${table.name}.jsonl`;
      const out = new HashingWriter(join(dir, file));
      let rows = 0;
      try {
        await tx.query(`DECLARE curta_backup NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS j FROM ${quoteIdent(table.name)} t`);
        for (;;) {
          const batch = await tx.query<{ j: string }>(`FETCH ${FETCH_ROWS} FROM curta_backup`);
          for (const row of batch.rows) await out.write(`${row.j}\n`);
          rows += batch.rows.length;
          if (batch.rows.length < FETCH_ROWS) break;
        }
        await tx.query('CLOSE curta_backup');
      } finally {
        await out.end();
      }
      tables.push({ name: table.name, file, columns: table.columns, rows, bytes: out.bytes, sha256: out.digest() });
    }
    // Sequences are not transactional: a value read here may be a little
    // ahead of the snapshot, which is safe (ids are never reused).
    const sequences: BackupManifest['sequences'] = [];
    for (const name of await listSequences(tx)) {
      const { rows } = await tx.query<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text AS last_value, is_called FROM ${quoteIdent(name)}`,
      );
      sequences.push({ name, lastValue: rows[0]!.last_value, isCalled: rows[0]!.is_called });
    }
    return { migrations: migrations.rows, tables, sequences };
  });
  const dbMs = Date.now() - dbStarted;
  const rows = snapshot.tables.reduce((n, t) => n + t.rows, 0);
  say(`database: ${snapshot.tables.length} tables, ${rows} rows (${dbMs} ms)`);

  const objectsStarted = Date.now();
  const index = new HashingWriter(join(dir, OBJECT_INDEX_FILE));
  let count = 0;
  let bytes = 0;
  let vanished = 0;
  let inArchive = 0;
  try {
    for await (const key of allKeys(store)) {
      const entry = opts.objects === 'copied' ? await copyOut(store, dir, key) : await describe(store, key);
      if (!entry) {
        vanished++;
        continue;
      }
      await index.write(`${JSON.stringify(entry)}\n`);
      if (entry.inArchive) inArchive++;
      count++;
      bytes += entry.size;
      if (count % 500 === 0) say(`objects: ${count} so far`);
    }
  } finally {
    await index.end();
  }
  const objectsMs = Date.now() - objectsStarted;
  say(
    `objects: ${count} ${opts.objects === 'copied' ? 'copied' : 'listed'}, ${bytes} bytes (${objectsMs} ms)${vanished ? `; ${vanished} deleted during the backup` : ''}` +
      (inArchive ? `; ${inArchive} in the archive tier listed, not copied (their bytes stay in the store's archive)` : ''),
  );

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    curtaVersion: opts.curtaVersion,
    source: { database: db.dialect, storage: store.kind },
    schema: {
      version: snapshot.migrations.reduce((max, m) => Math.max(max, m.version), 0),
      migrations: snapshot.migrations.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
    },
    tables: snapshot.tables,
    sequences: snapshot.sequences,
    objects: { mode: opts.objects, file: OBJECT_INDEX_FILE, count, bytes, sha256: index.digest() },
  };
  const tmp = join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, join(dir, MANIFEST_FILE));
  return { tables: snapshot.tables.length, rows, objects: count, objectBytes: bytes, vanished, dbMs, objectsMs };
}

async function prepareTarget(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return mkdir(dir, { recursive: true }).then(() => undefined);
    if (code === 'ENOTDIR') throw new BackupError(`${dir} is a file, not a folder`, BACKUP_EXIT.cantCreate);
    throw err;
  }
  if (entries.length > 0) {
    throw new BackupError(`${dir} is not empty: a backup goes into a new or empty folder (nothing was written)`, BACKUP_EXIT.cantCreate);
  }
}

/**
 * Every key in the store. The filesystem store lists one folder at a time
 * (its flat listing walks the whole tree per page); S3 lists flat (one
 * request per thousand keys, and some S3-compatible servers roll deep
 * prefixes up wrongly).
 */
/** Every key in the store, a listing page at a time. */
export async function* allKeys(store: ObjectStore): AsyncGenerator<string> {
  if (store.kind === 's3') {
    let cursor: string | undefined;
    do {
      const page = await store.listPage('', cursor === undefined ? {} : { cursor });
      for (const k of page.keys) yield k.key;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return;
  }
  const walk = async function* (prefix: string): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await store.listPage(prefix, { delimiter: '/', ...(cursor === undefined ? {} : { cursor }) });
      for (const k of page.keys) yield k.key;
      for (const folder of page.folders) yield* walk(folder);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  };
  yield* walk('');
}

const isGone = (err: unknown) => err instanceof AppError && err.code === 'object_not_found';
const isArchived = (err: unknown) => err instanceof AppError && err.code === 'object_archived';

/**
 * Streams one object into the backup, hashing it on the way; null when it was deleted meanwhile.
 * An object in the archive tier (an archived video's original) cannot be read without a restore
 * (hours on S3 Glacier, and paid): it is listed as `inArchive`, its bytes left where they are.
 */
async function copyOut(store: ObjectStore, dir: string, key: string): Promise<ObjectEntry | null> {
  let got: Awaited<ReturnType<ObjectStore['get']>>;
  try {
    got = await store.get(key);
  } catch (err) {
    if (isGone(err)) return null;
    if (isArchived(err)) {
      const entry = await describe(store, key);
      return entry && { ...entry, inArchive: true };
    }
    throw err;
  }
  const path = objectFile(dir, key);
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(got.body, tap, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  if (size !== got.info.size) throw new Error(`object ${key}: read ${size} bytes, the store said ${got.info.size}`);
  return entryOf(got.info, hash.digest('hex'));
}

async function describe(store: ObjectStore, key: string): Promise<ObjectEntry | null> {
  const info = await store.head(key);
  return info ? entryOf(info, null) : null;
}

function entryOf(info: Awaited<ReturnType<ObjectStore['head']>> & object, sha256: string | null): ObjectEntry {
  return {
    key: info.key,
    size: info.size,
    sha256,
    contentType: info.contentType,
    ...(info.cacheControl ? { cacheControl: info.cacheControl } : {}),
    storageClass: info.storageClass,
  };
}

/** A file written line by line with back-pressure, hashed as it goes. */
class HashingWriter {
  private readonly stream: WriteStream;
  private readonly hash = createHash('sha256');
  bytes = 0;

  private failed: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'wx' });
    this.stream.on('error', (err) => (this.failed ??= err));
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    const chunk = Buffer.from(text, 'utf8');
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    if (!this.stream.writableEnded) this.stream.end();
    await finished(this.stream);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
