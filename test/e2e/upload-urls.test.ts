import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll } from '../contracts/support.js';
import { makeClip } from '../support/media.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * Signed upload URLs on the filesystem store (issue 11, point 7): one writer
 * per URL, nothing written after the upload completed or the video was
 * deleted, slow bodies cut, and a storage sweep for objects of videos that
 * do not exist.
 */
let t: TestApp;
let api: ReturnType<typeof apiClient>;
let token: string;
let clip: Buffer;
let objectsDir: string;

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** A PUT whose body the test writes piece by piece; `answer` settles on the response, or with status 0 when the connection drops. */
function openPut(url: string, headers: Record<string, string>, size: number): { req: ClientRequest; answer: Promise<Answer> } {
  const req = httpRequest(url, { method: 'PUT', headers: { ...headers, 'content-length': String(size) } });
  const answer = new Promise<Answer>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: null, headers: res.headers }));
    });
    req.on('error', () => resolve({ status: 0, body: null, headers: {} }));
  });
  return { req, answer };
}

async function put(url: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  const { req, answer } = openPut(url, headers, body.length);
  req.end(body);
  return answer;
}

/** Bytes in the store's temporary folder (uploads in flight), and its entries. */
async function tempUsage(): Promise<{ bytes: number; names: string[] }> {
  const dir = join(objectsDir, '.tmp');
  const names = await readdir(dir).catch(() => [] as string[]);
  let bytes = 0;
  for (const name of names) bytes += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  return { bytes, names };
}

async function newUpload(size: number): Promise<{ videoId: string; upload: any }> {
  const r = await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size } });
  expect(r.status).toBe(201);
  return r.body;
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

beforeAll(async () => {
  t = await startTestApp({
    UPLOAD_MULTIPART_THRESHOLD: String(5 * 1024 * 1024),
    UPLOAD_PART_SIZE: String(5 * 1024 * 1024),
    // A body must send 100 bytes in every second (or what is left of it, if less).
    UPLOAD_BODY_TIMEOUT_SEC: '1',
    UPLOAD_MIN_BYTES_PER_SEC: '100',
    RECONCILE_INTERVAL_SEC: '0',
    STORAGE_SWEEP_INTERVAL_SEC: '0',
  });
  api = apiClient(t.baseUrl);
  token = (await api('POST', '/api/v1/auth/signup', { body: { username: 'uploader', password: 'long enough pw' } })).body.token;
  const path = join(t.dataDir, 'clip.mp4');
  await makeClip(path, { seconds: 1 });
  clip = await readFile(path);
  objectsDir = t.app.config.storage.kind === 'fs' ? t.app.config.storage.dir : '';
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('signed upload URLs (filesystem storage)', () => {
  it('takes one writer per URL: ten more PUTs while the first is in flight get 409 upload_in_progress, and temp disk holds at most the declared size', async () => {
    const size = 64 * 1024;
    const body = randomBytes(size);
    const { videoId, upload } = await newUpload(size);
    const first = openPut(upload.url, upload.headers, size);
    // Most of the file, then a trickle above the minimum rate (in the background, whatever the
    // other requests cost): the first PUT stays in flight until the test sends the rest.
    let sent = size - 20_000;
    first.req.write(body.subarray(0, sent));
    let trickling = true;
    const trickle = (async () => {
      while (trickling && sent < size - 1000) {
        first.req.write(body.subarray(sent, sent + 20));
        sent += 20;
        await sleep(50);
      }
    })();
    await sleep(200);

    const others = await Promise.all(Array.from({ length: 10 }, () => put(upload.url, upload.headers, randomBytes(size))));
    for (const other of others) {
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('upload_in_progress');
      expect(Number(other.headers['retry-after'])).toBeGreaterThan(0);
    }
    const inFlight = await tempUsage();
    expect(inFlight.bytes).toBeLessThanOrEqual(size);

    trickling = false;
    await trickle;
    first.req.write(body.subarray(sent));
    first.req.end();
    expect((await first.answer).status).toBe(200);
    const stored = await t.app.store.get(`originals/${videoId}`);
    expect((await readAll(stored.body)).equals(body)).toBe(true);
    expect((await tempUsage()).names).toEqual([]);
  });

  it('refuses a replayed PUT once the upload is complete, and after the video is ready: the original stays', async () => {
    const { videoId, upload } = await newUpload(clip.length);
    expect((await put(upload.url, upload.headers, clip)).status).toBe(200);

    const replay = Buffer.from(clip);
    replay.fill(0x42, 1000);
    const early = await put(upload.url, upload.headers, replay);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('upload_state_conflict');

    await waitForVideo(api, videoId, token, (v) => v.status === 'ready');
    const late = await put(upload.url, upload.headers, replay);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('upload_state_conflict');
    const original = await t.app.store.get(`originals/${videoId}`);
    expect((await readAll(original.body)).equals(clip)).toBe(true);
  }, 120_000);

  it('refuses a replayed PUT after the video was deleted and purged: no orphan original appears', async () => {
    const { videoId, upload } = await newUpload(clip.length);
    expect((await put(upload.url, upload.headers, clip)).status).toBe(200);
    expect((await api('DELETE', `/api/v1/videos/${videoId}`, { token })).status).toBe(204);
    expect(await t.app.store.head(`originals/${videoId}`)).toBeNull();

    const replay = await put(upload.url, upload.headers, clip);
    expect(replay.status).toBe(404);
    expect(replay.body.error.code).toBe('upload_not_found');
    expect(await t.app.store.head(`originals/${videoId}`)).toBeNull();
  });

  it('refuses a part after its multipart upload was completed', async () => {
    const mib = 1024 * 1024;
    const { videoId, upload } = await newUpload(6 * mib);
    expect(upload.kind).toBe('multipart');
    const file = randomBytes(6 * mib);
    for (const part of upload.parts) {
      const start = (part.partNumber - 1) * upload.partSize;
      expect((await put(part.url, part.headers, file.subarray(start, start + part.size))).status).toBe(200);
    }
    expect((await api('POST', `/api/v1/uploads/${videoId}/complete`, { token, body: {} })).status).toBe(200);
    const first = upload.parts[0];
    const replay = await put(first.url, first.headers, randomBytes(first.size));
    expect([404, 409]).toContain(replay.status);
    expect((await t.app.store.head(`originals/${videoId}`))?.size).toBe(6 * mib);
  }, 60_000);

  it('cuts a body that trickles slower than the minimum rate and removes its temporary file; the URL then works', async () => {
    const size = 10_000;
    const { videoId, upload } = await newUpload(size);
    const slow = openPut(upload.url, upload.headers, size);
    slow.req.write(Buffer.alloc(10));
    let stop = false;
    // One byte every 300 ms: under the 100 bytes per second the server asks for.
    const trickle = (async () => {
      while (!stop && !slow.req.destroyed) {
        await sleep(300);
        if (!slow.req.destroyed) slow.req.write(Buffer.alloc(1));
      }
    })();
    const answer = await slow.answer;
    stop = true;
    await trickle;
    expect(answer.status).toBe(408);
    expect(answer.body.error.code).toBe('upload_timeout');
    expect(answer.headers.connection).toBe('close');
    slow.req.destroy();
    for (let i = 0; i < 50 && (await tempUsage()).names.length > 0; i++) await sleep(100);
    expect((await tempUsage()).names).toEqual([]);
    expect(await t.app.store.head(`originals/${videoId}`)).toBeNull();

    const retry = await put(upload.url, upload.headers, randomBytes(size));
    expect(retry.status).toBe(200);
  }, 30_000);
});

describe('storage sweep', () => {
  it('deletes originals and media folders of videos that do not exist, after a grace period, on the filesystem store', async () => {
    const { videoId: live } = await newUpload(clip.length);
    await t.app.store.put(`originals/${live}`, clip, { contentType: 'video/mp4' });
    await t.app.store.put(`media/${live}/r1/hls/master.m3u8`, '#EXTM3U', { contentType: 'application/vnd.apple.mpegurl' });
    const ghost = 'ghostvideo01';
    await t.app.store.put(`originals/${ghost}`, 'orphan', { contentType: 'video/mp4' });
    await t.app.store.put(`media/${ghost}/r1/hls/master.m3u8`, '#EXTM3U', { contentType: 'application/vnd.apple.mpegurl' });
    await t.app.store.put(`media/${ghost}/r1/poster.jpg`, 'jpg', { contentType: 'image/jpeg' });
    await t.app.store.put('avatars/someone/abc.jpg', 'jpg', { contentType: 'image/jpeg' });

    // Within the grace period: nothing goes.
    expect(await t.app.services.reconciler.sweepStorage(3600)).toEqual({ originals: 0, mediaFolders: 0 });
    expect(await t.app.store.head(`originals/${ghost}`)).not.toBeNull();

    const later = Date.now() + 2 * 3600_000;
    const report = await t.app.services.reconciler.sweepStorage(3600, later);
    expect(report.originals).toBeGreaterThanOrEqual(1);
    expect(report.mediaFolders).toBeGreaterThanOrEqual(1);
    expect(await t.app.store.head(`originals/${ghost}`)).toBeNull();
    expect(await t.app.store.list(`media/${ghost}/`)).toEqual([]);
    // A live video's objects and other prefixes stay.
    expect(await t.app.store.head(`originals/${live}`)).not.toBeNull();
    expect(await t.app.store.head(`media/${live}/r1/hls/master.m3u8`)).not.toBeNull();
    expect(await t.app.store.head('avatars/someone/abc.jpg')).not.toBeNull();
    expect(await t.app.services.reconciler.sweepStorage(3600, later)).toEqual({ originals: 0, mediaFolders: 0 });
  });
});
