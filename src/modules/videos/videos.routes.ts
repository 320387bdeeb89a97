import { VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { coalescedUpdate, openSseStream } from '../../lib/http/sse.js';
import type { VideoManagementService } from './video-management.service.js';
import type { VideoEvents } from './video-events.js';
import { FeedQuery, OwnVideoPage, OwnVideosQuery, UpdateVideo, Video, VideoCreatorStats, VideoPage } from './videos.schema.js';
import type { VideosRepository } from './videos.repository.js';
import type { VideosService } from './videos.service.js';
import type { VideoStatusWatch } from './status-watch.js';
import type { VideoRow } from './video.types.js';

export function videosRoutes(deps: {
  videos: VideosService;
  repo: VideosRepository;
  events: VideoEvents;
  management: VideoManagementService;
  /** The shared database read behind every open status stream of this process. */
  watch: VideoStatusWatch;
}): AnyRoute[] {
  const { videos, repo, events, management, watch } = deps;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/videos/:id',
      operationId: 'getVideo',
      tag: 'videos',
      summary: 'A video',
      description:
        'Metadata, playback URLs and fresh counters. Hidden videos (not yours, not visible to you, taken down, blocked) answer 404 `video_not_found`, ' +
        'except a ready followers-only video to someone who does not follow its owner (anonymous included): 403 `followers_only` with `details.author` ({ id, username }) and nothing else of the video, so a shared link can say whose followers it is for. ' +
        'Anonymous answers are the same for everyone, so a shared cache may keep them a few seconds.',
      auth: 'optional',
      params: VideoIdParams,
      response: Video,
      errors: [403, 404],
      cache: 'public-for-anonymous',
      handler: async (request) => videos.get(request.params.id, request.user),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/feed',
      operationId: 'listRecentFeed',
      tag: 'feeds',
      summary: 'Ready public videos, newest first',
      description: 'The unpersonalised feed: every ready public video, newest first, minus blocked accounts for a signed-in viewer.',
      auth: 'optional',
      query: FeedQuery,
      response: VideoPage,
      cache: 'public-for-anonymous',
      handler: async (request) => videos.feed(request.query.limit, request.query.cursor, request.user),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/videos/:id',
      operationId: 'updateVideo',
      tag: 'videos',
      summary: 'Edit caption, visibility, comments switch, cover frame (owner)',
      description:
        'Only the fields sent change; hashtags and mentions are re-parsed from a new caption; unknown fields are refused (400 `validation_failed`). ' +
        "Another account's video answers 403 `forbidden`, or 404 `video_not_found` when it may not even see it. " +
        'Withdrawing access (a narrower visibility) takes effect at once for signed media and within seconds at a CDN. ' +
        '`coverTimeMs` cuts a new poster from the stored best rendition at that time (the video must be ready: 409 `video_not_ready`; ' +
        'a time past its end: 422 `cover_time_out_of_range`; every picture slot busy: 503 `image_processing_busy` with Retry-After); ' +
        'the poster gets a new URL, the old one is deleted.',
      auth: 'user',
      params: VideoIdParams,
      body: UpdateVideo,
      response: Video,
      errors: [403, 404, 409, 422, 503],
      handler: async (request) => management.update(request.user, request.params.id, request.body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/videos/:id/stats',
      operationId: 'getVideoStats',
      tag: 'videos',
      summary: "A video's stats for its owner",
      description:
        'Views, likes, comments, shares, and watch time from the playback events still kept (each viewer counted once, by their longest watch). ' +
        "Owner only: another account's video answers 403 `forbidden`, or 404 `video_not_found` when it may not even see it.",
      auth: 'user',
      params: VideoIdParams,
      response: VideoCreatorStats,
      errors: [403, 404],
      handler: async (request) => management.stats(request.user, request.params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/videos',
      operationId: 'listOwnVideos',
      tag: 'videos',
      summary: "The signed-in owner's videos, with their stats",
      description:
        'Every video of yours in every state (uploading … failed) and publication (drafts and scheduled ones included), newest first, ' +
        'each with `creatorStats` as GET /api/v1/videos/{id}/stats answers it.',
      auth: 'user',
      query: OwnVideosQuery,
      response: OwnVideoPage,
      handler: async (request) => management.ownVideos(request.user, request.query.limit, request.query.cursor),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id',
      operationId: 'deleteVideo',
      tag: 'videos',
      summary: 'Delete a video, its engagement and its media (owner)',
      description: 'The row, its likes, comments and bookmarks, its original and every rendition.',
      auth: 'user',
      params: VideoIdParams,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async (request) => {
        await management.delete(request.user, request.params.id);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/videos/:id/events',
      operationId: 'streamVideoStatus',
      tag: 'videos',
      summary: 'Processing status as Server-Sent Events',
      description:
        '`event: status` with a Video now and on every change, until it is ready or failed; `event: gone` when it disappears. ' +
        "Changes are picked up from this process's event bus at once and from the database every second (a worker may run in another process). " +
        'Open streams are capped per account and per address (`SSE_MAX_STREAMS_PER_USER`, `SSE_MAX_STREAMS_PER_IP`): over the cap, 429 `too_many_streams` with Retry-After.',
      auth: 'optional',
      params: VideoIdParams,
      response: { contentType: 'text/event-stream', description: 'An event stream' },
      errors: [404, 429],
      handler: async (request, reply) => {
        const { id } = request.params;
        const viewer = request.user;
        await videos.getVisibleRow(id, viewer); // 404 before we commit to a stream

        let last = '';
        let lastRow = '';
        const cleanup: Array<() => void> = [];
        const stream = openSseStream(request, reply, { onClose: () => cleanup.forEach((stop) => stop()) });
        if (stream.closed) return;
        /** Sends the video as this viewer sees it when that changed; `row` given: the shared poll's read, else read it now. */
        const push = coalescedUpdate(stream, async (row?: VideoRow | null): Promise<void> => {
          try {
            const current = row === undefined ? await repo.get(id) : row;
            if (!current || !(await videos.canView(current, viewer))) {
              stream.send('gone', '{}');
              stream.close();
              return;
            }
            lastRow = JSON.stringify(current);
            const view = videos.toView(current, viewer?.id ?? null);
            const json = JSON.stringify(view);
            if (json !== last) {
              last = json;
              stream.send('status', json);
            }
            if (view.status === 'ready' || view.status === 'failed') stream.close();
          } catch (err) {
            request.log.warn({ err }, 'sse update failed');
          }
        });
        cleanup.push(
          events.subscribe(id, () => void push()),
          // The shared once-a-second read; an unchanged row costs nothing more.
          watch.watch(id, (row) => {
            if (row === null || JSON.stringify(row) !== lastRow) void push(row);
          }),
        );
        await push();
      },
    }),
  ];
}
