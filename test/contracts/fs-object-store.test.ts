import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterLogger } from '../../src/adapters/logger.js';
import type { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import type { ObjectInfo } from '../../src/ports/object-store.js';
import { createFsStore, parsePresignedUrl, PUBLIC_BASE_URL, sendToFsStore } from './fs-store-fixture.js';
import { readAll, rejectsWithCode } from './support.js';

/** Filesystem-specific semantics: the signed-PUT handler, key safety, on-disk atomicity. */
describe('FsObjectStore', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  async function setup(opts: Parameters<typeof createFsStore>[0] = {}) {
    const made = await createFsStore(opts);
    cleanups.push(made.cleanup);
    const created: ObjectInfo[] = [];
    made.store.onObjectCreated((info) => created.push(info));
    return { ...made, created };
  }

  /** What is left in the store's temp folder: must be nothing after any upload, good or bad. */
  const tempFiles = (rootDir: string): Promise<string[]> => readdir(join(rootDir, '.tmp')).catch(() => []);

  async function signedUpload(store: FsObjectStore, key: string, body: Buffer, contentType = 'video/mp4') {
    const request = await store.presignPut(key, { contentType, size: body.length, expiresInSec: 600 });
    return { request, ...parsePresignedUrl(request.url) };
  }

  describe('presigned PUT', () => {
    it('builds a URL on the public base and accepts a matching upload', async () => {
      const { store, created, rootDir } = await setup();
      const body = randomBytes(5000);
      const request = await store.presignPut('uploads/u1/clip.mp4', {
        contentType: 'video/mp4',
        size: body.length,
        expiresInSec: 600,
      });
      expect(request.url.startsWith(`${PUBLIC_BASE_URL}/storage/uploads/u1/clip.mp4?`)).toBe(true);
      const query = new URL(request.url).searchParams;
      expect(query.get('size')).toBe('5000');
      expect(query.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const info = (await sendToFsStore(store, request, body)) as ObjectInfo;
      expect(info).toMatchObject({ key: 'uploads/u1/clip.mp4', size: 5000, contentType: 'video/mp4' });
      expect(info.etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
      expect(created.map((c) => c.key)).toEqual(['uploads/u1/clip.mp4']);
      expect(await tempFiles(rootDir)).toEqual([]);
    });

    it('rejects any tampered field with signature_invalid', async () => {
      const { store, created } = await setup();
      const body = randomBytes(100);
      const { key, query } = await signedUpload(store, 'uploads/u2/clip.mp4', body);
      const headers = { 'content-type': 'video/mp4', 'content-length': '100' };
      const send = (k: string, q: Record<string, string | undefined>) => store.receiveSignedPut(k, q, headers, Readable.from([body]));

      const sig = query.sig!;
      const flipped = (sig.startsWith('A') ? 'B' : 'A') + sig.slice(1);
      await rejectsWithCode(send(key, { ...query, sig: flipped }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, sig: undefined }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, sig: 'short' }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, size: '101' }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, ct: 'text/html' }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, expires: String(Number(query.expires) + 3600) }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, expires: 'soon' }), 'signature_invalid');
      await rejectsWithCode(send(key, { ...query, partNumber: '1' }), 'signature_invalid');
      // Another key's signature does not open this key.
      await rejectsWithCode(send('uploads/u2/other.mp4', query), 'signature_invalid');
      expect(await store.head(key)).toBeNull();
      expect(created).toEqual([]);
    });

    it('rejects a part signature used as a whole-object upload', async () => {
      const { store } = await setup();
      const { uploadId } = await store.createMultipart('uploads/u3/big.mp4', { contentType: 'video/mp4' });
      const request = await store.presignPart('uploads/u3/big.mp4', uploadId, 1, { size: 10, expiresInSec: 600 });
      const { key, query } = parsePresignedUrl(request.url);
      const { uploadId: _u, partNumber: _p, ...wholeObject } = query;
      await rejectsWithCode(
        store.receiveSignedPut(
          key,
          wholeObject,
          { 'content-type': 'application/octet-stream', 'content-length': '10' },
          Readable.from([randomBytes(10)]),
        ),
        'signature_invalid',
      );
    });

    it('rejects an expired URL with signature_expired', async () => {
      let now = Date.parse('2030-01-01T00:00:00Z');
      const { store } = await setup({ now: () => now });
      const body = randomBytes(10);
      const { request } = await signedUpload(store, 'uploads/u4/clip.mp4', body);
      expect(request.expiresAt.toISOString()).toBe('2030-01-01T00:10:00.000Z');
      now += 600_000;
      await rejectsWithCode(sendToFsStore(store, request, body), 'signature_expired');
      now -= 1000;
      expect(await sendToFsStore(store, request, body)).toMatchObject({ size: 10 });
    });

    it('requires the signed Content-Type', async () => {
      const { store } = await setup();
      const body = randomBytes(10);
      const { request } = await signedUpload(store, 'uploads/u5/clip.mp4', body);
      await rejectsWithCode(
        sendToFsStore(store, request, body, { 'content-type': 'video/webm', 'content-length': '10' }),
        'content_type_mismatch',
      );
      await rejectsWithCode(sendToFsStore(store, request, body, { 'content-length': '10' }), 'content_type_mismatch');
    });

    it('requires a Content-Length equal to the signed size', async () => {
      const { store } = await setup();
      const body = randomBytes(10);
      const { request } = await signedUpload(store, 'uploads/u6/clip.mp4', body);
      await rejectsWithCode(sendToFsStore(store, request, body, { 'content-type': 'video/mp4' }), 'size_mismatch');
      await rejectsWithCode(sendToFsStore(store, request, body, { 'content-type': 'video/mp4', 'content-length': '11' }), 'size_mismatch');
      await rejectsWithCode(sendToFsStore(store, request, body, { 'content-type': 'video/mp4', 'content-length': 'ten' }), 'size_mismatch');
    });

    it('stops reading as soon as more bytes than signed arrive, leaving nothing behind', async () => {
      const { store, created, rootDir } = await setup();
      const { key, query } = await signedUpload(store, 'uploads/u7/clip.mp4', Buffer.alloc(64 * 1024));
      let produced = 0;
      // Endless: the upload can only finish if the store cuts it off.
      const endless = Readable.from(
        (function* () {
          for (;;) {
            produced += 16 * 1024;
            yield Buffer.alloc(16 * 1024, 1);
          }
        })(),
      );
      await rejectsWithCode(
        store.receiveSignedPut(key, query, { 'content-type': 'video/mp4', 'content-length': String(64 * 1024) }, endless),
        'size_mismatch',
      );
      expect(produced).toBeLessThan(1024 * 1024);
      // Left paused, not destroyed: the HTTP layer answers and then closes the connection.
      expect(endless.readableFlowing).toBe(false);
      expect(await store.head(key)).toBeNull();
      expect(created).toEqual([]);
      expect(await tempFiles(rootDir)).toEqual([]);
    });

    it('rejects a body shorter than signed, or one that breaks off, leaving nothing behind', async () => {
      const { store, created, rootDir } = await setup();
      const { key, query } = await signedUpload(store, 'uploads/u8/clip.mp4', Buffer.alloc(1000));
      const headers = { 'content-type': 'video/mp4', 'content-length': '1000' };
      await rejectsWithCode(store.receiveSignedPut(key, query, headers, Readable.from([Buffer.alloc(999)])), 'size_mismatch');

      const broken = new Readable({ read() {} });
      broken.push(Buffer.alloc(500));
      setTimeout(() => broken.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 10);
      await rejectsWithCode(store.receiveSignedPut(key, query, headers, broken), 'size_mismatch');

      expect(await store.head(key)).toBeNull();
      expect(created).toEqual([]);
      expect(await tempFiles(rootDir)).toEqual([]);
    });

    it('keeps the previous object intact when an overwriting upload fails', async () => {
      const { store } = await setup();
      await store.put('uploads/u9/clip.mp4', 'the original', { contentType: 'video/mp4' });
      const { key, query } = await signedUpload(store, 'uploads/u9/clip.mp4', Buffer.alloc(100));
      await rejectsWithCode(
        store.receiveSignedPut(key, query, { 'content-type': 'video/mp4', 'content-length': '100' }, Readable.from([Buffer.alloc(50)])),
        'size_mismatch',
      );
      expect((await readAll((await store.get(key)).body)).toString()).toBe('the original');
    });

    it('accepts a zero-byte upload when zero bytes were signed', async () => {
      const { store } = await setup();
      const { request } = await signedUpload(store, 'uploads/empty', Buffer.alloc(0), 'text/plain');
      expect(await sendToFsStore(store, request, Buffer.alloc(0))).toMatchObject({ size: 0 });
    });
  });

  describe('multipart', () => {
    it('replaces a re-sent part and refuses parts for unknown or aborted uploads', async () => {
      const { store } = await setup({ minPartSize: 10 });
      const key = 'uploads/m1/big.mp4';
      const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
      const send = async (n: number, body: Buffer) =>
        sendToFsStore(store, await store.presignPart(key, uploadId, n, { size: body.length, expiresInSec: 600 }), body);

      const first = await send(1, Buffer.alloc(20, 1));
      const again = await send(1, Buffer.alloc(30, 2));
      expect(first.etag).not.toBe(again.etag);
      expect(await store.listParts(key, uploadId)).toEqual([{ partNumber: 1, size: 30, etag: again.etag }]);

      await rejectsWithCode(store.listParts('uploads/m1/other.mp4', uploadId), 'upload_not_found');
      await rejectsWithCode(store.listParts(key, 'not-an-upload-id'), 'upload_not_found');
      await rejectsWithCode(
        store.presignPart(key, '0123456789abcdef0123456789abcdef', 1, { size: 1, expiresInSec: 60 }),
        'upload_not_found',
      );

      const late = await store.presignPart(key, uploadId, 2, { size: 5, expiresInSec: 600 });
      await store.abortMultipart(key, uploadId);
      await rejectsWithCode(sendToFsStore(store, late, Buffer.alloc(5)), 'upload_not_found');
    });

    it('enforces ascending part order and the minimum part size except for the last part', async () => {
      const { store } = await setup({ minPartSize: 100 });
      const key = 'uploads/m2/big.mp4';
      const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
      const send = async (n: number, body: Buffer) =>
        sendToFsStore(store, await store.presignPart(key, uploadId, n, { size: body.length, expiresInSec: 600 }), body);
      const p1 = await send(1, Buffer.alloc(50, 1));
      const p2 = await send(2, Buffer.alloc(150, 2));
      const p3 = await send(3, Buffer.alloc(10, 3));

      await rejectsWithCode(
        store.completeMultipart(key, uploadId, [
          { partNumber: 2, etag: p2.etag },
          { partNumber: 1, etag: p1.etag },
        ]),
        'validation_failed',
      );
      await rejectsWithCode(
        store.completeMultipart(key, uploadId, [
          { partNumber: 1, etag: p1.etag },
          { partNumber: 3, etag: p3.etag },
        ]),
        'validation_failed',
      );
      // Parts may be skipped; the last one may be small.
      const info = await store.completeMultipart(key, uploadId, [
        { partNumber: 2, etag: p2.etag.replace(/"/g, '') },
        { partNumber: 3, etag: p3.etag },
      ]);
      expect(info.size).toBe(160);
      expect(info.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
      const data = await readAll((await store.get(key)).body);
      expect(data.equals(Buffer.concat([Buffer.alloc(150, 2), Buffer.alloc(10, 3)]))).toBe(true);
    });
  });

  describe('keys and layout', () => {
    it('refuses unsafe keys and prefixes with validation_failed', async () => {
      const { store } = await setup();
      const bad = [
        '',
        '../escape',
        'a/../../escape',
        '/absolute',
        'a//b',
        'a/./b',
        'trailing/',
        '.hidden',
        'a/.meta.json',
        'back\\slash',
        'with space',
        'ünïcode',
        'nul\u0000byte',
        'x'.repeat(1025),
      ];
      for (const key of bad) {
        await rejectsWithCode(store.put(key, 'x', { contentType: 'text/plain' }), 'validation_failed');
        await rejectsWithCode(store.get(key), 'validation_failed');
        await rejectsWithCode(store.presignPut(key, { contentType: 'text/plain', size: 1, expiresInSec: 60 }), 'validation_failed');
      }
      await rejectsWithCode(store.list('../'), 'validation_failed');
      await rejectsWithCode(store.deletePrefix('/etc/'), 'validation_failed');
      await rejectsWithCode(store.put('ok', 'x', { contentType: 'text/plain\r\nX-Evil: 1' }), 'validation_failed');
    });

    it('keeps storage class and cache control', async () => {
      const { store } = await setup();
      await store.put('cold/v1/original.mp4', 'x', {
        contentType: 'video/mp4',
        cacheControl: 'private, max-age=60',
        storageClass: 'ARCHIVE',
      });
      expect(await store.head('cold/v1/original.mp4')).toMatchObject({
        storageClass: 'ARCHIVE',
        cacheControl: 'private, max-age=60',
      });
    });

    it('removes emptied folders on delete', async () => {
      const { store, rootDir } = await setup();
      await store.put('videos/v1/renditions/720/seg1.m4s', 'x', { contentType: 'video/iso.segment' });
      await store.put('videos/v1/poster.jpg', 'x', { contentType: 'image/jpeg' });
      expect(await store.deletePrefix('videos/')).toBe(2);
      expect((await readdir(rootDir)).filter((n) => !n.startsWith('.'))).toEqual([]);
    });

    it('gives readers a consistent object while it is being overwritten', async () => {
      const { store } = await setup();
      const key = 'videos/v2/master.m3u8';
      await store.put(key, randomBytes(50_000), { contentType: 'application/vnd.apple.mpegurl' });
      const writes = Array.from({ length: 15 }, () =>
        store.put(key, randomBytes(20_000 + Math.floor(Math.random() * 60_000)), {
          contentType: 'application/vnd.apple.mpegurl',
        }),
      );
      const reads = Array.from({ length: 30 }, async () => {
        const { info, body } = await store.get(key);
        const data = await readAll(body);
        expect(data.length).toBe(info.size);
        expect(`"${createHash('md5').update(data).digest('hex')}"`).toBe(info.etag);
      });
      await Promise.all([...writes, ...reads]);
      const { info, body } = await store.get(key);
      expect(
        `"${createHash('md5')
          .update(await readAll(body))
          .digest('hex')}"`,
      ).toBe(info.etag);
    });

    it('keeps working when an object-created listener throws', async () => {
      const errors: unknown[] = [];
      const logger: AdapterLogger = { warn: () => undefined, error: (obj) => void errors.push(obj) };
      const { store } = await setup({ logger });
      store.onObjectCreated(() => {
        throw new Error('listener bug');
      });
      store.onObjectCreated(async () => {
        throw new Error('async listener bug');
      });
      const info = await store.put('events/one', '1', { contentType: 'text/plain' });
      expect(info.size).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toHaveLength(2);
    });
  });
});
