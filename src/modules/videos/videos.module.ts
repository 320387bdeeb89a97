import type { BoundedSemaphore } from '../../lib/bounded-semaphore.js';
import type { Platform } from '../../lib/module.js';
import type { Transcoder } from '../../ports/transcoder.js';
import type { SocialGraph } from '../social/social-graph.js';
import { CoverFrames } from './cover-frame.js';
import { mediaRoutes, type MediaRouteDeps } from './media.routes.js';
import { MediaAccess } from './media-access.js';
import { MediaUrls } from './media-urls.js';
import { VideoEvents } from './video-events.js';
import { VideoStatusWatch } from './status-watch.js';
import { VideoManagementService } from './video-management.service.js';
import { VideosRepository } from './videos.repository.js';
import { videosRoutes } from './videos.routes.js';
import { VideosService } from './videos.service.js';

/** Videos: metadata and views, the owner's edits and deletion, status streams and rendition delivery. */
export function createVideosModule(
  p: Platform,
  graph: SocialGraph,
  opts: {
    accelRedirect?: MediaRouteDeps['accelRedirect'];
    /** Cutting chosen cover frames (ffmpeg, in the process's picture decode slots); absent: cover edits answer video_not_ready. */
    covers?: { transcoder: Pick<Transcoder, 'makePoster'>; slots: BoundedSemaphore };
  } = {},
) {
  const events = new VideoEvents(p.cache);
  const repo = new VideosRepository(p.db);
  const urls = new MediaUrls(p.config.mediaBaseUrl, p.config.signingSecret, p.config.media.privateUrlTtlSec);
  const videos = new VideosService(repo, p.cache, urls, {
    relation: graph.relation,
    blockedIds: graph.blockedIds,
    decorate: graph.decorate,
    decoratedRows: graph.decoratedRows,
  });
  // Signed media: re-checked against the cached row and the viewer's standing (see MediaAccess).
  const access = new MediaAccess({ row: (id) => videos.getCachedRow(id), standing: graph.standing }, p.config.media.viewerCacheMs);
  events.onFeedChanged(() => videos.forgetFeedGeneration());
  events.onVideoChanged((id) => videos.forgetVideo(id));
  events.onViewersChanged((ids) => access.forgetViewers(ids));
  const covers = opts.covers
    ? new CoverFrames({ store: p.store, transcoder: opts.covers.transcoder, workDir: p.config.media.workDir, slots: opts.covers.slots })
    : undefined;
  const management = new VideoManagementService(p.db, repo, videos, p.store, p.queue, events, p.log.child({ module: 'videos' }), covers);
  // Changes made by a worker in another process reach an open status stream a second later at most.
  const watch = new VideoStatusWatch((ids) => repo.listByIds(ids), 1000, p.log.child({ module: 'status-watch' }));
  return {
    videos,
    repo,
    events,
    urls,
    access,
    management,
    routes: [
      ...videosRoutes({ videos, repo, events, management, watch }),
      ...mediaRoutes({
        store: p.store,
        urls,
        sharedMaxAgeSec: p.config.media.sharedMaxAgeSec,
        videoAccess: (id) => videos.getCachedRow(id),
        mayFetchSigned: (id, viewerId) => access.allowed(id, viewerId),
        ...(opts.accelRedirect ? { accelRedirect: opts.accelRedirect } : {}),
      }),
    ],
  };
}
export type VideosModule = ReturnType<typeof createVideosModule>;
