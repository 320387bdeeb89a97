import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Podman as the image tests drive it on these machines: rootful, runc (crun
 * fails on this kernel's cgroup mode), host networking (no CNI/netavark
 * setup needed, and the container reaches the host's PostgreSQL and Redis on
 * loopback), and low ulimits (the defaults exceed what the sandbox allows).
 * No registry is reachable, so the Dockerfile's base image
 * (debian:bookworm-slim) is made here with debootstrap and imported under
 * that name.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BASE_IMAGE = 'docker.io/library/debian:bookworm-slim';
const RUNTIME = ['--runtime', 'runc'];
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TAIL = 64 * 1024;

/** Runs a command to its end; output is kept (its last 64 KiB) and, with `echo`, streamed to this process's stderr. */
export function run(
  command: string,
  args: string[],
  opts: { echo?: boolean; input?: NodeJS.ReadableStream; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? REPO_ROOT, stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout = (stdout + c.toString('utf8')).slice(-TAIL);
      if (opts.echo) process.stderr.write(c);
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-TAIL);
      if (opts.echo) process.stderr.write(c);
    });
    if (opts.input && child.stdin) opts.input.pipe(child.stdin);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like `run`, but a non-zero exit is an error carrying the output. */
export async function must(command: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}\n${r.stderr.slice(-8000)}\n${r.stdout.slice(-4000)}`);
  return r.stdout;
}

export function podman(args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run('podman', [...RUNTIME, ...args], opts);
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, tool)));
}

/**
 * Whether podman (with runc) and debootstrap are here. Missing ones skip the
 * suite with one line locally and fail it under CI=true.
 */
export function imageToolsAvailable(suite: string): boolean {
  const missing = ['podman', 'runc', 'debootstrap'].filter((t) => !onPath(t) && !existsSync(join('/usr/sbin', t)));
  if (missing.length === 0) return true;
  const line = `skipping ${suite}: ${missing.join(', ')} not found — apt-get install podman runc debootstrap`;
  if (process.env.CI === 'true') throw new Error(`${line.replace(/^skipping/, 'cannot run')} (CI=true)`);
  console.log(line);
  return false;
}

/**
 * The Dockerfile's base image, made locally once (debootstrap's minimal
 * bookworm from Debian's mirror) and reused while podman keeps it.
 */
export async function ensureBaseImage(): Promise<'cached' | 'made'> {
  if ((await podman(['image', 'exists', BASE_IMAGE])).code === 0) return 'cached';
  const dir = await mkdtemp(join(tmpdir(), 'curta-bookworm-'));
  try {
    await must('debootstrap', ['--variant=minbase', 'bookworm', dir, 'http://deb.debian.org/debian']);
    const tar = spawn('tar', ['-C', dir, '--exclude=./var/cache/apt/archives/*.deb', '--exclude=./var/lib/apt/lists/*', '-c', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarExit = new Promise<number | null>((res) => tar.once('close', res));
    await must('podman', ['import', '-', BASE_IMAGE], { input: tar.stdout });
    if ((await tarExit) !== 0) throw new Error(`tar of the debootstrapped tree failed; ${BASE_IMAGE} may be incomplete`);
    return 'made';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the repository's own Dockerfile (the one users build), in Docker's
 * image format so its HEALTHCHECK is kept. A CA that this host's Node trusts
 * beyond the usual ones (a TLS-intercepting proxy's) is handed to the build
 * stages as the `extra_ca` secret the Dockerfile documents.
 */
export async function buildImage(tag: string): Promise<void> {
  const args = ['build', '--format', 'docker', '--pull=never', '--network', 'host', ...LIMITS, '-t', tag];
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa && existsSync(extraCa)) args.push('--secret', `id=extra_ca,src=${extraCa}`);
  args.push(REPO_ROOT);
  await must('podman', [...RUNTIME, ...args], { echo: process.env.CURTA_IMAGE_TEST_VERBOSE === '1' });
}

/** Names of the containers (running or not) whose name starts with `prefix`. */
export async function containersNamed(prefix: string): Promise<string[]> {
  const out = await must('podman', ['ps', '--all', '--format', '{{.Names}}']);
  return out.split('\n').filter((n) => n.startsWith(prefix));
}

/** `podman run -d` with the sandbox's settings; returns the container id. */
export async function startContainer(opts: {
  name: string;
  image: string;
  env: Record<string, string>;
  volumes?: string[];
  command?: string[];
}): Promise<string> {
  const args = ['run', '-d', '--name', opts.name, '--network', 'host', ...LIMITS];
  for (const [k, v] of Object.entries(opts.env)) args.push('-e', `${k}=${v}`);
  for (const v of opts.volumes ?? []) args.push('-v', v);
  args.push(opts.image, ...(opts.command ?? []));
  return (await must('podman', [...RUNTIME, ...args])).trim();
}

/** Removes containers (and their anonymous volumes), whatever state they are in. */
export async function removeContainers(names: string[]): Promise<void> {
  if (names.length === 0) return;
  // --ignore: a name already gone must not stop the others from going (podman stops at the first missing one).
  const r = await podman(['rm', '--force', '--ignore', '--volumes', '--time', '10', ...names]);
  if (r.code !== 0) throw new Error(`podman rm ${names.join(' ')} exited ${r.code}: ${r.stderr}`);
}

/** The container's log (stdout and stderr), for failure messages. */
export async function containerLogs(name: string): Promise<string> {
  const r = await podman(['logs', '--tail', '200', name]);
  return `${r.stdout}${r.stderr}`;
}
