import { BlocksService } from './blocks.service.js';
import { ModerationRepository } from './moderation.repository.js';
import { ModerationService } from './moderation.service.js';
import { ReportsRepository } from './reports.repository.js';
import { ReportsService } from './reports.service.js';
import { safetyRoutes } from './safety.routes.js';
import type { Platform } from '../../lib/module.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import type { SocialGraph } from '../social/social-graph.js';
import type { VideosModule } from '../videos/videos.module.js';

/** Blocks, reports and moderation. Rate limits are declared on the routes (src/http/rate-limit.ts enforces them). */
export function createSafetyModule(p: Platform, graph: SocialGraph, videos: VideosModule, accounts: AccountsModule) {
  const reportsRepo = new ReportsRepository(p.db);
  const blocks = new BlocksService(graph.blocks, accounts.profiles, videos.repo, videos.events);
  const reports = new ReportsService(reportsRepo, videos.videos, videos.repo);
  const moderation = new ModerationService(p.db, new ModerationRepository(p.db), reportsRepo, reports, videos.repo, videos.events);
  return { blocks, reports, moderation, routes: safetyRoutes({ blocks, reports, moderation }) };
}
export type SafetyModule = ReturnType<typeof createSafetyModule>;
