import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerCacheDefaults } from './cache-control.js';
import { errorBody, handleError } from './error-map.js';

export interface ServerOptions {
  logger: Logger;
  jsonBodyLimit: number;
  /** Built web app (Vite output); served at `/` when present. */
  webDir?: string;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for `request.ip` (per-IP rate limits). */
  trustProxy?: boolean | number | string;
}

/** A hop count trusts that many proxies nearest to us; otherwise Fastify's own forms. */
function trustProxyOption(v: ServerOptions['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof v !== 'number') return v ?? false;
  return (_address, hop) => hop < v;
}

/** A bare Fastify instance with Curta's conventions: JSON errors with codes, body limits, request ids. */
export async function createHttpServer(opts: ServerOptions): Promise<FastifyInstance> {
  const hasWeb = Boolean(opts.webDir && existsSync(opts.webDir));
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.jsonBodyLimit,
    requestIdHeader: 'x-request-id',
    // Let HEAD/OPTIONS answers flow through the same routes, and keep connections honest under load.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: trustProxyOption(opts.trustProxy),
  });
  // The API speaks JSON only; other bodies get a clear 415 instead of a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  registerCacheDefaults(app);
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !hasWeb) {
      return reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
    }
    // Client-side routes of the web app fall back to its index page.
    return reply.type('text/html').sendFile('index.html');
  });
  if (hasWeb && opts.webDir) {
    await app.register(fastifyStatic, { root: opts.webDir, prefix: '/', index: ['index.html'], wildcard: false });
  }
  return app;
}
