import type { Readable } from 'node:stream';

export type StorageClass = 'STANDARD' | 'ARCHIVE';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Strong validator, quoted as in HTTP (`"abc"`). */
  etag: string;
  contentType: string;
  cacheControl?: string;
  lastModified: Date;
  storageClass: StorageClass;
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
  /** Throws AppError('object_not_found') when absent. */
  get(key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }>;
  getToFile(key: string, path: string): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
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
