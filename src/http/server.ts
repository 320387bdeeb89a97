import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerCacheDefaults } from '../lib/http/cache-control.js';
import { errorBody, handleError } from './error-map.js';
import { createSerializerCompiler } from './json-schema.js';
import { registerApiDocument } from './openapi/openapi.routes.js';
import { registerWebSecurity, type WebSecurityOptions } from './web-security.js';

export interface ServerOptions {
  logger: Logger;
  jsonBodyLimit: number;
  /** Built web app (Vite output); served at `/` when present. */
  webDir?: string;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for `request.ip` (per-IP rate limits). */
  trustProxy?: boolean | number | string;
  /** The API's own address, for the OpenAPI document's `servers`. */
  publicBaseUrl: string;
  /** Parse every answer with its response schema before writing it (tests: a drifted answer is a 500, not a coerced body). */
  checkResponses?: boolean;
  /** Media and upload origins for the page's CSP, and the API's CORS allow-list; unset: this origin only. */
  security?: Omit<WebSecurityOptions, 'publicBaseUrl'>;
}

/**
 * Renders a web-app page (index.html with page-specific tags in its head) for
 * a GET that no route answers; `null`: the plain index.html. Set by
 * src/http/web-app.ts.
 */
export type WebPageRenderer = (request: FastifyRequest, indexHtml: string) => Promise<{ html: string; cacheControl: string } | null>;

const webPageRenderers = new WeakMap<FastifyInstance, WebPageRenderer>();

export function setWebPageRenderer(app: FastifyInstance, render: WebPageRenderer): void {
  webPageRenderers.set(app, render);
}

/** The built index.html, read again only when the file changes (a rebuild while running). */
function indexHtmlReader(webDir: string): () => Promise<string> {
  const path = join(webDir, 'index.html');
  let cached: { mtimeMs: number; html: string } | null = null;
  return async () => {
    const s = await stat(path);
    if (cached?.mtimeMs !== s.mtimeMs) cached = { mtimeMs: s.mtimeMs, html: await readFile(path, 'utf8') };
    return cached.html;
  };
}

/**
 * Paths of files the web app's build has (the service worker, the manifest,
 * icons, a bundle): when missing they are a 404, never the app's page — a
 * browser reading HTML as a worker script or a manifest fails in confusing
 * ways. Client-side routes (`/@name`, `/v/{id}`, `/tag/{tag}`) never count.
 */
const STATIC_FILE = /^\/(?!@|v\/|u\/|tag\/)[^?#]*\.(?:m?js|css|map|png|jpe?g|gif|svg|ico|webp|webmanifest|json|txt|woff2?)$/i;

/**
 * Cache-Control of a file from the web app's build: hashed bundles forever;
 * the service worker, the manifest and the page revalidated on every use (a
 * new build's worker must be seen at once); icons for a day.
 */
export function webFileCacheControl(pathInWebDir: string): string {
  const p = pathInWebDir.split(sep).join('/');
  if (p.startsWith('assets/')) return 'public, max-age=31536000, immutable';
  if (p.startsWith('icons/')) return 'public, max-age=86400';
  return 'no-cache';
}

/** What an incoming X-Request-Id may be to be kept: 1–128 visible characters of a trace id, nothing a log line could trip on. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

export function saneRequestId(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : null;
}

/** A Fastify URL (`/api/v1/videos/:id`, `/media/*`) as a pattern over concrete paths. */
function urlPattern(url: string): RegExp {
  const parts = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}/?$`);
}

/**
 * The methods each declared route answers (its contract's, HEAD with GET),
 * collected as routes are added; returns the lookup for a concrete path.
 * Only declared routes count: the web app's catch-all GET is no API path.
 */
function routeMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    if (!route.config?.contract) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: urlPattern(route.url ?? route.path), methods: methods.map(String) });
  });
  return (path) => {
    const methods = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) methods.add(m);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** A hop count trusts that many proxies nearest to us; otherwise Fastify's own forms. */
function trustProxyOption(v: ServerOptions['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof v !== 'number') return v ?? false;
  return (_address, hop) => hop < v;
}

/** A bare Fastify instance with Curta's conventions: JSON errors with codes, body limits, request ids. */
export async function createHttpServer(opts: ServerOptions): Promise<FastifyInstance> {
  const hasWeb = Boolean(opts.webDir && existsSync(opts.webDir));
  // pino's Logger is a FastifyBaseLogger; naming the type keeps the server's logger type the default one.
  const logger: FastifyBaseLogger = opts.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: opts.jsonBodyLimit,
    // An incoming X-Request-Id is kept when it is sane (a proxy's or a client's trace id), else one is made; every answer echoes it.
    requestIdHeader: false,
    genReqId: (req) => saneRequestId(req.headers['x-request-id']) ?? randomUUID(),
    // Let HEAD/OPTIONS answers flow through the same routes, and keep connections honest under load.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: trustProxyOption(opts.trustProxy),
  });
  // The API speaks JSON only; other bodies get a clear 415 instead of a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  // On the raw response, so that every answer carries it: errors, 404s, files, streams and hijacked replies alike.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader('x-request-id', request.id);
  });
  const allowed = routeMethods(app);
  // First, so that every answer — error and not-found ones included — carries the headers.
  await registerWebSecurity(app, {
    publicBaseUrl: opts.publicBaseUrl,
    mediaOrigins: [],
    uploadOrigins: [],
    corsOrigins: [],
    ...opts.security,
  });
  // Routes declare Zod schemas (src/lib/http/route.ts): Zod validates requests, compiled serializers write responses.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(createSerializerCompiler({ checkResponses: opts.checkResponses ?? false }));
  await registerApiDocument(app, { publicBaseUrl: opts.publicBaseUrl });
  registerCacheDefaults(app);
  const indexHtml = hasWeb && opts.webDir ? indexHtmlReader(opts.webDir) : null;
  app.setNotFoundHandler(async (request, reply) => {
    // A missing bundle (an old page asking for a file a rebuild replaced) is a 404, not the page.
    // A path that exists with other methods: 405 and what it allows.
    const allow = allowed(request.url.split('?')[0] ?? '');
    if (allow.length > 0 && !allow.includes(request.method)) {
      return reply
        .status(405)
        .header('allow', allow.join(', '))
        .send(
          errorBody('method_not_allowed', `${request.method} is not allowed on ${request.url.split('?')[0]}; use ${allow.join(', ')}.`),
        );
    }
    if (
      request.url.startsWith('/api/') ||
      request.url.startsWith('/assets/') ||
      STATIC_FILE.test(request.url.split('?')[0] ?? '') ||
      request.method !== 'GET' ||
      !hasWeb ||
      !indexHtml
    ) {
      return reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
    }
    // Client-side routes of the web app fall back to its index page, with page-specific
    // tags (a video's preview) where the web app's renderer has some.
    const render = webPageRenderers.get(app);
    const page = render ? await render(request, await indexHtml()) : null;
    if (page) return reply.type('text/html; charset=utf-8').header('cache-control', page.cacheControl).send(page.html);
    return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
  });
  if (hasWeb && opts.webDir) {
    const webDir = opts.webDir;
    // Files are looked up per request (wildcard), so a rebuild of the web app while the server
    // runs serves the new files rather than 404s for names that did not exist at start-up.
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      index: ['index.html'],
      wildcard: true,
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('cache-control', webFileCacheControl(relative(webDir, path)));
      },
    });
  }
  return app;
}
