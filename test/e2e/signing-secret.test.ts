import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { signingSecretPath } from '../../src/config/signing-secret.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import { apiClient, freePort, RAISED_RATE_LIMITS, type TestApp } from '../support/test-app.js';

/**
 * Without CURTA_SIGNING_SECRET, the embedded profile keeps its signing secret
 * in the data directory: URLs handed out before a restart (an upload in
 * progress, a private video's renditions) still verify after it.
 */
describe('signing secret across restarts (embedded)', () => {
  let dataDir: string;
  let port: number;
  let app: App | undefined;

  const start = async (): Promise<TestApp> => {
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      CURTA_DATA_DIR: dataDir,
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      ...RAISED_RATE_LIMITS,
    });
    app = await createApp(config);
    await app.http.listen({ host: '127.0.0.1', port });
    return { app, baseUrl, dataDir, close: () => app!.close() };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'curta-secret-'));
    port = await freePort();
  });

  afterAll(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('accepts an upload URL and a private media URL signed before the restart', async () => {
    const first = await start();
    const api = apiClient(first.baseUrl);
    const owner: TestUser = await signup(api, 'restarter');
    const bytes = Buffer.from('not really a video, but the signature is what this test is about');
    const created = await api('POST', '/api/v1/uploads', {
      token: owner.token,
      body: { filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const upload = created.body.upload as { url: string; method: string; headers: Record<string, string> };

    const privateId = await seedVideo(first, owner, { visibility: 'private' });
    const poster = Buffer.from('poster bytes');
    await first.app.store.put(`media/${privateId}/seed/poster.jpg`, poster, { contentType: 'image/jpeg' });
    const view = await api('GET', `/api/v1/videos/${privateId}`, { token: owner.token });
    expect(view.status).toBe(200);
    const posterUrl = view.body.playback.poster as string;
    expect(posterUrl).toMatch(/\/media\/s\//);
    expect((await fetch(posterUrl)).status).toBe(200);
    const secret = first.app.config.signingSecret;
    await first.close();

    const second = await start();
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    expect(put.status, await put.clone().text()).toBe(200);
    const media = await fetch(posterUrl);
    expect(media.status).toBe(200);
    expect(second.app.config.signingSecret).toBe(secret);
    expect(Buffer.from(await media.arrayBuffer())).toEqual(poster);

    // The secret stays in the data directory, readable by its owner only.
    expect((await stat(signingSecretPath(dataDir))).mode & 0o777).toBe(0o600);
  }, 60_000);
});
