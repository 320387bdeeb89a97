import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
  type StorageClass as S3StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError, storageFull } from '../../errors.js';
import type {
  ByteRange,
  KeyPage,
  ListPageOptions,
  ObjectInfo,
  ObjectStore,
  PresignedRequest,
  PresignPutOptions,
  ObjectRestore,
  PutOptions,
  RestoreState,
  RestoreTier,
  StorageClass,
  UploadedPart,
} from '../../ports/object-store.js';
import { assertValidKey } from './fs-object-store.js';

export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  /** For S3-compatible stores (MinIO, R2, …): their API origin, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Explicit credentials; without them the AWS SDK's default chain (env, profile, instance role…) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Origin that clients reach the store through, when it differs from
   * `endpoint` (a private endpoint for the servers, a public hostname for
   * browsers). Presigned URLs are signed for this host.
   */
  publicEndpoint?: string;
  /** S3 storage class used for ARCHIVE. Default GLACIER_IR (instant retrieval: archived videos stay readable). */
  archiveStorageClass?: S3StorageClass;
  /** putFile uses a multipart upload above this size. Default 64 MiB. */
  multipartThreshold?: number;
  /** Part size of those uploads (and of put() from a stream). Default 16 MiB, at least 5 MiB. */
  partSize?: number;
  /** Keys per ListObjectsV2 page and per DeleteObjects batch (at most 1000, the S3 limit). Default 1000. */
  pageSize?: number;
  /** Parallel HEAD requests in list(). Default 8. */
  listConcurrency?: number;
  /**
   * Extra S3Client settings. By default request checksums are sent only
   * where S3 requires them ('WHEN_REQUIRED'): the SDK's newer default adds
   * CRC32 trailers and checksum query parameters that many S3-compatible
   * stores reject, and that would break presigned URLs.
   */
  clientConfig?: Partial<S3ClientConfig>;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const PREFIX_CHARS = /^[A-Za-z0-9._=+,@/-]*$/;
const HEADER_VALUE = /^[\x20-\x7e]{1,255}$/;
/** S3 classes reported as ARCHIVE (besides the configured one). */
const ARCHIVE_CLASSES = new Set(['GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE']);
/** Archive classes read like STANDARD ones (milliseconds, a retrieval fee per GB): RestoreObject does not apply. */
const INSTANT_ARCHIVE_CLASSES = new Set(['GLACIER_IR']);
/** CopyObject copies at most 5 GiB in one request. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

/**
 * S3's `x-amz-restore` header: `ongoing-request="true"`, or
 * `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
 */
export function parseRestoreHeader(value: string | undefined): ObjectRestore | undefined {
  if (!value) return undefined;
  const ongoing = /ongoing-request\s*=\s*"(true|false)"/i.exec(value);
  if (!ongoing) return undefined;
  const expiry = /expiry-date\s*=\s*"([^"]+)"/i.exec(value);
  const expiresAt = expiry ? new Date(expiry[1]!) : null;
  return { ongoing: ongoing[1]!.toLowerCase() === 'true', expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : null };
}

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function s3ErrorName(err: unknown): string {
  const e = err as S3ErrorShape | null;
  return e?.name ?? e?.Code ?? '';
}

function httpStatus(err: unknown): number | undefined {
  return (err as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = s3ErrorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(err) === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload');
}

function isNoSuchUpload(err: unknown): boolean {
  return s3ErrorName(err) === 'NoSuchUpload';
}

/** S3 itself is never full; an S3-compatible store on disks may be (MinIO: XMinioStorageFull, 507). */
function isStorageFull(err: unknown): boolean {
  const name = s3ErrorName(err);
  return name === 'XMinioStorageFull' || name === 'StorageFull' || httpStatus(err) === 507;
}

/** Runs a write; a full backend becomes storage_full. */
async function writing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isStorageFull(err) ? storageFull() : err;
  }
}

/** S3 quotes ETags; some compatible stores don't. The port promises the quoted form. */
function quoted(etag: string | undefined): string {
  if (!etag) return '""';
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

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

function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX_CHARS.test(prefix) || Buffer.byteLength(prefix) > 1024) {
    throw new AppError('validation_failed', 'Invalid key prefix.', { prefix });
  }
}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw new AppError('validation_failed', `partNumber must be an integer from 1 to ${MAX_PARTS}.`);
  }
}

function assertExpiry(expiresInSec: number): void {
  if (!Number.isInteger(expiresInSec) || expiresInSec < 1 || expiresInSec > MAX_PRESIGN_SECONDS) {
    throw new AppError('validation_failed', `expiresInSec must be an integer from 1 to ${MAX_PRESIGN_SECONDS}.`);
  }
}

function restoreField(header: string | undefined): { restore?: ObjectRestore } {
  const restore = parseRestoreHeader(header);
  return restore ? { restore } : {};
}

/** Counts the bytes flowing through, so a streamed put can report its size. */
class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Total size from `Content-Range: bytes 2-5/10`. */
function totalFromContentRange(contentRange: string | undefined): number | undefined {
  const match = contentRange ? /\/(\d+)\s*$/.exec(contentRange) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * ObjectStore on Amazon S3 or an S3-compatible store (the distributed
 * profile), through the AWS SDK v3.
 *
 * - Presigned PUTs sign Content-Type and Content-Length, so S3 itself refuses
 *   an upload of another type or size; multipart parts sign their length.
 * - ARCHIVE maps to `archiveStorageClass` (GLACIER_IR by default).
 * - list() HEADs every listed object (ListObjectsV2 carries no content type),
 *   so it is for small prefixes; deletePrefix() only lists keys, deleting them
 *   in DeleteObjects batches of up to 1000, and refuses an empty prefix
 *   (a shared bucket is never wiped by accident).
 * - onObjectCreated never fires: S3 delivers such events through a queue,
 *   and the reconciler covers what the API does not see.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;

  readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;
  private readonly archiveStorageClass: S3StorageClass;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly pageSize: number;
  private readonly listConcurrency: number;

  constructor(opts: S3ObjectStoreOptions) {
    if (!opts.bucket) throw new Error('S3ObjectStore needs a bucket');
    if (!opts.region) throw new Error('S3ObjectStore needs a region');
    this.bucket = opts.bucket;
    this.archiveStorageClass = opts.archiveStorageClass ?? 'GLACIER_IR';
    this.multipartThreshold = opts.multipartThreshold ?? 64 * MiB;
    this.partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? 16 * MiB);
    this.pageSize = Math.min(1000, Math.max(1, opts.pageSize ?? 1000));
    this.listConcurrency = Math.max(1, opts.listConcurrency ?? 8);

    const base: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle ?? false,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...opts.clientConfig,
    };
    this.client = new S3Client({ ...base, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
    const publicEndpoint = opts.publicEndpoint ?? opts.endpoint;
    this.presignClient =
      publicEndpoint === opts.endpoint ? this.client : new S3Client({ ...base, ...(publicEndpoint ? { endpoint: publicEndpoint } : {}) });
  }

  // ---------------------------------------------------------------- objects

  async put(key: string, body: Buffer | string | Readable, opts: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    validatePutOptions(opts);
    return writing(async () => {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const bytes = Buffer.from(body);
        const out = await this.client.send(
          new PutObjectCommand({ ...this.putParams(key, opts), Body: bytes, ContentLength: bytes.length }),
        );
        return this.info(key, bytes.length, out.ETag, opts);
      }
      return this.upload(key, body, opts);
    });
  }

  async putFile(key: string, path: string, opts: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    validatePutOptions(opts);
    const { size } = await stat(path);
    return writing(async () => {
      if (size > this.multipartThreshold) return this.upload(key, createReadStream(path), opts, size);
      const out = await this.client.send(
        new PutObjectCommand({ ...this.putParams(key, opts), Body: createReadStream(path), ContentLength: size }),
      );
      return this.info(key, size, out.ETag, opts);
    });
  }

  async get(key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    assertValidKey(key);
    if (range) {
      if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
        throw new AppError('range_not_satisfiable', 'Invalid byte range.');
      }
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      const size = totalFromContentRange(out.ContentRange) ?? out.ContentLength ?? 0;
      const body = out.Body instanceof Readable ? out.Body : Readable.from([]);
      return {
        info: {
          key,
          size,
          etag: quoted(out.ETag),
          contentType: out.ContentType ?? 'application/octet-stream',
          ...(out.CacheControl !== undefined ? { cacheControl: out.CacheControl } : {}),
          lastModified: out.LastModified ?? new Date(),
          storageClass: this.fromS3Class(out.StorageClass),
        },
        body,
      };
    } catch (err) {
      if (s3ErrorName(err) === 'InvalidObjectState') {
        throw new AppError('object_archived', 'The object is archived; restore it before reading it.', { key });
      }
      if (s3ErrorName(err) === 'InvalidRange' || httpStatus(err) === 416) {
        const size = (await this.head(key))?.size;
        throw new AppError('range_not_satisfiable', 'The range starts beyond the end of the object.', { size });
      }
      throw this.mapError(err, key);
    }
  }

  async getToFile(key: string, path: string): Promise<ObjectInfo> {
    const { info, body } = await this.get(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await pipeline(body, createWriteStream(path));
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return info;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: quoted(out.ETag),
        contentType: out.ContentType ?? 'application/octet-stream',
        ...(out.CacheControl !== undefined ? { cacheControl: out.CacheControl } : {}),
        lastModified: out.LastModified ?? new Date(),
        storageClass: this.fromS3Class(out.StorageClass),
        ...restoreField(out.Restore),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async setStorageClass(key: string, storageClass: StorageClass): Promise<ObjectInfo> {
    assertValidKey(key);
    if (storageClass !== 'STANDARD' && storageClass !== 'ARCHIVE') throw new AppError('validation_failed', 'Invalid storageClass.');
    const current = await this.head(key);
    if (!current) throw new AppError('object_not_found', 'Object not found.', { key });
    const target = storageClass === 'ARCHIVE' ? this.archiveStorageClass : 'STANDARD';
    const s3Class = await this.rawStorageClass(key);
    if ((s3Class ?? 'STANDARD') === target) return current;
    if (current.size > MAX_COPY_BYTES) {
      // UploadPartCopy would do it; originals are far smaller (VIDEO_MAX_* bound them). An S3 lifecycle rule is the alternative.
      throw new AppError('validation_failed', 'Objects over 5 GiB change class through an S3 lifecycle rule.', { key });
    }
    try {
      // A copy onto itself with a new class: S3's way to transition one object (a lifecycle rule does the same in bulk).
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          StorageClass: target,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (err) {
      throw this.mapArchived(err, key);
    }
    const info = await this.head(key);
    if (!info) throw new AppError('object_not_found', 'Object not found.', { key });
    return info;
  }

  async restoreObject(key: string, opts: { days: number; tier: RestoreTier }): Promise<RestoreState> {
    assertValidKey(key);
    if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 365) {
      throw new AppError('validation_failed', 'days must be an integer from 1 to 365.');
    }
    const info = await this.head(key);
    if (!info) throw new AppError('object_not_found', 'Object not found.', { key });
    const s3Class = await this.rawStorageClass(key);
    if (info.storageClass !== 'ARCHIVE' || (s3Class !== undefined && INSTANT_ARCHIVE_CLASSES.has(s3Class))) return 'not_needed';
    if (info.restore?.ongoing) return 'ongoing';
    if (info.restore && !info.restore.ongoing) return 'restored';
    try {
      await this.client.send(
        new RestoreObjectCommand({
          Bucket: this.bucket,
          Key: key,
          RestoreRequest: { Days: opts.days, GlacierJobParameters: { Tier: opts.tier } },
        }),
      );
    } catch (err) {
      const name = s3ErrorName(err);
      if (name === 'RestoreAlreadyInProgress') return 'ongoing';
      // Not restorable: an instant-retrieval class (readable as it is).
      if (name === 'InvalidObjectState') return 'not_needed';
      if (isNotFound(err)) throw new AppError('object_not_found', 'Object not found.', { key });
      throw err;
    }
    // 202 Accepted: retrieval started (200 would mean a copy was already there).
    return (await this.head(key))?.restore?.ongoing === false ? 'restored' : 'ongoing';
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // S3 answers 204 for a missing key too.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    if (prefix === '') throw new AppError('validation_failed', 'Refusing to delete every object in the bucket.');
    let deleted = 0;
    for await (const keys of this.listKeyPages(prefix)) {
      if (keys.length === 0) continue;
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const errors = out.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0]!;
        throw new Error(
          `Could not delete ${errors.length} of ${keys.length} objects under ${prefix} (first: ${first.Key}: ${first.Code} ${first.Message ?? ''})`,
        );
      }
      deleted += keys.length;
    }
    return deleted;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    for await (const page of this.listKeyPages(prefix)) keys.push(...page);
    // ListObjectsV2 has no content type or cache control: HEAD each object,
    // a few at a time. One deleted meanwhile is simply left out.
    const infos = new Array<ObjectInfo | null>(keys.length).fill(null);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const index = next++;
        infos[index] = await this.head(keys[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.listConcurrency, keys.length) }, worker));
    return infos.filter((info): info is ObjectInfo => info !== null).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listPage(prefix: string, opts: ListPageOptions = {}): Promise<KeyPage> {
    assertValidPrefix(prefix);
    const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 1000)));
    const out = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        MaxKeys: limit,
        ...(opts.delimiter ? { Delimiter: opts.delimiter } : {}),
        ...(opts.cursor ? { ContinuationToken: opts.cursor } : {}),
      }),
    );
    return {
      keys: (out.Contents ?? []).flatMap((o) =>
        o.Key
          ? [{ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0), storageClass: this.fromS3Class(o.StorageClass) }]
          : [],
      ),
      folders: (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : [])),
      next: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null,
    };
  }

  /**
   * Nothing to check: the bucket's reachability is what readiness asks of S3
   * (head); an S3-compatible store that runs out of disk refuses writes with
   * an error mapped to storage_full.
   */
  async checkWritable(): Promise<void> {}

  /** Never fires: S3 delivers object-created events through a queue (the reconciler covers them). */
  onObjectCreated(_listener: (info: ObjectInfo) => unknown): () => void {
    return () => undefined;
  }

  // -------------------------------------------------------------- presigning

  async presignPut(key: string, opts: PresignPutOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    validatePutOptions({ contentType: opts.contentType });
    assertExpiry(opts.expiresInSec);
    if (!Number.isSafeInteger(opts.size) || opts.size < 0 || opts.size > MAX_SINGLE_PUT_BYTES) {
      throw new AppError('validation_failed', 'size must be an integer between 0 and 5 GiB.');
    }
    const expiresAt = new Date(Date.now() + opts.expiresInSec * 1000);
    const url = await getSignedUrl(
      this.presignClient,
      new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType, ContentLength: opts.size }),
      { expiresIn: opts.expiresInSec, signableHeaders: new Set(['content-type', 'content-length']) },
    );
    // Content-Length is set by every HTTP client from the body; only the type must be sent explicitly.
    return { method: 'PUT', url, headers: { 'content-type': opts.contentType }, expiresAt };
  }

  async createMultipart(key: string, opts: { contentType: string }): Promise<{ uploadId: string }> {
    assertValidKey(key);
    validatePutOptions({ contentType: opts.contentType });
    const out = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType }));
    if (!out.UploadId) throw new Error(`S3 returned no UploadId for ${key}`);
    return { uploadId: out.UploadId };
  }

  async presignPart(
    key: string,
    uploadId: string,
    partNumber: number,
    opts: { size: number; expiresInSec: number },
  ): Promise<PresignedRequest> {
    assertValidKey(key);
    assertPartNumber(partNumber);
    assertExpiry(opts.expiresInSec);
    if (!Number.isSafeInteger(opts.size) || opts.size < 1 || opts.size > MAX_SINGLE_PUT_BYTES) {
      throw new AppError('validation_failed', 'Part size must be an integer between 1 byte and 5 GiB.');
    }
    if (!uploadId) throw new AppError('upload_not_found', 'Multipart upload not found.', { uploadId });
    const expiresAt = new Date(Date.now() + opts.expiresInSec * 1000);
    const url = await getSignedUrl(
      this.presignClient,
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: opts.size }),
      { expiresIn: opts.expiresInSec, signableHeaders: new Set(['content-length']) },
    );
    return { method: 'PUT', url, headers: {}, expiresAt };
  }

  // --------------------------------------------------------------- multipart

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertValidKey(key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const out = await this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker !== undefined ? { PartNumberMarker: marker } : {}),
          }),
        );
        for (const part of out.Parts ?? []) {
          if (part.PartNumber === undefined) continue;
          parts.push({ partNumber: part.PartNumber, size: part.Size ?? 0, etag: quoted(part.ETag) });
        }
        if (!out.IsTruncated || out.NextPartNumberMarker === undefined) break;
        marker = out.NextPartNumberMarker;
      }
    } catch (err) {
      throw this.mapError(err, key, uploadId);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<ObjectInfo> {
    assertValidKey(key);
    if (parts.length === 0) throw new AppError('upload_incomplete', 'At least one part is required.');
    let previous = 0;
    for (const part of parts) {
      if (!Number.isInteger(part.partNumber) || part.partNumber <= previous) {
        throw new AppError('validation_failed', 'Parts must be listed in ascending order of partNumber.');
      }
      previous = part.partNumber;
    }
    try {
      await writing(() =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: quoted(p.etag) })) },
          }),
        ),
      );
    } catch (err) {
      if (err instanceof AppError) throw err;
      const name = s3ErrorName(err);
      if (name === 'InvalidPart') {
        throw new AppError('upload_incomplete', 'A listed part was not uploaded or has a different etag.', { uploadId });
      }
      if (name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
        throw new AppError('validation_failed', (err as Error).message || name, { uploadId });
      }
      throw this.mapError(err, key, uploadId);
    }
    const info = await this.head(key);
    if (!info) throw new AppError('object_not_found', 'The completed object is not visible.', { key });
    return info;
  }

  /** Idempotent: aborting an unknown, completed or already aborted upload is a no-op. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    if (!uploadId) return;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (isNoSuchUpload(err) || httpStatus(err) === 404) return;
      throw err;
    }
  }

  // ---------------------------------------------------------------- internals

  private putParams(key: string, opts: PutOptions) {
    return {
      Bucket: this.bucket,
      Key: key,
      ContentType: opts.contentType,
      ...(opts.cacheControl !== undefined ? { CacheControl: opts.cacheControl } : {}),
      ...(opts.storageClass === 'ARCHIVE' ? { StorageClass: this.archiveStorageClass } : {}),
    };
  }

  /** A managed upload (one PUT when the body is small, multipart otherwise) of a body of unknown or large size. */
  private async upload(key: string, source: Readable, opts: PutOptions, sizeHint?: number): Promise<ObjectInfo> {
    const counter = new ByteCounter();
    const body = source.pipe(counter);
    source.once('error', (err) => counter.destroy(err));
    // S3 allows 10 000 parts: grow the part size for very large files.
    const partSize = sizeHint ? Math.max(this.partSize, Math.ceil(sizeHint / MAX_PARTS)) : this.partSize;
    const upload = new Upload({
      client: this.client,
      params: { ...this.putParams(key, opts), Body: body },
      partSize,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return this.info(key, counter.bytes, out.ETag, opts);
    } catch (err) {
      source.destroy(); // stop reading (and close the file of a putFile)
      throw err;
    }
  }

  private info(key: string, size: number, etag: string | undefined, opts: PutOptions): ObjectInfo {
    return {
      key,
      size,
      etag: quoted(etag),
      contentType: opts.contentType,
      ...(opts.cacheControl !== undefined ? { cacheControl: opts.cacheControl } : {}),
      // S3's PutObject response carries no Last-Modified; head() has the server's.
      lastModified: new Date(),
      storageClass: opts.storageClass ?? 'STANDARD',
    };
  }

  /** The object's S3 class as HeadObject says it (absent: STANDARD). */
  private async rawStorageClass(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.StorageClass;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private mapArchived(err: unknown, key: string): unknown {
    if (s3ErrorName(err) === 'InvalidObjectState') {
      return new AppError('object_archived', 'The object is archived; restore it first.', { key });
    }
    return this.mapError(err, key);
  }

  private fromS3Class(storageClass: string | undefined): StorageClass {
    if (!storageClass) return 'STANDARD';
    return storageClass === this.archiveStorageClass || ARCHIVE_CLASSES.has(storageClass) ? 'ARCHIVE' : 'STANDARD';
  }

  /** Pages of keys under `prefix`, in key order. */
  private async *listKeyPages(prefix: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: this.pageSize,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      yield (out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  private mapError(err: unknown, key: string, uploadId?: string): unknown {
    if (isNoSuchUpload(err)) return new AppError('upload_not_found', 'Multipart upload not found.', { uploadId });
    if (isNotFound(err)) {
      return uploadId !== undefined
        ? new AppError('upload_not_found', 'Multipart upload not found.', { uploadId })
        : new AppError('object_not_found', 'Object not found.', { key });
    }
    return err;
  }
}
