import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PresignedRequest } from '../../src/ports/object-store.js';

/**
 * An S3-compatible server for the distributed ObjectStore contract, started
 * inside the test: s3rver (npm) on 127.0.0.1, a random port, a temporary
 * directory, one bucket.
 *
 * s3rver speaks the S3 protocol the adapter uses for objects (PutObject,
 * GetObject with Range, HeadObject, ListObjectsV2, DeleteObjects) and for
 * multipart (CreateMultipartUpload, UploadPart, CompleteMultipartUpload),
 * and accepts presigned (query-string) requests. Its ListObjectsV2 pages
 * break on Node 17+ (its continuation tokens use DES, which OpenSSL 3 no
 * longer offers by default), its delimiter listings miss common prefixes
 * whose keys lie more than one level down, and it lacks ListParts and
 * AbortMultipartUpload, keeps no record of which uploads exist (UploadPart
 * to an unknown id succeeds) and completes without checking part etags or
 * sizes. No S3 server from npm or Debian does better (fauxqs, which needs
 * Node 22, has no ListParts either and checks no presigned signature; MinIO,
 * Garage and moto are not packaged there), so `withMultipartGaps` adds those operations in
 * front of s3rver, on top of s3rver's own files and store (`listObjectsV2`
 * answers list-type=2 from s3rver's store with tokens of its own), answering as S3 documents:
 * NoSuchUpload (404), InvalidPart, InvalidPartOrder, EntityTooSmall (400).
 *
 * s3rver accepts any V4 signature. `verifyPresignedV4` checks presigned
 * (query-string) requests the way S3 does, so the tests prove that a
 * presigned PUT binds its Content-Type and Content-Length: another type or
 * size gets 403 SignatureDoesNotMatch. Requests signed in the Authorization
 * header (the SDK's own calls) are not checked.
 *
 * s3rver ignores storage classes; `glacierFront` models them as S3 does
 * (see GlacierModel): the class of each PutObject/CopyObject is kept,
 * GetObject of a GLACIER or DEEP_ARCHIVE object without a restored copy is
 * 403 InvalidObjectState, RestoreObject answers 202 and HeadObject's
 * `x-amz-restore` goes from `ongoing-request="true"` to
 * `ongoing-request="false", expiry-date="…"` after `restoreDelayMs`, the
 * copy is readable until it expires, and ListObjectsV2 reports each key's
 * class. Time is the front's own clock, which tests may move forward.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver's built-in account. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The storage-class model in front of s3rver: restore delay and clock, for tests. */
  glacier: GlacierModel;
  close(): Promise<void>;
}

/** Classes whose objects need a RestoreObject before a GetObject (GLACIER_IR reads at once). */
const NEEDS_RESTORE = new Set(['GLACIER', 'DEEP_ARCHIVE']);

interface ClassRecord {
  storageClass: string;
  restore?: { requestedAt: number; days: number; tier: string };
}

export class GlacierModel {
  /** How long a RestoreObject takes before the copy is readable (S3: minutes to hours). */
  restoreDelayMs = 0;
  /** RestoreObject requests received, in order (the tier asked for): what a test can count. */
  readonly restoreRequests: Array<{ key: string; tier: string; days: number }> = [];
  private offsetMs = 0;
  private readonly records = new Map<string, ClassRecord>();

  /** Moves the front's clock forward (restores complete, restored copies expire). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  storageClassOf(bucket: string, key: string): string {
    return this.records.get(`${bucket}/${key}`)?.storageClass ?? 'STANDARD';
  }

  setClass(bucket: string, key: string, storageClass: string | undefined): void {
    if (!storageClass || storageClass === 'STANDARD') this.records.delete(`${bucket}/${key}`);
    else this.records.set(`${bucket}/${key}`, { storageClass });
  }

  forget(bucket: string, key: string): void {
    this.records.delete(`${bucket}/${key}`);
  }

  /** The x-amz-restore state: null when no restore was asked for or its copy expired. */
  restoreOf(bucket: string, key: string): { ongoing: boolean; expiresAt: number | null } | null {
    const record = this.records.get(`${bucket}/${key}`);
    if (!record?.restore || !NEEDS_RESTORE.has(record.storageClass)) return null;
    const readyAt = record.restore.requestedAt + this.restoreDelayMs;
    if (this.now() < readyAt) return { ongoing: true, expiresAt: null };
    // S3 rounds the expiry up to the next midnight UTC after `days`; whole days from completion is close enough here.
    const expiresAt = readyAt + record.restore.days * 86_400_000;
    return this.now() < expiresAt ? { ongoing: false, expiresAt } : null;
  }

  /** Whether GetObject may read it now. */
  readable(bucket: string, key: string): boolean {
    const record = this.records.get(`${bucket}/${key}`);
    if (!record || !NEEDS_RESTORE.has(record.storageClass)) return true;
    const restore = this.restoreOf(bucket, key);
    return restore !== null && !restore.ongoing;
  }

  requestRestore(bucket: string, key: string, days: number, tier: string): number {
    const record = this.records.get(`${bucket}/${key}`);
    if (!record || !NEEDS_RESTORE.has(record.storageClass)) return 403;
    this.restoreRequests.push({ key, tier, days });
    const state = this.restoreOf(bucket, key);
    if (state?.ongoing) return 409;
    if (state) {
      // Already restored: S3 extends the copy's lifetime and answers 200.
      record.restore = { requestedAt: this.now() - this.restoreDelayMs, days, tier };
      return 200;
    }
    record.restore = { requestedAt: this.now(), days, tier };
    return 202;
  }
}

interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  query: Record<string, string | string[] | undefined>;
  req: IncomingMessage;
  status: number;
  type: string;
  body: unknown;
  set(field: string, value: string): void;
  get(field: string): string;
  remove(field: string): void;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverStore {
  listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys?: number; delimiter?: string },
  ): Promise<{
    objects: Array<{ key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }>;
    commonPrefixes: string[];
    isTruncated: boolean;
  }>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: Array<{ number: number; etag: string }>,
  ): Promise<{ md5: string; size: number }>;
}

interface S3rverInstance {
  middleware: Middleware[];
  store: S3rverStore;
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

const MIN_PART_SIZE = 5 * 1024 * 1024;

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'curta-s3rver-'));
  const bucket = `curta-test-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const glacier = new GlacierModel();
  server.middleware.unshift(
    verifyPresignedV4(credentials),
    listObjectsV2(server, glacier),
    glacierFront(server, glacier),
    withMultipartGaps(server, directory, glacier),
  );
  let address: { port: number };
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    region: 'us-east-1',
    credentials,
    glacier,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Sends a presigned request as a browser would: a real HTTP PUT with the returned headers. */
export async function sendPresigned(request: PresignedRequest, body: Buffer): Promise<{ etag: string | null }> {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: new Uint8Array(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`presigned ${request.method} failed: ${response.status} ${text}`);
  return { etag: response.headers.get('etag') };
}

// ------------------------------------------------------- presigned signatures

/** RFC 3986 encoding, as SigV4 wants it. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * Verifies AWS Signature V4 query-string authentication (presigned URLs):
 * canonical request over method, path, every query parameter but the
 * signature, the signed headers with their values, and UNSIGNED-PAYLOAD.
 */
function verifyPresignedV4(credentials: { accessKeyId: string; secretAccessKey: string }): Middleware {
  return async (ctx, next) => {
    const pairs = ctx.querystring
      .split('&')
      .filter(Boolean)
      .map((pair): [string, string] => {
        const at = pair.indexOf('=');
        const decode = (v: string): string => decodeURIComponent(v.replace(/\+/g, '%20'));
        return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
      });
    const query = new Map(pairs);
    const provided = query.get('X-Amz-Signature');
    if (provided === undefined) return next();

    const refuse = (message: string): void => s3Error(ctx, 403, 'SignatureDoesNotMatch', message);
    const date = query.get('X-Amz-Date') ?? '';
    const [accessKeyId, day, region, service, terminal] = (query.get('X-Amz-Credential') ?? '').split('/');
    const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (accessKeyId !== credentials.accessKeyId || !stamp || !day || !region || !service || terminal !== 'aws4_request') {
      refuse('Malformed or unknown credential.');
      return;
    }
    const signedAt = Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!, +stamp[6]!);
    if (Date.now() > signedAt + Number(query.get('X-Amz-Expires') ?? 0) * 1000) {
      s3Error(ctx, 403, 'AccessDenied', 'Request has expired');
      return;
    }

    const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    const canonicalHeaders = signedHeaders
      .map((name) => {
        const value = ctx.req.headers[name];
        const text = Array.isArray(value) ? value.join(',') : (value ?? '');
        return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const canonicalQuery = pairs
      .filter(([k]) => k !== 'X-Amz-Signature')
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalRequest = [
      ctx.method,
      ctx.path,
      canonicalQuery,
      canonicalHeaders,
      signedHeaders.join(';'),
      query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    const given = Buffer.from(provided, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      if (ctx.method === 'PUT') ctx.req.resume();
      refuse('The request signature we calculated does not match the signature you provided.');
      return;
    }
    return next();
  };
}

// ------------------------------------------------------------------ the gaps

/** ListObjectsV2 from s3rver's store, paging with a token that is the base64 of the last key. */
function listObjectsV2(server: S3rverInstance, glacier: GlacierModel): Middleware {
  return async (ctx, next) => {
    const match = /^\/([^/]+)\/?$/.exec(ctx.path);
    if (ctx.method !== 'GET' || !match || ctx.query['list-type'] !== '2') return next();
    const bucket = decodeURIComponent(match[1]!);
    const param = (name: string): string | undefined => {
      const value = ctx.query[name];
      return typeof value === 'string' ? value : undefined;
    };
    const token = param('continuation-token');
    const prefix = param('prefix') ?? '';
    const delimiter = param('delimiter');
    const maxKeys = Math.min(1000, Number(param('max-keys') ?? 1000));
    const startAfter = token ? Buffer.from(token, 'base64url').toString('utf8') : (param('start-after') ?? '');
    const result = delimiter
      ? await rollUp(server.store, bucket, prefix, delimiter, startAfter, maxKeys)
      : { ...(await server.store.listObjects(bucket, { prefix, startAfter, maxKeys })), last: undefined };
    const last = result.last ?? result.objects.at(-1)?.key;
    const tag = (name: string, value: string | number | boolean): string => `<${name}>${escapeXml(String(value))}</${name}>`;
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      tag('Name', bucket) +
      tag('Prefix', prefix) +
      (token ? tag('ContinuationToken', token) : '') +
      (result.isTruncated && last ? tag('NextContinuationToken', Buffer.from(last).toString('base64url')) : '') +
      tag('KeyCount', result.objects.length) +
      tag('MaxKeys', maxKeys) +
      (delimiter ? tag('Delimiter', delimiter) : '') +
      tag('IsTruncated', result.isTruncated) +
      result.objects
        .map(
          (o) =>
            `<Contents>${tag('Key', o.key)}${tag('LastModified', o.lastModifiedDate.toISOString())}` +
            `${tag('ETag', o.metadata.etag ?? '')}${tag('Size', o.size)}` +
            `${tag('StorageClass', glacier.storageClassOf(bucket, o.key))}</Contents>`,
        )
        .join('') +
      result.commonPrefixes.map((p) => `<CommonPrefixes>${tag('Prefix', p)}</CommonPrefixes>`).join('') +
      '</ListBucketResult>';
  };
}

type S3rverListing = Awaited<ReturnType<S3rverStore['listObjects']>>;

/**
 * A delimiter listing as S3 answers it: every key under the prefix with no
 * delimiter after it, and one common prefix per next level however deep its
 * keys lie (s3rver's own rolls up only keys one level down). Paged over keys
 * and prefixes together, in order; `last` is the name the next page starts after.
 */
async function rollUp(
  store: S3rverStore,
  bucket: string,
  prefix: string,
  delimiter: string,
  startAfter: string,
  maxKeys: number,
): Promise<S3rverListing & { last: string | undefined }> {
  const objects: S3rverListing['objects'] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let after = startAfter;
  for (;;) {
    const page = await store.listObjects(bucket, { prefix, startAfter: after, maxKeys: 1000 });
    for (const object of page.objects) {
      const rest = object.key.slice(prefix.length);
      const at = rest.indexOf(delimiter);
      const name = at < 0 ? object.key : prefix + rest.slice(0, at + delimiter.length);
      if (name <= startAfter || name === last) continue;
      if (objects.length + commonPrefixes.length === maxKeys) return { objects, commonPrefixes, isTruncated: true, last };
      if (at < 0) objects.push(object);
      else commonPrefixes.push(name);
      last = name;
    }
    if (!page.isTruncated || page.objects.length === 0) return { objects, commonPrefixes, isTruncated: false, last };
    after = page.objects.at(-1)!.key;
  }
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: randomBytes(8).toString('hex') })
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface StoredPart {
  number: number;
  size: number;
  md5: string;
  lastModified: Date;
}

/** Where s3rver's FilesystemStore keeps an upload's parts (`initiateUpload`/`putPart`). */
function uploadDir(directory: string, bucket: string, uploadId: string): string {
  return join(directory, bucket, '._S3rver_uploads', uploadId);
}

async function readUpload(dir: string, key: string): Promise<StoredPart[] | null> {
  const owner = await readFile(join(dir, 'key'), 'utf8').catch(() => null);
  if (owner !== key) return null;
  const parts: StoredPart[] = [];
  for (const name of await readdir(dir)) {
    if (!/^\d+$/.test(name)) continue;
    const [info, md5] = await Promise.all([stat(join(dir, name)), readFile(join(dir, `${name}.md5`), 'utf8').catch(() => null)]);
    if (md5 === null) continue; // still being written
    parts.push({ number: Number(name), size: info.size, md5: md5.trim(), lastModified: info.mtime });
  }
  return parts.sort((a, b) => a.number - b.number);
}

/**
 * Storage classes as S3 keeps them (s3rver keeps none): see GlacierModel.
 * PutObject and CopyObject record `x-amz-storage-class`; CopyObject onto
 * itself (S3's way to change one object's class) is answered here;
 * GetObject of an archived object without a readable copy is refused;
 * HeadObject and GetObject say the class and the restore state;
 * RestoreObject (POST ?restore) starts a restore.
 */
function glacierFront(server: S3rverInstance, glacier: GlacierModel): Middleware {
  const exists = async (bucket: string, key: string): Promise<boolean> => {
    const page = await server.store.listObjects(bucket, { prefix: key, maxKeys: 1 });
    return page.objects[0]?.key === key;
  };
  return async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!match || ctx.query.uploadId !== undefined || ctx.query.uploads !== undefined) return next();
    const bucket = decodeURIComponent(match[1]!);
    const key = match[2]!.split('/').map(decodeURIComponent).join('/');
    const header = (name: string): string | undefined => {
      const value = ctx.req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };

    if (ctx.method === 'POST' && ctx.query.restore !== undefined) {
      const xml = await readBody(ctx.req);
      if (!(await exists(bucket, key))) {
        s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
        return;
      }
      const days = Number(/<Days>\s*(\d+)\s*<\/Days>/.exec(xml)?.[1] ?? NaN);
      const tier = /<Tier>\s*(\w+)\s*<\/Tier>/.exec(xml)?.[1] ?? 'Standard';
      if (!Number.isInteger(days) || days < 1 || !['Expedited', 'Standard', 'Bulk'].includes(tier)) {
        s3Error(ctx, 400, 'MalformedXML', 'The XML you provided was not well-formed.');
        return;
      }
      if (tier === 'Expedited' && glacier.storageClassOf(bucket, key) === 'DEEP_ARCHIVE') {
        s3Error(ctx, 400, 'InvalidArgument', 'Expedited retrieval is not available for DEEP_ARCHIVE.');
        return;
      }
      const status = glacier.requestRestore(bucket, key, days, tier);
      if (status === 403) {
        s3Error(ctx, 403, 'InvalidObjectState', "Restore is not allowed for the object's current storage class");
        return;
      }
      if (status === 409) {
        s3Error(ctx, 409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
        return;
      }
      ctx.status = status;
      ctx.body = null;
      return;
    }

    if (ctx.method === 'PUT') {
      const copySource = header('x-amz-copy-source');
      const storageClass = header('x-amz-storage-class') ?? 'STANDARD';
      if (copySource) {
        const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0]!);
        const at = source.indexOf('/');
        const [srcBucket, srcKey] = [source.slice(0, at), source.slice(at + 1)];
        if (!(await exists(srcBucket, srcKey))) {
          s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
          return;
        }
        if (!glacier.readable(srcBucket, srcKey)) {
          s3Error(ctx, 403, 'InvalidObjectState', "The operation is not valid for the source object's storage class");
          return;
        }
        if (srcBucket === bucket && srcKey === key) {
          // A copy onto itself must change something (S3: 400 InvalidRequest otherwise); only the class changes here.
          if (storageClass === glacier.storageClassOf(bucket, key)) {
            s3Error(
              ctx,
              400,
              'InvalidRequest',
              'This copy request is illegal because it is trying to copy an object to itself without changing anything.',
            );
            return;
          }
          const page = await server.store.listObjects(bucket, { prefix: key, maxKeys: 1 });
          glacier.setClass(bucket, key, storageClass);
          ctx.status = 200;
          ctx.type = 'application/xml';
          ctx.body =
            '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult>' +
            `<LastModified>${new Date().toISOString()}</LastModified><ETag>${escapeXml(page.objects[0]?.metadata.etag ?? '')}</ETag>` +
            '</CopyObjectResult>';
          return;
        }
      }
      await next();
      if (ctx.status === 200) glacier.setClass(bucket, key, storageClass);
      return;
    }

    if (ctx.method === 'DELETE') {
      await next();
      glacier.forget(bucket, key);
      return;
    }

    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      if (ctx.method === 'GET' && !glacier.readable(bucket, key) && (await exists(bucket, key))) {
        s3Error(ctx, 403, 'InvalidObjectState', "The operation is not valid for the object's storage class");
        return;
      }
      await next();
      if (ctx.status !== 200 && ctx.status !== 206) return;
      const storageClass = glacier.storageClassOf(bucket, key);
      // S3 sends the header for every class but STANDARD (s3rver would echo what the first PUT said).
      if (storageClass !== 'STANDARD') ctx.set('x-amz-storage-class', storageClass);
      else ctx.remove('x-amz-storage-class');
      const restore = glacier.restoreOf(bucket, key);
      if (restore) {
        ctx.set(
          'x-amz-restore',
          restore.ongoing
            ? 'ongoing-request="true"'
            : `ongoing-request="false", expiry-date="${new Date(restore.expiresAt!).toUTCString()}"`,
        );
      }
      return;
    }
    return next();
  };
}

function withMultipartGaps(server: S3rverInstance, directory: string, glacier: GlacierModel): Middleware {
  return async (ctx, next) => {
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (uploadId === undefined || !match) return next();
    const bucket = decodeURIComponent(match[1]!);
    const key = match[2]!.split('/').map(decodeURIComponent).join('/');
    const dir = uploadDir(directory, bucket, uploadId);
    // s3rver's upload ids are 32 hex digits; anything else cannot exist (and stays out of paths).
    const parts = /^[a-f0-9]{32}$/.test(uploadId) ? await readUpload(dir, key) : null;
    if (!parts) {
      if (ctx.method === 'PUT') ctx.req.resume();
      s3Error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
      return;
    }

    switch (ctx.method) {
      case 'GET': {
        // ListParts
        const marker = Number(ctx.query['part-number-marker'] ?? 0);
        const maxParts = Math.min(1000, Number(ctx.query['max-parts'] ?? 1000));
        const after = parts.filter((p) => p.number > marker);
        const page = after.slice(0, maxParts);
        const truncated = after.length > page.length;
        ctx.status = 200;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId>` +
          `<PartNumberMarker>${marker}</PartNumberMarker>` +
          `<NextPartNumberMarker>${page.at(-1)?.number ?? marker}</NextPartNumberMarker>` +
          `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>` +
          page
            .map(
              (p) =>
                `<Part><PartNumber>${p.number}</PartNumber><LastModified>${p.lastModified.toISOString()}</LastModified>` +
                `<ETag>&quot;${p.md5}&quot;</ETag><Size>${p.size}</Size></Part>`,
            )
            .join('') +
          '</ListPartsResult>';
        return;
      }
      case 'DELETE': {
        // AbortMultipartUpload
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = null;
        return;
      }
      case 'POST': {
        // CompleteMultipartUpload, with S3's checks
        const xml = await readBody(ctx.req);
        const requested = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
          number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1]!)?.[1]),
          etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]!)?.[1] ?? '').replace(/"/g, ''),
        }));
        if (requested.length === 0) {
          s3Error(ctx, 400, 'MalformedXML', 'The XML you provided was not well-formed.');
          return;
        }
        const stored = new Map(parts.map((p) => [p.number, p]));
        for (const [index, part] of requested.entries()) {
          if (index > 0 && part.number <= requested[index - 1]!.number) {
            s3Error(ctx, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
            return;
          }
          const found = stored.get(part.number);
          if (found?.md5 !== part.etag) {
            s3Error(ctx, 400, 'InvalidPart', 'One or more of the specified parts could not be found.', {
              PartNumber: String(part.number),
            });
            return;
          }
          if (index < requested.length - 1 && found.size < MIN_PART_SIZE) {
            s3Error(ctx, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.');
            return;
          }
        }
        const { md5 } = await server.store.putObjectMultipart(bucket, uploadId, requested);
        // A multipart upload's class is not modelled: the completed object is STANDARD.
        glacier.forget(bucket, key);
        ctx.status = 200;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          '<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>&quot;${md5}&quot;</ETag>` +
          '</CompleteMultipartUploadResult>';
        return;
      }
      default:
        return next(); // UploadPart to a known upload: s3rver stores it
    }
  };
}

/** The app's settings for a bucket on this server (credentials: the SDK reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
export function s3AppEnv(s3: S3TestServer): Record<string, string> {
  return { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_FORCE_PATH_STYLE: 'true' };
}

/** s3AppEnv plus the credentials, for a child process (`curta …`) whose environment is all it has. */
export function s3ProcessEnv(s3: S3TestServer): Record<string, string> {
  return {
    ...s3AppEnv(s3),
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
}

/**
 * Points the AWS SDK's default credential chain at this server the way production does (the environment), for
 * an app running in this process; returns what puts the environment back as it was.
 */
export function useS3Credentials(s3: S3TestServer): () => void {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  return () => {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  };
}
