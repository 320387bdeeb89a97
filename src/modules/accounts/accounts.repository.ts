import type { SqlExecutor } from '../../ports/database.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: 'user' | 'admin';
  banned_at: Date | null;
  ban_reason: string | null;
  created_at: Date;
}

export class AccountsRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Returns null when the username is taken (case-insensitively). */
  async insertUser(id: string, username: string, passwordHash: string): Promise<UserRow | null> {
    const r = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING *`,
      [id, username, passwordHash],
    );
    return r.rows[0] ?? null;
  }

  async findByUsername(username: string): Promise<UserRow | null> {
    const r = await this.db.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
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
    );
    return r.rows[0] ?? null;
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash]);
  }
}
