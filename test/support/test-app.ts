import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from './net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';

export interface TestApp {
  app: App;
  baseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export { freePort };

/**
 * Every test client comes from 127.0.0.1, and suites sign up, comment, like
 * and watch far faster than people do, many anonymous viewers from that one
 * address: limits and per-address view budgets raised out of the way (the
 * per-IP ones are also shared through Redis across suites).
 * test/e2e/rate-limits.test.ts and test/e2e/events-abuse.test.ts set low
 * ones explicitly.
 */
export const RAISED_RATE_LIMITS: Record<string, string> = {
  ...Object.fromEntries(
    [
      'SIGNUP_PER_IP',
      'LOGIN_PER_IP',
      'LOGIN_PER_USERNAME',
      'COMMENT',
      'LIKE',
      'SHARE',
      'REPORT',
      'UPLOAD',
      'EVENTS',
      'ACCOUNT',
      'EXPORT',
      'AVATAR',
      'SEARCH',
    ].flatMap((name) =>
      name.includes('_PER_')
        ? [[`RATE_LIMIT_${name}`, '100000/1m']]
        : [
            [`RATE_LIMIT_${name}_PER_USER`, '100000/1m'],
            [`RATE_LIMIT_${name}_PER_IP`, '100000/1m'],
          ],
    ),
  ),
  RATE_LIMIT_EVENTS_PER_DEVICE: '100000/1m',
  EVENTS_NEW_DEVICES_PER_IP: '100000/1m',
  EVENTS_ANON_VIEWS_PER_IP: '100000',
};

/**
 * The real app (embedded defaults) listening on loopback, in a throwaway data folder — or in
 * `opts.dataDir`, an existing one (a restored backup, say), which close() then leaves in place.
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { workers?: boolean; dataDir?: string } = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'curta-test-')));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    CURTA_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    ...RAISED_RATE_LIMITS,
    ...env,
  });
  const app = await createApp(config);
  if (opts.workers !== false) app.startWorkers();
  await app.http.listen({ host: '127.0.0.1', port });
  return {
    app,
    baseUrl,
    dataDir,
    async close() {
      await app.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Small JSON client for the API. */
export function apiClient(baseUrl: string) {
  return async function api<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
}

/** Polls GET /videos/{id} until `done(video)` or the deadline. */
export async function waitForVideo(
  api: ReturnType<typeof apiClient>,
  id: string,
  token: string | undefined,
  done: (v: any) => boolean,
  timeoutMs = 120_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const r = await api('GET', `/api/v1/videos/${id}`, { token });
    last = r.body;
    if (r.status === 200 && done(r.body)) return r.body;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`video ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
}
