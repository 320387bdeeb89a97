import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import { avatarKey } from '../../lib/storage-layout.js';
import type { ImageProcessor } from '../../ports/image-processor.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { VideoView } from '../videos/videos.schema.js';
import type { PublicUser } from './user.types.js';
import type { Profile, UpdateProfileInput, UserSummary } from './accounts.schema.js';
import { AVATAR_SIZE } from './avatar-image.js';
import type { Privacy, UpdatePrivacyInput } from './profiles.schema.js';
import type { ProfileRow, ProfilesRepository } from './profiles.repository.js';
import type { UserSummaryRow } from './user.types.js';

const USERNAME = /^[A-Za-z0-9_.]{3,30}$/;
/** Avatar objects are named by a random id, so each can be cached forever. */
export const AVATAR_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Profiles, profile edits, avatars and a profile's video list. */
export class ProfilesService {
  constructor(
    private readonly repo: ProfilesRepository,
    private readonly videosRepo: VideosRepository,
    private readonly videos: VideosService,
    private readonly store: ObjectStore,
    private readonly mediaBaseUrl: string,
    private readonly images: ImageProcessor,
  ) {}

  summary(row: UserSummaryRow): UserSummary {
    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      avatarUrl: row.avatar_key ? `${this.mediaBaseUrl}/${row.avatar_key}` : null,
    };
  }

  /** The account behind a username, or user_not_found. */
  async requireUser(username: string): Promise<UserSummaryRow> {
    const row = USERNAME.test(username) ? await this.repo.findByUsername(username) : null;
    if (!row) throw new AppError('user_not_found', `No user named "${username.slice(0, 40)}".`);
    return row;
  }

  async profile(username: string, viewer: PublicUser | null): Promise<Profile> {
    const row = USERNAME.test(username) ? await this.repo.getProfile({ username }, viewer?.id ?? null) : null;
    if (!row) throw new AppError('user_not_found', `No user named "${username.slice(0, 40)}".`);
    return this.toProfile(row, viewer);
  }

  async me(user: PublicUser): Promise<Profile> {
    const row = await this.repo.getProfile({ id: user.id }, user.id);
    if (!row) throw new AppError('unauthorized', 'The account no longer exists.');
    return this.toProfile(row, user);
  }

  async update(user: PublicUser, patch: UpdateProfileInput): Promise<Profile> {
    await this.repo.update(user.id, patch);
    return this.me(user);
  }

  async privacy(user: PublicUser): Promise<Privacy> {
    return { likedVideosPublic: await this.repo.likedVideosPublic(user.id) };
  }

  async updatePrivacy(user: PublicUser, patch: UpdatePrivacyInput): Promise<Privacy> {
    await this.repo.setPrivacy(user.id, patch);
    return this.privacy(user);
  }

  /** Whether others may see the videos `userId` liked. */
  likedVideosPublic(userId: string): Promise<boolean> {
    return this.repo.likedVideosPublic(userId);
  }

  /** Validates and resizes the image, stores it under a fresh key, then drops the previous one. */
  async setAvatar(user: PublicUser, bytes: Buffer): Promise<Profile> {
    const jpeg = await this.images.squareJpeg(bytes, AVATAR_SIZE);
    const key = avatarKey(user.id, randomId());
    await this.store.put(key, jpeg, { contentType: 'image/jpeg', cacheControl: AVATAR_CACHE_CONTROL });
    const previous = await this.repo.setAvatar(user.id, key);
    // Old URLs may live on in caches for a while; the object itself is no longer needed.
    if (previous && previous !== key) await this.store.delete(previous).catch(() => undefined);
    return this.me(user);
  }

  /** A profile's videos: all of the owner's own (any state); of others', what the viewer may see, unlisted left out. */
  async videosOf(username: string, viewer: PublicUser | null, page: PageParams): Promise<Page<VideoView>> {
    const owner = await this.requireUser(username);
    const rows = await this.videosRepo.listByOwner(owner.id, viewer?.id ?? null, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { items: await this.videos.present(result.items, viewer), nextCursor: result.nextCursor };
  }

  private async toProfile(row: ProfileRow, viewer: PublicUser | null): Promise<Profile> {
    const profile: Profile = {
      ...this.summary(row),
      bio: row.bio,
      followerCount: row.follower_count,
      followingCount: row.following_count,
      likeCount: row.like_count,
      videoCount: await this.videosRepo.countByOwner(row.id, viewer?.id ?? null),
      likedVideosPublic: row.liked_videos_public,
      createdAt: isoTime(row.created_at),
    };
    if (viewer) profile.viewer = { follows: row.viewer_follows, blocking: row.viewer_blocking };
    return profile;
  }
}
