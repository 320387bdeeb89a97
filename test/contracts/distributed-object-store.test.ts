import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRestoreHeader, S3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/storage/s3-object-store.js';
import { sendPresigned, startS3Server, type S3TestServer } from '../support/s3.js';
import { objectStoreContract } from './object-store.contract.js';
import { readAll, rejectsWithCode } from './support.js';

const MiB = 1024 * 1024;

async function s3Store(opts: Partial<S3ObjectStoreOptions> = {}) {
  const server = await startS3Server();
  const store = new S3ObjectStore({
    bucket: server.bucket,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
    ...opts,
  });
  return { server, store };
}

objectStoreContract('S3ObjectStore on s3rver', async () => {
  // GLACIER (Flexible Retrieval): the class that needs a restore, modelled by the test front.
  const { server, store } = await s3Store({ archiveStorageClass: 'GLACIER' });
  server.glacier.restoreDelayMs = 60_000;
  return {
    store,
    archive: { restoreDelayMs: 60_000, advance: (ms) => server.glacier.advance(ms) },
    cleanup: async () => {
      store.client.destroy();
      await server.close();
    },
    sendPresigned: async (request, body) => {
      await sendPresigned(request, body);
    },
  };
});

describe('S3ObjectStore specifics (s3rver)', () => {
  let server: S3TestServer;
  let store: S3ObjectStore;
  let scratch: string;
  const stores: S3ObjectStore[] = [];
  const ns = (): string => `specific-${randomUUID().slice(0, 8)}`;
  const storeWith = (opts: Partial<S3ObjectStoreOptions>): S3ObjectStore => {
    const s = new S3ObjectStore({
      bucket: server.bucket,
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
      ...opts,
    });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startS3Server();
    store = storeWith({});
    scratch = await mkdtemp(join(tmpdir(), 'curta-s3-specific-'));
  });
  afterAll(async () => {
    for (const s of stores) s.client.destroy();
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('signs Content-Type and Content-Length into a presigned PUT: another type or size is refused', async () => {
    const key = `${ns()}/clip.mp4`;
    const body = randomBytes(1000);
    const request = await store.presignPut(key, { contentType: 'video/mp4', size: body.length, expiresInSec: 600 });
    expect(new URL(request.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(request.headers).toEqual({ 'content-type': 'video/mp4' });

    await expect(sendPresigned({ ...request, headers: { 'content-type': 'text/html' } }, body)).rejects.toThrow(/403/);
    await expect(sendPresigned(request, body.subarray(0, 999))).rejects.toThrow(/403/);
    await expect(sendPresigned(request, Buffer.concat([body, Buffer.from('x')]))).rejects.toThrow(/403/);
    expect(await store.head(key)).toBeNull();

    const { etag } = await sendPresigned(request, body);
    expect(await store.head(key)).toMatchObject({ size: 1000, contentType: 'video/mp4', etag });
  });

  it('binds a presigned part to its length and returns its etag to the client', async () => {
    const key = `${ns()}/big.mp4`;
    const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
    const body = randomBytes(2048);
    const request = await store.presignPart(key, uploadId, 1, { size: body.length, expiresInSec: 600 });
    expect(new URL(request.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    await expect(sendPresigned(request, body.subarray(1))).rejects.toThrow(/403/);
    const { etag } = await sendPresigned(request, body);
    expect(await store.listParts(key, uploadId)).toEqual([{ partNumber: 1, size: 2048, etag }]);
    const info = await store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: etag! }]);
    expect(info).toMatchObject({ key, size: 2048, contentType: 'video/mp4' });
  });

  it('signs presigned URLs for publicEndpoint, the host clients use', async () => {
    const publicEndpoint = server.endpoint.replace('127.0.0.1', 'localhost');
    const s = storeWith({ publicEndpoint });
    const key = `${ns()}/public.bin`;
    const request = await s.presignPut(key, { contentType: 'application/octet-stream', size: 3, expiresInSec: 60 });
    expect(new URL(request.url).host).toBe(new URL(publicEndpoint).host);
    await sendPresigned(request, Buffer.from('abc'));
    expect((await s.head(key))?.size).toBe(3);
  });

  it('maps ARCHIVE to the configured S3 storage class and back', async () => {
    // s3rver knows no GLACIER_IR (the default); STANDARD_IA stands in for it.
    const s = storeWith({ archiveStorageClass: 'STANDARD_IA' });
    const key = `${ns()}/cold.mp4`;
    const put = await s.put(key, 'old video', { contentType: 'video/mp4', storageClass: 'ARCHIVE' });
    expect(put.storageClass).toBe('ARCHIVE');
    expect((await s.head(key))?.storageClass).toBe('ARCHIVE');
    expect((await s.get(key)).info.storageClass).toBe('ARCHIVE');
    const warm = await s.put(`${ns()}/warm.mp4`, 'new video', { contentType: 'video/mp4' });
    expect((await s.head(warm.key))?.storageClass).toBe('STANDARD');
  });

  it('uploads large files and streams in parts (lib-storage) with the same metadata', async () => {
    const s = storeWith({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
    const data = randomBytes(11 * MiB + 123);
    const file = join(scratch, 'large.bin');
    await writeFile(file, data);
    const fromFile = await s.putFile(`${ns()}/large.bin`, file, {
      contentType: 'video/mp4',
      cacheControl: 'public, max-age=60',
    });
    expect(fromFile.size).toBe(data.length);
    expect(await s.head(fromFile.key)).toMatchObject({
      size: data.length,
      etag: fromFile.etag,
      contentType: 'video/mp4',
      cacheControl: 'public, max-age=60',
    });
    const fromStream = await s.put(`${ns()}/stream.bin`, Readable.from([data.subarray(0, 6 * MiB), data.subarray(6 * MiB)]), {
      contentType: 'video/mp4',
    });
    expect(fromStream.size).toBe(data.length);
    expect((await readAll((await s.get(fromStream.key)).body)).equals(data)).toBe(true);
    expect((await s.head(fromStream.key))?.etag).toBe(fromStream.etag);
  });

  it('lists and deletes prefixes across pages and batches', async () => {
    const s = storeWith({ pageSize: 2 });
    const p = ns();
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${p}/${k}`);
    for (const key of keys) await s.put(key, key, { contentType: 'text/plain' });
    expect((await s.list(`${p}/`)).map((o) => o.key)).toEqual(keys);
    expect(await s.deletePrefix(`${p}/`)).toBe(5);
    expect(await s.list(`${p}/`)).toEqual([]);
    await rejectsWithCode(s.deletePrefix(''), 'validation_failed');
  });

  it('maps S3 multipart errors to the port codes', async () => {
    const key = `${ns()}/parts.mp4`;
    await rejectsWithCode(store.listParts(key, 'f'.repeat(32)), 'upload_not_found');
    await store.abortMultipart(key, 'f'.repeat(32)); // unknown: no-op

    const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
    const small = randomBytes(1000);
    const { etag } = await sendPresigned(await store.presignPart(key, uploadId, 1, { size: 1000, expiresInSec: 60 }), small);
    await sendPresigned(await store.presignPart(key, uploadId, 2, { size: 1000, expiresInSec: 60 }), small);
    await rejectsWithCode(store.completeMultipart(key, uploadId, [{ partNumber: 3, etag: etag! }]), 'upload_incomplete');
    await rejectsWithCode(
      store.completeMultipart(key, uploadId, [
        { partNumber: 1, etag: etag! },
        { partNumber: 2, etag: etag! },
      ]),
      'validation_failed', // part 1 is under 5 MiB and not the last
    );
    await rejectsWithCode(
      store.completeMultipart(key, uploadId, [
        { partNumber: 2, etag: etag! },
        { partNumber: 1, etag: etag! },
      ]),
      'validation_failed',
    );
    await store.abortMultipart(key, uploadId);
    await rejectsWithCode(store.listParts(key, uploadId), 'upload_not_found');
    const late = await store.presignPart(key, uploadId, 1, { size: 1, expiresInSec: 60 });
    await expect(sendPresigned(late, Buffer.from('x'))).rejects.toThrow(/404[\s\S]*NoSuchUpload/);
  });

  it('archives to the configured class: GLACIER_IR reads at once (no restore), DEEP_ARCHIVE restores at the asked tier', async () => {
    const instant = storeWith({ archiveStorageClass: 'GLACIER_IR' });
    const p = ns();
    const body = randomBytes(4096);
    await instant.put(`${p}/ir`, body, { contentType: 'video/mp4' });
    expect(await instant.setStorageClass(`${p}/ir`, 'ARCHIVE')).toMatchObject({ storageClass: 'ARCHIVE' });
    expect(server.glacier.storageClassOf(server.bucket, `${p}/ir`)).toBe('GLACIER_IR');
    expect(await readAll((await instant.get(`${p}/ir`)).body)).toEqual(body);
    expect(await instant.restoreObject(`${p}/ir`, { days: 1, tier: 'Standard' })).toBe('not_needed');

    const deep = storeWith({ archiveStorageClass: 'DEEP_ARCHIVE' });
    await deep.put(`${p}/deep`, body, { contentType: 'video/mp4' });
    await deep.setStorageClass(`${p}/deep`, 'ARCHIVE');
    expect(server.glacier.storageClassOf(server.bucket, `${p}/deep`)).toBe('DEEP_ARCHIVE');
    const listed = await deep.listPage(`${p}/`);
    expect(listed.keys.map((k) => [k.key, k.storageClass])).toEqual([
      [`${p}/deep`, 'ARCHIVE'],
      [`${p}/ir`, 'ARCHIVE'],
    ]);
    const before = server.glacier.restoreRequests.length;
    expect(await deep.restoreObject(`${p}/deep`, { days: 3, tier: 'Bulk' })).toBe('restored'); // the front's delay is 0 here
    expect(server.glacier.restoreRequests.slice(before)).toEqual([{ key: `${p}/deep`, tier: 'Bulk', days: 3 }]);
    // S3 refuses Expedited for DEEP_ARCHIVE; the tier is the caller's to choose (the archive service asks Standard instead).
    await deep.put(`${p}/deep2`, body, { contentType: 'video/mp4', storageClass: 'ARCHIVE' });
    await expect(deep.restoreObject(`${p}/deep2`, { days: 1, tier: 'Expedited' })).rejects.toThrow(/Expedited/);
  });

  it('reads the x-amz-restore header as S3 writes it', () => {
    expect(parseRestoreHeader('ongoing-request="true"')).toEqual({ ongoing: true, expiresAt: null });
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"')).toEqual({
      ongoing: false,
      expiresAt: new Date('2012-12-21T00:00:00Z'),
    });
    expect(parseRestoreHeader(undefined)).toBeUndefined();
    expect(parseRestoreHeader('garbage')).toBeUndefined();
  });
});
