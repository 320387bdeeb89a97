import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../support/media.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ MEDIA_ACCEL_REDIRECT: '/_curta_objects/' });
});

afterAll(async () => {
  await t?.close();
});

describe('media through X-Accel-Redirect (filesystem store behind nginx)', () => {
  it('checks access and sets headers, then names the file for the proxy to send', async () => {
    const api = apiClient(t.baseUrl);
    const token = (await api('POST', '/api/v1/auth/signup', { body: { username: 'dora', password: 'long enough pw' } })).body.token;
    const path = join(t.dataDir, 'a.mp4');
    await makeClip(path, { seconds: 2 });
    const bytes = await readFile(path);
    const created = (
      await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: bytes.length } })
    ).body;
    await fetch(created.upload.url, { method: 'PUT', headers: created.upload.headers, body: new Uint8Array(bytes) });
    const v = await waitForVideo(api, created.videoId, token, (x) => x.status === 'ready');

    const res = await fetch(v.playback.mp4);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, s-maxage=5, immutable');
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const target = res.headers.get('x-accel-redirect')!;
    expect(target).toMatch(/^\/_curta_objects\/media\/[\w-]+\/[\w-]+\/video\.mp4\/\.blob-[0-9a-f-]+$/);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    // The named file is the object: what nginx would send.
    const objectsDir = t.app.config.storage.kind === 'fs' ? t.app.config.storage.dir : '';
    const onDisk = await readFile(join(objectsDir, target.slice('/_curta_objects/'.length)));
    const { body } = await t.app.store.get(new URL(v.playback.mp4).pathname.slice(1));
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(onDisk.equals(Buffer.concat(chunks))).toBe(true);

    // Access is still Curta's decision: an unknown object is a 404 without a redirect.
    const missing = await fetch(v.playback.mp4.replace('video.mp4', 'nope.mp4'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-accel-redirect')).toBeNull();
  });
});
