import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PageQuery } from '../../lib/pagination.js';
import { SearchQuery, type DiscoveryService } from './discovery.service.js';

const TagParams = z.object({ tag: z.string().max(200) });

export function discoveryRoutes(app: FastifyInstance, discovery: DiscoveryService): void {
  app.get('/api/v1/search', async (request) => discovery.search(request.user, SearchQuery.parse(request.query)));
  app.get('/api/v1/hashtags/:tag/videos', async (request) =>
    discovery.hashtagVideos(TagParams.parse(request.params).tag, request.user, PageQuery.parse(request.query)),
  );
  app.get('/api/v1/feed/trending', async (request) => discovery.trending(request.user, PageQuery.parse(request.query)));
}
