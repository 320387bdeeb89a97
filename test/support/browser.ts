import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

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
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
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
      ['src', 'index.html', 'vite.config.ts'].map((p) => join(webDir, p)).filter(existsSync).map(newestMtime),
    );
    if ((await stat(built)).mtimeMs >= Math.max(...sources)) return;
  }
  const { build } = await import('vite');
  await build({ root: webDir, logLevel: 'warn' });
}
