import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore, PresignedRequest } from '../../src/ports/object-store.js';
import { readAll, rejectsWithCode } from './support.js';

export interface ObjectStoreFixture {
  store: ObjectStore;
  cleanup(): Promise<void>;
  /**
   * Sends a presigned request the way a client would: over HTTP for S3,
   * through the API's storage handler for the filesystem store. Without it
   * the presigned round trips and multipart tests are skipped.
   */
  sendPresigned?: (request: PresignedRequest, body: Buffer) => Promise<void>;
  /** True where onObjectCreated fires in-process (the filesystem store). */
  emitsObjectCreated?: boolean;
  /**
   * The store's archive tier as it needs a restore (fs: the cold folder; S3: GLACIER):
   * how long a restore takes, and the clock the store judges it by, moved forward
   * by the test. Without it the archive cases are skipped.
   */
  archive?: { restoreDelayMs: number; advance(ms: number): void };
}

const MiB = 1024 * 1024;

/**
 * The behaviour every ObjectStore adapter (filesystem, S3) must share.
 * Every test works under its own random prefix, so a shared bucket is fine.
 */
export function objectStoreContract(name: string, factory: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fixture: ObjectStoreFixture;
    let store: ObjectStore;
    let scratch: string;
    const ns = (): string => `contract-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      fixture = await factory();
      store = fixture.store;
      scratch = await mkdtemp(join(tmpdir(), 'curta-store-contract-'));
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('puts a buffer and reads it back with its metadata', async () => {
      const key = `${ns()}/videos/original.mp4`;
      const body = randomBytes(64 * 1024);
      const put = await store.put(key, body, {
        contentType: 'video/mp4',
        cacheControl: 'public, max-age=31536000, immutable',
      });
      expect(put).toMatchObject({
        key,
        size: body.length,
        contentType: 'video/mp4',
        cacheControl: 'public, max-age=31536000, immutable',
        storageClass: 'STANDARD',
      });
      expect(put.etag).toMatch(/^"[^"]+"$/);
      expect(put.lastModified).toBeInstanceOf(Date);

      const head = await store.head(key);
      expect(head).toMatchObject({ key, size: body.length, etag: put.etag, contentType: 'video/mp4' });
      const { info, body: stream } = await store.get(key);
      expect(info.etag).toBe(put.etag);
      expect((await readAll(stream)).equals(body)).toBe(true);
    });

    it('puts strings and streams; equal content gives equal etags', async () => {
      const prefix = ns();
      const a = await store.put(`${prefix}/a.txt`, 'hello world', { contentType: 'text/plain' });
      const b = await store.put(`${prefix}/b.txt`, Readable.from([Buffer.from('hello '), Buffer.from('world')]), {
        contentType: 'text/plain',
      });
      const c = await store.put(`${prefix}/c.txt`, 'hello world!', { contentType: 'text/plain' });
      expect(a.size).toBe(11);
      expect(b.size).toBe(11);
      expect(a.etag).toBe(b.etag);
      expect(c.etag).not.toBe(a.etag);
      expect((await readAll((await store.get(`${prefix}/b.txt`)).body)).toString()).toBe('hello world');
    });

    it('stores empty objects', async () => {
      const key = `${ns()}/empty`;
      const info = await store.put(key, Buffer.alloc(0), { contentType: 'application/octet-stream' });
      expect(info.size).toBe(0);
      expect((await readAll((await store.get(key)).body)).length).toBe(0);
    });

    it('overwrites an object with new content and metadata', async () => {
      const key = `${ns()}/poster.jpg`;
      await store.put(key, 'old', { contentType: 'image/png' });
      const second = await store.put(key, 'new content', { contentType: 'image/jpeg' });
      const head = await store.head(key);
      expect(head).toMatchObject({ size: 11, contentType: 'image/jpeg', etag: second.etag });
      expect((await readAll((await store.get(key)).body)).toString()).toBe('new content');
    });

    it('reports missing objects', async () => {
      const key = `${ns()}/missing`;
      expect(await store.head(key)).toBeNull();
      await rejectsWithCode(store.get(key), 'object_not_found');
      await rejectsWithCode(store.getToFile(key, join(scratch, 'never')), 'object_not_found');
    });

    it('serves inclusive byte ranges', async () => {
      const key = `${ns()}/range.bin`;
      await store.put(key, '0123456789', { contentType: 'application/octet-stream' });
      const mid = await store.get(key, { start: 2, end: 5 });
      expect((await readAll(mid.body)).toString()).toBe('2345');
      expect(mid.info.size).toBe(10);
      const tail = await store.get(key, { start: 7, end: 100 });
      expect((await readAll(tail.body)).toString()).toBe('789');
      const one = await store.get(key, { start: 9, end: 9 });
      expect((await readAll(one.body)).toString()).toBe('9');
      await rejectsWithCode(store.get(key, { start: 10, end: 20 }), 'range_not_satisfiable');
    });

    it('copies from and to local files', async () => {
      const key = `${ns()}/renditions/720/seg_001.m4s`;
      const source = join(scratch, `src-${randomUUID()}`);
      const target = join(scratch, `dst-${randomUUID()}`);
      const body = randomBytes(200 * 1024);
      await writeFile(source, body);
      const put = await store.putFile(key, source, { contentType: 'video/iso.segment' });
      expect(put.size).toBe(body.length);
      const got = await store.getToFile(key, target);
      expect(got.etag).toBe(put.etag);
      expect((await readFile(target)).equals(body)).toBe(true);
    });

    it('lists by prefix in key order, including keys nested under other keys', async () => {
      const p = ns();
      const keys = [`${p}/v/1`, `${p}/v/1/master.m3u8`, `${p}/v/10/a`, `${p}/v/2/b`, `${p}/w/x`];
      for (const key of [...keys].reverse()) await store.put(key, key, { contentType: 'text/plain' });

      const all = await store.list(`${p}/`);
      expect(all.map((o) => o.key)).toEqual(keys);
      expect(all[0]).toMatchObject({ size: keys[0]!.length, contentType: 'text/plain' });
      expect((await store.list(`${p}/v/1`)).map((o) => o.key)).toEqual([`${p}/v/1`, `${p}/v/1/master.m3u8`, `${p}/v/10/a`]);
      expect((await store.list(`${p}/v/1/`)).map((o) => o.key)).toEqual([`${p}/v/1/master.m3u8`]);
      expect(await store.list(`${p}/nothing/`)).toEqual([]);
    });

    it('lists pages of keys with size and time, and rolls keys up into folders with a delimiter', async () => {
      const p = ns();
      const before = Date.now() - 60_000;
      const keys = [`${p}/v/1/master.m3u8`, `${p}/v/10/a`, `${p}/v/2/b`, `${p}/v/3`, `${p}/v/4/deep/x`, `${p}/w/x`];
      for (const key of [...keys].reverse()) await store.put(key, key, { contentType: 'text/plain' });

      // Every key under the prefix, in order, a page at a time.
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listPage(`${p}/`, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        expect(page.keys.length).toBeLessThanOrEqual(2);
        expect(page.folders).toEqual([]);
        for (const k of page.keys) {
          expect(k.size).toBe(k.key.length);
          expect(k.lastModified.getTime()).toBeGreaterThan(before);
        }
        seen.push(...page.keys.map((k) => k.key));
        if (!page.next) break;
        cursor = page.next;
      }
      expect(seen).toEqual(keys);

      // With a delimiter: the objects right below the prefix, and one folder per next level that holds objects
      // (`v/1` is both).
      await store.put(`${p}/v/1`, 'v1', { contentType: 'text/plain' });
      const rolled = await store.listPage(`${p}/v/`, { delimiter: '/' });
      expect(rolled.keys.map((k) => k.key)).toEqual([`${p}/v/1`, `${p}/v/3`]);
      expect(rolled.folders).toEqual([`${p}/v/1/`, `${p}/v/10/`, `${p}/v/2/`, `${p}/v/4/`]);
      expect(rolled.next).toBeNull();
      const folders: string[] = [];
      cursor = undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listPage(`${p}/`, { delimiter: '/', limit: 1, ...(cursor === undefined ? {} : { cursor }) });
        folders.push(...page.folders);
        if (!page.next) break;
        cursor = page.next;
      }
      expect(folders).toEqual([`${p}/v/`, `${p}/w/`]);
      expect(await store.listPage(`${p}/nothing/`, { delimiter: '/' })).toEqual({ keys: [], folders: [], next: null });
    });

    it('says it can take writes', async () => {
      await expect(store.checkWritable()).resolves.toBeUndefined();
    });

    it('deletes single objects and whole prefixes', async () => {
      const p = ns();
      for (const key of [`${p}/a/1`, `${p}/a/2`, `${p}/a/deep/3`, `${p}/b/1`]) {
        await store.put(key, 'x', { contentType: 'text/plain' });
      }
      await store.delete(`${p}/b/1`);
      expect(await store.head(`${p}/b/1`)).toBeNull();
      await store.delete(`${p}/b/1`); // deleting a missing object is fine

      expect(await store.deletePrefix(`${p}/a/`)).toBe(3);
      expect(await store.list(`${p}/`)).toEqual([]);
      expect(await store.deletePrefix(`${p}/a/`)).toBe(0);
    });

    it('presigns a PUT for an exact size and content type', async () => {
      const key = `${ns()}/uploads/clip.mp4`;
      const before = Date.now();
      const request = await store.presignPut(key, { contentType: 'video/mp4', size: 1234, expiresInSec: 600 });
      expect(request.method).toBe('PUT');
      expect(new URL(request.url).pathname).toContain('/uploads/clip.mp4');
      expect(request.headers['content-type']).toBe('video/mp4');
      expect(request.expiresAt.getTime()).toBeGreaterThan(before + 590_000);
      expect(request.expiresAt.getTime()).toBeLessThan(before + 610_000);
    });

    it('accepts an upload through a presigned PUT', async (ctx) => {
      if (!fixture.sendPresigned) return ctx.skip();
      const key = `${ns()}/uploads/clip.mp4`;
      const body = randomBytes(100_000);
      const request = await store.presignPut(key, { contentType: 'video/mp4', size: body.length, expiresInSec: 600 });
      await fixture.sendPresigned(request, body);
      expect(await store.head(key)).toMatchObject({ size: body.length, contentType: 'video/mp4' });
      expect((await readAll((await store.get(key)).body)).equals(body)).toBe(true);
    });

    it('assembles a multipart upload from parts sent out of order, resuming via listParts', async (ctx) => {
      const send = fixture.sendPresigned;
      if (!send) return ctx.skip();
      const key = `${ns()}/uploads/big.mp4`;
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
      const created: ObjectInfo[] = [];
      const unsubscribe = fixture.emitsObjectCreated ? store.onObjectCreated((info) => created.push(info)) : () => {};

      const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
      const sendPart = async (n: number): Promise<void> => {
        const body = parts[n - 1]!;
        await send(await store.presignPart(key, uploadId, n, { size: body.length, expiresInSec: 600 }), body);
      };
      await sendPart(3);
      await sendPart(1);
      // The client "crashes" here; on resume it asks which parts already arrived.
      const present = await store.listParts(key, uploadId);
      expect(present.map((p) => [p.partNumber, p.size])).toEqual([
        [1, 5 * MiB],
        [3, 1000],
      ]);
      for (const p of present) expect(p.etag).toMatch(/^"[^"]+"$/);
      await sendPart(2);
      const all = await store.listParts(key, uploadId);
      expect(all.map((p) => p.partNumber)).toEqual([1, 2, 3]);
      expect(await store.head(key)).toBeNull(); // nothing visible before completion

      const info = await store.completeMultipart(
        key,
        uploadId,
        all.map(({ partNumber, etag }) => ({ partNumber, etag })),
      );
      const expected = Buffer.concat(parts);
      expect(info).toMatchObject({ key, size: expected.length, contentType: 'video/mp4' });
      expect((await readAll((await store.get(key)).body)).equals(expected)).toBe(true);
      expect((await store.head(key))?.etag).toBe(info.etag);
      await rejectsWithCode(store.listParts(key, uploadId), 'upload_not_found');
      if (fixture.emitsObjectCreated) expect(created.map((c) => c.key)).toEqual([key]);
      unsubscribe();
    });

    it('refuses to complete with a missing part or a wrong etag', async (ctx) => {
      const send = fixture.sendPresigned;
      if (!send) return ctx.skip();
      const key = `${ns()}/uploads/bad.mp4`;
      const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
      const body = randomBytes(1000);
      await send(await store.presignPart(key, uploadId, 1, { size: body.length, expiresInSec: 600 }), body);
      const [part] = await store.listParts(key, uploadId);
      await expect(store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: '"0000"' }])).rejects.toThrow();
      await expect(
        store.completeMultipart(key, uploadId, [
          { partNumber: 1, etag: part!.etag },
          { partNumber: 2, etag: part!.etag },
        ]),
      ).rejects.toThrow();
      expect(await store.head(key)).toBeNull();
      await store.abortMultipart(key, uploadId);
    });

    it('aborts a multipart upload, idempotently', async (ctx) => {
      const send = fixture.sendPresigned;
      if (!send) return ctx.skip();
      const key = `${ns()}/uploads/aborted.mp4`;
      const { uploadId } = await store.createMultipart(key, { contentType: 'video/mp4' });
      const body = randomBytes(2000);
      await send(await store.presignPart(key, uploadId, 1, { size: body.length, expiresInSec: 600 }), body);
      await store.abortMultipart(key, uploadId);
      await rejectsWithCode(store.listParts(key, uploadId), 'upload_not_found');
      await expect(store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: '"x"' }])).rejects.toThrow();
      await store.abortMultipart(key, uploadId);
      expect(await store.head(key)).toBeNull();
    });

    describe('archive tier', () => {
      const DAY = 86_400_000;
      const archived = async (p: string, body: Buffer) => {
        const key = `${p}/original`;
        await store.put(key, body, { contentType: 'video/mp4' });
        const moved = await store.setStorageClass(key, 'ARCHIVE');
        expect(moved).toMatchObject({ key, size: body.length, storageClass: 'ARCHIVE' });
        return key;
      };

      it('moves an object to the archive tier: head and listings say so, reads are refused until a restore', async ({ skip }) => {
        if (!fixture.archive) skip();
        const p = ns();
        const body = randomBytes(48 * 1024);
        const key = await archived(p, body);
        await store.put(`${p}/poster.jpg`, 'jpg', { contentType: 'image/jpeg' });
        const head = await store.head(key);
        expect(head).toMatchObject({ size: body.length, storageClass: 'ARCHIVE' });
        expect(head!.restore).toBeUndefined();
        await rejectsWithCode(store.get(key), 'object_archived');
        await rejectsWithCode(store.get(key, { start: 0, end: 9 }), 'object_archived');
        await rejectsWithCode(store.getToFile(key, join(scratch, randomUUID())), 'object_archived');
        const page = await store.listPage(`${p}/`);
        expect(page.keys.map((k) => [k.key, k.storageClass, k.size])).toEqual([
          [key, 'ARCHIVE', body.length],
          [`${p}/poster.jpg`, 'STANDARD', 3],
        ]);
        // Idempotent: archiving again changes nothing.
        expect(await store.setStorageClass(key, 'ARCHIVE')).toMatchObject({ storageClass: 'ARCHIVE', size: body.length });
        expect((await store.list(`${p}/`)).map((i) => i.storageClass)).toEqual(['ARCHIVE', 'STANDARD']);
      });

      it('restores: ongoing, then a readable copy until it expires; asking again while ongoing starts nothing new', async ({ skip }) => {
        if (!fixture.archive) skip();
        const archive = fixture.archive!;
        const body = randomBytes(40 * 1024);
        const key = await archived(ns(), body);
        expect(await store.restoreObject(key, { days: 1, tier: 'Standard' })).toBe(archive.restoreDelayMs > 0 ? 'ongoing' : 'restored');
        expect((await store.head(key))!.restore).toEqual({ ongoing: true, expiresAt: null });
        await rejectsWithCode(store.get(key), 'object_archived');
        expect(await store.restoreObject(key, { days: 1, tier: 'Standard' })).toBe('ongoing');

        archive.advance(archive.restoreDelayMs + 1000);
        const restored = await store.head(key);
        expect(restored!.storageClass).toBe('ARCHIVE');
        expect(restored!.restore!.ongoing).toBe(false);
        expect(restored!.restore!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + DAY / 2);
        expect(await readAll((await store.get(key)).body)).toEqual(body);
        const slice = await store.get(key, { start: 10, end: 19 });
        expect(await readAll(slice.body)).toEqual(body.subarray(10, 20));
        const copy = join(scratch, randomUUID());
        await store.getToFile(key, copy);
        expect(await readFile(copy)).toEqual(body);
        expect(await store.restoreObject(key, { days: 1, tier: 'Standard' })).toBe('restored');

        // The restored copy expires; the archived object stays.
        archive.advance(2 * DAY + 1000);
        await rejectsWithCode(store.get(key), 'object_archived');
        const expired = await store.head(key);
        expect(expired).toMatchObject({ storageClass: 'ARCHIVE', size: body.length });
        expect(expired!.restore).toBeUndefined();
      });

      it('has nothing to restore for a STANDARD object, refuses missing keys, and deletes archived objects', async ({ skip }) => {
        if (!fixture.archive) skip();
        const p = ns();
        await store.put(`${p}/hot`, 'hot', { contentType: 'text/plain' });
        expect(await store.restoreObject(`${p}/hot`, { days: 1, tier: 'Bulk' })).toBe('not_needed');
        await rejectsWithCode(store.restoreObject(`${p}/missing`, { days: 1, tier: 'Bulk' }), 'object_not_found');
        await rejectsWithCode(store.setStorageClass(`${p}/missing`, 'ARCHIVE'), 'object_not_found');
        await rejectsWithCode(store.restoreObject(`${p}/hot`, { days: 0, tier: 'Bulk' }), 'validation_failed');
        const key = await archived(p, randomBytes(1024));
        await store.restoreObject(key, { days: 1, tier: 'Bulk' });
        await store.delete(key);
        expect(await store.head(key)).toBeNull();
        await rejectsWithCode(store.get(key), 'object_not_found');
        // Written again as a plain object: readable, STANDARD, no restore state left over.
        await store.put(key, 'new', { contentType: 'text/plain' });
        expect(await store.head(key)).toMatchObject({ storageClass: 'STANDARD', size: 3 });
        expect((await store.head(key))!.restore).toBeUndefined();
        expect(await readAll((await store.get(key)).body)).toEqual(Buffer.from('new'));
      });

      it('puts straight into the archive tier and back to STANDARD once restored', async ({ skip }) => {
        if (!fixture.archive) skip();
        const archive = fixture.archive!;
        const key = `${ns()}/cold`;
        const body = randomBytes(2048);
        expect(await store.put(key, body, { contentType: 'video/mp4', storageClass: 'ARCHIVE' })).toMatchObject({
          storageClass: 'ARCHIVE',
        });
        await rejectsWithCode(store.get(key), 'object_archived');
        await rejectsWithCode(store.setStorageClass(key, 'STANDARD'), 'object_archived');
        await store.restoreObject(key, { days: 1, tier: 'Expedited' });
        archive.advance(archive.restoreDelayMs + 1000);
        expect(await store.setStorageClass(key, 'STANDARD')).toMatchObject({ storageClass: 'STANDARD', size: body.length });
        expect(await readAll((await store.get(key)).body)).toEqual(body);
        expect((await store.listPage(key)).keys.map((k) => k.storageClass)).toEqual(['STANDARD']);
      });
    });

    // Stores that cannot emit in-process (S3 delivers notifications through a queue) must
    // accept listeners and stay silent, never call them with something half-true.
    it('notifies object-created listeners after put, putFile and until unsubscribed (or never, where it cannot)', async () => {
      const p = ns();
      const seen: ObjectInfo[] = [];
      const unsubscribe = store.onObjectCreated((info) => seen.push(info));
      await store.put(`${p}/one`, '1', { contentType: 'text/plain' });
      const source = join(scratch, `src-${randomUUID()}`);
      await writeFile(source, '22');
      await store.putFile(`${p}/two`, source, { contentType: 'text/plain' });
      unsubscribe();
      await store.put(`${p}/three`, '333', { contentType: 'text/plain' });
      expect(seen.map((i) => [i.key, i.size])).toEqual(
        fixture.emitsObjectCreated
          ? [
              [`${p}/one`, 1],
              [`${p}/two`, 2],
            ]
          : [],
      );
      expect(await store.head(`${p}/three`)).not.toBeNull();
    });
  });
}
