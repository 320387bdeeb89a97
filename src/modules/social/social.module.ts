import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Cache } from '../../ports/cache.js';
import type { Database } from '../../ports/database.js';
import type { ImageProcessor } from '../../ports/image-processor.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { ProfilesRepository } from '../accounts/profiles.repository.js';
import { profilesRoutes } from '../accounts/profiles.routes.js';
import { ProfilesService } from '../accounts/profiles.service.js';
import { DiscoveryRepository } from '../discovery/discovery.repository.js';
import { discoveryRoutes } from '../discovery/discovery.routes.js';
import { DEFAULT_DISCOVERY_OPTIONS, DiscoveryService } from '../discovery/discovery.service.js';
import { EventsRepository } from '../events/events.repository.js';
import { eventsRoutes } from '../events/events.routes.js';
import { EventsService } from '../events/events.service.js';
import { VideoManagementService } from '../videos/video-management.service.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import { CommentsRepository } from './comments.repository.js';
import { CommentsService } from './comments.service.js';
import type { EngagementRepository } from './engagement.repository.js';
import type { FollowsRepository } from './follows.repository.js';
import { socialRoutes } from './social.routes.js';
import { SocialService } from './social.service.js';

export interface SocialModuleDeps {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  store: ObjectStore;
  queue: JobQueue;
  cache: Cache;
  /** Avatar conversion. */
  images: ImageProcessor;
  videos: VideosService;
  videosRepo: VideosRepository;
  events: VideoEvents;
  follows: FollowsRepository;
  engagement: EngagementRepository;
  /** People in a block with a viewer, either way (their videos leave the viewer's trending). */
  blockedIds?: (viewerId: string) => Promise<ReadonlySet<string>>;
}

export interface SocialModule {
  profiles: ProfilesService;
  social: SocialService;
  comments: CommentsService;
  playback: EventsService;
  discovery: DiscoveryService;
  management: VideoManagementService;
  registerRoutes(http: FastifyInstance): void;
}

/**
 * Profiles, the follow graph, engagement, playback events, discovery and
 * video management, wired from the app's adapters. The follows and
 * engagement repositories are made by the caller because VideosService needs
 * them too (followers-only visibility, fresh counters on every view).
 */
export function createSocialModule(d: SocialModuleDeps): SocialModule {
  const profiles = new ProfilesService(new ProfilesRepository(d.db), d.videosRepo, d.videos, d.store, d.config.mediaBaseUrl, d.images);
  const social = new SocialService(profiles, d.follows, d.engagement, d.videos, d.videosRepo, d.config.http.publicBaseUrl);
  const comments = new CommentsService(new CommentsRepository(d.db), d.videos, profiles);
  const playback = new EventsService(new EventsRepository(d.db), (id) => d.videos.countersChanged(id));
  const discovery = new DiscoveryService(
    new DiscoveryRepository(d.db),
    d.videosRepo,
    d.videos,
    profiles,
    d.cache,
    DEFAULT_DISCOVERY_OPTIONS,
    d.blockedIds,
  );
  const management = new VideoManagementService(d.db, d.videosRepo, d.videos, d.store, d.queue, d.events, d.log.child({ module: 'videos' }));
  return {
    profiles,
    social,
    comments,
    playback,
    discovery,
    management,
    registerRoutes(http) {
      profilesRoutes(http, profiles, d.store);
      socialRoutes(http, social, comments);
      eventsRoutes(http, playback);
      discoveryRoutes(http, discovery);
    },
  };
}
