import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import { commentVisibleSql } from '../videos/visibility.js';

export const REPORT_TARGET_TYPES = ['video', 'comment', 'user'] as const;
export type ReportTargetType = (typeof REPORT_TARGET_TYPES)[number];
export const REPORT_REASONS = [
  'spam',
  'harassment',
  'hate',
  'violence',
  'sexual',
  'self_harm',
  'misinformation',
  'copyright',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface ReportRow {
  id: string;
  reporter_id: string;
  reporter_username: string | null;
  target_type: ReportTargetType;
  target_id: string;
  reason: ReportReason;
  details: string;
  status: ReportStatus;
  created_at: Date;
  closed_at: Date | null;
  closed_by: string | null;
  closed_by_username: string | null;
  resolution_note: string;
}

export interface NewReport {
  id: string;
  reporterId: string;
  targetType: ReportTargetType;
  targetId: string;
  reason: ReportReason;
  details: string;
}

export interface CommentTargetRow {
  id: string;
  video_id: string;
  author_id: string;
  author_username: string;
  author_banned: boolean;
  text: string;
  created_at: Date;
}

export interface UserTargetRow {
  id: string;
  username: string;
  display_name: string;
  bio: string;
  role: 'user' | 'admin';
  banned_at: Date | null;
  ban_reason: string | null;
  created_at: Date;
}

const SELECT = `SELECT r.*, ru.username AS reporter_username, cu.username AS closed_by_username
  FROM reports r LEFT JOIN users ru ON ru.id = r.reporter_id LEFT JOIN users cu ON cu.id = r.closed_by`;

export const USER_TARGET_COLUMNS = 'u.id, u.username, u.display_name, u.bio, u.role, u.banned_at, u.ban_reason, u.created_at';

/** Reports and the admin queue over them. */
export class ReportsRepository {
  constructor(private readonly db: Database) {}

  /** Null when the reporter already has an open report on this target (the partial unique index decides). */
  async insert(r: NewReport): Promise<ReportRow | null> {
    const ins = await this.db.query<{ id: string }>(
      `INSERT INTO reports (id, reporter_id, target_type, target_id, reason, details) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING RETURNING id`,
      [r.id, r.reporterId, r.targetType, r.targetId, r.reason, r.details],
    );
    return ins.rows[0] ? this.get(r.id) : null;
  }

  async findOpen(reporterId: string, targetType: ReportTargetType, targetId: string): Promise<string | null> {
    const r = await this.db.query<{ id: string }>(
      `SELECT id FROM reports WHERE reporter_id = $1 AND target_type = $2 AND target_id = $3 AND status = 'open'`,
      [reporterId, targetType, targetId],
    );
    return r.rows[0]?.id ?? null;
  }

  async get(id: string, executor: SqlExecutor = this.db): Promise<ReportRow | null> {
    const r = await executor.query<ReportRow>(`${SELECT} WHERE r.id = $1`, [id]);
    return r.rows[0] ?? null;
  }

  /**
   * The queue: open reports oldest first (first come, first served); closed
   * ones most recent first. Keyset-paginated on (created_at, id).
   */
  async list(status: ReportStatus, targetType: ReportTargetType | undefined, limit: number, after?: KeysetCursor): Promise<ReportRow[]> {
    const order = status === 'open' ? 'ASC' : 'DESC';
    const page = keysetSql({ time: 'r.created_at', id: 'r.id' }, after, [status, limit, targetType ?? null], order);
    const r = await this.db.query<ReportRow>(
      `${SELECT} WHERE r.status = $1 AND ($3::text IS NULL OR r.target_type = $3::text)${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  /** Closes an open report; null when it is not open (or not there). */
  async close(id: string, status: Exclude<ReportStatus, 'open'>, adminId: string, note: string): Promise<ReportRow | null> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE reports SET status = $2, closed_at = now(), closed_by = $3, resolution_note = $4
       WHERE id = $1 AND status = 'open' RETURNING id`,
      [id, status, adminId, note],
    );
    return r.rows[0] ? this.get(id) : null;
  }

  /** Resolves every open report on a target (after a takedown or a ban); returns how many. */
  async resolveOpenFor(
    targetType: ReportTargetType,
    targetId: string,
    adminId: string,
    note: string,
    executor: SqlExecutor = this.db,
  ): Promise<number> {
    const r = await executor.query(
      `UPDATE reports SET status = 'resolved', closed_at = now(), closed_by = $3, resolution_note = $4
       WHERE target_type = $1 AND target_id = $2 AND status = 'open'`,
      [targetType, targetId, adminId, note],
    );
    return r.rowCount;
  }

  /** Open reports per target, for the given targets (`type:id` keys). */
  async openCounts(targets: ReadonlyArray<{ type: ReportTargetType; id: string }>): Promise<Map<string, number>> {
    const unique = [...new Map(targets.map((t) => [`${t.type}:${t.id}`, t])).values()];
    if (unique.length === 0) return new Map();
    const r = await this.db.query<{ target_type: string; target_id: string; n: number }>(
      `SELECT r.target_type, r.target_id, count(*)::int AS n
       FROM reports r JOIN unnest($1::text[], $2::text[]) AS x(type, id) ON r.target_type = x.type AND r.target_id = x.id
       WHERE r.status = 'open' GROUP BY r.target_type, r.target_id`,
      [unique.map((t) => t.type), unique.map((t) => t.id)],
    );
    return new Map(r.rows.map((row) => [`${row.target_type}:${row.target_id}`, row.n]));
  }

  /** A comment as `viewerId` may see it (any video; the caller checks the video). */
  async visibleComment(commentId: string, viewerId: string): Promise<CommentTargetRow | null> {
    const r = await this.db.query<CommentTargetRow>(
      `SELECT c.id, c.video_id, c.author_id, u.username AS author_username, u.banned_at IS NOT NULL AS author_banned, c.text, c.created_at
       FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id = $1 AND ${commentVisibleSql('c', '$2')}`,
      [commentId, viewerId],
    );
    return r.rows[0] ?? null;
  }

  async comments(ids: readonly string[]): Promise<CommentTargetRow[]> {
    if (ids.length === 0) return [];
    const r = await this.db.query<CommentTargetRow>(
      `SELECT c.id, c.video_id, c.author_id, u.username AS author_username, u.banned_at IS NOT NULL AS author_banned, c.text, c.created_at
       FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id = ANY($1::text[])`,
      [ids],
    );
    return r.rows;
  }

  async users(ids: readonly string[]): Promise<UserTargetRow[]> {
    if (ids.length === 0) return [];
    const r = await this.db.query<UserTargetRow>(`SELECT ${USER_TARGET_COLUMNS} FROM users u WHERE u.id = ANY($1::text[])`, [ids]);
    return r.rows;
  }

  /** An account that is not banned, by id (what may be reported). */
  async activeUserExists(id: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM users WHERE id = $1 AND banned_at IS NULL', [id]);
    return r.rows.length > 0;
  }
}
