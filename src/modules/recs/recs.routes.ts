import type { FastifyInstance } from 'fastify';
import { ForYouQuery, type ForYouService } from './for-you.service.js';

export function recsRoutes(app: FastifyInstance, forYou: ForYouService): void {
  // Per viewer and changing with every event: the default private, no-store answer.
  app.get('/api/v1/feed/for-you', async (request) => {
    const header = request.headers['x-device-id'];
    return forYou.page(request.user, Array.isArray(header) ? header[0] : header, ForYouQuery.parse(request.query));
  });
}
