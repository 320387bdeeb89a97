import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cachePubliclyForAnonymous } from '../../http/cache-control.js';
import { requireUser } from '../../http/auth.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { UpdateVideoSchema, type VideoManagementService } from './video-management.service.js';
import type { VideoEvents } from './video-events.js';
import type { VideosRepository } from './videos.repository.js';
import type { VideosService } from './videos.service.js';

const IdParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a video id') });
export const FeedQuery = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(10),
  cursor: z.string().max(200).optional(),
});

const SSE_POLL_MS = 1000;
const SSE_HEARTBEAT_MS = 15_000;
/** Streams are recycled after this long (clients reconnect, per `retry:`), so none lives forever. */
const SSE_MAX_LIFETIME_MS = 10 * 60_000;

export function videosRoutes(
  app: FastifyInstance,
  deps: { videos: VideosService; repo: VideosRepository; events: VideoEvents; management: VideoManagementService },
): void {
  const { videos, repo, events, management } = deps;

  // Anonymous viewers only ever see ready public/unlisted videos: the same answer for all of them.
  app.get('/api/v1/videos/:id', async (request, reply) => {
    const { id } = IdParams.parse(request.params);
    const view = await videos.get(id, request.user);
    cachePubliclyForAnonymous(request, reply);
    return view;
  });

  app.get('/api/v1/feed', async (request, reply) => {
    const q = FeedQuery.parse(request.query);
    const page = await videos.feed(q.limit, q.cursor, request.user);
    cachePubliclyForAnonymous(request, reply);
    return page;
  });

  /** The owner edits caption, visibility and whether comments are on. */
  app.patch('/api/v1/videos/:id', async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    return management.update(user, id, UpdateVideoSchema.parse(request.body));
  });

  /** The owner deletes a video: the row, its engagement, its original and every rendition. */
  app.delete('/api/v1/videos/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    await management.delete(user, id);
    return reply.status(204).send();
  });

  /**
   * Status and progress as Server-Sent Events: one `status` event now and on
   * every change, until the video is ready or failed. Changes are picked up
   * from this process's event bus at once and from the database every second
   * (a worker may run in another process).
   */
  // Open streams end when the server shuts down: a hijacked response would otherwise keep
  // close() (and a SIGTERM drain) waiting until the viewer goes away.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of openStreams) close();
  });

  app.get('/api/v1/videos/:id/events', async (request, reply) => {
    const { id } = IdParams.parse(request.params);
    const viewer = request.user;
    await videos.getVisibleRow(id, viewer); // 404 before we commit to a stream

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');

    let last = '';
    let closed = false;
    let busy = false;
    let again = false;
    const close = () => {
      if (closed) return;
      closed = true;
      openStreams.delete(close);
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      res.end();
    };
    const push = async (): Promise<void> => {
      if (closed) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const row = await repo.get(id);
        if (!row || !(await videos.canView(row, viewer))) {
          res.write(`event: gone\ndata: {}\n\n`);
          close();
          return;
        }
        const view = videos.toView(row);
        const json = JSON.stringify(view);
        if (json !== last) {
          last = json;
          res.write(`event: status\ndata: ${json}\n\n`);
        }
        if (view.status === 'ready' || view.status === 'failed') close();
      } catch (err) {
        request.log.warn({ err }, 'sse update failed');
      } finally {
        busy = false;
        if (again && !closed) {
          again = false;
          void push();
        }
      }
    };
    const unsubscribe = events.subscribe(id, () => void push());
    const poll = setInterval(() => void push(), SSE_POLL_MS);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    const lifetime = setTimeout(close, SSE_MAX_LIFETIME_MS);
    // The viewer may already be gone (it left while we checked access): then 'close' never comes.
    if (request.raw.destroyed || res.destroyed) return close();
    request.raw.on('close', close);
    res.on('close', close);
    openStreams.add(close);
    await push();
  });
}
