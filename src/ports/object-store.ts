import type { Readable } from 'node:stream';

export type StorageClass = 'STANDARD' | 'ARCHIVE';

/** How fast (and how dearly) an archived object is brought back: S3's RestoreObject tiers. */
export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';
export const RESTORE_TIERS: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];

/**
 * The restore state of an ARCHIVE object that needs one before it can be read
 * (S3's `x-amz-restore` header): absent when none was asked for (or the last
 * restored copy expired), `ongoing` while the store retrieves it, then a
 * readable copy until `expiresAt`.
 */
export interface ObjectRestore {
  ongoing: boolean;
  expiresAt: Date | null;
}

/** What restoreObject found: no restore needed (readable now: STANDARD, or an instant-read archive class), one in flight, or a readable copy. */
export type RestoreState = 'not_needed' | 'ongoing' | 'restored';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Strong validator, quoted as in HTTP (`"abc"`). */
  etag: string;
  contentType: string;
  cacheControl?: string;
  lastModified: Date;
  storageClass: StorageClass;
  /** ARCHIVE objects that must be restored before a read: where that stands (see ObjectRestore). */
  restore?: ObjectRestore;
}

export interface PutOptions {
  contentType: string;
  cacheControl?: string;
  storageClass?: StorageClass;
}

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a client needs to send bytes straight to storage. */
export interface PresignedRequest {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PresignPutOptions {
  contentType: string;
  /** Exact number of bytes the client must send. */
  size: number;
  expiresInSec: number;
}

/** A key as a listing names it: no per-object metadata read (cheap on S3: part of one LIST page). */
export interface ListedKey {
  key: string;
  size: number;
  lastModified: Date;
  /** S3's ListObjectsV2 reports it per key; the filesystem store knows it from where the bytes live. */
  storageClass: StorageClass;
}

export interface ListPageOptions {
  /**
   * With '/', keys that have another '/' after the prefix are rolled up into
   * `folders` (each once, ending in '/'), as S3's CommonPrefixes.
   */
  delimiter?: '/';
  /** `next` of the previous page. */
  cursor?: string;
  /** At most this many keys and folders together (default and maximum 1000). */
  limit?: number;
}

export interface KeyPage {
  keys: ListedKey[];
  folders: string[];
  /** Pass as `cursor` for the following page; null after the last one. */
  next: string | null;
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  put(key: string, body: Buffer | string | Readable, opts: PutOptions): Promise<ObjectInfo>;
  putFile(key: string, path: string, opts: PutOptions): Promise<ObjectInfo>;
  /**
   * Throws AppError('object_not_found') when absent, and AppError('object_archived')
   * for an ARCHIVE object that must be restored first and has no readable copy (S3: 403 InvalidObjectState).
   */
  get(key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }>;
  getToFile(key: string, path: string): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  /**
   * Moves an existing object to another storage class in place (S3: CopyObject onto
   * itself; filesystem: the bytes move to or from the archive folder). Idempotent.
   * Throws AppError('object_not_found') when absent.
   */
  setStorageClass(key: string, storageClass: StorageClass): Promise<ObjectInfo>;
  /**
   * Asks for a readable copy of an ARCHIVE object for `days` (S3 RestoreObject).
   * Idempotent: while one is ongoing, or a copy is readable, nothing new starts.
   * Throws AppError('object_not_found') when absent.
   */
  restoreObject(key: string, opts: { days: number; tier: RestoreTier }): Promise<RestoreState>;
  /** Deletes every object under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): Promise<ObjectInfo[]>;
  /** One page of the keys under `prefix` in key order, without metadata reads: for sweeps over a whole prefix. */
  listPage(prefix: string, opts?: ListPageOptions): Promise<KeyPage>;
  /**
   * Resolves when the store can take writes now; throws AppError('storage_full')
   * (or the backend's error) when it cannot. For readiness probes: cheap.
   */
  checkWritable(): Promise<void>;

  presignPut(key: string, opts: PresignPutOptions): Promise<PresignedRequest>;
  createMultipart(key: string, opts: { contentType: string }): Promise<{ uploadId: string }>;
  presignPart(key: string, uploadId: string, partNumber: number, opts: { size: number; expiresInSec: number }): Promise<PresignedRequest>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<ObjectInfo>;
  abortMultipart(key: string, uploadId: string): Promise<void>;

  /**
   * Object-created notifications, where the backend can emit them in-process
   * (the filesystem store does; S3 delivers them through a queue instead).
   * A listener may be async: its rejection is logged like a throw. Returns an
   * unsubscribe function.
   */
  onObjectCreated(listener: (info: ObjectInfo) => unknown): () => void;
}
