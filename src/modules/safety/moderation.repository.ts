import type { SqlExecutor } from '../../ports/database.js';
import type { Role } from '../accounts/user.types.js';
import { USER_TARGET_COLUMNS, type UserTargetRow } from './reports.repository.js';

export interface AdminUserRow extends UserTargetRow {
  video_count: number;
}

/** Roles, bans and takedowns: what admins (and `curta admin`) change. Banned accounts are found here too. */
export class ModerationRepository {
  constructor(private readonly db: SqlExecutor) {}

  async findUser(username: string): Promise<AdminUserRow | null> {
    const r = await this.db.query<AdminUserRow>(
      `SELECT ${USER_TARGET_COLUMNS}, (SELECT count(*)::int FROM videos v WHERE v.owner_id = u.id) AS video_count
       FROM users u WHERE lower(u.username) = lower($1)`,
      [username],
    );
    return r.rows[0] ?? null;
  }

  /** Returns the user's previous role, or null when there is no such user. */
  async setRole(username: string, role: Role): Promise<{ username: string; previous: Role } | null> {
    const r = await this.db.query<{ username: string; previous: Role }>(
      `UPDATE users u SET role = $2 FROM (SELECT id, role FROM users WHERE lower(username) = lower($1) FOR UPDATE) old
       WHERE u.id = old.id RETURNING u.username, old.role AS previous`,
      [username, role],
    );
    return r.rows[0] ?? null;
  }

  /**
   * Bans the account (a repeated ban keeps the first time and takes the new
   * reason) and revokes every session it has, in the caller's transaction.
   */
  async ban(userId: string, adminId: string, reason: string, tx: SqlExecutor): Promise<void> {
    await tx.query('UPDATE users SET banned_at = COALESCE(banned_at, now()), ban_reason = $2, banned_by = $3 WHERE id = $1', [
      userId,
      reason,
      adminId,
    ]);
    await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
  }

  async unban(userId: string): Promise<void> {
    await this.db.query('UPDATE users SET banned_at = NULL, ban_reason = NULL, banned_by = NULL WHERE id = $1', [userId]);
  }

  /** Returns false when the video does not exist. A repeated takedown keeps the first time and takes the new reason. */
  async takedown(videoId: string, adminId: string, reason: string, tx: SqlExecutor): Promise<boolean> {
    const r = await tx.query(
      `UPDATE videos SET taken_down_at = COALESCE(taken_down_at, now()), takedown_reason = $2, taken_down_by = $3, updated_at = now()
       WHERE id = $1`,
      [videoId, reason, adminId],
    );
    return r.rowCount > 0;
  }

  async restore(videoId: string): Promise<boolean> {
    const r = await this.db.query(
      'UPDATE videos SET taken_down_at = NULL, takedown_reason = NULL, taken_down_by = NULL, updated_at = now() WHERE id = $1',
      [videoId],
    );
    return r.rowCount > 0;
  }
}
