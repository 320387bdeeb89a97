import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../support/media.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

let t: TestApp;
let api: ReturnType<typeof apiClient>;
let token: string;
let otherToken: string;
let clip: Buffer;

async function signup(username: string): Promise<string> {
  const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: 'correct horse battery' } });
  expect(r.status).toBe(201);
  return r.body.token;
}

async function createUpload(tok: string, size: number, extra: Record<string, unknown> = {}) {
  return api('POST', '/api/v1/uploads', {
    token: tok,
    body: { filename: 'clip.mp4', contentType: 'video/mp4', size, ...extra },
  });
}

async function putBytes(upload: { url: string; headers: Record<string, string> }, bytes: Buffer, headers: Record<string, string> = {}) {
  return fetch(upload.url, { method: 'PUT', headers: { ...upload.headers, ...headers }, body: new Uint8Array(bytes) });
}

beforeAll(async () => {
  t = await startTestApp({ UPLOAD_MULTIPART_THRESHOLD: String(5 * 1024 * 1024), UPLOAD_PART_SIZE: String(5 * 1024 * 1024) });
  api = apiClient(t.baseUrl);
  const clipPath = join(t.dataDir, 'clip.mp4');
  await makeClip(clipPath, { seconds: 3 });
  clip = await readFile(clipPath);
  token = await signup('alice');
  otherToken = await signup('bob');
});

afterAll(async () => {
  await t?.close();
});

describe('accounts', () => {
  it('signs up, logs in, and revokes a token on logout', async () => {
    const dup = await api('POST', '/api/v1/auth/signup', { body: { username: 'ALICE', password: 'whatever123' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('username_taken');

    const bad = await api('POST', '/api/v1/auth/login', { body: { username: 'alice', password: 'wrong password' } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_credentials');
    const ghost = await api('POST', '/api/v1/auth/login', { body: { username: 'nobody', password: 'wrong password' } });
    expect(ghost.status).toBe(401);
    expect(ghost.body.error.code).toBe('invalid_credentials');

    const login = await api('POST', '/api/v1/auth/login', { body: { username: 'alice', password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    expect(login.body.user.username).toBe('alice');
    const me = await api('GET', '/api/v1/me', { token: login.body.token });
    expect(me.body.user.username).toBe('alice');
    expect((await api('POST', '/api/v1/auth/logout', { token: login.body.token })).status).toBe(204);
    const after = await api('GET', '/api/v1/me', { token: login.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    // The other session is untouched.
    expect((await api('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('validates credentials with a clear message', async () => {
    const r = await api('POST', '/api/v1/auth/signup', { body: { username: 'a b', password: 'short' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.message).toMatch(/username|password/);
  });

  it('refuses malformed and oversized JSON bodies', async () => {
    const malformed = await api('POST', '/api/v1/auth/login', { rawBody: '{"username": "alice",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');
    const huge = await api('POST', '/api/v1/auth/login', {
      rawBody: JSON.stringify({ username: 'alice', password: 'x'.repeat(200_000) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const notJson = await api('POST', '/api/v1/uploads', { token, rawBody: 'size=1', headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    // Still serving.
    expect((await api('GET', '/healthz')).status).toBe(200);
  });
});

describe('upload → process → play', () => {
  let videoId: string;

  it('creates an upload only for signed-in users with sane input', async () => {
    expect((await createUpload('', clip.length)).status).toBe(401);
    const zero = await createUpload(token, 0);
    expect(zero.status).toBe(400);
    expect(zero.body.error.code).toBe('validation_failed');
    const type = await api('POST', '/api/v1/uploads', {
      token,
      body: { filename: 'x.png', contentType: 'image/png', size: 100 },
    });
    expect(type.status).toBe(415);
    expect(type.body.error.code).toBe('unsupported_media_type');
    const big = await createUpload(token, 3 * 1024 ** 3);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('upload_too_large');
  });

  it('publishes its limits so a client can check a file before sending a byte, and refuses past them', async () => {
    const limits = await api('GET', '/api/v1/uploads/limits');
    expect(limits.status).toBe(200);
    expect(limits.headers.get('cache-control')).toBe('public, max-age=300');
    expect(limits.body).toMatchObject({ maxBytes: t.app.config.uploads.maxBytes, maxDurationSec: t.app.config.media.maxDurationSec });
    expect(limits.body.contentTypes).toEqual(expect.arrayContaining(['video/mp4', 'video/quicktime', 'video/webm']));
    const over = await createUpload(token, limits.body.maxBytes + 1);
    expect(over.status).toBe(413);
  });

  it('takes bytes on a signed URL, processes on the storage event, and serves playback', async () => {
    const created = await createUpload(token, clip.length, { caption: 'hello <b>world</b>\u0007' });
    expect(created.status).toBe(201);
    videoId = created.body.videoId;
    const { upload } = created.body;
    expect(upload.kind).toBe('single');
    expect(upload.method).toBe('PUT');
    expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const put = await putBytes(upload, clip);
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBeTruthy();

    // No `complete` call: the object-created event alone starts processing.
    const ready = await waitForVideo(api, videoId, token, (v) => v.status === 'ready');
    expect(ready.caption).toBe('hello <b>world</b>');
    expect(ready.author.username).toBe('alice');
    expect(ready.width).toBe(360);
    expect(ready.height).toBe(640);
    expect(ready.durationMs).toBeGreaterThan(2500);
    expect(ready.playback.hls).toMatch(/\.m3u8$/);
    expect(ready.playback.mp4).toMatch(/\.mp4$/);
    expect(ready.playback.poster).toMatch(/\.jpg$/);

    // `complete` after the fact is idempotent.
    const again = await api('POST', `/api/v1/uploads/${videoId}/complete`, { token, body: {} });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('ready');
  });

  it('serves a master playlist and segments with CDN-friendly caching', async () => {
    const v = (await api('GET', `/api/v1/videos/${videoId}`)).body;
    const master = await fetch(v.playback.hls);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toContain('mpegurl');
    const text = await master.text();
    expect(text).toContain('#EXTM3U');
    expect(text).toMatch(/BANDWIDTH=\d+/);
    expect(text).toMatch(/AVERAGE-BANDWIDTH=\d+/);
    expect(text).toMatch(/RESOLUTION=\d+x\d+/);
    expect(text).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);

    const mp4 = await fetch(v.playback.mp4);
    expect(mp4.headers.get('cache-control')).toBe('public, max-age=31536000, s-maxage=5, immutable');
    const etag = mp4.headers.get('etag')!;
    const size = Number(mp4.headers.get('content-length'));
    expect(size).toBeGreaterThan(1000);
    await mp4.arrayBuffer();

    const partial = await fetch(v.playback.mp4, { headers: { range: 'bytes=0-99' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 0-99/${size}`);
    expect((await partial.arrayBuffer()).byteLength).toBe(100);
    const tail = await fetch(v.playback.mp4, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const beyond = await fetch(v.playback.mp4, { headers: { range: `bytes=${size + 10}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    const notModified = await fetch(v.playback.mp4, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);

    const poster = await fetch(v.playback.poster);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await poster.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');

    // Originals are never served by the media route.
    expect((await fetch(`${t.baseUrl}/media/originals/${videoId}/x`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/media/${videoId}`)).status).toBe(404);
  });

  it('lists ready public videos newest first with a cursor', async () => {
    const first = await api('GET', '/api/v1/feed?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items[0].id).toBe(videoId);
    const bad = await api('GET', '/api/v1/feed?cursor=%%%not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_cursor');
    const limit = await api('GET', '/api/v1/feed?limit=1000');
    expect(limit.status).toBe(400);
  });

  it('streams status as Server-Sent Events and ends once terminal', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/videos/${videoId}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text(); // ready → one status event, then the stream closes
    expect(text).toContain('event: status');
    const data = JSON.parse(/data: (.*)\n/.exec(text)![1]!);
    expect(data.status).toBe('ready');
  });
});

describe('status streams and changes made elsewhere', () => {
  it('delivers a change no event in this process announced (a worker elsewhere) to every open stream, from one shared read', async () => {
    const created = (await createUpload(token, 1000, { caption: 'before' })).body;
    const streams = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${t.baseUrl}/api/v1/videos/${created.videoId}/events`, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    const captions = streams.map(async (res) => {
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const seen: string[] = [];
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !seen.includes('written elsewhere')) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        for (const m of text.matchAll(/^event: status\ndata: (.*)$/gm)) seen.push(JSON.parse(m[1]!).caption);
      }
      await reader.cancel();
      return seen;
    });
    // Straight to the database, as another process would: no VideoEvents here to wake the streams.
    await new Promise((r) => setTimeout(r, 300));
    await t.app.db.query(`UPDATE videos SET caption = 'written elsewhere' WHERE id = $1`, [created.videoId]);
    for (const seen of await Promise.all(captions)) {
      expect(seen[0]).toBe('before');
      expect(seen).toContain('written elsewhere');
    }
  });
});

describe('operations', () => {
  it('answers health, readiness and Prometheus metrics', async () => {
    expect((await api('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await api('GET', '/readyz')).body).toEqual({ status: 'ready' });
    const res = await fetch(`${t.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/curta_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/videos\/:id",status_code="200"\} \d+/);
    expect(text).toMatch(/curta_queue_jobs\{queue="video.process",state="done"\} [1-9]/);
    expect(text).toMatch(/curta_job_duration_seconds_count\{queue="video.process",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/curta_cache_requests_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/curta_cache_requests_total\{result="miss"\} [1-9]/);
  });
});

describe('early playback and live progress', () => {
  it('is playable and reports progress over SSE before the ladder is finished', async () => {
    const path = join(t.dataDir, 'long.mp4');
    await makeClip(path, { width: 720, height: 1280, seconds: 12, extra: ['-b:v', '1M'] });
    expect((await stat(path)).size).toBeLessThan(5 * 1024 * 1024); // a single PUT
    const bytes = await readFile(path);
    const created = (await createUpload(token, bytes.length)).body;
    const stream = await fetch(`${t.baseUrl}/api/v1/videos/${created.videoId}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.status).toBe(200);
    expect((await putBytes(created.upload, bytes)).status).toBe(200);
    expect((await api('POST', `/api/v1/uploads/${created.videoId}/complete`, { token, body: {} })).status).toBe(200);

    const events: any[] = [];
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = stream.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (/^event: status$/m.test(block) && data) events.push(JSON.parse(data[1]!));
      }
    }
    const statuses = events.map((e) => e.status);
    expect(statuses.at(-1)).toBe('ready');
    expect(statuses).toContain('processing');
    // Playable while still processing: the HLS master is out before the encode ends.
    const early = events.find((e) => e.status === 'processing' && e.playback?.hls);
    expect(early).toBeDefined();
    const master = await fetch(early.playback.hls);
    expect(master.status).toBe(200);
    // Progress moves forward only.
    const progress = events.filter((e) => e.status === 'processing').map((e) => e.progress);
    expect(progress.some((p) => p > 0 && p < 1)).toBe(true);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });
});

describe('private media', () => {
  it('reaches renditions of a private video only through signed, expiring URLs kept out of shared caches', async () => {
    const created = (await createUpload(token, clip.length, { visibility: 'private' })).body;
    expect((await putBytes(created.upload, clip)).status).toBe(200);
    const v = await waitForVideo(api, created.videoId, token, (x) => x.status === 'ready');
    expect(v.visibility).toBe('private');
    // /media/s/<expires>/<signature>/<viewer>/<id>/…: bound to the owner who asked.
    expect(v.playback.hls).toMatch(new RegExp(`/media/s/\\d+/[\\w-]+/[\\w-]+/${created.videoId}/`));

    const master = await fetch(v.playback.hls);
    expect(master.status).toBe(200);
    expect(master.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    // Relative URIs inside the playlist inherit the signature.
    const variant = (await master.text()).split('\n').find((l) => l.endsWith('.m3u8'))!;
    const media = await fetch(new URL(variant, v.playback.hls));
    expect(media.status).toBe(200);
    const firstSegment = (await media.text()).split('\n').find((l) => l.endsWith('.m4s'))!;
    const seg = await fetch(new URL(firstSegment, new URL(variant, v.playback.hls)), { headers: { range: 'bytes=0-9' } });
    expect(seg.status).toBe(206);

    // The same object by its plain URL, with a tampered signature, or for another video: refused.
    const plain = v.playback.hls.replace(/\/media\/s\/\d+\/[\w-]+\/[\w-]+\//, '/media/');
    expect((await fetch(plain)).status).toBe(404);
    const tampered = v.playback.hls.replace(/\/s\/(\d+)\//, (_m: string, e: string) => `/s/${Number(e) + 900}/`);
    const t1 = await fetch(tampered);
    expect(t1.status).toBe(403);
    expect((await t1.json()).error.code).toBe('signature_invalid');
    // Strangers don't get the URLs at all.
    expect((await api('GET', `/api/v1/videos/${created.videoId}`, { token: otherToken })).status).toBe(404);
    expect((await api('GET', `/api/v1/videos/${created.videoId}`)).status).toBe(404);
  });
});

describe('hostile uploads', () => {
  it('refuses a tampered signature, a PUT to another video, and expired URLs', async () => {
    const a = (await createUpload(token, clip.length)).body;
    const b = (await createUpload(otherToken, clip.length)).body;

    const tampered = new URL(a.upload.url);
    tampered.searchParams.set(
      [...tampered.searchParams.keys()].find((k) => /size/i.test(k))!,
      String(clip.length + 1),
    );
    const r1 = await fetch(tampered, { method: 'PUT', headers: a.upload.headers, body: new Uint8Array(clip) });
    expect(r1.status).toBe(403);
    expect((await r1.json()).error.code).toBe('signature_invalid');
    // The refused body is not read: the connection ends after the answer.
    expect(r1.headers.get('connection')).toBe('close');

    // A query the route's schema refuses (the signature given twice) ends the connection the same way.
    const doubled = new URL(a.upload.url);
    doubled.searchParams.append('sig', 'x');
    const r0 = await fetch(doubled, { method: 'PUT', headers: a.upload.headers, body: new Uint8Array(clip) });
    expect(r0.status).toBe(400);
    expect(r0.headers.get('connection')).toBe('close');

    // A's signature on B's key.
    const cross = new URL(a.upload.url);
    cross.pathname = new URL(b.upload.url).pathname;
    const r2 = await fetch(cross, { method: 'PUT', headers: a.upload.headers, body: new Uint8Array(clip) });
    expect(r2.status).toBe(403);
    expect((await r2.json()).error.code).toBe('signature_invalid');

    const expired = await t.app.store.presignPut(`originals/${a.videoId}`, {
      contentType: 'video/mp4',
      size: clip.length,
      expiresInSec: 1,
    });
    await new Promise((res) => setTimeout(res, 2100));
    const r3 = await fetch(expired.url, { method: 'PUT', headers: expired.headers, body: new Uint8Array(clip) });
    expect(r3.status).toBe(403);
    expect((await r3.json()).error.code).toBe('signature_expired');

    // Nothing was stored for either video, and both still accept their own valid URL.
    expect(await t.app.store.head(`originals/${b.videoId}`)).toBeNull();
    expect(await t.app.store.head(`originals/${a.videoId}`)).toBeNull();
    expect((await putBytes(a.upload, clip)).status).toBe(200);
  });

  it('refuses more bytes than declared and a wrong content type, storing nothing', async () => {
    const small = (await createUpload(token, 1000)).body;
    const over = await putBytes(small.upload, randomBytes(5000));
    expect(over.status).toBe(400);
    expect((await over.json()).error.code).toBe('size_mismatch');
    const wrongType = await putBytes(small.upload, randomBytes(1000), { 'content-type': 'text/html' });
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).error.code).toBe('content_type_mismatch');
    expect(await t.app.store.head(`originals/${small.videoId}`)).toBeNull();
    const status = await api('GET', `/api/v1/uploads/${small.videoId}`, { token });
    expect(status.body.video.status).toBe('uploading');
    const incomplete = await api('POST', `/api/v1/uploads/${small.videoId}/complete`, { token, body: {} });
    expect(incomplete.status).toBe(409);
    expect(incomplete.body.error.code).toBe('upload_incomplete');
  });

  it("keeps another user's upload and unpublished video out of reach", async () => {
    const mine = (await createUpload(token, 1000)).body;
    expect((await api('GET', `/api/v1/uploads/${mine.videoId}`, { token: otherToken })).status).toBe(404);
    expect((await api('POST', `/api/v1/uploads/${mine.videoId}/complete`, { token: otherToken, body: {} })).status).toBe(404);
    expect((await api('GET', `/api/v1/videos/${mine.videoId}`, { token: otherToken })).status).toBe(404);
    expect((await api('GET', `/api/v1/videos/${mine.videoId}`)).status).toBe(404);
    expect((await api('GET', `/api/v1/videos/${mine.videoId}`, { token })).body.status).toBe('uploading');
    expect((await api('GET', `/api/v1/videos/${mine.videoId}/events`, { token: otherToken })).status).toBe(404);
  });

  it('fails a disguised HLS playlist with a reason and never reads the file it points at', async () => {
    const playlist = Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${join(t.dataDir, 'clip.mp4')}\n#EXT-X-ENDLIST\n`);
    const created = (await createUpload(token, playlist.length)).body;
    expect((await putBytes(created.upload, playlist)).status).toBe(200);
    const failed = await waitForVideo(api, created.videoId, token, (v) => v.status === 'failed');
    expect(failed.error.code).toBe('playlist_not_allowed');
    expect(failed.error.message.length).toBeGreaterThan(5);
    expect(failed.playback).toBeNull();

    const text = Buffer.from('// This would be a real fMP4 file, I promise.\n');
    const fake = (await createUpload(token, text.length)).body;
    expect((await putBytes(fake.upload, text)).status).toBe(200);
    const f2 = await waitForVideo(api, fake.videoId, token, (v) => v.status === 'failed');
    expect(f2.error.code).toMatch(/unrecognized_format|playlist_not_allowed/);
  });

  it('resumes a multipart upload without resending finished parts', async () => {
    const bytes = randomBytes(11 * 1024 * 1024 + 123);
    const created = await createUpload(token, bytes.length);
    expect(created.status).toBe(201);
    const { videoId, upload } = created.body;
    expect(upload.kind).toBe('multipart');
    expect(upload.parts).toHaveLength(3);
    const send = (p: any) =>
      fetch(p.url, {
        method: 'PUT',
        headers: p.headers,
        body: new Uint8Array(bytes.subarray((p.partNumber - 1) * upload.partSize, (p.partNumber - 1) * upload.partSize + p.size)),
      });
    // Part 2 arrives, then the "network drops".
    expect((await send(upload.parts[1])).status).toBe(200);
    const early = await api('POST', `/api/v1/uploads/${videoId}/complete`, { token, body: {} });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('upload_incomplete');

    const resumed = await api('GET', `/api/v1/uploads/${videoId}`, { token });
    expect(resumed.body.upload.parts.map((p: any) => p.partNumber)).toEqual([1, 3]);
    expect(resumed.body.upload.uploadedParts.map((p: any) => p.partNumber)).toEqual([2]);
    const etags: Record<number, string> = { 2: resumed.body.upload.uploadedParts[0].etag };
    for (const p of resumed.body.upload.parts) {
      const r = await send(p);
      expect(r.status).toBe(200);
      etags[p.partNumber] = r.headers.get('etag')!;
    }
    const done = await api('POST', `/api/v1/uploads/${videoId}/complete`, {
      token,
      body: { parts: [1, 2, 3].map((n) => ({ partNumber: n, etag: etags[n] })) },
    });
    expect(done.status).toBe(200);
    expect(['uploaded', 'processing', 'failed']).toContain(done.body.status);
    const { body } = await t.app.store.get(`originals/${videoId}`);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Random bytes are not a video: it fails with a reason, and the service carries on.
    const failed = await waitForVideo(api, videoId, token, (v) => v.status === 'failed');
    expect(failed.error.code).toBe('unrecognized_format');
  });
});
