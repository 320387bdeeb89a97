import { createConnection } from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliFailure } from './command.js';
import { callControlServer, MAX_SOCKET_PATH, startControlServer, type ControlServer } from './control-socket.js';

function recorder() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('control socket', () => {
  let dir: string;
  let server: ControlServer | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-ctl-'));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command in the serving process and relays its output and exit status; the socket is 0600', async () => {
    const path = join(dir, 'db.sock');
    const seen: string[][] = [];
    server = await startControlServer(
      path,
      {
        echo: async (args, io) => {
          seen.push(args);
          io.out(`hello ${args.join(' ')}`);
          io.err('a warning');
          return 3;
        },
      },
      () => undefined,
    );
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const r = recorder();
    expect(await callControlServer(path, { command: 'echo', args: ['a', 'b'] }, r.io)).toBe(3);
    expect(r.out).toEqual(['hello a b']);
    expect(r.err).toEqual(['a warning']);
    expect(seen).toEqual([['a', 'b']]);
  });

  it('answers an unknown command, a handler failure and a malformed request with an exit status, not a crash', async () => {
    const path = join(dir, 'db.sock');
    server = await startControlServer(
      path,
      {
        fails: async () => {
          throw new CliFailure('no such user', 1);
        },
        breaks: async () => {
          throw new Error('boom');
        },
      },
      () => undefined,
    );
    const r = recorder();
    expect(await callControlServer(path, { command: 'toString', args: [] }, r.io)).toBe(64);
    expect(await callControlServer(path, { command: 'fails', args: [] }, r.io)).toBe(1);
    expect(await callControlServer(path, { command: 'breaks', args: [] }, r.io)).toBe(70);
    expect(r.err).toEqual(['control socket: no command "toString" here', 'no such user', 'boom']);

    const raw = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(path);
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('{"command": 5}\n');
    });
    expect(
      raw
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ err: 'control socket: expected one JSON line {"command": string, "args": string[]}' }, { exit: 64 }]);
  });

  it('says nobody listens (null) without a socket file or on a dead leftover, and replaces a leftover when starting', async () => {
    const path = join(dir, 'db.sock');
    const r = recorder();
    expect(await callControlServer(path, { command: 'x', args: [] }, r.io)).toBeNull();
    // A dead process's leftover: a socket file nobody listens on.
    const dead = await startControlServer(path, {}, () => undefined);
    const leftover = join(dir, 'leftover.sock');
    await writeFile(leftover, '');
    expect(await callControlServer(leftover, { command: 'x', args: [] }, r.io)).toBeNull();
    await dead.close();
    await writeFile(path, 'stale');
    server = await startControlServer(path, { ok: async () => 0 }, () => undefined);
    expect(await callControlServer(path, { command: 'ok', args: [] }, r.io)).toBe(0);
  });

  it('refuses a path longer than a unix socket can be', async () => {
    await expect(startControlServer(join(dir, 'x'.repeat(MAX_SOCKET_PATH)), {}, () => undefined)).rejects.toThrow(/longer than/);
  });
});
