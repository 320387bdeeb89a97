import type { FastifyInstance } from 'fastify';
import { DOCS_HTML, DOCS_SCRIPT } from './docs-page.js';
import { buildOpenApiDocument } from './document.js';

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

const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The OpenAPI 3.1 document (built once, from the operation table and the
 * Zod schemas) and a small self-hosted page that browses it and sends
 * requests — no CDN, nothing fetched from elsewhere.
 */
export function openapiRoutes(app: FastifyInstance, opts: { publicBaseUrl: string }): void {
  let json: string | undefined;
  app.get('/api/v1/openapi.json', async (_request, reply) => {
    json ??= JSON.stringify(buildOpenApiDocument(opts.publicBaseUrl));
    return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(json);
  });
  app.get('/api/docs', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=300')
      .send(DOCS_HTML),
  );
  app.get('/api/docs/app.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=300')
      .send(DOCS_SCRIPT),
  );
}
