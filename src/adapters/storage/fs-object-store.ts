import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, rmdir, stat, statfs, unlink, utimes, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { finished, Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isOutOfSpace, storageFull } from '../../errors.js';
import type {
  ByteRange,
  KeyPage,
  ListPageOptions,
  ObjectInfo,
  ObjectStore,
  PresignedRequest,
  PresignPutOptions,
  PutOptions,
  RestoreState,
  RestoreTier,
  StorageClass,
  UploadedPart,
} from '../../ports/object-store.js';
import { KeyedLock } from '../keyed-lock.js';
import { consoleLogger, type AdapterLogger } from '../logger.js';
import { assertValidSignature, expiryFromNow, sign, type SignedRequestFields } from '../../lib/url-signing.js';
import { isAbandoned, ownedName, removeAbandoned } from '../../lib/scratch.js';

export interface FsObjectStoreOptions {
  rootDir: string;
  /** Where the API is reachable; presigned URLs point at `${publicBaseUrl}/storage/<key>`. */
  publicBaseUrl: string;
  /** HMAC key for presigned URLs. */
  signingSecret: string;
  /** Smallest part allowed except the last, as in S3 (5 MiB). Lower it only in tests. */
  minPartSize?: number;
  /** Clock in ms, injectable so tests can expire signatures without waiting. */
  now?: () => number;
  logger?: AdapterLogger;
  /**
   * Signed-PUT bodies: in every span of this length at least
   * `minBytesPerSec` × span bytes (or the rest of the body, if less; at least
   * one byte) must arrive, or the body is cut with upload_timeout. Default 30 s.
   */
  bodyTimeoutMs?: number;
  /** Default 0: only a body that stalls for a whole span is cut. */
  minBytesPerSec?: number;
  /**
   * Where the bytes of ARCHIVE objects live (the "cold folder": may be another,
   * cheaper disk); their metadata stays beside the other objects. Default
   * `<rootDir>/.archive`.
   */
  archiveDir?: string;
  /** How long a restore takes before the archived bytes are readable (Glacier's hours, scaled down). Default 0. */
  restoreDelayMs?: number;
}

/** Where a signed PUT writes: the whole object, or one part of a multipart upload. */
export interface SignedPutTarget {
  key: string;
  uploadId?: string;
  partNumber?: number;
}

export interface ReceiveOptions {
  /**
   * Decides whether this target still takes bytes (the upload's owner knows:
   * not after it completed, not for a deleted video). Called before the body
   * is read and again before the bytes are committed; throws to refuse.
   */
  admit?: (target: SignedPutTarget) => Promise<void>;
}

/** Path prefix of the API route that accepts presigned PUTs (embedded mode). */
export const STORAGE_ROUTE_PREFIX = '/storage/';

/** Content type signed for multipart parts (parts have no type of their own). */
export const PART_CONTENT_TYPE = 'application/octet-stream';

const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_LENGTH = 255;
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
const MAX_PART_NUMBER = 10_000;
const DEFAULT_MIN_PART_SIZE = 5 * 1024 ** 2;
const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** A temporary file or lock untouched this long (and at least 3 body spans) has no live writer. */
const MIN_STALE_TEMP_MS = 60_000;
const PROBE_BYTES = 4096;
const MAX_LIST_PAGE = 1000;

// A key segment may not start with a dot: that rules out `.` and `..` and
// leaves dot-names free for the store's own files next to the objects.
const KEY_SEGMENT = /^[A-Za-z0-9_=+,@-][A-Za-z0-9._=+,@-]*$/;
const PREFIX_CHARS = /^[A-Za-z0-9._=+,@/-]*$/;
const HEADER_VALUE = /^[\x20-\x7e]{1,255}$/;
const UPLOAD_ID = /^[a-f0-9]{32}$/;
const DIGITS = /^\d{1,16}$/;

const META_FILE = '.meta.json';
const BLOB_PREFIX = '.blob-';
const TEMP_DIR = '.tmp';
const MULTIPART_DIR = '.multipart';
/** In TEMP_DIR: `lock-<slot>` holds the owner tag of the one writer of a signed PUT's target. */
const LOCK_PREFIX = 'lock-';

/** Throws AppError('validation_failed') unless `key` is a safe object key. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new AppError('validation_failed', 'Invalid object key.', { key });
  }
  for (const segment of key.split('/')) {
    if (segment.length > MAX_SEGMENT_LENGTH || !KEY_SEGMENT.test(segment)) {
      throw new AppError('validation_failed', 'Invalid object key.', { key });
    }
  }
}

function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX_CHARS.test(prefix) || Buffer.byteLength(prefix) > MAX_KEY_BYTES) {
    throw new AppError('validation_failed', 'Invalid key prefix.', { prefix });
  }
  const slash = prefix.lastIndexOf('/');
  if (slash >= 0) assertValidKey(prefix.slice(0, slash));
}

interface StoredMeta {
  blob: string;
  size: number;
  etag: string;
  contentType: string;
  cacheControl?: string;
  storageClass: StorageClass;
  lastModified: string;
  /** The blob lives in the archive folder (an ARCHIVE object, readable only through a restore). */
  archived?: boolean;
  /** The last restore asked for: readable from requestedAt + the restore delay, for `days`. */
  restore?: { requestedAt: string; days: number };
}

interface UploadRecord {
  key: string;
  contentType: string;
  createdAt: string;
}

interface PartRecord {
  partNumber: number;
  size: number;
  etag: string;
  /** md5 of the part, hex; the multipart etag is built from these. */
  md5: string;
  file: string;
}

interface StagedFile {
  path: string;
  size: number;
  md5: Buffer;
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isPrematureClose(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (err as Error | null)?.message === 'aborted';
}

const unquote = (etag: string): string => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

function validatePutOptions(opts: PutOptions): void {
  if (!opts || typeof opts.contentType !== 'string' || !HEADER_VALUE.test(opts.contentType)) {
    throw new AppError('validation_failed', 'A valid contentType is required.');
  }
  if (opts.cacheControl !== undefined && !HEADER_VALUE.test(opts.cacheControl)) {
    throw new AppError('validation_failed', 'Invalid cacheControl.');
  }
  if (opts.storageClass !== undefined && opts.storageClass !== 'STANDARD' && opts.storageClass !== 'ARCHIVE') {
    throw new AppError('validation_failed', 'Invalid storageClass.');
  }
}

/**
 * Counts and hashes bytes on their way to disk. With `exactSize`, fails with
 * size_mismatch the moment one byte too many arrives, or at the end when too
 * few did.
 */
class CountingHasher extends Transform {
  bytes = 0;
  private readonly hash = createHash('md5');

  constructor(private readonly exactSize?: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.exactSize !== undefined && this.bytes > this.exactSize) {
      done(new AppError('size_mismatch', `The upload is larger than the signed size of ${this.exactSize} bytes.`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.exactSize !== undefined && this.bytes !== this.exactSize) {
      done(new AppError('size_mismatch', `The upload ended after ${this.bytes} of ${this.exactSize} signed bytes.`));
      return;
    }
    done();
  }

  digest(): Buffer {
    return this.hash.digest();
  }
}

/**
 * Cuts a request body that sends too little per span (slow-loris): every
 * `spanMs` it checks that at least min(minBytesPerSec × span, what is still
 * owed, and never less than 1) bytes arrived since the last check, and calls
 * `onSpan` (the writer keeps its lock fresh) when they did.
 */
class BodyWatchdog extends Transform {
  private received = 0;
  private atLastCheck = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(spanMs: number, minBytesPerSec: number, expected: number, onSpan: () => void) {
    super();
    const perSpan = Math.max(1, Math.floor((minBytesPerSec * spanMs) / 1000));
    this.timer = setInterval(() => {
      const owed = expected - this.atLastCheck;
      const got = this.received - this.atLastCheck;
      this.atLastCheck = this.received;
      if (owed > 0 && got < Math.min(perSpan, owed)) {
        this.destroy(
          new AppError('upload_timeout', `The upload sent ${got} bytes in ${Math.round(spanMs / 1000)} s, less than the minimum rate.`, {
            received: this.received,
          }),
        );
        return;
      }
      onSpan();
    }, spanMs);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    clearInterval(this.timer);
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    done(err);
  }
}

/**
 * ObjectStore on the local filesystem (the embedded default).
 *
 * Layout under rootDir: every object key is a directory holding `.meta.json`
 * (the commit point: content type, etag, size, and which blob is current) and
 * the data in an immutable `.blob-<uuid>` file. Writing the blob first and then
 * renaming the metadata into place makes every put atomic: a reader sees the
 * old object or the new one, never a mix or a partial file. Because key
 * segments cannot start with a dot, `a` and `a/b` can both exist, as in S3.
 * `.tmp/` holds uploads in flight and `.multipart/<uploadId>/` the parts of
 * unfinished multipart uploads.
 *
 * Signed PUTs (the stand-in for S3's presigned URLs) take one writer per
 * target (object or part) at a time, across processes sharing the folder: a
 * lock file in `.tmp/` names the writer; a second gets upload_in_progress.
 * With the exact signed size enforced while streaming, no target ever has
 * more than its signed bytes on disk in flight. Bodies that send too slowly
 * are cut. Temporary files and locks carry their owner's tag (lib/scratch.ts):
 * `removeLeftovers()` at start-up removes those of dead processes.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;

  private readonly rootDir: string;
  private readonly publicBaseUrl: string;
  private readonly signingSecret: string;
  private readonly minPartSize: number;
  private readonly now: () => number;
  private readonly logger: AdapterLogger;
  private readonly events = new EventEmitter();
  private readonly locks = new KeyedLock();
  private readonly bodyTimeoutMs: number;
  private readonly minBytesPerSec: number;
  private readonly staleTempMs: number;
  private readonly archiveDir: string;
  private readonly restoreDelayMs: number;
  private ready: Promise<void> | null = null;

  constructor(opts: FsObjectStoreOptions) {
    if (!opts.signingSecret) throw new Error('FsObjectStore needs a signingSecret');
    this.rootDir = resolve(opts.rootDir);
    this.publicBaseUrl = opts.publicBaseUrl.replace(/\/+$/, '');
    this.signingSecret = opts.signingSecret;
    this.minPartSize = opts.minPartSize ?? DEFAULT_MIN_PART_SIZE;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? consoleLogger;
    this.bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    this.minBytesPerSec = opts.minBytesPerSec ?? 0;
    this.staleTempMs = Math.max(MIN_STALE_TEMP_MS, 3 * this.bodyTimeoutMs);
    this.events.setMaxListeners(0);
    this.archiveDir = resolve(opts.archiveDir ?? join(this.rootDir, '.archive'));
    this.restoreDelayMs = opts.restoreDelayMs ?? 0;
  }

  // ---------------------------------------------------------------- objects

  async put(key: string, body: Buffer | string | Readable, opts: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    validatePutOptions(opts);
    const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    return writing(async () => {
      const staged = await this.stage(source);
      return this.commitStaged(key, staged, quote(staged.md5.toString('hex')), opts);
    });
  }

  async putFile(key: string, path: string, opts: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    validatePutOptions(opts);
    return writing(async () => {
      const staged = await this.stage(createReadStream(path));
      return this.commitStaged(key, staged, quote(staged.md5.toString('hex')), opts);
    });
  }

  async get(key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    assertValidKey(key);
    if (range) {
      if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
        throw new AppError('range_not_satisfiable', 'Invalid byte range.');
      }
    }
    const { meta, handle } = await this.openObject(key);
    const info = this.toInfo(key, meta);
    if (range && range.start >= meta.size) {
      await handle.close();
      throw new AppError('range_not_satisfiable', 'The range starts beyond the end of the object.', {
        size: meta.size,
      });
    }
    if (meta.size === 0) {
      await handle.close();
      return { info, body: Readable.from([]) };
    }
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? meta.size - 1, meta.size - 1);
    return { info, body: handle.createReadStream({ start, end, autoClose: true }) };
  }

  async getToFile(key: string, path: string): Promise<ObjectInfo> {
    assertValidKey(key);
    const { meta, handle } = await this.openObject(key);
    try {
      await mkdir(dirname(path), { recursive: true });
      await pipeline(handle.createReadStream({ autoClose: false }), createWriteStream(path));
    } finally {
      await handle.close();
    }
    return this.toInfo(key, meta);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const meta = await this.readMeta(key);
    return meta ? this.toInfo(key, meta) : null;
  }

  async setStorageClass(key: string, storageClass: StorageClass): Promise<ObjectInfo> {
    assertValidKey(key);
    if (storageClass !== 'STANDARD' && storageClass !== 'ARCHIVE') throw new AppError('validation_failed', 'Invalid storageClass.');
    return writing(() =>
      this.locks.run(`object:${key}`, async () => {
        const meta = await this.readMeta(key);
        if (!meta) throw new AppError('object_not_found', 'Object not found.', { key });
        const toArchive = storageClass === 'ARCHIVE';
        if (meta.storageClass === storageClass && Boolean(meta.archived) === toArchive) return this.toInfo(key, meta);
        // Leaving the archive needs a readable copy, as S3's CopyObject out of Glacier does.
        if (!toArchive && meta.archived && !this.restoredCopyReadable(meta)) {
          throw new AppError('object_archived', 'The object is archived; restore it first.', { key });
        }
        // Copy the bytes to their new place under a new blob name, commit the metadata, then remove the old bytes:
        // a crash leaves either the old object or the new one (and at worst an unreferenced blob).
        const blob = `${BLOB_PREFIX}${randomUUID()}`;
        const next: StoredMeta = { ...meta, blob, storageClass };
        if (toArchive) next.archived = true;
        else delete next.archived;
        delete next.restore;
        const from = this.blobPath(key, meta);
        const to = this.blobPath(key, next);
        await mkdir(dirname(to), { recursive: true });
        await moveFile(from, to, true);
        try {
          await this.writeJsonAtomic(join(this.objectDir(key), META_FILE), next);
        } catch (err) {
          await rm(to, { force: true });
          throw err;
        }
        await rm(from, { force: true });
        if (meta.archived) await this.pruneEmptyDirs(dirname(from), this.archiveDir);
        return this.toInfo(key, next);
      }),
    );
  }

  async restoreObject(key: string, opts: { days: number; tier: RestoreTier }): Promise<RestoreState> {
    assertValidKey(key);
    if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 365) {
      throw new AppError('validation_failed', 'days must be an integer from 1 to 365.');
    }
    return this.locks.run(`object:${key}`, async () => {
      const meta = await this.readMeta(key);
      if (!meta) throw new AppError('object_not_found', 'Object not found.', { key });
      if (!meta.archived) return 'not_needed';
      const state = this.restoreOf(meta);
      if (state?.ongoing) return 'ongoing';
      if (state) return 'restored';
      await this.writeJsonAtomic(join(this.objectDir(key), META_FILE), {
        ...meta,
        restore: { requestedAt: new Date(this.now()).toISOString(), days: opts.days },
      } satisfies StoredMeta);
      return this.restoreDelayMs > 0 ? 'ongoing' : 'restored';
    });
  }

  /**
   * Where an object's bytes live, relative to rootDir (for a front proxy that
   * serves files itself, e.g. nginx's X-Accel-Redirect), with its metadata.
   * Blobs are immutable: an overwrite writes a new one.
   */
  async locate(key: string): Promise<{ relativePath: string; info: ObjectInfo } | null> {
    assertValidKey(key);
    const meta = await this.readMeta(key);
    // Archived bytes live outside rootDir (and are never served as media).
    if (!meta || meta.archived) return null;
    return { relativePath: [...key.split('/'), meta.blob].join('/'), info: this.toInfo(key, meta) };
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.locks.run(`object:${key}`, async () => {
      const dir = this.objectDir(key);
      const meta = await this.readMeta(key);
      if (!meta) return;
      // Removing the metadata is the commit point of a delete.
      await rm(join(dir, META_FILE), { force: true });
      await this.removeDotFiles(dir);
      await this.pruneEmptyDirs(dir);
      if (meta.archived) {
        const archived = this.blobPath(key, meta);
        await rm(archived, { force: true });
        await this.pruneEmptyDirs(dirname(archived), this.archiveDir);
      }
    });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    let deleted = 0;
    for (const object of objects) {
      if (await this.head(object.key)) {
        await this.delete(object.key);
        deleted++;
      }
    }
    return deleted;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const out: ObjectInfo[] = [];
    await this.walk(slash >= 0 ? prefix.slice(0, slash) : '', prefix, out);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * With the delimiter, one folder is read and only the page's own entries
   * have their metadata read, so paging through a large flat folder
   * (`originals/`, `media/`) stays cheap. Without it, the prefix is walked.
   */
  async listPage(prefix: string, opts: ListPageOptions = {}): Promise<KeyPage> {
    assertValidPrefix(prefix);
    const limit = Math.min(MAX_LIST_PAGE, Math.max(1, Math.floor(opts.limit ?? MAX_LIST_PAGE)));
    const cursor = opts.cursor;
    const keys: KeyPage['keys'] = [];
    const folders: string[] = [];
    if (opts.delimiter !== '/') {
      const all = (await this.list(prefix)).filter((info) => cursor === undefined || info.key > cursor);
      for (const info of all.slice(0, limit)) {
        keys.push({ key: info.key, size: info.size, lastModified: info.lastModified, storageClass: info.storageClass });
      }
      return { keys, folders, next: all.length > limit ? all[limit - 1]!.key : null };
    }
    // Each child folder may be an object (`<key>`), a folder of objects (`<key>/`), or both:
    // both names are candidates, in order; the metadata decides, for as many as the page takes.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    let children: Dirent[];
    try {
      children = await readdir(dirKey ? this.objectDir(dirKey) : this.rootDir, { withFileTypes: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      children = [];
    }
    const candidates: Array<{ name: string; key: string; folder: boolean }> = [];
    for (const child of children) {
      if (!child.isDirectory() || child.name.startsWith('.')) continue;
      const key = dirKey ? `${dirKey}/${child.name}` : child.name;
      if (!key.startsWith(prefix)) continue;
      for (const folder of [false, true]) {
        const name = folder ? `${key}/` : key;
        if (cursor === undefined || name > cursor) candidates.push({ name, key, folder });
      }
    }
    candidates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let last: string | null = null;
    for (const candidate of candidates) {
      if (keys.length + folders.length === limit) return { keys, folders, next: last };
      if (candidate.folder) {
        if (!(await this.hasSubfolder(candidate.key))) continue;
        folders.push(candidate.name);
      } else {
        const meta = await this.readMeta(candidate.key);
        if (!meta) continue;
        keys.push({
          key: candidate.key,
          size: meta.size,
          lastModified: new Date(meta.lastModified),
          storageClass: meta.storageClass,
        });
      }
      last = candidate.name;
    }
    return { keys, folders, next: null };
  }

  /** Writes and removes a small file next to the objects: fails with storage_full while the disk is full. */
  async checkWritable(): Promise<void> {
    await writing(async () => {
      await this.ensureReady();
      const probe = join(this.rootDir, TEMP_DIR, ownedName('probe'));
      try {
        await writeFile(probe, Buffer.alloc(PROBE_BYTES));
      } finally {
        await rm(probe, { force: true });
      }
    });
  }

  /**
   * Removes what crashed processes left in `.tmp/`: partial uploads and
   * upload locks whose owner is dead (see lib/scratch.ts). Safe while other
   * processes share the folder. Returns how many entries it removed.
   */
  async removeLeftovers(): Promise<number> {
    await this.ensureReady();
    const removed = await removeAbandoned(join(this.rootDir, TEMP_DIR), this.staleTempMs, {
      tagOf: (name) => name.startsWith(LOCK_PREFIX),
    });
    return removed.length;
  }

  onObjectCreated(listener: (info: ObjectInfo) => unknown): () => void {
    const wrapped = (info: ObjectInfo): void => {
      try {
        const result = listener(info);
        if (result instanceof Promise) {
          result.catch((err: unknown) => this.logger.error({ err, key: info.key }, 'object-created listener failed'));
        }
      } catch (err) {
        this.logger.error({ err, key: info.key }, 'object-created listener failed');
      }
    };
    this.events.on('object-created', wrapped);
    return () => {
      this.events.off('object-created', wrapped);
    };
  }

  // -------------------------------------------------------------- presigning

  async presignPut(key: string, opts: PresignPutOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    validatePutOptions({ contentType: opts.contentType });
    if (!Number.isSafeInteger(opts.size) || opts.size < 0 || opts.size > MAX_SINGLE_PUT_BYTES) {
      throw new AppError('validation_failed', 'size must be an integer between 0 and 5 GiB.');
    }
    return this.presign(key, { size: opts.size, contentType: opts.contentType, expiresInSec: opts.expiresInSec });
  }

  async createMultipart(key: string, opts: { contentType: string }): Promise<{ uploadId: string }> {
    assertValidKey(key);
    validatePutOptions({ contentType: opts.contentType });
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.uploadDir(uploadId);
    const record: UploadRecord = { key, contentType: opts.contentType, createdAt: new Date(this.now()).toISOString() };
    await writing(async () => {
      await mkdir(dir, { recursive: true });
      await this.writeJsonAtomic(join(dir, 'upload.json'), record);
    });
    return { uploadId };
  }

  async presignPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; expiresInSec: number },
  ): Promise<PresignedRequest> {
    assertValidKey(key);
    assertPartNumber(partNumber);
    if (!Number.isSafeInteger(opts.size) || opts.size < 1 || opts.size > MAX_SINGLE_PUT_BYTES) {
      throw new AppError('validation_failed', 'Part size must be an integer between 1 byte and 5 GiB.');
    }
    await this.loadUpload(key, uploadId);
    return this.presign(key, {
      size: opts.size,
      contentType: PART_CONTENT_TYPE,
      expiresInSec: opts.expiresInSec,
      uploadId,
      partNumber,
    });
  }

  /**
   * Accepts the body of a presigned PUT (object or multipart part) that the
   * API's storage route received. Checks, in order: signature (any tampered
   * field → signature_invalid), expiry (signature_expired), Content-Type
   * (content_type_mismatch), Content-Length (size_mismatch), then streams the
   * body to a temporary file and fails with size_mismatch as soon as more
   * bytes than signed arrive, or at the end if fewer did. Nothing is visible
   * unless every check passed. The body is left unread when an early check
   * fails; the HTTP layer decides whether to drain it or drop the connection.
   *
   * Then: `opts.admit` (does the target still take bytes?), free space for the
   * signed size (storage_full), one writer per target (upload_in_progress),
   * the minimum body rate while streaming (upload_timeout), and `admit` once
   * more before the bytes become visible.
   */
  async receiveSignedPut(
    key: string,
    query: Readonly<Record<string, string | undefined>>,
    headers: { 'content-type'?: string; 'content-length'?: string },
    body: Readable,
    opts: ReceiveOptions = {},
  ): Promise<ObjectInfo | UploadedPart> {
    const expires = query.expires !== undefined && DIGITS.test(query.expires) ? Number(query.expires) : NaN;
    assertValidSignature(this.signingSecret, signedFields(key, expires, query), query.sig, this.now());
    // A genuine signature implies the values below are ours; validate anyway.
    assertValidKey(key);
    const signedType = query.ct ?? '';
    const size = query.size !== undefined && DIGITS.test(query.size) ? Number(query.size) : NaN;
    if (!Number.isSafeInteger(size)) throw new AppError('signature_invalid', 'The URL signature is invalid.');

    if ((headers['content-type'] ?? '').trim() !== signedType) {
      throw new AppError('content_type_mismatch', `Content-Type must be ${signedType}.`, { expected: signedType });
    }
    const declared = headers['content-length']?.trim();
    if (declared === undefined || !DIGITS.test(declared) || Number(declared) !== size) {
      throw new AppError('size_mismatch', `Content-Length must be exactly ${size}.`, { expected: size });
    }

    // The body may break off while the checks below wait: the pipeline then finds it destroyed (size_mismatch).
    body.on('error', ignore);
    const isPart = query.uploadId !== undefined || query.partNumber !== undefined;
    const target: SignedPutTarget = isPart ? { key, uploadId: query.uploadId ?? '', partNumber: Number(query.partNumber) } : { key };
    if (isPart) {
      assertPartNumber(target.partNumber!);
      await this.loadUpload(key, target.uploadId!);
    }
    await opts.admit?.(target);
    return writing(async () => {
      await this.assertSpaceFor(size);
      const lock = await this.lockTarget(target);
      try {
        const staged = await this.stage(body, size, lock.touch);
        try {
          // Deleted, completed or aborted while the body streamed?
          await opts.admit?.(target);
        } catch (err) {
          await rm(staged.path, { force: true });
          throw err;
        }
        if (isPart) return await this.commitPart(key, target.uploadId!, target.partNumber!, staged);
        return await this.commitStaged(key, staged, quote(staged.md5.toString('hex')), { contentType: signedType });
      } finally {
        await lock.release();
      }
    });
  }

  // --------------------------------------------------------------- multipart

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertValidKey(key);
    await this.loadUpload(key, uploadId);
    const parts = await this.readParts(uploadId);
    return parts.map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
  }

  async completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<ObjectInfo> {
    assertValidKey(key);
    return writing(() => this.completeMultipartLocked(key, uploadId, parts));
  }

  private async completeMultipartLocked(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<{ partNumber: number; etag: string }>,
  ): Promise<ObjectInfo> {
    return this.locks.run(`upload:${uploadId}`, async () => {
      const upload = await this.loadUpload(key, uploadId);
      if (parts.length === 0) throw new AppError('upload_incomplete', 'At least one part is required.');
      const stored = new Map((await this.readParts(uploadId)).map((p) => [p.partNumber, p]));
      const chosen: PartRecord[] = [];
      let previous = 0;
      for (const [index, requested] of parts.entries()) {
        if (!Number.isInteger(requested.partNumber) || requested.partNumber <= previous) {
          throw new AppError('validation_failed', 'Parts must be listed in ascending order of partNumber.');
        }
        previous = requested.partNumber;
        const part = stored.get(requested.partNumber);
        if (!part) {
          throw new AppError('upload_incomplete', `Part ${requested.partNumber} was not uploaded.`, {
            partNumber: requested.partNumber,
          });
        }
        if (unquote(requested.etag) !== unquote(part.etag)) {
          throw new AppError('validation_failed', `Part ${requested.partNumber} has a different etag.`, {
            partNumber: requested.partNumber,
          });
        }
        if (index < parts.length - 1 && part.size < this.minPartSize) {
          throw new AppError('validation_failed', `Part ${part.partNumber} is smaller than ${this.minPartSize} bytes.`, {
            partNumber: part.partNumber,
          });
        }
        chosen.push(part);
      }

      const staged = await this.concatenate(uploadId, chosen);
      // S3-style multipart etag: md5 of the parts' md5s, then the part count.
      const md5s = Buffer.concat(chosen.map((p) => Buffer.from(p.md5, 'hex')));
      const etag = quote(`${createHash('md5').update(md5s).digest('hex')}-${chosen.length}`);
      const info = await this.commitStaged(key, staged, etag, { contentType: upload.contentType });
      await rm(this.uploadDir(uploadId), { recursive: true, force: true });
      return info;
    });
  }

  /** Idempotent: aborting an unknown or already aborted upload is a no-op. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    if (!UPLOAD_ID.test(uploadId)) return;
    await this.locks.run(`upload:${uploadId}`, async () => {
      const upload = await this.readUpload(uploadId);
      if (upload?.key !== key) return;
      await rm(this.uploadDir(uploadId), { recursive: true, force: true });
    });
  }

  // ---------------------------------------------------------------- internals

  private presign(
    key: string,
    p: { size: number; contentType: string; expiresInSec: number; uploadId?: string; partNumber?: number },
  ): PresignedRequest {
    const expires = expiryFromNow(p.expiresInSec, this.now());
    const query: Record<string, string> = { expires: String(expires), size: String(p.size), ct: p.contentType };
    if (p.uploadId !== undefined) query.uploadId = p.uploadId;
    if (p.partNumber !== undefined) query.partNumber = String(p.partNumber);
    const sig = sign(this.signingSecret, signedFields(key, expires, query));
    const search = new URLSearchParams({ ...query, sig }).toString();
    const path = key.split('/').map(encodeURIComponent).join('/');
    return {
      method: 'PUT',
      url: `${this.publicBaseUrl}${STORAGE_ROUTE_PREFIX}${path}?${search}`,
      headers: { 'content-type': p.contentType },
      expiresAt: new Date(expires * 1000),
    };
  }

  private objectDir(key: string): string {
    return join(this.rootDir, ...key.split('/'));
  }

  private uploadDir(uploadId: string): string {
    return join(this.rootDir, MULTIPART_DIR, uploadId);
  }

  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.rootDir, TEMP_DIR), { recursive: true });
      await mkdir(join(this.rootDir, MULTIPART_DIR), { recursive: true });
    })().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  /** Refuses an upload the disk has no room for before reading a byte of it. */
  private async assertSpaceFor(bytes: number): Promise<void> {
    const fs = await statfs(this.rootDir).catch(() => null);
    if (fs && fs.bavail * fs.bsize < bytes) throw storageFull({ needed: bytes, available: fs.bavail * fs.bsize });
  }

  /**
   * The one writer of a signed PUT's target: a lock file created exclusively
   * (so it holds across processes), holding the owner's tag and kept fresh
   * while the body streams. One left by a dead process is taken over.
   */
  private async lockTarget(target: SignedPutTarget): Promise<{ touch: () => void; release: () => Promise<void> }> {
    await this.ensureReady();
    const slot = createHash('sha256')
      .update(`${target.key}\n${target.uploadId ?? ''}\n${target.partNumber ?? ''}`)
      .digest('hex')
      .slice(0, 40);
    const path = join(this.rootDir, TEMP_DIR, `${LOCK_PREFIX}${slot}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(path, ownedName('lock'), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [st, owner] = await Promise.all([stat(path).catch(() => null), readFile(path, 'utf8').catch(() => null)]);
      if (attempt < 3 && (!st || owner === null)) continue; // released meanwhile
      if (attempt < 3 && isAbandoned(owner ?? '', st!.mtimeMs, this.staleTempMs)) {
        await rm(path, { force: true });
        continue;
      }
      throw new AppError(
        'upload_in_progress',
        'Another upload to this URL is still in progress; retry when it has finished or timed out.',
        {
          retryAfter: Math.ceil(this.bodyTimeoutMs / 1000),
        },
      );
    }
    return {
      touch: () => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      },
      release: () => rm(path, { force: true }),
    };
  }

  /** Streams `source` to a private temp file, counting and hashing; `onSpan` makes it a request body under the rate watchdog. */
  private async stage(source: Readable, exactSize?: number, onSpan?: () => void): Promise<StagedFile> {
    await this.ensureReady();
    const path = join(this.rootDir, TEMP_DIR, ownedName(randomUUID()));
    const counter = new CountingHasher(exactSize);
    const out = createWriteStream(path, { flags: 'wx' });
    try {
      if (onSpan) {
        // A request body: piped by hand, so that a refusal (too slow, too long) leaves the request
        // alone and the HTTP layer can still answer before it closes the connection.
        const watchdog = new BodyWatchdog(this.bodyTimeoutMs, this.minBytesPerSec, exactSize ?? Infinity, onSpan);
        const stopWatching = finished(source, (err) => {
          if (err) watchdog.destroy(err);
        });
        source.pipe(watchdog);
        try {
          await pipeline(watchdog, counter, out);
        } finally {
          stopWatching();
          source.unpipe(watchdog);
          source.pause();
        }
      } else {
        await pipeline(source, counter, out);
      }
    } catch (err) {
      // A body that breaks off early can fail the pipeline before the file is even open:
      // wait until the write stream has closed (and so created the file, if it will), then remove it.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(path, { force: true });
      if (exactSize !== undefined && !(err instanceof AppError) && isPrematureClose(err)) {
        throw new AppError('size_mismatch', `The upload ended after ${counter.bytes} of ${exactSize} signed bytes.`);
      }
      throw err;
    }
    return { path, size: counter.bytes, md5: counter.digest() };
  }

  /** Makes a staged file the current version of `key`, atomically. */
  private async commitStaged(key: string, staged: StagedFile, etag: string, opts: PutOptions): Promise<ObjectInfo> {
    try {
      const info = await this.locks.run(`object:${key}`, async () => {
        const dir = this.objectDir(key);
        const previous = await this.readMeta(key);
        const blob = `${BLOB_PREFIX}${randomUUID()}`;
        const archived = opts.storageClass === 'ARCHIVE';
        const blobDir = archived ? join(this.archiveDir, ...key.split('/')) : dir;
        for (let attempt = 0; ; attempt++) {
          try {
            await mkdir(dir, { recursive: true });
            if (archived) await mkdir(blobDir, { recursive: true });
            // Fails with ENOENT if a concurrent delete pruned the empty directory.
            await moveFile(staged.path, join(blobDir, blob), false);
            break;
          } catch (err) {
            if (!isNotFound(err) || attempt >= 5) throw err;
          }
        }
        const meta: StoredMeta = {
          ...(archived ? { archived: true } : {}),
          blob,
          size: staged.size,
          etag,
          contentType: opts.contentType,
          ...(opts.cacheControl !== undefined ? { cacheControl: opts.cacheControl } : {}),
          storageClass: opts.storageClass ?? 'STANDARD',
          lastModified: new Date(this.now()).toISOString(),
        };
        try {
          await this.writeJsonAtomic(join(dir, META_FILE), meta);
        } catch (err) {
          await rm(join(blobDir, blob), { force: true });
          throw err;
        }
        if (previous && previous.blob !== blob) await rm(this.blobPath(key, previous), { force: true });
        return this.toInfo(key, meta);
      });
      this.events.emit('object-created', info);
      return info;
    } finally {
      await rm(staged.path, { force: true });
    }
  }

  private async commitPart(key: string, uploadId: string, partNumber: number, staged: StagedFile): Promise<UploadedPart> {
    try {
      return await this.locks.run(`upload:${uploadId}`, async () => {
        await this.loadUpload(key, uploadId); // aborted while the body streamed?
        const dir = this.uploadDir(uploadId);
        const recordPath = join(dir, partRecordName(partNumber));
        const previous = await readJson<PartRecord>(recordPath);
        const file = `p${partNumber}-${randomUUID()}`;
        await rename(staged.path, join(dir, file));
        const md5 = staged.md5.toString('hex');
        const record: PartRecord = { partNumber, size: staged.size, etag: quote(md5), md5, file };
        await this.writeJsonAtomic(recordPath, record);
        if (previous && previous.file !== file) await rm(join(dir, previous.file), { force: true });
        return { partNumber, size: record.size, etag: record.etag };
      });
    } finally {
      await rm(staged.path, { force: true });
    }
  }

  private async concatenate(uploadId: string, parts: PartRecord[]): Promise<StagedFile> {
    await this.ensureReady();
    const path = join(this.rootDir, TEMP_DIR, ownedName(randomUUID()));
    const out = createWriteStream(path, { flags: 'wx' });
    let size = 0;
    try {
      for (const part of parts) {
        await pipeline(createReadStream(join(this.uploadDir(uploadId), part.file)), out, { end: false });
        size += part.size;
      }
      await new Promise<void>((resolveEnd, reject) => {
        out.once('error', reject);
        out.end(() => resolveEnd());
      });
    } catch (err) {
      out.destroy();
      await rm(path, { force: true });
      throw err;
    }
    return { path, size, md5: Buffer.alloc(0) };
  }

  /** Reads metadata then opens the blob it names, retrying if a concurrent overwrite removed it. */
  private async openObject(key: string): Promise<{ meta: StoredMeta; handle: FileHandle }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const meta = await this.readMeta(key);
      if (!meta) break;
      if (meta.archived && !this.restoredCopyReadable(meta)) {
        throw new AppError('object_archived', 'The object is archived; restore it before reading it.', { key });
      }
      try {
        return { meta, handle: await open(this.blobPath(key, meta), 'r') };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    throw new AppError('object_not_found', 'Object not found.', { key });
  }

  private readMeta(key: string): Promise<StoredMeta | null> {
    return readJson<StoredMeta>(join(this.objectDir(key), META_FILE));
  }

  private async readUpload(uploadId: string): Promise<UploadRecord | null> {
    if (!UPLOAD_ID.test(uploadId)) return null;
    return readJson<UploadRecord>(join(this.uploadDir(uploadId), 'upload.json'));
  }

  private async loadUpload(key: string, uploadId: string): Promise<UploadRecord> {
    const upload = await this.readUpload(uploadId);
    if (upload?.key !== key) {
      throw new AppError('upload_not_found', 'Multipart upload not found.', { uploadId });
    }
    return upload;
  }

  private async readParts(uploadId: string): Promise<PartRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.uploadDir(uploadId));
    } catch (err) {
      if (isNotFound(err)) throw new AppError('upload_not_found', 'Multipart upload not found.', { uploadId });
      throw err;
    }
    const parts: PartRecord[] = [];
    for (const name of names) {
      if (!/^part-\d{5}\.json$/.test(name)) continue;
      const record = await readJson<PartRecord>(join(this.uploadDir(uploadId), name));
      if (record) parts.push(record);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  private async walk(dirKey: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dirKey ? this.objectDir(dirKey) : this.rootDir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name === META_FILE && dirKey !== '' && dirKey.startsWith(prefix)) {
        const meta = await this.readMeta(dirKey);
        if (meta) out.push(this.toInfo(dirKey, meta));
      } else if (entry.isDirectory() && !entry.name.startsWith('.')) {
        const child = dirKey ? `${dirKey}/${entry.name}` : entry.name;
        if (child.startsWith(prefix) || prefix.startsWith(`${child}/`)) await this.walk(child, prefix, out);
      }
    }
  }

  private async hasSubfolder(key: string): Promise<boolean> {
    try {
      const entries = await readdir(this.objectDir(key), { withFileTypes: true });
      return entries.some((e) => e.isDirectory() && !e.name.startsWith('.'));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async removeDotFiles(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await Promise.all(names.filter((n) => n.startsWith('.')).map((n) => rm(join(dir, n), { force: true })));
  }

  /** Where an object's bytes are: beside its metadata, or in the archive folder. */
  private blobPath(key: string, meta: StoredMeta): string {
    return meta.archived ? join(this.archiveDir, ...key.split('/'), meta.blob) : join(this.objectDir(key), meta.blob);
  }

  /** An archived object's restore, as S3's x-amz-restore says it; null: none, or its copy expired. */
  private restoreOf(meta: StoredMeta): { ongoing: boolean; expiresAt: Date | null } | null {
    if (!meta.archived || !meta.restore) return null;
    const readyAt = new Date(meta.restore.requestedAt).getTime() + this.restoreDelayMs;
    const now = this.now();
    if (now < readyAt) return { ongoing: true, expiresAt: null };
    const expiresAt = readyAt + meta.restore.days * 86_400_000;
    return now < expiresAt ? { ongoing: false, expiresAt: new Date(expiresAt) } : null;
  }

  private restoredCopyReadable(meta: StoredMeta): boolean {
    const state = this.restoreOf(meta);
    return state !== null && !state.ongoing;
  }

  private toInfo(key: string, meta: StoredMeta): ObjectInfo {
    const info = toInfo(key, meta);
    const restore = this.restoreOf(meta);
    if (restore) info.restore = restore;
    return info;
  }

  /** Removes now-empty directories from `dir` up to (not including) `root` (rootDir by default). */
  private async pruneEmptyDirs(dir: string, root: string = this.rootDir): Promise<void> {
    let current = dir;
    while (current.startsWith(root + '/') || current.startsWith(root + '\\')) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (another object lives here) or already gone
      }
      current = dirname(current);
    }
  }

  private async writeJsonAtomic(path: string, value: unknown): Promise<void> {
    const tmp = join(dirname(path), `.tmp-${randomUUID()}`);
    try {
      await writeFile(tmp, JSON.stringify(value), { flag: 'wx' });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}

const ignore = (): void => undefined;

/** Renames, or copies then removes across disks (the archive folder may be on another); `keepSource`: copy only. */
async function moveFile(from: string, to: string, keepSource: boolean): Promise<void> {
  if (keepSource) {
    await copyFile(from, to);
    return;
  }
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}

/** Runs a write; a full disk becomes storage_full. */
async function writing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isOutOfSpace(err) ? storageFull() : err;
  }
}

function signedFields(key: string, expires: number, query: Readonly<Record<string, string | undefined>>): SignedRequestFields {
  return {
    method: 'PUT',
    path: key,
    expires,
    params: { size: query.size, ct: query.ct, uploadId: query.uploadId, partNumber: query.partNumber },
  };
}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new AppError('validation_failed', `partNumber must be an integer from 1 to ${MAX_PART_NUMBER}.`);
  }
}

function partRecordName(partNumber: number): string {
  return `part-${String(partNumber).padStart(5, '0')}.json`;
}

function quote(value: string): string {
  return `"${value}"`;
}

function toInfo(key: string, meta: StoredMeta): ObjectInfo {
  return {
    key,
    size: meta.size,
    etag: meta.etag,
    contentType: meta.contentType,
    ...(meta.cacheControl !== undefined ? { cacheControl: meta.cacheControl } : {}),
    lastModified: new Date(meta.lastModified),
    storageClass: meta.storageClass,
  };
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
