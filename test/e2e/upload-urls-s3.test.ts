import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../support/media.js';
import { s3AppEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * Signed upload URLs on S3 (issue 11, point 7): S3 takes a presigned PUT
 * without asking us, so a URL can be replayed until it expires. What holds
 * instead: processing refuses an original whose ETag is not the one storage
 * reported at `complete`, and the storage sweep deletes an original that a
 * replay recreated after the video was deleted. Runs the real app (embedded
 * database) against s3rver.
 */
let s3: S3TestServer;
let t: TestApp;
let api: ReturnType<typeof apiClient>;
let token: string;
let clip: Buffer;
let restoreCredentials: (() => void) | undefined;

async function send(upload: { url: string; headers: Record<string, string> }, body: Buffer): Promise<number> {
  const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(body) });
  await res.arrayBuffer();
  return res.status;
}

async function newUpload(size: number): Promise<{ videoId: string; upload: any }> {
  const r = await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size } });
  expect(r.status).toBe(201);
  return r.body;
}

beforeAll(async () => {
  s3 = await startS3Server();
  restoreCredentials = useS3Credentials(s3);
  t = await startTestApp(
    {
      ...s3AppEnv(s3),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
    },
    { workers: false },
  );
  api = apiClient(t.baseUrl);
  token = (await api('POST', '/api/v1/auth/signup', { body: { username: 's3uploader', password: 'long enough pw' } })).body.token;
  const path = join(t.dataDir, 'clip.mp4');
  await makeClip(path, { seconds: 1 });
  clip = await readFile(path);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await s3?.close();
  restoreCredentials?.();
});

describe('signed upload URLs on S3', () => {
  it('does not process an original that a replayed URL replaced after complete', async () => {
    const { videoId, upload } = await newUpload(clip.length);
    expect(await send(upload, clip)).toBe(200);
    const completed = await api('POST', `/api/v1/uploads/${videoId}/complete`, { token, body: {} });
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe('uploaded');

    // The URL is still valid: S3 takes the replay (no route of ours sees it).
    const replaced = Buffer.from(clip);
    replaced.fill(0x42, 2000);
    expect(await send(upload, replaced)).toBe(200);

    const workers = t.app.startWorkers();
    try {
      const failed = await waitForVideo(api, videoId, token, (v) => v.status === 'failed' || v.status === 'ready', 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.error.code).toBe('original_changed');
    } finally {
      await Promise.all(workers.map((w) => w.stop(10_000)));
    }
  }, 90_000);

  it('sweeps away an original that a replay recreated after the video was deleted and purged', async () => {
    const { videoId: kept, upload: keptUpload } = await newUpload(clip.length);
    expect(await send(keptUpload, clip)).toBe(200);
    const { videoId, upload } = await newUpload(clip.length);
    expect(await send(upload, clip)).toBe(200);
    expect((await api('DELETE', `/api/v1/videos/${videoId}`, { token })).status).toBe(204);
    expect(await t.app.store.head(`originals/${videoId}`)).toBeNull();

    expect(await send(upload, clip)).toBe(200);
    expect(await t.app.store.head(`originals/${videoId}`)).not.toBeNull();
    await t.app.store.put(`media/${videoId}/late/poster.jpg`, 'jpg', { contentType: 'image/jpeg' });

    // Within the grace period it stays; after it, the sweep deletes what has no video.
    await t.app.services.reconciler.sweepStorage(3600);
    expect(await t.app.store.head(`originals/${videoId}`)).not.toBeNull();
    const report = await t.app.services.reconciler.sweepStorage(3600, Date.now() + 2 * 3600_000);
    expect(report).toMatchObject({ originals: 1, mediaFolders: 1 });
    expect(await t.app.store.head(`originals/${videoId}`)).toBeNull();
    expect(await t.app.store.list(`media/${videoId}/`)).toEqual([]);
    expect(await t.app.store.head(`originals/${kept}`)).not.toBeNull();
  });
});
