import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CursorSigner } from '../lib/cursor.js';

/** Whether the route's contract takes a `cursor` query parameter (a paginated list). */
function isPaginated(request: FastifyRequest): boolean {
  const query = request.routeOptions.config?.contract?.query as { shape?: Record<string, unknown> } | undefined;
  return query?.shape !== undefined && 'cursor' in query.shape;
}

/** A cursor is bound to the list that issued it: the route, not its path parameters (whose user or tag). */
const scopeOf = (request: FastifyRequest): string => request.routeOptions.url ?? '';

/**
 * Signs every paginated answer's `nextCursor` as it leaves and checks every
 * `cursor` that comes back before the handler runs, so services see
 * only cursors they issued (src/lib/cursor.ts, CursorSigner): a forged or
 * tampered one is a 400 `invalid_cursor` that never reaches a cache key or
 * the database. An empty `cursor=` passes as it is (the first page, where a
 * list allows it). Clients treat cursors as opaque, so nothing changes for them.
 */
export function registerCursorSigning(app: FastifyInstance, signer: CursorSigner): void {
  app.addHook('preHandler', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    const cursor = query?.cursor;
    if (typeof cursor !== 'string' || cursor === '' || !isPaginated(request)) return;
    query!.cursor = signer.verify(scopeOf(request), cursor);
  });

  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    if (typeof payload !== 'object' || payload === null || !isPaginated(request)) return payload;
    const next = (payload as { nextCursor?: unknown }).nextCursor;
    // A copy: the page may be shared (an in-process memo hands one object to concurrent requests).
    return typeof next === 'string' ? { ...payload, nextCursor: signer.sign(scopeOf(request), next) } : payload;
  });
}
