import { AppError } from '../../errors.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { VideosService } from '../videos/videos.service.js';
import type { RecsRepository } from './recs.repository.js';

/**
 * "Not interested": a signed-in viewer's strong negative on one video. Stored per
 * viewer; For You reads it on every request (for-you.service.ts): the video never
 * comes back to them, its author and hashtags rank lower for them (ranking.ts
 * notInterestedPenalty), and training weighs it (signals.ts). Nobody else's feed changes.
 */
export class NotInterestedService {
  constructor(
    private readonly repo: RecsRepository,
    private readonly videos: VideosService,
  ) {}

  /** Idempotent; a video the viewer may not see is a 404, their own a 400. */
  async mark(user: PublicUser, videoId: string): Promise<{ notInterested: true }> {
    const row = await this.videos.getVisibleRow(videoId, user);
    if (row.owner_id === user.id) {
      throw new AppError('cannot_mark_own_video', 'Your own videos never show in your For You feed.');
    }
    await this.repo.markNotInterested(user.id, videoId);
    return { notInterested: true };
  }

  /** Idempotent undo; works even when the video has since become hidden from the viewer. */
  async unmark(user: PublicUser, videoId: string): Promise<{ notInterested: false }> {
    await this.repo.unmarkNotInterested(user.id, videoId);
    return { notInterested: false };
  }
}
