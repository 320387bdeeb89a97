import { AppError } from '../../errors.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { ProfilesService } from '../accounts/profiles.service.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { BlocksRepository } from './blocks.repository.js';
import type { BlockListItem } from './safety.schema.js';

/**
 * Blocks. What a block means lives in the visibility rule (visibility.ts):
 * neither side sees the other's videos or comments, and mentions between
 * them are not linked; the follow graph refuses edges across a block, and
 * blocking removes the existing ones both ways.
 */
export class BlocksService {
  constructor(
    private readonly repo: BlocksRepository,
    private readonly profiles: ProfilesService,
    private readonly videosRepo: VideosRepository,
    private readonly events: VideoEvents,
  ) {}

  /** Idempotent. */
  async block(user: PublicUser, username: string): Promise<{ blocking: true }> {
    const target = await this.profiles.requireUser(username);
    if (target.id === user.id) throw new AppError('cannot_block_self', 'You cannot block yourself.');
    if (await this.repo.block(user.id, target.id)) {
      this.events.viewersChanged(user.id, target.id);
      await this.mentionsChanged(user.id, target.id);
    }
    return { blocking: true };
  }

  /** Idempotent. Follows removed by the block stay removed. */
  async unblock(user: PublicUser, username: string): Promise<{ blocking: false }> {
    const target = await this.profiles.requireUser(username);
    if (target.id === user.id) throw new AppError('cannot_block_self', 'You cannot block yourself.');
    if (await this.repo.unblock(user.id, target.id)) {
      this.events.viewersChanged(user.id, target.id);
      await this.mentionsChanged(user.id, target.id);
    }
    return { blocking: false };
  }

  async list(user: PublicUser, page: PageParams): Promise<Page<BlockListItem>> {
    const rows = await this.repo.list(user.id, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.blocked_at), id: r.id }));
    return {
      items: result.items.map((r) => ({ ...this.profiles.summary(r), blockedAt: isoTime(r.blocked_at) })),
      nextCursor: result.nextCursor,
    };
  }

  /** Videos of either one that mention the other show their mentions from a cached row: drop those copies. */
  private async mentionsChanged(a: string, b: string): Promise<void> {
    const ids = [...(await this.videosRepo.idsMentioning(b, a)), ...(await this.videosRepo.idsMentioning(a, b))];
    for (const [i, id] of ids.entries()) await this.events.changed(id, { feed: i === ids.length - 1 });
  }
}
