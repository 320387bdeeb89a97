import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cachePubliclyForAnonymous } from '../../http/cache-control.js';
import { PageQuery } from '../../lib/pagination.js';
import { SearchQuery, type DiscoveryService } from './discovery.service.js';

export const TagParams = z.object({ tag: z.string().max(200) });

export function discoveryRoutes(app: FastifyInstance, discovery: DiscoveryService): void {
  // Anonymous answers are the same for every anonymous viewer: a shared cache may keep them briefly.
  app.get('/api/v1/search', async (request, reply) => {
    const result = await discovery.search(request.user, SearchQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return result;
  });
  app.get('/api/v1/hashtags/:tag/videos', async (request, reply) => {
    const page = await discovery.hashtagVideos(TagParams.parse(request.params).tag, request.user, PageQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return page;
  });
  app.get('/api/v1/feed/trending', async (request, reply) => {
    const page = await discovery.trending(request.user, PageQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return page;
  });
}
