import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { UploadReconciler } from '../../src/modules/uploads/upload-reconciler.js';
import { dedupeKeyOf, enqueueJob } from '../../src/jobs/job-definition.js';
import { processVideoJob } from '../../src/modules/processing/process-video.job.js';
import { videoFailure } from '../../src/modules/processing/video-lifecycle.js';
import { VideoEvents } from '../../src/modules/videos/video-events.js';
import { VideosRepository } from '../../src/modules/videos/videos.repository.js';
import { makeClip } from '../support/media.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

let t: TestApp;
let api: ReturnType<typeof apiClient>;
let token: string;
let reconciler: UploadReconciler;
let clip: Buffer;

async function newUpload(size: number) {
  const r = await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size } });
  expect(r.status).toBe(201);
  return r.body as { videoId: string; upload: any };
}

beforeAll(async () => {
  // Workers run, but the periodic sweep is off: the test drives sweeps itself.
  t = await startTestApp({
    RECONCILE_INTERVAL_SEC: '0',
    UPLOAD_MULTIPART_THRESHOLD: String(5 * 1024 * 1024),
    UPLOAD_PART_SIZE: String(5 * 1024 * 1024),
  });
  api = apiClient(t.baseUrl);
  token = (await api('POST', '/api/v1/auth/signup', { body: { username: 'carol', password: 'long enough pw' } })).body.token;
  const path = join(t.dataDir, 'c.mp4');
  await makeClip(path, { seconds: 2 });
  clip = await readFile(path);
  const { app } = t;
  reconciler = new UploadReconciler(
    new VideosRepository(app.db),
    app.store,
    app.queue,
    app.services.uploads,
    new VideoEvents(app.cache),
    app.log,
    {
      graceSec: 0,
      batchSize: 100,
    },
  );
});

afterAll(async () => {
  await t?.close();
});

describe('upload reconciler', () => {
  it('starts processing for an object that arrived without an event or a complete call', async () => {
    const { videoId } = await newUpload(clip.length);
    // Another store instance on the same folder: the app's listener never hears about this write,
    // like an S3 upload by a client that vanished before calling `complete`.
    const silent = new FsObjectStore({
      rootDir: t.app.config.storage.kind === 'fs' ? t.app.config.storage.dir : '',
      publicBaseUrl: t.baseUrl,
      signingSecret: 'x'.repeat(32),
    });
    await silent.put(`originals/${videoId}`, clip, { contentType: 'video/mp4' });
    expect((await api('GET', `/api/v1/videos/${videoId}`, { token })).body.status).toBe('uploading');

    const report = await reconciler.sweep();
    expect(report.started).toBe(1);
    const ready = await waitForVideo(api, videoId, token, (v) => v.status === 'ready');
    expect(ready.playback.hls).toBeTruthy();
    // A second sweep finds nothing to do.
    expect((await reconciler.sweep()).started).toBe(0);
  });

  it('expires uploads that never arrived and aborts their multipart upload', async () => {
    const single = await newUpload(1234);
    const multi = await newUpload(6 * 1024 * 1024);
    expect(multi.upload.kind).toBe('multipart');
    const first = multi.upload.parts[0];
    const put = await fetch(first.url, { method: 'PUT', headers: first.headers, body: new Uint8Array(first.size) });
    expect(put.status).toBe(200);
    await t.app.db.query(`UPDATE videos SET upload_expires_at = now() - interval '1 minute' WHERE id = ANY($1::text[])`, [
      [single.videoId, multi.videoId],
    ]);

    const report = await reconciler.sweep();
    expect(report.expired).toBe(2);
    for (const id of [single.videoId, multi.videoId]) {
      const v = (await api('GET', `/api/v1/videos/${id}`, { token })).body;
      expect(v.status).toBe('failed');
      expect(v.error.code).toBe('upload_expired');
    }
    // The multipart upload is gone: its parts no longer exist.
    const row = await t.app.db.query<{ multipart_upload_id: string }>('SELECT multipart_upload_id FROM videos WHERE id = $1', [
      multi.videoId,
    ]);
    await expect(t.app.store.listParts(`originals/${multi.videoId}`, row.rows[0]!.multipart_upload_id)).rejects.toThrow();
  });

  it('re-enqueues an uploaded video whose job was lost, and fails one whose job died', async () => {
    const lost = await newUpload(clip.length);
    const died = await newUpload(clip.length);
    // Simulate: both reached `uploaded` but the job rows are gone / dead.
    await t.app.db.query(`UPDATE videos SET status = 'uploaded', updated_at = now() - interval '5 minutes' WHERE id = ANY($1::text[])`, [
      [lost.videoId, died.videoId],
    ]);
    await t.app.db.query(
      `INSERT INTO jobs (queue, payload, status, attempt, max_attempts, dedupe_key, finished_at, last_error)
       VALUES ($1, $2, 'dead', 5, 5, $3, now(), 'worker lost')`,
      [processVideoJob.name, JSON.stringify({ videoId: died.videoId }), dedupeKeyOf(processVideoJob, { videoId: died.videoId })],
    );
    await t.app.store.put(`originals/${lost.videoId}`, clip, { contentType: 'video/mp4' });

    const report = await reconciler.sweep();
    expect(report.requeued).toBe(1);
    expect(report.failed).toBe(1);
    const failed = (await api('GET', `/api/v1/videos/${died.videoId}`, { token })).body;
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('processing_failed');
    await waitForVideo(api, lost.videoId, token, (v) => v.status === 'ready');
  });

  it('finds a stranded video behind a full batch of videos still waiting for their job', async () => {
    const [waiting, lost] = [(await newUpload(clip.length)).videoId, (await newUpload(clip.length)).videoId].sort();
    await t.app.db.query(`UPDATE videos SET status = 'uploaded', updated_at = now() - interval '5 minutes' WHERE id = ANY($1::text[])`, [
      [waiting, lost],
    ]);
    // The first (by id) has its job queued for later: not stranded, just waiting its turn.
    await enqueueJob(t.app.queue, processVideoJob, { videoId: waiting! }, { runAt: new Date(Date.now() + 3600_000) });
    await t.app.store.put(`originals/${lost}`, clip, { contentType: 'video/mp4' });
    const oneAtATime = new UploadReconciler(
      new VideosRepository(t.app.db),
      t.app.store,
      t.app.queue,
      t.app.services.uploads,
      new VideoEvents(t.app.cache),
      t.app.log,
      {
        graceSec: 0,
        batchSize: 1,
      },
    );

    expect(await oneAtATime.sweep()).toMatchObject({ requeued: 1, failed: 0 });
    await waitForVideo(api, lost!, token, (v) => v.status === 'ready');
    expect((await api('GET', `/api/v1/videos/${waiting}`, { token })).body.status).toBe('uploaded');
    await t.app.db.query(`DELETE FROM videos WHERE id = $1`, [waiting]);
  });

  it('lets only the processing attempt that owns a video report progress, go playable, publish or fail it', async () => {
    const { videoId } = await newUpload(1000);
    const repo = new VideosRepository(t.app.db);
    await t.app.db.query(`UPDATE videos SET status = 'uploaded' WHERE id = $1`, [videoId]);
    const first = `media/${videoId}/first`;
    const second = `media/${videoId}/second`;
    expect(await repo.startProcessingAttempt(videoId, first)).not.toBeNull();
    // The first worker stalls; its job is taken over by a second attempt.
    expect(await repo.startProcessingAttempt(videoId, second)).not.toBeNull();

    expect(await repo.setProgress(videoId, 0.5, first)).toBe(false);
    expect(await repo.markPlayable(videoId, { hls: 'hls/master.m3u8' }, first)).toBe(false);
    expect(await repo.transition(videoId, ['processing', 'playable'], 'ready', { progress: 1 }, { attemptPrefix: first })).toBeNull();
    expect(await repo.fail(videoId, ['processing', 'playable'], videoFailure('processing_failed'), { attemptPrefix: first })).toBeNull();

    expect(await repo.setProgress(videoId, 0.5, second)).toBe(true);
    expect(await repo.markPlayable(videoId, { hls: 'hls/master.m3u8' }, second)).toBe(true);
    const ready = await repo.transition(videoId, ['processing', 'playable'], 'ready', { progress: 1 }, { attemptPrefix: second });
    expect(ready?.status).toBe('ready');
    expect(ready?.media_prefix).toBe(second);
  });

  it('gives a resumed upload a fresh deadline, and recovers a multipart upload completed without its state change', async () => {
    const silent = new FsObjectStore({
      rootDir: t.app.config.storage.kind === 'fs' ? t.app.config.storage.dir : '',
      publicBaseUrl: t.baseUrl,
      signingSecret: 'x'.repeat(32),
    });
    const bytes = Buffer.concat([clip, Buffer.alloc(6 * 1024 * 1024 - clip.length)]); // a real clip, padded past 5 MiB
    for (const finish of ['complete call', 'sweep'] as const) {
      const multi = await newUpload(bytes.length);
      expect(multi.upload.kind).toBe('multipart');
      // Long past its first deadline, the client resumes: the reconciler must not abort it now.
      await t.app.db.query(`UPDATE videos SET upload_expires_at = now() - interval '1 minute' WHERE id = $1`, [multi.videoId]);
      const resumed = await api('GET', `/api/v1/uploads/${multi.videoId}`, { token });
      expect(resumed.body.upload.parts).toHaveLength(2);
      expect((await reconciler.sweep()).expired).toBe(0);

      const etags = [];
      for (const p of resumed.body.upload.parts) {
        const start = (p.partNumber - 1) * resumed.body.upload.partSize;
        const r = await fetch(p.url, { method: 'PUT', headers: p.headers, body: new Uint8Array(bytes.subarray(start, start + p.size)) });
        expect(r.status).toBe(200);
        etags.push({ partNumber: p.partNumber, etag: r.headers.get('etag')! });
      }
      // Storage assembles the object but the app never hears of it (a crash between the two).
      const row = await t.app.db.query<{ multipart_upload_id: string }>('SELECT multipart_upload_id FROM videos WHERE id = $1', [
        multi.videoId,
      ]);
      await silent.completeMultipart(`originals/${multi.videoId}`, row.rows[0]!.multipart_upload_id, etags);
      if (finish === 'complete call') {
        const done = await api('POST', `/api/v1/uploads/${multi.videoId}/complete`, { token, body: {} });
        expect(done.status).toBe(200);
        expect(done.body.status).not.toBe('uploading');
      } else {
        expect((await reconciler.sweep()).started).toBeGreaterThanOrEqual(1);
      }
      const v = (await api('GET', `/api/v1/videos/${multi.videoId}`, { token })).body;
      expect(v.status).not.toBe('uploading');
      expect(v.error?.code).not.toBe('upload_expired');
    }
  });
});
