import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '../support/media-helpers.js';
import { makeClip } from '../support/media.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * What people really upload, and what it may cost: Ogg and files the browser
 * has no type for, taken through upload → ready and identified by their
 * bytes; videos that would cost too much to decode, failed with a reason the
 * owner sees; processing jobs carrying their owner for fair scheduling; and
 * avatars, rate-limited and refused from their header before any decode.
 */
describe('media intake and cost', () => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  const MAX_PIXEL_RATE = 2_000_000;

  const signup = async (username: string): Promise<{ id: string; token: string }> => {
    const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: 'correct horse battery' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.user.id, token: r.body.token };
  };

  /** Creates an upload with the declared type, PUTs the bytes as instructed, and waits for a terminal state. */
  const upload = async (token: string, filename: string, contentType: string, bytes: Buffer): Promise<any> => {
    const created = await api('POST', '/api/v1/uploads', { token, body: { filename, contentType, size: bytes.length } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { upload: u, videoId } = created.body;
    expect(u.kind).toBe('single');
    const put = await fetch(u.url, { method: 'PUT', headers: u.headers, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);
    return waitForVideo(api, videoId, token, (v) => v.status === 'ready' || v.status === 'failed');
  };

  beforeAll(async () => {
    t = await startTestApp({ VIDEO_MAX_PIXEL_RATE: String(MAX_PIXEL_RATE), RATE_LIMIT_AVATAR_PER_USER: '3/1d' });
    api = apiClient(t.baseUrl);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('advertises Ogg and untyped files among the accepted types', async () => {
    const limits = await api('GET', '/api/v1/uploads/limits');
    expect(limits.body.contentTypes).toEqual(expect.arrayContaining(['video/ogg', 'application/octet-stream', 'video/mp2t']));
  });

  it('takes an Ogg Theora clip (video/ogg) through to ready, its job keyed by its owner for fair scheduling', async () => {
    const user = await signup('ogg_owner');
    const path = join(t.dataDir, 'clip.ogv');
    // prettier-ignore
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
      '-c:v', 'libtheora', '-q:v', '6', '-c:a', 'libvorbis', '-shortest', path]);
    const bytes = await readFile(path);
    expect(bytes.toString('latin1', 0, 4)).toBe('OggS');
    const video = await upload(user.token, 'clip.ogv', 'video/ogg', bytes);
    expect(video, JSON.stringify(video.error)).toMatchObject({ status: 'ready', width: 160, height: 120 });
    expect(video.durationMs).toBeGreaterThan(1500);

    const { rows } = await t.app.db.query<{ fairness_key: string }>('SELECT fairness_key FROM jobs WHERE dedupe_key = $1', [
      `process:${video.id}`,
    ]);
    expect(rows.map((r) => r.fairness_key)).toEqual([user.id]);
  });

  it('takes an AVCHD .mts (192-byte transport stream) the browser declared as application/octet-stream', async () => {
    const user = await signup('mts_owner');
    const path = join(t.dataDir, 'camera.mts');
    // prettier-ignore
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      '-f', 'mpegts', '-mpegts_m2ts_mode', '1', path]);
    const bytes = await readFile(path);
    expect([bytes[4], bytes[196]]).toEqual([0x47, 0x47]);
    const video = await upload(user.token, 'camera.mts', 'application/octet-stream', bytes);
    expect(video, JSON.stringify(video.error)).toMatchObject({ status: 'ready', width: 160, height: 120 });
  });

  it('takes a file declared with no type at all (an .mkv), and still refuses a non-video type', async () => {
    const user = await signup('untyped_owner');
    const path = join(t.dataDir, 'untyped.mkv');
    await makeClip(path, { width: 160, height: 120, seconds: 2, fps: 25 });
    const created = await api('POST', '/api/v1/uploads', {
      token: user.token,
      body: { filename: 'untyped.mkv', contentType: '', size: 10 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The signed URL expects the generic type, which is what a browser sends for an untyped file.
    expect(created.body.upload.headers['content-type']).toBe('application/octet-stream');
    const video = await upload(user.token, 'untyped.mkv', '', await readFile(path));
    expect(video, JSON.stringify(video.error)).toMatchObject({ status: 'ready', width: 160, height: 120 });

    const text = await api('POST', '/api/v1/uploads', {
      token: user.token,
      body: { filename: 'notes.txt', contentType: 'text/plain', size: 10 },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
  });

  it('fails a video that needs more pixels a second than allowed, with a reason its owner sees', async () => {
    const user = await signup('costly_owner');
    const path = join(t.dataDir, 'costly.mp4');
    // 320×240 at 30 fps: 2.3 million pixels a second, over this server's 2 million.
    await makeClip(path, { width: 320, height: 240, seconds: 1, fps: 30 });
    const video = await upload(user.token, 'costly.mp4', 'video/mp4', await readFile(path));
    expect(video.status).toBe('failed');
    expect(video.error.code).toBe('pixel_rate_too_high');
    expect(video.error.message).toMatch(/320x240 at 30 fps \(2 megapixels a second\); the limit is 2\./);
  });

  describe('avatars', () => {
    let png: Buffer;
    beforeAll(async () => {
      const path = join(t.dataDir, 'face.png');
      await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', path]);
      png = await readFile(path);
    });
    const putAvatar = (token: string, body: Buffer) =>
      fetch(`${t.baseUrl}/api/v1/me/avatar`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body: new Uint8Array(body),
      });

    it('refuses a picture whose header declares too many pixels with 413, before decoding it', async () => {
      const user = await signup('bomb_owner');
      // A PNG header declaring 6300×6300 (like the 131 KB file that cost ffmpeg ~200 MB), and nothing to decode.
      const header = Buffer.concat([png.subarray(0, 16), Buffer.from([0, 0, 0x18, 0x9c, 0, 0, 0x18, 0x9c]), Buffer.alloc(1000)]);
      const r = await putAvatar(user.token, header);
      expect(r.status).toBe(413);
      const body = await r.json();
      expect(body.error).toMatchObject({
        code: 'image_dimensions_too_large',
        details: { width: 6300, height: 6300, maxPixels: t.app.config.images.maxPixels, maxSide: t.app.config.images.maxSide },
      });
    });

    it('rate-limits avatar uploads per user', async () => {
      const user = await signup('avatar_owner');
      for (let i = 0; i < 3; i++) expect((await putAvatar(user.token, png)).status).toBe(200);
      const limited = await putAvatar(user.token, png);
      expect(limited.status).toBe(429);
      expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', details: { action: 'avatar' } });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Someone else is not affected.
      const other = await signup('avatar_other');
      expect((await putAvatar(other.token, png)).status).toBe(200);
    });
  });
});
