import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether browser tests run here: Chromium must exist, except on CI where its
 * absence is a failure (the launch fails) rather than a silent skip.
 */
export function browserTestsEnabled(name: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') return true;
  console.log(`[${name}] skipped: ${CHROMIUM_PATH} not found (install chromium to run browser tests).`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Reports every Content-Security-Policy violation on a context's pages (the
 * document's `securitypolicyviolation` event, and Chromium's console line for
 * what it refused) to `report`, the way tests collect page errors: the app
 * must run under its CSP without one — a policy that blocked hls.js's worker,
 * its `blob:` media or a media origin would show up here even where a
 * fallback kept the video playing.
 */
export async function reportCspViolations(context: BrowserContext, report: (message: string) => void): Promise<void> {
  await context.exposeBinding('__curtaCspViolation', (_source, message: string) => report(message));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const send = (window as unknown as { __curtaCspViolation?: (m: string) => void }).__curtaCspViolation;
      send?.(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) report(`CSP console: ${msg.text()}`);
  });
}

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

/**
 * Builds web/ into web/dist unless the build is newer than every source
 * (`npm test` builds first; running one test file alone still gets a fresh page).
 */
export async function ensureWebBuilt(projectRoot: string): Promise<void> {
  const webDir = join(projectRoot, 'web');
  const built = join(webDir, 'dist', 'index.html');
  if (existsSync(built)) {
    const sources = await Promise.all(
      ['src', 'public', 'index.html', 'vite.config.ts']
        .map((p) => join(webDir, p))
        .filter(existsSync)
        .map(newestMtime),
    );
    if ((await stat(built)).mtimeMs >= Math.max(...sources)) return;
  }
  const { build } = await import('vite');
  await build({ root: webDir, logLevel: 'warn' });
}

type ApiCall = <T = any>(
  method: string,
  path: string,
  opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<{ status: number; body: T; headers: Headers }>;

/**
 * Uploads a clip through the public API as `token`'s account (create →
 * signed PUT → complete) and returns the video id; the worker then
 * processes it. Lets browser tests and the web benchmark have real,
 * transcoded videos without going through the upload UI.
 */
export async function uploadClipViaApi(baseUrl: string, api: ApiCall, token: string, path: string, caption = ''): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  const created = await api('POST', '/api/v1/uploads', {
    token,
    body: { filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length, caption },
  });
  if (created.status !== 201 && created.status !== 200) throw new Error(`upload create: ${created.status} ${JSON.stringify(created.body)}`);
  const { videoId, upload } = created.body as {
    videoId: string;
    upload: { kind: string; url: string; method: string; headers: Record<string, string> };
  };
  if (upload.kind !== 'single') throw new Error(`expected a single-part upload, got ${upload.kind}`);
  const put = await fetch(new URL(upload.url, baseUrl), { method: upload.method, headers: upload.headers, body: bytes });
  if (!put.ok) throw new Error(`upload PUT: ${put.status} ${await put.text()}`);
  const done = await api('POST', `/api/v1/uploads/${videoId}/complete`, { token, body: {} });
  if (done.status >= 300) throw new Error(`upload complete: ${done.status} ${JSON.stringify(done.body)}`);
  return videoId;
}

/**
 * Signs a browser context in as `token`/`user` (what the app keeps in
 * localStorage after a login) for every page it opens, unless the page has
 * changed it since (a log out, another account): set once, then the app's own.
 */
export async function signInOnce(context: BrowserContext, token: string, user: unknown): Promise<void> {
  await context.addInitScript(
    ([t, u]) => {
      if (!localStorage.getItem('curta.token')) {
        localStorage.setItem('curta.token', t);
        localStorage.setItem('curta.user', u);
      }
    },
    [token, JSON.stringify(user)] as const,
  );
}
