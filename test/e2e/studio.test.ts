/**
 * The upload studio (`/upload`) in a real Chromium against the real server:
 * signing up from the studio, files refused before a byte is sent (not a
 * video, too long, too large), a real clip posted with a picked hashtag
 * suggestion, a privacy choice and comments off, followed through upload and
 * processing to ready and opened; a file that passes the browser's checks
 * but fails processing, shown with its reason and deleted; an upload that
 * rides out a network drop, one resumed after a reload, and one cancelled and
 * discarded. Screenshots (phone and desktop) go to test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations } from '../support/browser.js';
import { makeClip } from '../support/media.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
/** Multipart from 5 MiB in 5 MiB parts (the smallest the server allows), so a ~12 MB clip goes up in parts. */
const PART_BYTES = 5 * 1024 * 1024;

type ApiClient = (method: string, path: string, opts?: { token?: string; body?: unknown }) => Promise<{ status: number; body: any }>;

interface PhaseSample {
  phase: string;
  upload: number;
  processing: number;
}

describe.skipIf(!browserTestsEnabled('studio.test'))('upload studio in Chromium', () => {
  let browser: Browser | undefined;
  let baseUrl: string;
  let api: ApiClient;
  let closeServer: (() => Promise<void>) | undefined;
  let tmp: string;
  const files: Record<'clip' | 'long' | 'huge' | 'text' | 'cut' | 'big' | 'avi' | 'slow', string> = {} as never;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-studio-'));
    for (const [k, name] of Object.entries({
      clip: 'clip.mp4',
      long: 'long.mp4',
      huge: 'huge.mp4',
      text: 'notes.txt',
      cut: 'cut.mp4',
      big: 'big.mp4',
      avi: 'camera.avi',
      slow: 'slow.mp4',
    })) {
      files[k as keyof typeof files] = join(tmp, name);
    }
    const { startTestApp, apiClient } = await import('../support/test-app.js');
    await Promise.all([
      // Built before the server starts: it reads the page's index.html once.
      ensureWebBuilt(ROOT),
      mkdir(ARTIFACTS, { recursive: true }),
      makeClip(files.clip, { width: 360, height: 640, seconds: 3 }),
      // 10:01 at 1 frame per second: tiny, and one second over the limit.
      makeClip(files.long, { width: 64, height: 112, seconds: 601, fps: 1, audio: false }),
      // An index that promises 10 s of pictures whose data was cut off at 30 % (see hostile.test.ts).
      makeClip(files.cut, { width: 320, height: 240, seconds: 10, audio: false, extra: ['-movflags', '+faststart'] }),
      // Noise does not compress: ~15 MB, three 5 MiB parts.
      makeClip(files.big, { width: 360, height: 640, seconds: 1, audio: false, extra: ['-vf', 'noise=alls=100:allf=t', '-qp', '4'] }),
      // AVI: the server takes it, Chromium can't open it.
      makeClip(files.avi, { width: 160, height: 284, seconds: 1, audio: false }),
      // Long enough to process in several visible steps (progress is written every half second).
      makeClip(files.slow, { width: 540, height: 960, seconds: 20 }),
      writeFile(files.text, 'Shopping list: milk, eggs, a new tripod.\n'),
    ]);
    const t = await startTestApp({ UPLOAD_MULTIPART_THRESHOLD: String(PART_BYTES), UPLOAD_PART_SIZE: String(PART_BYTES) });
    baseUrl = t.baseUrl;
    closeServer = () => t.close();
    api = apiClient(baseUrl);
    await truncate(files.cut, Math.floor((await stat(files.cut)).size * 0.3));
    // Over 2 GiB without using the disk: a sparse file (the size check never reads it).
    const fh = await open(files.huge, 'w');
    await fh.truncate(2.5 * 1024 ** 3);
    await fh.close();
    expect((await stat(files.big)).size, 'the multipart clip must span several parts').toBeGreaterThan(2 * PART_BYTES);

    browser = await launchChromium();
    // Another account's public video gives the hashtag to suggest.
    await seedHashtagVideo('sunsetrun');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function signUpByApi(prefix: string): Promise<{ token: string; user: { id: string; username: string } }> {
    const username = `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
    const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: PASSWORD } });
    expect(r.status).toBe(201);
    return r.body;
  }

  async function seedHashtagVideo(tag: string): Promise<void> {
    const { token } = await signUpByApi('seeder');
    const bytes = await readFile(files.clip);
    const created = await api('POST', '/api/v1/uploads', {
      token,
      body: { filename: 'seed.mp4', contentType: 'video/mp4', size: bytes.length, caption: `Golden hour #${tag}` },
    });
    expect(created.status).toBe(201);
    const put = await fetch(created.body.upload.url, { method: 'PUT', headers: created.body.upload.headers, body: bytes });
    expect(put.ok).toBe(true);
    await api('POST', `/api/v1/uploads/${created.body.videoId}/complete`, { token, body: {} });
    const { waitForVideo } = await import('../support/test-app.js');
    await waitForVideo(api as never, created.body.videoId, token, (v) => v.status === 'ready' || v.status === 'failed');
  }

  /** A page signed in as a fresh account (session put where the app keeps it). */
  async function signedInPage(
    viewport = PHONE,
  ): Promise<{ context: BrowserContext; page: Page; username: string; token: string; errors: string[] }> {
    const { token, user } = await signUpByApi('creator');
    const context = await browser!.newContext({ viewport, deviceScaleFactor: 1 });
    await context.addInitScript(
      ([t, u]) => {
        if (!localStorage.getItem('curta.token')) {
          localStorage.setItem('curta.token', t);
          localStorage.setItem('curta.user', u);
        }
      },
      [token, JSON.stringify(user)] as const,
    );
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${baseUrl}/upload`);
    await page.getByTestId('studio-file').waitFor({ state: 'attached', timeout: 20_000 });
    return { context, page, username: user.username, token, errors };
  }

  /** Records every phase and progress value the job card goes through. */
  async function recordPhases(page: Page): Promise<void> {
    await page.evaluate(() => {
      const job = document.querySelector<HTMLElement>('[data-testid="studio-job"]')!;
      const samples: PhaseSample[] = [];
      (window as unknown as { __phases: PhaseSample[] }).__phases = samples;
      new MutationObserver(() => {
        samples.push({
          phase: job.dataset.phase ?? '',
          upload: Number(job.dataset.uploadProgress),
          processing: Number(job.dataset.processingProgress),
        });
      }).observe(job, { attributes: true, attributeFilter: ['data-phase', 'data-upload-progress', 'data-processing-progress'] });
    });
  }

  async function waitForPhase(page: Page, phases: string[], timeout = 150_000): Promise<string> {
    await page.waitForFunction(
      (want) => want.includes(document.querySelector<HTMLElement>('[data-testid="studio-job"]')?.dataset.phase ?? ''),
      phases,
      { timeout, polling: 100 },
    );
    return (await page.getByTestId('studio-job').getAttribute('data-phase')) ?? '';
  }

  async function chooseFile(page: Page, path: string): Promise<string> {
    await page.getByTestId('studio-file').setInputFiles(path);
    await page.waitForFunction(() => {
      const s = document.querySelector<HTMLElement>('[data-testid="studio"]')?.dataset.fileState;
      return s === 'ok' || s === 'refused';
    });
    return (await page.getByTestId('studio').getAttribute('data-file-state')) ?? '';
  }

  it('signs up from the studio and refuses files it cannot take, before sending anything', async () => {
    const context = await browser!.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    const uploadCalls: string[] = [];
    page.on('request', (r) => {
      // Reading the server's limits is not an upload; creating one or sending bytes is.
      const url = r.url();
      if ((url.includes('/api/v1/uploads') && !url.includes('/api/v1/uploads/limits')) || url.includes('/storage/'))
        uploadCalls.push(`${r.method()} ${url}`);
    });
    try {
      await page.goto(`${baseUrl}/upload`);
      // Signed out: the studio asks to log in, and the app's sign-up brings the form.
      await page.getByTestId('studio-login').click();
      const username = `studio_${Date.now().toString(36)}`;
      await page.getByTestId('auth-tab-signup').click();
      await page.getByTestId('auth-username').fill(username);
      await page.getByTestId('auth-password').fill(PASSWORD);
      await page.getByTestId('auth-submit').click();
      await page.getByTestId('studio-drop').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('studio').getAttribute('data-signed-in')).toBe('true');
      await expect.poll(() => page.getByTestId('your-videos').textContent()).toContain('Nothing here yet');

      // Dropped on the zone (a synthetic drop carrying a real File) is checked like a picked file.
      await page.getByTestId('studio-drop').evaluate((zone) => {
        const dt = new DataTransfer();
        dt.items.add(new File(['just words'], 'dropped.txt', { type: 'text/plain' }));
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await expect
        .poll(() => page.getByTestId('studio-file-error').textContent())
        .toBe("“dropped.txt” isn't a video. Choose an MP4, MOV, WebM or MKV file.");
      expect(await page.getByTestId('studio-drop').evaluate((z) => z.classList.contains('is-over'))).toBe(false);

      expect(await chooseFile(page, files.text)).toBe('refused');
      expect(await page.getByTestId('studio-file-error').textContent()).toBe(
        "“notes.txt” isn't a video. Choose an MP4, MOV, WebM or MKV file.",
      );
      expect(await page.getByTestId('studio-submit').isDisabled()).toBe(true);

      expect(await chooseFile(page, files.long)).toBe('refused');
      expect(await page.getByTestId('studio-file-error').textContent()).toMatch(/“long\.mp4” is 10:01 long\. Videos can be up to 10:00/);
      expect(await page.getByTestId('studio-submit').isDisabled()).toBe(true);

      expect(await chooseFile(page, files.huge)).toBe('refused');
      expect(await page.getByTestId('studio-file-error').textContent()).toMatch(
        /^“huge\.mp4” is too large \(2\.5 GB\)\. Videos can be up to 2\.0 GB/,
      );
      expect(await page.getByTestId('studio-submit').isDisabled()).toBe(true);
      expect(await page.getByTestId('studio-file-error').isVisible()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-refused-phone.png'), fullPage: true, animations: 'disabled' });

      // A file this browser can't open gets a gentle warning, and may still be posted.
      expect(await chooseFile(page, files.avi)).toBe('ok');
      expect(await page.getByTestId('studio-file-warning').textContent()).toMatch(
        /^This browser can't preview “camera\.avi”, so its length couldn't be checked\. You can still post it/,
      );
      expect(await page.getByTestId('studio-file-error').textContent()).toBe('');
      expect(await page.getByTestId('studio-submit').isEnabled()).toBe(true);
      await page.getByTestId('studio-remove-file').click();
      expect(await page.getByTestId('studio').getAttribute('data-file-state')).toBe('none');
      expect(await page.getByTestId('studio-file-warning').isVisible()).toBe(false);
      await chooseFile(page, files.huge);

      // Submitting the form anyway sends nothing either.
      await page.locator('form.studio-form').evaluate((f) => (f as HTMLFormElement).requestSubmit());
      expect(await page.getByTestId('studio-form-error').textContent()).toBe('This file can’t be posted; choose another.');
      expect(uploadCalls).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  // A real phone recording from ../shared (an iPhone 6s portrait .mov, rotated by its display matrix).
  const PHONE_FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/videos/streamio__ios9.mov', import.meta.url));
  const fixturePresent = existsSync(PHONE_FIXTURE);
  if (!fixturePresent && process.env.CI !== 'true') console.log(`[studio.test] real-recording test skipped: ${PHONE_FIXTURE} not found`);

  it.skipIf(!fixturePresent && process.env.CI !== 'true')(
    'posts a real iPhone recording through the studio and it comes out upright and ready',
    async () => {
      expect(existsSync(PHONE_FIXTURE), `${PHONE_FIXTURE} (CI must have ../shared)`).toBe(true);
      const { context, page, token, errors } = await signedInPage();
      try {
        expect(await chooseFile(page, PHONE_FIXTURE)).toBe('ok');
        await page.getByRole('combobox', { name: 'Caption' }).fill('First clip from my phone');
        await page.getByRole('button', { name: 'Post' }).click();
        const phase = await waitForPhase(page, ['ready', 'failed']);
        expect(phase, `failed: ${await page.getByTestId('studio-error').textContent()}`).toBe('ready');
        const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
        const v = (await api('GET', `/api/v1/videos/${videoId}`, { token })).body;
        // Coded 1280×720 with a -90° display matrix: published portrait.
        expect(v).toMatchObject({ status: 'ready', caption: 'First clip from my phone' });
        expect(v.height).toBeGreaterThan(v.width);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    180_000,
  );

  it('posts a clip with a picked hashtag, privacy and comments off, follows it to ready and opens it', async () => {
    const { context, page, username, token, errors } = await signedInPage();
    try {
      expect(await chooseFile(page, files.clip)).toBe('ok');
      await page.getByTestId('studio-preview').waitFor();
      expect(await page.getByTestId('studio-file-meta').textContent()).toMatch(/clip\.mp4.*3 s.*360×640/);
      expect(await page.getByTestId('studio-submit').isEnabled()).toBe(true);

      // "#sun" → the listbox offers #sunsetrun; ↓ and Enter pick it.
      // Found by role and accessible name, as assistive technology finds them.
      const caption = page.getByRole('combobox', { name: 'Caption' });
      await caption.click();
      await caption.pressSequentially('Evening run #sun', { delay: 20 });
      const option = page.locator('[data-testid="hashtag-option"][data-tag="sunsetrun"]');
      await option.waitFor({ timeout: 10_000 });
      expect(await caption.getAttribute('aria-expanded')).toBe('true');
      expect(await page.getByRole('listbox', { name: 'Hashtag suggestions' }).isVisible()).toBe(true);
      await caption.press('ArrowDown');
      expect(await option.getAttribute('aria-selected')).toBe('true');
      await page.screenshot({ path: join(ARTIFACTS, 'studio-hashtags-phone.png'), animations: 'disabled' });
      expect(await caption.getAttribute('aria-activedescendant')).toBe(await option.getAttribute('id'));
      await caption.press('Enter');
      expect(await caption.inputValue()).toBe('Evening run #sunsetrun ');
      expect(await caption.getAttribute('aria-expanded')).toBe('false');
      await caption.pressSequentially('with friends', { delay: 10 });

      expect(await page.getByRole('group', { name: 'Who can watch' }).getByRole('radio').count()).toBe(4);
      await page.getByRole('radio', { name: /^Unlisted/ }).focus();
      await page.keyboard.press('Space');
      expect(await page.getByTestId('studio-visibility-unlisted').isChecked()).toBe(true);
      await page.getByRole('checkbox', { name: /^Allow comments/ }).focus();
      await page.keyboard.press('Space');
      expect(await page.getByTestId('studio-comments').isChecked()).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-phone.png'), fullPage: true, animations: 'disabled' });

      await recordPhases(page);
      await page.getByRole('button', { name: 'Post' }).click();
      expect(await page.getByRole('progressbar', { name: 'Upload', exact: true }).count()).toBe(1);
      expect(await page.getByRole('progressbar', { name: 'Processing', exact: true }).count()).toBe(1);
      const phase = await waitForPhase(page, ['ready', 'failed']);
      expect(phase, `failed: ${await page.getByTestId('studio-error').textContent()}`).toBe('ready');
      const job = page.getByTestId('studio-job');
      const videoId = (await job.getAttribute('data-video-id'))!;
      expect(videoId).toBeTruthy();
      expect(await page.getByTestId('studio-upload-progress').getAttribute('value')).toBe('100');
      expect(await page.getByTestId('studio-processing-progress').getAttribute('value')).toBe('100');
      expect(await page.getByTestId('studio-status').textContent()).toMatch(/ready/i);

      // Upload progress, then processing, then ready; neither bar goes backwards.
      const samples = await page.evaluate(() => (window as unknown as { __phases: PhaseSample[] }).__phases);
      const first = (p: string) => samples.findIndex((s) => s.phase === p);
      expect(first('uploading'), JSON.stringify(samples)).toBeGreaterThanOrEqual(0);
      expect(first('processing')).toBeGreaterThan(first('uploading'));
      expect(first('ready')).toBeGreaterThan(first('processing'));
      const ups = samples.filter((s) => s.phase === 'uploading').map((s) => s.upload);
      expect(ups).toEqual([...ups].sort((a, b) => a - b));
      const procs = samples.filter((s) => s.phase === 'processing').map((s) => s.processing);
      expect(procs).toEqual([...procs].sort((a, b) => a - b));
      console.log(`[studio.test] job went through: ${samples.map((s) => `${s.phase}(${s.upload}/${s.processing})`).join(' → ')}`);

      // The settings reached the server.
      const v = (await api('GET', `/api/v1/videos/${videoId}`, { token })).body;
      expect(v).toMatchObject({
        status: 'ready',
        caption: 'Evening run #sunsetrun with friends',
        visibility: 'unlisted',
        commentsEnabled: false,
      });
      expect(v.hashtags).toEqual(['sunsetrun']);

      // "Your videos" lists it as posted, unlisted.
      const item = page.locator(`[data-testid="your-video"][data-video-id="${videoId}"]`);
      await expect.poll(() => item.getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');
      expect(await item.getByTestId('your-video-status').textContent()).toBe('Posted · Unlisted');

      await page.setViewportSize(DESKTOP);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-desktop.png'), fullPage: true, animations: 'disabled' });

      // The link opens the video page.
      expect(await page.getByTestId('studio-watch').getAttribute('href')).toBe(`/v/${videoId}`);
      await page.getByTestId('studio-watch').click();
      await page.waitForURL(`${baseUrl}/v/${videoId}`);
      expect(await page.getByTestId('studio').count()).toBe(0);
      expect(username).toBeTruthy();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('"Post another video" starts from a clean form: the next caption is only what was typed', async () => {
    const { context, page, token, errors } = await signedInPage();
    try {
      expect(await chooseFile(page, files.clip)).toBe('ok');
      await page.getByTestId('studio-caption').fill('Sideways from 2012 #throwback #iphone');
      await page.getByTestId('studio-visibility-private').check();
      await page.getByTestId('studio-comments').uncheck();
      await page.getByTestId('studio-submit').click();
      expect(await waitForPhase(page, ['ready', 'failed'])).toBe('ready');

      await page.getByTestId('studio-another').click();
      // Every field is back at its default.
      expect(await page.getByTestId('studio').getAttribute('data-file-state')).toBe('none');
      expect(await page.getByTestId('studio-drop').isVisible()).toBe(true);
      expect(await page.getByTestId('studio-caption').inputValue()).toBe('');
      expect(await page.getByTestId('studio-visibility-public').isChecked()).toBe(true);
      for (const v of ['unlisted', 'followers', 'private'])
        expect(await page.getByTestId(`studio-visibility-${v}`).isChecked(), v).toBe(false);
      expect(await page.getByTestId('studio-comments').isChecked()).toBe(true);
      expect(await page.getByTestId('studio-file-warning').isVisible()).toBe(false);
      expect(await page.getByTestId('studio-form-error').textContent()).toBe('');

      // The next video gets exactly what is typed for it, and the default settings.
      expect(await chooseFile(page, files.clip)).toBe('ok');
      const caption = page.getByRole('combobox', { name: 'Caption' });
      await caption.click();
      await caption.pressSequentially('Dolby Vision blink #hdr', { delay: 10 });
      await caption.press('Escape'); // closes the hashtag suggestions, if any
      expect(await caption.inputValue()).toBe('Dolby Vision blink #hdr');
      await page.getByTestId('studio-submit').click();
      expect(await waitForPhase(page, ['processing', 'ready', 'failed'], 60_000)).not.toBe('failed');
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
      const v = (await api('GET', `/api/v1/videos/${videoId}`, { token })).body;
      expect(v).toMatchObject({ caption: 'Dolby Vision blink #hdr', visibility: 'public', commentsEnabled: true });
      expect(v.hashtags).toEqual(['hdr']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('shows the same processing progress in "Your videos" as on the main card', async () => {
    const { context, page, token, errors } = await signedInPage();
    try {
      expect(await chooseFile(page, files.slow)).toBe('ok');
      // Every change of the card's progress, with what the list shows for the same video at that moment.
      await page.evaluate(() => {
        const job = document.querySelector<HTMLElement>('[data-testid="studio-job"]')!;
        const samples: Array<{ job: number; list: number | null; label: string | null }> = [];
        (window as unknown as { __progress: typeof samples }).__progress = samples;
        new MutationObserver(() => {
          if (job.dataset.phase !== 'processing' || !job.dataset.videoId) return;
          const pct = Number(job.dataset.processingProgress);
          if (!(pct > 0)) return; // still waiting: both say so without a number
          const item = document.querySelector<HTMLElement>(`[data-testid="your-video"][data-video-id="${job.dataset.videoId}"]`);
          const bar = item?.querySelector<HTMLProgressElement>('[data-testid="your-video-progress"]');
          samples.push({
            job: pct,
            list: !item ? null : bar?.hasAttribute('value') ? Math.round(bar.value) : -1,
            label: item?.querySelector('[data-testid="your-video-status"]')?.textContent ?? null,
          });
        }).observe(job, { attributes: true, attributeFilter: ['data-phase', 'data-processing-progress'] });
      });
      await page.getByTestId('studio-submit').click();
      expect(await waitForPhase(page, ['ready', 'failed'], 200_000)).toBe('ready');
      const samples = await page.evaluate(
        () => (window as unknown as { __progress: Array<{ job: number; list: number | null; label: string | null }> }).__progress,
      );
      console.log(`[studio.test] card vs list while processing: ${samples.map((x) => `${x.job}/${x.list}`).join(' ')}`);
      const compared = samples.filter((x) => x.list !== null);
      expect(compared.length, JSON.stringify(samples)).toBeGreaterThanOrEqual(2);
      for (const x of compared) {
        expect(x.list, JSON.stringify(samples)).toBe(x.job);
        expect(x.label).toBe(`Processing ${x.job}%`);
      }
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
      expect((await api('GET', `/api/v1/videos/${videoId}`, { token })).body.status).toBe('ready');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);

  // A real iPhone HEVC + Dolby Vision recording: Chromium without HEVC reads its sound but not its picture.
  const DOLBY_FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/videos/androidx__dolbyVision-hdr.MOV', import.meta.url));
  const dolbyPresent = existsSync(DOLBY_FIXTURE);
  if (!dolbyPresent && process.env.CI !== 'true') console.log(`[studio.test] HEVC/Dolby Vision test skipped: ${DOLBY_FIXTURE} not found`);

  it.skipIf(!dolbyPresent && process.env.CI !== 'true')(
    'says an iPhone HEVC/Dolby Vision file cannot be previewed here and will be converted — not that it has no picture',
    async () => {
      expect(existsSync(DOLBY_FIXTURE), `${DOLBY_FIXTURE} (CI must have ../shared)`).toBe(true);
      const { context, page, token, errors } = await signedInPage();
      try {
        expect(await chooseFile(page, DOLBY_FIXTURE)).toBe('ok');
        const warning = page.getByTestId('studio-file-warning');
        expect(await warning.isVisible()).toBe(true);
        const text = (await warning.textContent()) ?? '';
        expect(text).not.toMatch(/no picture/i);
        expect(text).toBe(
          "This browser can't preview the picture of “androidx__dolbyVision-hdr.MOV” (HEVC with Dolby Vision video). You can still post it: Curta converts it so it plays everywhere.",
        );
        // No black box standing in for the picture; its name and length are shown.
        expect(await page.getByTestId('studio-preview').isVisible()).toBe(false);
        expect(await page.getByTestId('studio-file-meta').textContent()).toMatch(/androidx__dolbyVision-hdr\.MOV/);
        await page.screenshot({ path: join(ARTIFACTS, 'studio-hevc-phone.png'), fullPage: true, animations: 'disabled' });

        // And Curta does convert it.
        await page.getByTestId('studio-submit').click();
        const phase = await waitForPhase(page, ['ready', 'failed']);
        expect(phase, `failed: ${await page.getByTestId('studio-error').textContent()}`).toBe('ready');
        const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
        const v = (await api('GET', `/api/v1/videos/${videoId}`, { token })).body;
        expect(v.status).toBe('ready');
        expect(v.height).toBeGreaterThan(v.width); // portrait, by its display matrix
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    180_000,
  );

  it('shows why a file that passed the browser checks failed processing, and deletes it', async () => {
    const { context, page, token, errors } = await signedInPage();
    try {
      // The index is intact, so the browser reads a 10 s video: nothing to refuse here.
      expect(await chooseFile(page, files.cut)).toBe('ok');
      await page.getByTestId('studio-caption').fill('This one is broken');
      await page.getByTestId('studio-submit').click();
      expect(await waitForPhase(page, ['ready', 'failed'])).toBe('failed');
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
      const reason = await page.getByTestId('studio-error').textContent();
      expect(reason).toMatch(/^The video file is incomplete — it was probably cut off while recording or copying\./);
      expect(await page.getByTestId('studio-error').isVisible()).toBe(true);
      expect(await page.getByTestId('studio-retry').isVisible()).toBe(false); // sending it again can't help
      expect((await api('GET', `/api/v1/videos/${videoId}`, { token })).body.error.code).toBe('truncated_media');

      // Listed with the reason in plain words; deleted after a confirmation.
      const item = page.locator(`[data-testid="your-video"][data-video-id="${videoId}"]`);
      await expect.poll(() => item.getAttribute('data-status'), { timeout: 15_000 }).toBe('failed');
      expect(await item.getByTestId('your-video-reason').textContent()).toMatch(/^The video file is incomplete/);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-failed-phone.png'), fullPage: true, animations: 'disabled' });
      await item.getByTestId('your-video-delete').click();
      await item.getByTestId('your-video-delete-confirm').click();
      await item.waitFor({ state: 'detached' });
      expect((await api('GET', `/api/v1/videos/${videoId}`, { token })).status).toBe(404);

      // Ready for the next one.
      await page.getByTestId('studio-another').click();
      expect(await page.getByTestId('studio-drop').isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('rides out a network drop mid-upload: "Connection lost — retrying", then resumes and completes', async () => {
    const { context, page, token, errors } = await signedInPage();
    let dropped = false;
    let backOnline = false;
    const sentAfterDrop: number[] = [];
    const partOf = (url: string) => Number(new URL(url).searchParams.get('partNumber') ?? 0);
    const firstPartStored = new Promise<void>((resolve) => {
      page.on('requestfinished', (r) => {
        if (r.method() === 'PUT' && partOf(r.url()) === 1) resolve();
      });
    });
    await page.route('**/storage/**', async (route) => {
      const part = partOf(route.request().url());
      if (backOnline && route.request().method() === 'PUT') sentAfterDrop.push(part);
      if (part === 2 && !dropped) {
        // The connection goes away while the second part is on its way (once the first is stored).
        dropped = true;
        await firstPartStored;
        await context.setOffline(true);
        await route.abort('internetdisconnected');
        return;
      }
      await route.continue();
    });
    try {
      expect(await chooseFile(page, files.big)).toBe('ok');
      await recordPhases(page);
      await page.getByTestId('studio-submit').click();
      await waitForPhase(page, ['reconnecting'], 30_000);
      await expect.poll(() => page.getByTestId('studio-status').textContent()).toMatch(/^Connection lost — retrying/);
      expect(Number(await page.getByTestId('studio-job').getAttribute('data-upload-progress'))).toBeLessThan(100);
      expect(await page.getByTestId('studio-cancel').isVisible()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-offline-phone.png'), fullPage: true, animations: 'disabled' });
      // Still waiting while offline.
      await page.waitForTimeout(1500);
      expect(await page.getByTestId('studio-job').getAttribute('data-phase')).toBe('reconnecting');

      // What storage holds now must not be sent again.
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
      const held = await api('GET', `/api/v1/uploads/${videoId}`, { token });
      const storedBeforeDrop: number[] = held.body.upload.uploadedParts.map((p: { partNumber: number }) => p.partNumber);
      backOnline = true;
      await context.setOffline(false);
      const phase = await waitForPhase(page, ['processing', 'ready', 'failed'], 60_000);
      expect(phase, `${await page.getByTestId('studio-error').textContent()}`).not.toBe('failed');
      expect(await page.getByTestId('studio-job').getAttribute('data-resumed')).toBe('true');
      expect(await page.getByTestId('studio-upload-progress').getAttribute('value')).toBe('100');
      // The part cut off went again; parts storage already held did not.
      expect(storedBeforeDrop).toContain(1);
      expect(sentAfterDrop).toContain(2);
      for (const p of storedBeforeDrop) expect(sentAfterDrop).not.toContain(p);
      const partCount = Math.ceil((await stat(files.big)).size / PART_BYTES);
      expect(new Set([...storedBeforeDrop, ...sentAfterDrop])).toEqual(new Set(Array.from({ length: partCount }, (_, i) => i + 1)));
      console.log(
        `[studio.test] parts stored before the drop: ${storedBeforeDrop.join(', ') || 'none'}; sent after: ${sentAfterDrop.join(', ')}`,
      );
      const { waitForVideo } = await import('../support/test-app.js');
      const v = await waitForVideo(api as never, videoId, token, (x) => x.status === 'ready' || x.status === 'failed');
      expect(v.status, JSON.stringify(v.error)).toBe('ready');
      expect(await waitForPhase(page, ['ready', 'failed'])).toBe('ready');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('retries a create whose answer was lost under the same Idempotency-Key: one video, not two', async () => {
    const { context, page, username, token, errors } = await signedInPage();
    const keys: string[] = [];
    await page.route('**/api/v1/uploads', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      // The server creates the upload; its answer never reaches the page.
      await route.fetch();
      return route.abort('connectionreset');
    });
    try {
      expect(await chooseFile(page, files.clip)).toBe('ok');
      await page.getByTestId('studio-submit').click();
      const phase = await waitForPhase(page, ['processing', 'ready', 'failed'], 60_000);
      expect(phase, `${await page.getByTestId('studio-error').textContent()}`).not.toBe('failed');
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(keys[1]).toBe(keys[0]);
      const mine = await api('GET', `/api/v1/users/${username}/videos`, { token });
      expect(mine.body.items).toHaveLength(1);
      expect(mine.body.items[0].id).toBe(await page.getByTestId('studio-job').getAttribute('data-video-id'));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('after a reload, offers to resume the unfinished upload and continues it when the same file is chosen', async () => {
    const { context, page, token, errors } = await signedInPage();
    // Storage is unreachable after the first part: the upload stops part-way.
    let blocked = true;
    const puts: number[] = [];
    await page.route('**/storage/**', async (route) => {
      const part = Number(new URL(route.request().url()).searchParams.get('partNumber') ?? 0);
      if (route.request().method() === 'PUT') puts.push(part);
      if (blocked && part !== 1) return route.abort('connectionrefused');
      return route.continue();
    });
    try {
      expect(await chooseFile(page, files.big)).toBe('ok');
      await page.getByTestId('studio-caption').fill('Resumed #later');
      await page.getByTestId('studio-visibility-private').check();
      await page.getByTestId('studio-submit').click();
      await waitForPhase(page, ['reconnecting'], 30_000);
      // Part 1 is stored (and the resume point says so).
      await page.waitForFunction(() => (JSON.parse(localStorage.getItem('curta.pendingUpload') ?? '{}') as { sent?: number }).sent! > 0);
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;

      await page.reload();
      const notice = page.getByTestId('studio-resume');
      await notice.waitFor({ timeout: 15_000 });
      expect(await notice.textContent()).toMatch(
        /Your upload of “big\.mp4” \(\d+% sent\) didn't finish\. Choose the same file to continue where it stopped\./,
      );

      blocked = false;
      puts.length = 0;
      expect(await chooseFile(page, files.big)).toBe('ok');
      expect(await notice.textContent()).toMatch(/That's the file from your unfinished upload/);
      // What was chosen for it comes back.
      expect(await page.getByTestId('studio-caption').inputValue()).toBe('Resumed #later');
      expect(await page.getByTestId('studio-visibility-private').isChecked()).toBe(true);
      await page.getByTestId('studio-submit').click();
      expect(await waitForPhase(page, ['processing', 'ready', 'failed'], 60_000)).not.toBe('failed');
      expect(await page.getByTestId('studio-job').getAttribute('data-video-id')).toBe(videoId);
      expect(await page.getByTestId('studio-job').getAttribute('data-resumed')).toBe('true');
      expect(puts).not.toContain(1); // part 1 was already stored
      const v = (await api('GET', `/api/v1/videos/${videoId}`, { token })).body;
      expect(v).toMatchObject({ caption: 'Resumed #later', visibility: 'private' });
      expect(['uploaded', 'processing', 'ready']).toContain(v.status);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);
  it('cancels an upload, offers to continue it, and discards it on request', async () => {
    const { context, page, token, errors } = await signedInPage();
    // Storage never answers: the upload hangs on its first part until cancelled.
    await page.route('**/storage/**', () => undefined);
    try {
      expect(await chooseFile(page, files.big)).toBe('ok');
      await page.getByTestId('studio-submit').click();
      await page.waitForFunction(() => !!document.querySelector<HTMLElement>('[data-testid="studio-job"]')?.dataset.videoId);
      const videoId = (await page.getByTestId('studio-job').getAttribute('data-video-id'))!;
      await page.getByRole('button', { name: 'Cancel upload' }).click();
      expect(await waitForPhase(page, ['idle'], 10_000)).toBe('idle');
      expect(await page.getByTestId('studio-resume').textContent()).toMatch(
        /^Your upload of “big\.mp4” didn't finish|^That's the file from your unfinished upload/,
      );
      // Listed as unfinished, with a way to delete it.
      const item = page.locator(`[data-testid="your-video"][data-video-id="${videoId}"]`);
      await expect.poll(() => item.getByTestId('your-video-status').textContent(), { timeout: 15_000 }).toBe('Upload not finished');

      await page.getByTestId('studio-resume-discard').click();
      expect(await page.getByTestId('studio-resume').isHidden()).toBe(true);
      await expect.poll(async () => (await api('GET', `/api/v1/videos/${videoId}`, { token })).status).toBe(404);
      await item.waitFor({ state: 'detached', timeout: 15_000 });
      expect(await page.evaluate(() => localStorage.getItem('curta.pendingUpload'))).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
