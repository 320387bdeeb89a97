import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { UserSummaryRow } from '../accounts/user.types.js';
import { lockPair } from '../social/follows.repository.js';
import { blockedBetweenSql, type ViewerRelation, type ViewerStanding } from '../videos/visibility.js';

export interface BlockRow extends UserSummaryRow {
  blocked_at: Date;
}

/**
 * Blocks, one row per direction. Blocking removes the follow edges between
 * the two (both ways, with the counters) in the same transaction, after
 * locking both users' rows as following does, so a racing follow cannot
 * survive the block.
 */
export class BlocksRepository {
  constructor(private readonly db: Database) {}

  /** The viewer's relation to a video's owner, in one round trip (the visibility rule's input). */
  async relation(viewerId: string, ownerId: string): Promise<ViewerRelation> {
    const r = await this.db.query<{ follows_owner: boolean; blocked: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1::text AND followee_id = $2::text) AS follows_owner,
              ${blockedBetweenSql('$1::text', '$2::text')} AS blocked`,
      [viewerId, ownerId],
    );
    const row = r.rows[0];
    return { followsOwner: row?.follows_owner === true, blocked: row?.blocked === true };
  }

  /**
   * The relation plus what signed media re-checks about the viewer (banned,
   * admin), in one round trip; null when the viewer's account is gone.
   */
  async standing(viewerId: string, ownerId: string): Promise<ViewerStanding | null> {
    const r = await this.db.query<{ follows_owner: boolean; blocked: boolean; banned: boolean; admin: boolean }>(
      `SELECT u.banned_at IS NOT NULL AS banned, u.role = 'admin' AS admin,
              EXISTS (SELECT 1 FROM follows WHERE follower_id = $1::text AND followee_id = $2::text) AS follows_owner,
              ${blockedBetweenSql('$1::text', '$2::text')} AS blocked
       FROM users u WHERE u.id = $1::text`,
      [viewerId, ownerId],
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      followsOwner: row.follows_owner,
      blocked: row.blocked,
      banned: row.banned,
      admin: row.admin,
    };
  }

  /** Who `userId` blocked, and who blocked `userId`. */
  async between(userId: string, otherId: string): Promise<{ blocking: boolean; blockedBy: boolean }> {
    const r = await this.db.query<{ blocking: boolean; blocked_by: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1::text AND blocked_id = $2::text) AS blocking,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2::text AND blocked_id = $1::text) AS blocked_by`,
      [userId, otherId],
    );
    return { blocking: r.rows[0]?.blocking === true, blockedBy: r.rows[0]?.blocked_by === true };
  }

  /** Everyone in a block with `userId`, either way (usually nobody). */
  async blockedIds(userId: string): Promise<Set<string>> {
    const r = await this.db.query<{ id: string }>(
      `SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`,
      [userId],
      { prepare: 'safety_blocked_ids' },
    );
    return new Set(r.rows.map((row) => row.id));
  }

  /** Idempotent; returns whether a new block was created. Removes follows both ways. */
  async block(blockerId: string, blockedId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockPair(tx, blockerId, blockedId);
      const r = await tx.query('INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1', [
        blockerId,
        blockedId,
      ]);
      await this.dropFollows(tx, blockerId, blockedId);
      return r.rows.length > 0;
    });
  }

  /** Idempotent; returns whether a block was removed. Follows are not restored. */
  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1', [blockerId, blockedId]);
    return r.rows.length > 0;
  }

  /** People `blockerId` blocked, most recent first. */
  async list(blockerId: string, limit: number, after?: KeysetCursor): Promise<BlockRow[]> {
    const page = keysetSql({ time: 'b.created_at', id: 'b.blocked_id' }, after, [blockerId, limit]);
    const r = await this.db.query<BlockRow>(
      `SELECT u.id, u.username, u.display_name, u.avatar_key, b.created_at AS blocked_at
       FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.blocker_id = $1${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  private async dropFollows(tx: SqlExecutor, a: string, b: string): Promise<void> {
    await tx.query(
      `WITH del AS (
         DELETE FROM follows WHERE (follower_id = $1 AND followee_id = $2) OR (follower_id = $2 AND followee_id = $1)
         RETURNING follower_id, followee_id
       )
       UPDATE users u
       SET following_count = u.following_count - (SELECT count(*) FROM del WHERE del.follower_id = u.id)::int,
           follower_count  = u.follower_count  - (SELECT count(*) FROM del WHERE del.followee_id = u.id)::int
       WHERE u.id IN ($1, $2) AND EXISTS (SELECT 1 FROM del)`,
      [a, b],
    );
  }
}
