import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The on-disk layout of `curta backup DIR`, the same whichever profile wrote
 * it, so a backup of the embedded profile restores into PostgreSQL + S3 and
 * back:
 *
 *   manifest.json            written last: what follows, with a sha256 of every file
 *   db/NNN_<table>.jsonl     one JSON object per row (PostgreSQL's row_to_json), tables in foreign-key order
 *   objects.jsonl            one line per stored object: key, size, sha256, content type, cache control, storage class
 *   objects/ab/<sha256(key)> the object's bytes (absent with --no-objects)
 *
 * Object files are named by a hash of their key, never by the key itself, so
 * no key (S3 allows `../x` and `a//b`) can make a restore write outside DIR.
 */
export const BACKUP_FORMAT = 'curta-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const OBJECT_INDEX_FILE = 'objects.jsonl';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
/** A path inside the backup folder as the manifest names it: db/…, no way out of the folder. */
const backupFile = z.string().regex(/^db\/\d{3}_[a-z0-9_]+\.jsonl$/, 'db/NNN_<table>.jsonl');

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.number().int().positive(),
  createdAt: z.string(),
  curtaVersion: z.string(),
  source: z.object({ database: z.enum(['pglite', 'postgres']), storage: z.enum(['fs', 's3']) }),
  schema: z.object({
    /** Highest applied migration. */
    version: z.number().int().nonnegative(),
    migrations: z.array(z.object({ version: z.number().int().positive(), name: z.string(), checksum: sha256Hex.nullable() })),
  }),
  tables: z.array(
    z.object({
      name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
      file: backupFile,
      columns: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)).min(1),
      rows: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      sha256: sha256Hex,
    }),
  ),
  sequences: z.array(
    z.object({ name: z.string().regex(/^[a-z_][a-z0-9_]*$/), lastValue: z.string().regex(/^-?\d+$/), isCalled: z.boolean() }),
  ),
  objects: z.object({
    /** copied: every object's bytes are in objects/; index: only their list (the store is backed up by its own means). */
    mode: z.enum(['copied', 'index']),
    file: z.literal(OBJECT_INDEX_FILE),
    count: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    sha256: sha256Hex,
  }),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export const objectEntrySchema = z.object({
  key: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex.nullable(),
  contentType: z.string().min(1),
  cacheControl: z.string().optional(),
  storageClass: z.enum(['STANDARD', 'ARCHIVE']),
  /**
   * Not copied: the object is in the source store's archive tier (S3 Glacier, the fs store's archive
   * folder), unreadable without a restore; its bytes stay there. Only in a 'copied' backup.
   */
  inArchive: z.literal(true).optional(),
});
export type ObjectEntry = z.infer<typeof objectEntrySchema>;

/** Where an object's bytes lie in the backup folder: derived from the key, never read from the backup. */
export function objectFile(dir: string, key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return join(dir, 'objects', h.slice(0, 2), h);
}

/**
 * An expected backup or restore failure (a missing folder, a damaged file,
 * a backup from a newer Curta, a target that is not empty): one message for
 * the operator, with the exit status the CLI should use.
 */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

/** sysexits(3): EX_DATAERR for damaged input, EX_NOINPUT for missing input, EX_CANTCREAT for a target refused. */
export const BACKUP_EXIT = { failure: 1, dataErr: 65, noInput: 66, cantCreate: 73 } as const;
