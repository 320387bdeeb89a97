import { AppError } from '../../errors.js';
import type { Database } from '../../ports/database.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { ModerationRepository } from './moderation.repository.js';
import type { ReportsRepository } from './reports.repository.js';
import { userTarget, type ReportsService } from './reports.service.js';
import type { AdminUserView, AdminVideoView } from './safety.schema.js';

/**
 * What admins do to content and accounts. Every change is followed by
 * VideoEvents.changed for the videos it affects, so cached rows and feed
 * pages (in every process, with Redis) stop showing them at once.
 */
export class ModerationService {
  constructor(
    private readonly db: Database,
    private readonly repo: ModerationRepository,
    private readonly reportsRepo: ReportsRepository,
    private readonly reports: ReportsService,
    private readonly videosRepo: VideosRepository,
    private readonly events: VideoEvents,
  ) {}

  /** Hides the video from everyone but its owner (who sees the reason); resolves its open reports. Repeatable. */
  async takedown(admin: PublicUser, videoId: string, reason: string): Promise<{ video: AdminVideoView }> {
    const found = await this.db.transaction(async (tx) => {
      if (!(await this.repo.takedown(videoId, admin.id, reason, tx))) return false;
      await this.reportsRepo.resolveOpenFor('video', videoId, admin.id, `Video taken down: ${reason}`, tx);
      return true;
    });
    if (!found) throw new AppError('video_not_found', `No video with id "${videoId}".`);
    await this.events.changed(videoId, { feed: true });
    return { video: await this.videoTarget(videoId, admin) };
  }

  /** Undoes a takedown. Idempotent. */
  async restore(admin: PublicUser, videoId: string): Promise<{ video: AdminVideoView }> {
    if (!(await this.repo.restore(videoId))) throw new AppError('video_not_found', `No video with id "${videoId}".`);
    await this.events.changed(videoId, { feed: true });
    return { video: await this.videoTarget(videoId, admin) };
  }

  async user(username: string): Promise<AdminUserView> {
    const row = await this.repo.findUser(username);
    if (!row) throw new AppError('user_not_found', `No user named "${username.slice(0, 40)}".`);
    return { ...userTarget(row), videoCount: row.video_count };
  }

  /**
   * Bans an account: its sessions are revoked, logging in answers 403
   * account_banned, and its profile, videos and comments disappear for
   * everyone. Admins are not banned (revoke the role first); repeatable.
   */
  async ban(admin: PublicUser, username: string, reason: string): Promise<{ user: AdminUserView }> {
    const target = await this.user(username);
    if (target.role === 'admin') {
      throw new AppError('cannot_ban_admin', 'Admins cannot be banned; revoke the role first (curta admin revoke <username>).');
    }
    await this.db.transaction(async (tx) => {
      await this.repo.ban(target.id, admin.id, reason, tx);
      await this.reportsRepo.resolveOpenFor('user', target.id, admin.id, `Account banned: ${reason}`, tx);
    });
    await this.accountChanged(target.id);
    return { user: await this.user(target.username) };
  }

  /** Lifts a ban; the account signs in again (its old sessions stay revoked). Idempotent. */
  async unban(username: string): Promise<{ user: AdminUserView }> {
    const target = await this.user(username);
    await this.repo.unban(target.id);
    await this.accountChanged(target.id);
    return { user: await this.user(target.username) };
  }

  /**
   * The account's videos and the videos mentioning it are cached with its ban
   * state; what it may watch itself (signed media) is decided afresh too.
   */
  private async accountChanged(userId: string): Promise<void> {
    this.events.viewersChanged(userId);
    const ids = [...new Set([...(await this.videosRepo.idsByOwner(userId)), ...(await this.videosRepo.idsMentioning(userId))])];
    // The last one also moves the feed generation (feed pages, trending ranking).
    for (const [i, id] of ids.entries()) await this.events.changed(id, { feed: i === ids.length - 1 });
  }

  private async videoTarget(videoId: string, admin: PublicUser): Promise<AdminVideoView> {
    const row = await this.videosRepo.get(videoId);
    if (!row) throw new AppError('video_not_found', `No video with id "${videoId}".`);
    return this.reports.videoTarget(row, admin);
  }
}
