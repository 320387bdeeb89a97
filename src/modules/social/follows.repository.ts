import type { Database, SqlExecutor } from '../../ports/database.js';
import { AppError } from '../../errors.js';
import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { UserSummaryRow } from '../accounts/user.types.js';
import { blockedBetweenSql, userVisibleSql } from '../videos/visibility.js';

/**
 * Locks both users' rows in id order (NO KEY UPDATE does not conflict with
 * the FK checks' KEY SHARE), so "A follows B" and "B follows A" — or a follow
 * and a block — at once cannot deadlock, and run one after the other.
 */
export async function lockPair(tx: SqlExecutor, a: string, b: string): Promise<void> {
  await tx.query('SELECT 1 FROM users WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE', [a, b]);
}

export interface FollowRow extends UserSummaryRow {
  followed_at: Date;
  /** Whether the viewer the list was read for follows this person (false for nobody). */
  viewer_follows: boolean;
}

/**
 * The follow graph. follower_count / following_count on users change in the
 * same transaction as the follows row, and only when a row was really added
 * or removed, so repeating a request never moves a counter.
 */
export class FollowsRepository {
  constructor(private readonly db: Database) {}

  async isFollowing(followerId: string, followeeId: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2', [followerId, followeeId]);
    return r.rows.length > 0;
  }

  /**
   * Returns whether a new edge was created; throws user_blocked when a block
   * stands between the two. Both users' rows are locked first (as blocking
   * does), so a follow racing a block either lands before it (and the block
   * removes it) or sees it.
   */
  async follow(followerId: string, followeeId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockPair(tx, followerId, followeeId);
      const r = await tx.query<{ blocked: boolean; inserted: boolean }>(
        `WITH blocked AS (SELECT ${blockedBetweenSql('$1::text', '$2::text')} AS blocked),
              ins AS (INSERT INTO follows (follower_id, followee_id) SELECT $1, $2 FROM blocked WHERE NOT blocked.blocked
                      ON CONFLICT DO NOTHING RETURNING 1)
         SELECT blocked.blocked, EXISTS (SELECT 1 FROM ins) AS inserted FROM blocked`,
        [followerId, followeeId],
      );
      if (r.rows[0]?.blocked) throw new AppError('user_blocked', 'You cannot follow this account.');
      if (!r.rows[0]?.inserted) return false;
      await this.bumpCounters(tx, followerId, followeeId, 1);
      return true;
    });
  }

  /** Returns whether an edge was removed. */
  async unfollow(followerId: string, followeeId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Same lock order as follow and block (both user rows, by id) before touching the edge.
      await lockPair(tx, followerId, followeeId);
      const r = await tx.query('DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING 1', [followerId, followeeId]);
      if (r.rows.length === 0) return false;
      await this.bumpCounters(tx, followerId, followeeId, -1);
      return true;
    });
  }

  private async bumpCounters(tx: SqlExecutor, followerId: string, followeeId: string, by: 1 | -1): Promise<void> {
    await lockPair(tx, followerId, followeeId);
    await tx.query(
      `UPDATE users SET following_count = following_count + CASE WHEN id = $1 THEN $3::int ELSE 0 END,
                        follower_count  = follower_count  + CASE WHEN id = $2 THEN $3::int ELSE 0 END
       WHERE id IN ($1, $2)`,
      [followerId, followeeId, by],
    );
  }

  /** People following `userId` that `viewerId` may see listed (no banned account, no one in a block with the viewer), most recent first. */
  async listFollowers(userId: string, viewerId: string | null, limit: number, after?: KeysetCursor): Promise<FollowRow[]> {
    return this.list('followee_id', 'follower_id', userId, viewerId, limit, after);
  }

  /** People `userId` follows that `viewerId` may see listed, most recent first. */
  async listFollowing(userId: string, viewerId: string | null, limit: number, after?: KeysetCursor): Promise<FollowRow[]> {
    return this.list('follower_id', 'followee_id', userId, viewerId, limit, after);
  }

  private async list(
    self: 'followee_id' | 'follower_id',
    other: 'followee_id' | 'follower_id',
    userId: string,
    viewerId: string | null,
    limit: number,
    after?: KeysetCursor,
  ): Promise<FollowRow[]> {
    const page = keysetSql({ time: 'f.created_at', id: `f.${other}` }, after, [userId, limit, viewerId]);
    const r = await this.db.query<FollowRow>(
      `SELECT u.id, u.username, u.display_name, u.avatar_key, f.created_at AS followed_at,
              EXISTS (SELECT 1 FROM follows vf WHERE vf.follower_id = $3::text AND vf.followee_id = u.id) AS viewer_follows
       FROM follows f JOIN users u ON u.id = f.${other}
       WHERE f.${self} = $1 AND ${userVisibleSql('u', '$3')}${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }
}
