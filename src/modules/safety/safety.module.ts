import type { FastifyInstance } from 'fastify';
import type { Database } from '../../ports/database.js';
import type { ProfilesService } from '../accounts/profiles.service.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { BlocksRepository } from './blocks.repository.js';
import { BlocksService } from './blocks.service.js';
import { ModerationRepository } from './moderation.repository.js';
import { ModerationService } from './moderation.service.js';
import { ReportsRepository } from './reports.repository.js';
import { ReportsService } from './reports.service.js';
import { safetyRoutes } from './safety.routes.js';

export interface SafetyModuleDeps {
  db: Database;
  videos: VideosService;
  videosRepo: VideosRepository;
  profiles: ProfilesService;
  events: VideoEvents;
  /** Made by the caller: VideosService needs it too (blocks are part of the visibility rule). */
  blocksRepo: BlocksRepository;
}

export interface SafetyModule {
  blocks: BlocksService;
  reports: ReportsService;
  moderation: ModerationService;
  registerRoutes(http: FastifyInstance): void;
}

/** Blocks, reports and moderation (issue 4, part B). Rate limits are wired in the HTTP layer (src/http/rate-limit.ts). */
export function createSafetyModule(d: SafetyModuleDeps): SafetyModule {
  const reportsRepo = new ReportsRepository(d.db);
  const blocks = new BlocksService(d.blocksRepo, d.profiles, d.videosRepo, d.events);
  const reports = new ReportsService(reportsRepo, d.videos, d.videosRepo);
  const moderation = new ModerationService(d.db, new ModerationRepository(d.db), reportsRepo, reports, d.videosRepo, d.events);
  return {
    blocks,
    reports,
    moderation,
    registerRoutes(http) {
      safetyRoutes(http, { blocks, reports, moderation });
    },
  };
}
