import type { Platform } from '../../lib/module.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import type { SocialGraph } from '../social/social-graph.js';
import type { VideosModule } from '../videos/videos.module.js';
import { DiscoveryRepository } from './discovery.repository.js';
import { discoveryRoutes } from './discovery.routes.js';
import { DEFAULT_DISCOVERY_OPTIONS, DiscoveryService } from './discovery.service.js';

/** Search, hashtags and trending. */
export function createDiscoveryModule(p: Platform, graph: SocialGraph, videos: VideosModule, accounts: AccountsModule) {
  const discovery = new DiscoveryService(
    new DiscoveryRepository(p.db),
    videos.repo,
    videos.videos,
    accounts.profiles,
    p.cache,
    DEFAULT_DISCOVERY_OPTIONS,
    graph.blockedIds,
  );
  return { discovery, routes: discoveryRoutes(discovery) };
}
export type DiscoveryModule = ReturnType<typeof createDiscoveryModule>;
