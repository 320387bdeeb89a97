import type { SqlExecutor } from '../../ports/database.js';
import { listedSql } from '../videos/visibility.js';
import type { UserSummaryRow } from './user.types.js';

export interface ProfileRow {
  id: string;
  username: string;
  display_name: string;
  bio: string;
  avatar_key: string | null;
  follower_count: number;
  following_count: number;
  /** Likes received on the user's videos that the viewer the row was read for sees listed on the profile. */
  like_count: number;
  created_at: Date;
  /** Whether the viewer the row was read for follows this user. */
  viewer_follows: boolean;
  /** Whether the viewer the row was read for blocked this user. */
  viewer_blocking: boolean;
  /** Whether others may see the videos this user liked. */
  liked_videos_public: boolean;
}

/**
 * Profiles. Banned accounts are left out of every lookup here: to everyone
 * but admins (who use the moderation repository) a banned user does not exist.
 */
export class ProfilesRepository {
  constructor(private readonly db: SqlExecutor) {}

  async findByUsername(username: string): Promise<UserSummaryRow | null> {
    const r = await this.db.query<UserSummaryRow>(
      'SELECT id, username, display_name, avatar_key FROM users WHERE lower(username) = lower($1) AND banned_at IS NULL',
      [username],
    );
    return r.rows[0] ?? null;
  }

  async getProfile(by: { username: string } | { id: string }, viewerId: string | null): Promise<ProfileRow | null> {
    const where = 'username' in by ? 'lower(u.username) = lower($1)' : 'u.id = $1';
    const r = await this.db.query<ProfileRow>(
      `SELECT u.id, u.username, u.display_name, u.bio, u.avatar_key, u.follower_count, u.following_count, u.created_at,
              u.liked_videos_public,
              (SELECT COALESCE(sum(s.likes), 0)::bigint FROM videos v JOIN video_stats s ON s.video_id = v.id
               WHERE v.owner_id = u.id AND ${listedSql('v', '$2')}) AS like_count,
              EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2::text AND f.followee_id = u.id) AS viewer_follows,
              EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $2::text AND b.blocked_id = u.id) AS viewer_blocking
       FROM users u WHERE ${where} AND u.banned_at IS NULL`,
      ['username' in by ? by.username : by.id, viewerId],
    );
    return r.rows[0] ?? null;
  }

  async update(userId: string, patch: { displayName?: string; bio?: string }): Promise<void> {
    await this.db.query('UPDATE users SET display_name = COALESCE($2, display_name), bio = COALESCE($3, bio) WHERE id = $1', [
      userId,
      patch.displayName ?? null,
      patch.bio ?? null,
    ]);
  }

  /** Points the user at a new avatar object; returns the key of the one it replaced. */
  async setAvatar(userId: string, key: string): Promise<string | null> {
    const r = await this.db.query<{ old_key: string | null }>(
      `UPDATE users u SET avatar_key = $2 FROM (SELECT avatar_key FROM users WHERE id = $1 FOR UPDATE) old
       WHERE u.id = $1 RETURNING old.avatar_key AS old_key`,
      [userId, key],
    );
    return r.rows[0]?.old_key ?? null;
  }

  /** Whether others may see the videos `userId` liked (false for an unknown user). */
  async likedVideosPublic(userId: string): Promise<boolean> {
    const r = await this.db.query<{ liked_videos_public: boolean }>('SELECT liked_videos_public FROM users WHERE id = $1', [userId]);
    return r.rows[0]?.liked_videos_public === true;
  }

  async setPrivacy(userId: string, patch: { likedVideosPublic?: boolean }): Promise<void> {
    await this.db.query('UPDATE users SET liked_videos_public = COALESCE($2, liked_videos_public) WHERE id = $1', [
      userId,
      patch.likedVideosPublic ?? null,
    ]);
  }
}
