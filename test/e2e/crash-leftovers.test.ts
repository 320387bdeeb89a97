import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_TAG } from '../../src/lib/scratch.js';
import { waitFor } from '../contracts/support.js';
import { freePort, REPO_ROOT, spawnCurta, waitForHttp, type ManagedProcess } from '../support/cluster.js';
import { makeClip } from '../support/media.js';
import { apiClient, RAISED_RATE_LIMITS, startTestApp } from '../support/test-app.js';

/**
 * After a crash (issue 11, point 15): a `curta start` killed with SIGKILL
 * while it encodes a video and receives an upload leaves a work folder (a
 * copy of the original) and a partial temporary upload. The next start
 * removes them — but not what a live process (here another process on this
 * host, or one on another host sharing the folder) is still using.
 */
let dataDir: string;
let crashed: ManagedProcess | null = null;
let liveOwner: ChildProcess | null = null;

const ls = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'curta-crash-'));
});

afterAll(async () => {
  if (crashed?.alive) crashed.signal('SIGKILL', { group: true });
  liveOwner?.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Another process that owns a work folder and a temporary upload, named by the same code the app uses, and stays alive. */
async function startLiveOwner(workRoot: string, tmpDirPath: string): Promise<{ dir: string; temp: string }> {
  const script = join(dataDir, 'live-owner.mts');
  await writeFile(
    script,
    `import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ownedName } from ${JSON.stringify(join(REPO_ROOT, 'src/lib/scratch.ts'))};
const [workRoot, tmpDir] = process.argv.slice(2);
const dir = join(workRoot, ownedName('livevideo01-abcd'));
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'original'), 'a copy of an original');
const temp = join(tmpDir, ownedName('partial-upload'));
await writeFile(temp, 'half of an upload');
console.log(JSON.stringify({ dir, temp }));
setInterval(() => undefined, 1000);
`,
  );
  liveOwner = spawn(process.execPath, ['--import', 'tsx', script, workRoot, tmpDirPath], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    liveOwner!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    liveOwner!.once('exit', (code) => reject(new Error(`live owner exited (${code})`)));
  });
  return JSON.parse(line) as { dir: string; temp: string };
}

describe('start-up after a crash', () => {
  it('removes the work folders and partial uploads a killed process left, and keeps those of live processes', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = {
      PATH: process.env.PATH ?? '',
      CURTA_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: baseUrl,
      LOG_LEVEL: 'warn',
      CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
      ...RAISED_RATE_LIMITS,
    };
    crashed = spawnCurta('crashing', 'start', env);
    await waitForHttp(`${baseUrl}/healthz`, crashed);
    const api = apiClient(baseUrl);
    const token = (await api('POST', '/api/v1/auth/signup', { body: { username: 'crasher', password: 'long enough pw' } })).body.token;

    // A video long enough that it is still encoding when the process dies.
    const clipPath = join(dataDir, 'clip.mp4');
    await makeClip(clipPath, { seconds: 20, width: 720, height: 1280 });
    const clip = await readFile(clipPath);
    const video = await api('POST', '/api/v1/uploads', { token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: clip.length } });
    const put = await fetch(video.body.upload.url, { method: 'PUT', headers: video.body.upload.headers, body: new Uint8Array(clip) });
    expect(put.status).toBe(200);
    const workRoot = join(dataDir, 'work');
    const workFolder = await waitFor(
      async () => (await ls(workRoot)).find((name) => name.startsWith(`${video.body.videoId}-`)),
      60_000,
      'the work folder of the encode',
    );

    // An upload half sent when the process dies.
    const size = 1024 * 1024;
    const half = await api('POST', '/api/v1/uploads', { token, body: { filename: 'b.mp4', contentType: 'video/mp4', size } });
    const partial = httpRequest(half.body.upload.url, {
      method: 'PUT',
      headers: { ...half.body.upload.headers, 'content-length': String(size) },
    });
    partial.on('error', () => undefined);
    partial.write(randomBytes(size / 2));
    const tmp = join(dataDir, 'objects', '.tmp');
    const tempUpload = await waitFor(
      async () => {
        for (const name of await ls(tmp)) {
          if (!name.startsWith('lock-') && (await stat(join(tmp, name)).catch(() => null))?.size) return name;
        }
        return undefined;
      },
      30_000,
      'the partial upload',
    );
    const locks = (await ls(tmp)).filter((name) => name.startsWith('lock-'));

    crashed.signal('SIGKILL', { group: true });
    await crashed.exited;
    partial.destroy();
    expect(await ls(workRoot)).toContain(workFolder);
    expect(await ls(tmp)).toContain(tempUpload);

    // What live processes use: one on this host, and one on another host sharing the folder (judged by age).
    const live = await startLiveOwner(workRoot, tmp);
    const [host, pid, instance] = OWNER_TAG.split('.');
    const otherHost = `${host!.slice(0, 7)}${host!.endsWith('0') ? '1' : '0'}`;
    const remoteFresh = `remotevideo-aaaa.${otherHost}.${pid}.${instance}`;
    const remoteStale = `stalevideo-bbbb.${otherHost}.${pid}.${instance}`;
    const legacyStale = 'oldvideo-cccc';
    for (const name of [remoteFresh, remoteStale, legacyStale]) await mkdir(join(workRoot, name, 'out'), { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of [remoteStale, legacyStale]) await utimes(join(workRoot, name), hourAgo, hourAgo);

    const restarted = await startTestApp({ CURTA_DATA_DIR: dataDir, CURTA_SIGNING_SECRET: env.CURTA_SIGNING_SECRET }, { workers: false });
    try {
      const work = await ls(workRoot);
      expect(work).not.toContain(workFolder);
      expect(work).not.toContain(remoteStale);
      expect(work).not.toContain(legacyStale);
      expect(work).toContain(live.dir.split('/').at(-1));
      expect(work).toContain(remoteFresh);
      const temps = await ls(tmp);
      expect(temps).not.toContain(tempUpload);
      for (const lock of locks) expect(temps).not.toContain(lock);
      expect(temps).toContain(live.temp.split('/').at(-1));
      // The interrupted upload's URL works again.
      const retry = await fetch(half.body.upload.url.replace(baseUrl, restarted.baseUrl), {
        method: 'PUT',
        headers: half.body.upload.headers,
        body: new Uint8Array(randomBytes(size)),
      });
      expect(retry.status).toBe(200);
    } finally {
      await restarted.close();
    }
  }, 180_000);
});
