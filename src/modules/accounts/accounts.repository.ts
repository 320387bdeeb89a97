import type { Database } from '../../ports/database.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: 'user' | 'admin';
  banned_at: Date | null;
  ban_reason: string | null;
  created_at: Date;
}

/** Dead sessions removed per sign-in (a bounded batch, so a backlog never makes one login slow). */
export const SESSION_PRUNE_BATCH = 500;

export class AccountsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Returns null when the username is taken (case-insensitively) or still
   * held after its account was deleted. The hold is read after the insert,
   * in the same transaction: an insert that had to wait for a deletion of
   * the same name to commit then sees the hold that deletion wrote.
   */
  async insertUser(id: string, username: string, passwordHash: string): Promise<UserRow | null> {
    return this.db
      .transaction(async (tx) => {
        const r = await tx.query<UserRow>(
          `INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING *`,
          [id, username, passwordHash],
        );
        const user = r.rows[0];
        if (!user) return null;
        const held = await tx.query('SELECT 1 FROM held_usernames WHERE username_key = lower($1) AND held_until > now()', [username]);
        if (held.rows.length > 0) throw new UsernameHeld();
        return user;
      })
      .catch((err: unknown) => {
        if (err instanceof UsernameHeld) return null;
        throw err;
      });
  }

  async findByUsername(username: string): Promise<UserRow | null> {
    const r = await this.db.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
    return r.rows[0] ?? null;
  }

  async findById(id: string): Promise<UserRow | null> {
    const r = await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  }

  async insertSession(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
  }

  async findSessionUser(tokenHash: string): Promise<UserRow | null> {
    const r = await this.db.query<UserRow>(
      `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.banned_at IS NULL`,
      [tokenHash],
      // Every signed-in request.
      { prepare: 'accounts_session_user' },
    );
    return r.rows[0] ?? null;
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash]);
  }

  /** Ends every session of the user; returns how many there were. */
  async deleteSessions(userId: string): Promise<number> {
    const r = await this.db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
    return r.rowCount;
  }

  /**
   * Sets a new password hash if the stored one is still `expectedHash` (a
   * concurrent change wins once, not twice), and ends every session of the
   * user but `keepTokenHash`, in one transaction. Returns whether it changed.
   */
  async changePassword(userId: string, expectedHash: string, newHash: string, keepTokenHash: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [userId, expectedHash, newHash]);
      if (r.rowCount === 0) return false;
      await tx.query('DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2', [userId, keepTokenHash]);
      return true;
    });
  }

  /** Removes up to `limit` dead sessions (expired, or revoked by a logout or ban), anyone's; returns how many. */
  async pruneSessions(limit = SESSION_PRUNE_BATCH): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM sessions WHERE token_hash IN (
         SELECT token_hash FROM sessions WHERE expires_at <= now() OR revoked_at IS NOT NULL LIMIT $1)`,
      [limit],
    );
    return r.rowCount;
  }

  /** Removes up to `limit` username holds that have run out; returns how many. */
  async pruneUsernameHolds(limit = SESSION_PRUNE_BATCH): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM held_usernames WHERE username_key IN (
         SELECT username_key FROM held_usernames WHERE held_until <= now() LIMIT $1)`,
      [limit],
    );
    return r.rowCount;
  }
}

/** Rolls the sign-up's transaction back when its username is held. */
class UsernameHeld extends Error {}
