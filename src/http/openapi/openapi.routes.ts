import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { DOCS_HTML, DOCS_SCRIPT } from './docs-page.js';
import { finishDocument, transformRoute } from './document.js';

export interface RouteInfo {
  method: string;
  url: string;
}

/** Records every route registered from now on (an onRoute hook), the HEAD routes Fastify adds for GETs included. */
export function collectRoutes(app: FastifyInstance): RouteInfo[] {
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) routes.push({ method, url: route.url });
  });
  return routes;
}

/**
 * Starts collecting the API document: @fastify/swagger records every route
 * registered after this, and each route's declaration (src/lib/http/route.ts)
 * becomes its operation. Call before any route is added.
 */
export async function registerApiDocument(app: FastifyInstance, opts: { publicBaseUrl: string }): Promise<void> {
  const contracts: AnyRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.contract) contracts.push(route.config.contract);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Curta API',
        version: '1',
        description:
          'Short-video service: uploads, adaptive HLS, feeds, social graph, discovery and safety. Errors are `{"error": {"code", "message"}}` with a stable code; a missing and a hidden resource answer the same 404.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: opts.publicBaseUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token from signup or login' } } },
    },
    transform: transformRoute,
    transformObject: (documentObject) =>
      finishDocument((documentObject as { openapiObject: Record<string, unknown> }).openapiObject, contracts) as never,
  });
}

const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The OpenAPI 3.1 document (built once, from the registered routes) and a
 * small self-hosted page that browses it and sends requests — no CDN,
 * nothing fetched from elsewhere.
 */
export function openapiRoutes(app: FastifyInstance): AnyRoute[] {
  let json: string | undefined;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'system',
      summary: 'This document (OpenAPI 3.1)',
      description: 'Generated from the routes the server registered; the typed client in web/src/api is generated from it.',
      auth: 'none',
      response: { contentType: 'application/json', description: 'The OpenAPI document' },
      handler: async (_request, reply) => {
        json ??= JSON.stringify(app.swagger());
        return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(json);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/docs',
      operationId: 'getApiDocsPage',
      tag: 'system',
      summary: 'Interactive API documentation (HTML)',
      description: 'Browses this document and sends requests; served by the API itself, nothing loaded from elsewhere.',
      auth: 'none',
      response: { contentType: 'text/html', description: 'HTML page' },
      handler: async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', DOCS_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'public, max-age=300')
          .send(DOCS_HTML),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/docs/app.js',
      operationId: 'getApiDocsScript',
      tag: 'system',
      summary: "The documentation page's script",
      description: 'Renders the document as text (never as HTML).',
      auth: 'none',
      response: { contentType: 'text/javascript', description: 'JavaScript' },
      handler: async (_request, reply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'public, max-age=300')
          .send(DOCS_SCRIPT),
    }),
  ];
}
