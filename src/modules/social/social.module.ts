import type { Platform } from '../../lib/module.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import type { VideosModule } from '../videos/videos.module.js';
import { CommentsRepository } from './comments.repository.js';
import { CommentsService } from './comments.service.js';
import type { SocialGraph } from './social-graph.js';
import { socialRoutes } from './social.routes.js';
import { SocialService } from './social.service.js';

/** The follow graph, likes, bookmarks, shares and comments. */
export function createSocialModule(p: Platform, graph: SocialGraph, videos: VideosModule, accounts: AccountsModule) {
  const social = new SocialService(
    accounts.profiles,
    graph.follows,
    graph.engagement,
    videos.videos,
    videos.repo,
    p.config.http.publicBaseUrl,
    videos.events,
    async (a, b) => (await graph.relation(a, b)).blocked,
  );
  const comments = new CommentsService(new CommentsRepository(p.db), videos.videos, accounts.profiles);
  return { social, comments, routes: socialRoutes(social, comments) };
}
export type SocialModule = ReturnType<typeof createSocialModule>;
