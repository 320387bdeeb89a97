import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { CliFailure, EXIT, type CliIo } from './command.js';

/**
 * The control socket of a process that holds the embedded database.
 *
 * PGlite is one process's files: while `curta start` (or serve, worker) runs
 * on the embedded profile, no other process may open them (see the lock in
 * PgliteDatabase). Commands that need the database while it runs — `curta
 * admin`, `curta backup`, `curta migrate status` — ask the running process
 * instead, over a unix socket beside the database (`<data dir>/db.sock`),
 * created with mode 0600 so only the account that owns the data (and can
 * read the database files anyway) can connect. On PostgreSQL there is no
 * socket: the commands connect to the server themselves.
 *
 * Protocol: one JSON request line `{"command": "...", "args": [...]}`, then
 * JSON lines back: `{"out": "..."}` / `{"err": "..."}` as the command prints,
 * and a final `{"exit": n}`.
 */

export interface ControlRequest {
  command: string;
  args: string[];
}

/** Runs one request in the serving process, printing through `io`; returns the exit status. */
export type ControlHandler = (args: string[], io: CliIo) => Promise<number>;

/** Unix socket paths are limited to about 108 bytes (sun_path); longer ones cannot be bound. */
export const MAX_SOCKET_PATH = 100;

export function controlSocketPath(databaseDir: string): string {
  return `${databaseDir}.sock`;
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path` (mode 0600) and answers requests with `handlers`. The
 * caller holds the database lock, so a socket file already there is a dead
 * process's leftover and is replaced. Requests run one at a time.
 */
export async function startControlServer(
  path: string,
  handlers: Readonly<Record<string, ControlHandler>>,
  onError: (err: unknown) => void,
): Promise<ControlServer> {
  if (path.length > MAX_SOCKET_PATH) {
    throw new Error(`control socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes (the unix socket limit)`);
  }
  await rm(path, { force: true });
  let queue: Promise<unknown> = Promise.resolve();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a client that went away
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // readline forwards the socket's errors: handled above
    lines.once('line', (line) => {
      lines.close();
      queue = queue.then(() => answer(line, socket, handlers).catch(onError));
    });
  });
  // The socket file is created by bind() with the process umask: tighten it
  // for the bind so no other account can connect even for a moment, and chmod
  // afterwards in case the platform ignores the umask for sockets.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  await chmod(path, 0o600);
  server.on('error', onError);
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.end();
      });
      await rm(path, { force: true });
    },
  };
}

async function answer(line: string, socket: Socket, handlers: Readonly<Record<string, ControlHandler>>): Promise<void> {
  const send = (message: object) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };
  let request: ControlRequest;
  try {
    const parsed = JSON.parse(line) as Partial<ControlRequest>;
    if (typeof parsed.command !== 'string' || !Array.isArray(parsed.args) || !parsed.args.every((a) => typeof a === 'string')) {
      throw new Error('bad request');
    }
    request = { command: parsed.command, args: parsed.args };
  } catch {
    send({ err: 'control socket: expected one JSON line {"command": string, "args": string[]}' });
    send({ exit: 64 });
    socket.end();
    return;
  }
  const handler = Object.hasOwn(handlers, request.command) ? handlers[request.command] : undefined;
  if (!handler) {
    send({ err: `control socket: no command "${request.command}" here` });
    send({ exit: 64 });
    socket.end();
    return;
  }
  const io: CliIo = { out: (text) => send({ out: text }), err: (text) => send({ err: text }) };
  let exit: number;
  try {
    exit = await handler(request.args, io);
  } catch (err) {
    io.err((err as Error).message);
    const code = (err as { exitCode?: unknown }).exitCode;
    exit = typeof code === 'number' ? code : 70;
  }
  send({ exit });
  socket.end();
}

/**
 * Sends one request to the process listening on `path` and relays what it
 * prints to `io`. Resolves with its exit status; null when nothing listens
 * there (no socket file, or a leftover nobody answers on).
 */
export async function callControlServer(path: string, request: ControlRequest, io: CliIo): Promise<number | null> {
  if (!existsSync(path)) return null;
  return new Promise<number | null>((resolve, reject) => {
    const socket = createConnection(path);
    let exit: number | null = null;
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // readline forwards the socket's errors: handled below
    lines.on('line', (line) => {
      let message: { out?: string; err?: string; exit?: number };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (typeof message.out === 'string') io.out(message.out);
      if (typeof message.err === 'string') io.err(message.err);
      if (typeof message.exit === 'number') exit = message.exit;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT')) resolve(null);
      else if (err.code === 'EACCES') {
        reject(
          new CliFailure(`cannot use the control socket ${path}: permission denied (run as the account that runs Curta)`, EXIT.unavailable),
        );
      } else reject(new CliFailure(`control socket ${path}: ${err.message}`, EXIT.unavailable));
    });
    socket.on('close', () => {
      if (!connected) return;
      if (exit === null) reject(new CliFailure('the running process closed the control socket without an answer', EXIT.software));
      else resolve(exit);
    });
  });
}
