import { describe, expect, it } from 'vitest';
import { apiClient, startTestApp } from '../support/test-app.js';

describe('shutdown', () => {
  it('ends open status streams so closing the server (a SIGTERM drain) does not wait on viewers', async () => {
    const t = await startTestApp({}, { workers: false });
    const api = apiClient(t.baseUrl);
    const token = (await api('POST', '/api/v1/auth/signup', { body: { username: 'erin', password: 'long enough pw' } })).body.token;
    const { videoId } = (await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: 10 } }))
      .body;
    const stream = await fetch(`${t.baseUrl}/api/v1/videos/${videoId}/events`, { headers: { authorization: `Bearer ${token}` } });
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:'); // the stream is open; the video stays `uploading`, so it would never end by itself

    const closed = t.close().then(() => 'closed');
    const hang = new Promise((resolve) => setTimeout(() => resolve('still open after 20 s'), 20_000).unref());
    expect(await Promise.race([closed, hang])).toBe('closed');
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });
});
