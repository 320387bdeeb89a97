import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { clientKey } from '../../modules/safety/rate-limiter.js';

export interface SseStream {
  /** Writes one event whose data is `json` (JSON text, one line). */
  send(event: string, json: string): void;
  /** Ends the stream (idempotent). */
  close(): void;
  readonly closed: boolean;
}

export interface SseOptions {
  heartbeatMs?: number;
  /** Streams are recycled after this long (clients reconnect, per `retry:`), so none lives forever. */
  maxLifetimeMs?: number;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
}

/** Most open streams per signed-in user and per client address (IPv6: per /64); 0 = no cap. */
export interface SseCaps {
  maxPerUser: number;
  maxPerAddress: number;
}

/** What a refused stream's 429 tells the client to wait: slots free as other streams end. */
const FULL_RETRY_AFTER_SEC = 10;

/**
 * Open streams per user and per address in this process. Per process, not
 * shared through Redis: a count there would need leases to survive a process
 * that dies holding slots, and behind N processes a client can hold at most
 * N × the cap — a bounded cost, and each process protects its own sockets.
 */
class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly caps: SseCaps) {}

  /** Takes the request's slots (its user's and its address's) or throws 429 `too_many_streams`, taking none. */
  take(request: FastifyRequest): () => void {
    const wanted: Array<[key: string, cap: number, what: string]> = [];
    if (this.caps.maxPerAddress > 0) wanted.push([`ip:${clientKey(request.ip)}`, this.caps.maxPerAddress, 'from this address']);
    if (this.caps.maxPerUser > 0 && request.user) wanted.push([`user:${request.user.id}`, this.caps.maxPerUser, 'for this account']);
    for (const [key, cap, what] of wanted) {
      if ((this.open.get(key) ?? 0) >= cap) {
        throw new AppError('too_many_streams', `Too many live streams open ${what} (at most ${cap}); close one and try again.`, {
          limit: cap,
          retryAfter: FULL_RETRY_AFTER_SEC,
        });
      }
    }
    for (const [key] of wanted) this.open.set(key, (this.open.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [key] of wanted) {
        const n = (this.open.get(key) ?? 1) - 1;
        if (n > 0) this.open.set(key, n);
        else this.open.delete(key);
      }
    };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Closers of this server's open event streams (every plugin scope sees the root's set). */
    sseStreams: Set<() => void>;
    /** Open streams per user and address, against the caps. */
    sseSlots: StreamSlots;
  }
}

/**
 * Caps open streams per user and per address (`caps`), and ends every open
 * stream when the server shuts down: a hijacked response would otherwise
 * keep close() (and a SIGTERM drain) waiting until the viewer goes away.
 * Call once, on the root server.
 */
export function registerSseStreams(app: FastifyInstance, caps: SseCaps): void {
  const streams = new Set<() => void>();
  app.decorate('sseStreams', streams);
  app.decorate('sseSlots', new StreamSlots(caps));
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });
}

/**
 * Turns a reply into a Server-Sent Events stream (hijacked from Fastify):
 * headers that keep proxies from buffering, a retry hint, heartbeats, a
 * bounded lifetime, and clean-up when either side goes away. Over the
 * caller's or the address's cap it throws 429 `too_many_streams` instead
 * (before anything is written); a stream's slot frees when it ends.
 */
export function openSseStream(request: FastifyRequest, reply: FastifyReply, opts: SseOptions = {}): SseStream {
  const release = request.server.sseSlots.take(request);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const streams = request.server.sseStreams;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    release();
    streams.delete(close);
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    opts.onClose?.();
    res.end();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
  const lifetime = setTimeout(close, opts.maxLifetimeMs ?? 10 * 60_000);
  const stream: SseStream = {
    send(event, json) {
      if (!closed) res.write(`event: ${event}\ndata: ${json}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
  };
  // The viewer may already be gone (it left while we checked access): then 'close' never comes.
  if (request.raw.destroyed || res.destroyed) {
    close();
    return stream;
  }
  request.raw.on('close', close);
  res.on('close', close);
  streams.add(close);
  return stream;
}

/**
 * One stream update at a time: `update` runs now unless one is under way, in
 * which case a single rerun (without arguments: read afresh) follows it.
 * Calls while the stream is closed do nothing. Shared by the video-status and
 * notification streams.
 */
export function coalescedUpdate<A extends unknown[]>(
  stream: SseStream,
  update: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  let busy = false;
  let again = false;
  const run = async (...args: A): Promise<void> => {
    if (stream.closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await update(...args);
    } finally {
      busy = false;
      if (again && !stream.closed) {
        again = false;
        void run(...([] as unknown[] as A)); // optional arguments only: a rerun reads afresh
      }
    }
  };
  return run;
}
