import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

declare module 'fastify' {
  interface FastifyInstance {
    /** Closers of this server's open event streams (every plugin scope sees the root's set). */
    sseStreams: Set<() => void>;
  }
}

/**
 * Ends every open stream when the server shuts down: a hijacked response
 * would otherwise keep close() (and a SIGTERM drain) waiting until the
 * viewer goes away. Call once, on the root server.
 */
export function registerSseShutdown(app: FastifyInstance): void {
  const streams = new Set<() => void>();
  app.decorate('sseStreams', streams);
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });
}

/**
 * Turns a reply into a Server-Sent Events stream (hijacked from Fastify):
 * headers that keep proxies from buffering, a retry hint, heartbeats, a
 * bounded lifetime, and clean-up when either side goes away.
 */
export function openSseStream(request: FastifyRequest, reply: FastifyReply, opts: SseOptions = {}): SseStream {
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
