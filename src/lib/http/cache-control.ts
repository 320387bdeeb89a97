import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What a shared cache (a CDN, nginx) may keep. Responses that depend on who is
 * asking must never be stored by one: a route opts in to public caching
 * explicitly (`cachePubliclyForAnonymous`), everything else says so itself.
 */
export const PUBLIC_SHORT_CACHE = 'public, max-age=5';
export const PRIVATE_NO_STORE = 'private, no-store';

/**
 * Defaults for every response: errors are never stored (a 404 for a video
 * still processing must not outlive its publication), and a response whose
 * route said nothing about caching is private. Routes that set their own
 * Cache-Control (media objects, static files, SSE) keep it.
 */
export function registerCacheDefaults(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400) reply.header('cache-control', 'no-store');
    else if (!reply.hasHeader('cache-control')) reply.header('cache-control', PRIVATE_NO_STORE);
    return payload;
  });
}

/**
 * For responses that are the same for every anonymous viewer: a shared cache
 * may keep them for a few seconds (absorbing bursts on hot videos and the
 * feed); with credentials they stay private. `Vary: Authorization` tells
 * caches that ignore that rule not to hand one user's answer to another.
 */
export function cachePubliclyForAnonymous(request: FastifyRequest, reply: FastifyReply): void {
  // Added to what is there: the API's CORS answers vary by Origin too.
  const vary = String(reply.getHeader('vary') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (!vary.some((v) => v.toLowerCase() === 'authorization')) vary.push('Authorization');
  reply.header('vary', vary.join(', '));
  if (request.user === null && request.headers.authorization === undefined) reply.header('cache-control', PUBLIC_SHORT_CACHE);
}
