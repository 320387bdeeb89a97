import type { Logger } from 'pino';
import { Health } from '../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../lib/http/route.js';

/** Liveness and readiness for load balancers and orchestrators. */
export function systemRoutes(deps: { log: Logger; ping: () => Promise<unknown> }): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      operationId: 'getHealth',
      tag: 'system',
      summary: 'Liveness',
      description: 'The process answers; says nothing about its dependencies.',
      auth: 'none',
      response: Health,
      handler: async () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      operationId: 'getReadiness',
      tag: 'system',
      summary: 'Readiness (database, cache, storage reachable)',
      description: 'One cheap round trip to each dependency; 503 with `{"status": "unavailable"}` when one fails.',
      auth: 'none',
      response: Health,
      errors: [503],
      errorBodies: { 503: Health },
      handler: async (_request, reply) => {
        try {
          await deps.ping();
          return { status: 'ready' as const };
        } catch (err) {
          deps.log.warn({ err }, 'not ready');
          return reply.status(503).send({ status: 'unavailable' });
        }
      },
    }),
  ];
}
