import { AppError } from '../../errors.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { ProfilesService } from '../accounts/profiles.service.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { VideoView } from '../videos/videos.schema.js';
import type { EngagementRepository } from './engagement.repository.js';
import type { FollowRow, FollowsRepository } from './follows.repository.js';
import type { FollowListItem } from './social.schema.js';

/** Follows, likes, bookmarks and shares: the access checks around the repositories. */
export class SocialService {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly follows: FollowsRepository,
    private readonly engagement: EngagementRepository,
    private readonly videos: VideosService,
    private readonly videosRepo: VideosRepository,
    /** Share links point at the web app: `${publicBaseUrl}/v/{id}`. */
    private readonly publicBaseUrl: string,
    /** Told when a follow changes what its follower may watch (signed media of followers-only videos). */
    private readonly events: VideoEvents,
    /** Whether a block stands between two people (either way). */
    private readonly blockedBetween: (a: string, b: string) => Promise<boolean> = () => Promise.resolve(false),
  ) {}

  // ---------------------------------------------------------------- follows

  /** Idempotent. */
  async follow(user: PublicUser, username: string): Promise<{ following: true; followerCount: number }> {
    const target = await this.profiles.requireUser(username);
    if (target.id === user.id) throw new AppError('cannot_follow_self', 'You cannot follow yourself.');
    await this.follows.follow(user.id, target.id);
    this.events.viewersChanged(user.id);
    return { following: true, followerCount: (await this.profiles.profile(target.username, user)).followerCount };
  }

  /** Idempotent. */
  async unfollow(user: PublicUser, username: string): Promise<{ following: false; followerCount: number }> {
    const target = await this.profiles.requireUser(username);
    if (target.id === user.id) throw new AppError('cannot_follow_self', 'You cannot follow yourself.');
    await this.follows.unfollow(user.id, target.id);
    this.events.viewersChanged(user.id);
    return { following: false, followerCount: (await this.profiles.profile(target.username, user)).followerCount };
  }

  /** Who follows `username`, as `viewer` may see them: nobody banned, nobody in a block with the viewer (either way). */
  async followers(username: string, viewer: PublicUser | null, page: PageParams): Promise<Page<FollowListItem>> {
    const user = await this.profiles.requireUser(username);
    const rows = await this.follows.listFollowers(user.id, viewer?.id ?? null, page.limit + 1, afterCursor(page.cursor));
    return this.followPage(rows, page.limit, viewer);
  }

  /** Whom `username` follows, as `viewer` may see them (the same rule as `followers`). */
  async following(username: string, viewer: PublicUser | null, page: PageParams): Promise<Page<FollowListItem>> {
    const user = await this.profiles.requireUser(username);
    const rows = await this.follows.listFollowing(user.id, viewer?.id ?? null, page.limit + 1, afterCursor(page.cursor));
    return this.followPage(rows, page.limit, viewer);
  }

  private followPage(rows: FollowRow[], limit: number, viewer: PublicUser | null): Page<FollowListItem> {
    const page = keysetPage(rows, limit, (r) => ({ t: isoTime(r.followed_at), id: r.id }));
    return {
      items: page.items.map((r) => {
        const item: FollowListItem = { ...this.profiles.summary(r), followedAt: isoTime(r.followed_at) };
        if (viewer) item.viewer = { follows: r.viewer_follows };
        return item;
      }),
      nextCursor: page.nextCursor,
    };
  }

  /** Ready videos the viewer may see from people they follow, newest first. */
  async followingFeed(user: PublicUser, page: PageParams): Promise<Page<VideoView>> {
    const rows = await this.videosRepo.listFollowingFeed(user.id, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { items: await this.videos.present(result.items, user), nextCursor: result.nextCursor };
  }

  // ------------------------------------------------------ likes, bookmarks, shares

  /** Idempotent; a video the user may not see (private, deleted, unpublished) is a 404. */
  async like(user: PublicUser, videoId: string): Promise<{ liked: true; likes: number }> {
    await this.videos.getVisibleRow(videoId, user);
    const likes = await this.engagement.like(videoId, user.id);
    await this.videos.countersChanged(videoId);
    return { liked: true, likes };
  }

  async unlike(user: PublicUser, videoId: string): Promise<{ liked: false; likes: number }> {
    await this.videos.getVisibleRow(videoId, user);
    const likes = await this.engagement.unlike(videoId, user.id);
    await this.videos.countersChanged(videoId);
    return { liked: false, likes };
  }

  async bookmark(user: PublicUser, videoId: string): Promise<{ bookmarked: true }> {
    await this.videos.getVisibleRow(videoId, user);
    await this.engagement.bookmark(videoId, user.id);
    return { bookmarked: true };
  }

  /** Removing a bookmark works even when the video has since become hidden from the user. */
  async unbookmark(user: PublicUser, videoId: string): Promise<{ bookmarked: false }> {
    await this.engagement.unbookmark(videoId, user.id);
    return { bookmarked: false };
  }

  async bookmarks(user: PublicUser, page: PageParams): Promise<Page<VideoView>> {
    const rows = await this.engagement.listBookmarks(user.id, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.bookmarked_at), id: r.id }));
    return { items: await this.videos.present(result.items, user), nextCursor: result.nextCursor };
  }

  /**
   * The videos `username` liked, most recently liked first. Their owner always
   * sees them; others only once the owner made them public (else 403
   * `liked_videos_private`), and not at all across a block (404, as for a
   * missing user). Each video is listed only as the viewer may see it listed.
   */
  async liked(username: string, viewer: PublicUser | null, page: PageParams): Promise<Page<VideoView>> {
    const owner = await this.profiles.requireUser(username);
    if (viewer?.id !== owner.id) {
      if (viewer && (await this.blockedBetween(viewer.id, owner.id))) {
        throw new AppError('user_not_found', `No user named "${username.slice(0, 40)}".`);
      }
      if (!(await this.profiles.likedVideosPublic(owner.id))) {
        throw new AppError('liked_videos_private', `@${owner.username} keeps their liked videos private.`);
      }
    }
    const rows = await this.engagement.listLiked(owner.id, viewer?.id ?? null, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.liked_at), id: r.id }));
    return { items: await this.videos.present(result.items, viewer), nextCursor: result.nextCursor };
  }

  async share(viewer: PublicUser | null, videoId: string): Promise<{ url: string; shares: number }> {
    await this.videos.getVisibleRow(videoId, viewer);
    const shares = await this.engagement.share(videoId, viewer?.id ?? null);
    await this.videos.countersChanged(videoId);
    return { url: `${this.publicBaseUrl}/v/${encodeURIComponent(videoId)}`, shares };
  }
}
