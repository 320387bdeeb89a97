import { DeviceHeader } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { viewerOf } from '../../lib/http/viewer.js';
import { VideoPage } from '../videos/videos.schema.js';
import type { ForYouService } from './for-you.service.js';
import { ForYouQuery } from './recs.schema.js';

export function recsRoutes(forYou: ForYouService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/feed/for-you',
      operationId: 'listForYou',
      tag: 'feeds',
      summary: 'The personalised "For You" feed',
      description:
        "Signed in, or anonymous with X-Device-Id (without either: an unpersonalised ranking). Adapts to the viewer's latest " +
        'events on every request; never repeats what the viewer saw recently or earlier pages of the same cursor chain. ' +
        'Pass nextCursor back for the next page; a null nextCursor means the pool is exhausted for now. ' +
        'Per viewer and changing with every event: never cached.',
      auth: 'optional',
      headers: DeviceHeader,
      query: ForYouQuery,
      response: VideoPage,
      handler: async (request) => forYou.page(viewerOf(request), request.query),
    }),
  ];
}
