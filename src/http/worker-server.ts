import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerRoutes } from '../lib/http/route.js';
import type { Metrics } from '../observability/metrics.js';
import { errorBody, handleError } from './error-map.js';
import { createSerializerCompiler } from './json-schema.js';
import { systemRoutes } from './system.routes.js';

export interface WorkerServerOptions {
  logger: Logger;
  metrics: Metrics;
  /** As on the API: /metrics needs `Authorization: Bearer <token>` when set. */
  metricsToken: string | null;
  /** What a worker needs to do its work (database, storage); /readyz answers 503 when it throws. */
  ping: () => Promise<unknown>;
}

/**
 * The small HTTP listener of a worker process (`curta worker`): /healthz,
 * /readyz and /metrics only, with the API's routes, error bodies and metrics
 * token, none of its web app, CORS or API document.
 */
export function createWorkerServer(opts: WorkerServerOptions): FastifyInstance {
  // Scrapes and probes come every few seconds: their request lines would drown the job logs; warnings and errors stay.
  const logger: FastifyBaseLogger = opts.logger.child({ module: 'worker-http' }, { level: 'warn' });
  const app = Fastify({ loggerInstance: logger, return503OnClosing: true, forceCloseConnections: true });
  app.setErrorHandler(handleError);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(createSerializerCompiler({ checkResponses: false }));
  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`)),
  );
  opts.metrics.instrumentHttp(app);
  registerRoutes(app, [...systemRoutes({ log: opts.logger, ping: opts.ping }), opts.metrics.route(opts.metricsToken)]);
  return app;
}
