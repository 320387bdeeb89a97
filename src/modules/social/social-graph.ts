import type { Database } from '../../ports/database.js';
import { BlocksRepository } from '../safety/blocks.repository.js';
import { EngagementRepository, engagementDecorator, engagementRowsReader } from './engagement.repository.js';
import { FollowsRepository } from './follows.repository.js';

/**
 * The relations the visibility rule reads for every video (follows for
 * followers-only videos, blocks both ways, fresh counters and the viewer's
 * own flags). Built before the modules, because VideosService needs them and
 * the social and safety modules write them.
 */
export function createSocialGraph(db: Database) {
  const follows = new FollowsRepository(db);
  const blocks = new BlocksRepository(db);
  const engagement = new EngagementRepository(db);
  return {
    follows,
    blocks,
    engagement,
    relation: (viewerId: string, ownerId: string) => blocks.relation(viewerId, ownerId),
    blockedIds: (viewerId: string) => blocks.blockedIds(viewerId),
    standing: (viewerId: string, ownerId: string) => blocks.standing(viewerId, ownerId),
    decorate: engagementDecorator(engagement),
    decoratedRows: engagementRowsReader(engagement),
  };
}
export type SocialGraph = ReturnType<typeof createSocialGraph>;
