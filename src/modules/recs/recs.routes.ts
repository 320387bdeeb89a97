import { DeviceHeader, VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { viewerOf } from '../../lib/http/viewer.js';
import { VideoPage } from '../videos/videos.schema.js';
import type { ForYouService } from './for-you.service.js';
import type { NotInterestedService } from './not-interested.service.js';
import type { RecsRepository } from './recs.repository.js';
import { AdminRecsModels, ForYouQuery, NotInterestedResult } from './recs.schema.js';

export function recsRoutes(forYou: ForYouService, notInterested: NotInterestedService, repo: RecsRepository): AnyRoute[] {
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
    defineRoute({
      method: 'POST',
      url: '/api/v1/videos/:id/not-interested',
      operationId: 'markNotInterested',
      tag: 'feeds',
      summary: '"Not interested" in a video (idempotent)',
      description:
        'A strong negative for your For You feed only: the video never comes back to you there, and its author and hashtags ' +
        'rank lower for you. Private to you. 404 for a video you cannot see; 400 `cannot_mark_own_video` for your own.',
      auth: 'user',
      rateLimit: 'like',
      params: VideoIdParams,
      response: NotInterestedResult,
      errors: [404],
      handler: async (request) => notInterested.mark(request.user, request.params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id/not-interested',
      operationId: 'unmarkNotInterested',
      tag: 'feeds',
      summary: 'Undo "Not interested" (idempotent)',
      description: 'Works even when the video is no longer visible to you.',
      auth: 'user',
      rateLimit: 'like',
      params: VideoIdParams,
      response: NotInterestedResult,
      handler: async (request) => notInterested.unmark(request.user, request.params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/recs',
      operationId: 'getAdminRecs',
      tag: 'admin',
      summary: 'For You model versions and what their training chose',
      description:
        'The kept model versions, newest first, each with its self-tuning outcome: the chosen ranking (model settings and ' +
        'blend weights, or popularity only), the overfitting guard, and NDCG@20 on the time-split holdout of the chosen ' +
        'ranking, popularity only, the production defaults and the best candidate.',
      auth: 'admin',
      response: AdminRecsModels,
      handler: async () => ({
        models: (await repo.listModels()).map((m) => ({
          version: m.version,
          trainedAt: m.trainedAt.toISOString(),
          users: m.users,
          videos: m.videos,
          pairs: m.pairs,
          trainMs: m.trainMs,
          selection: m.selection,
        })),
      }),
    }),
  ];
}
