import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { Database } from '../../ports/database.js';
import type { UserSummaryRow } from '../accounts/user.types.js';
import { blockedBetweenSql, commentVisibleSql, viewableSql } from '../videos/visibility.js';
import type { NotificationType } from './notifications.schema.js';

export interface NotificationRow {
  id: string;
  kind: NotificationType;
  video_id: string | null;
  comment_id: string | null;
  created_at: Date;
  updated_at: Date;
  read_at: Date | null;
  /** The single actor (every kind but likes and the video's own news). */
  actor: UserSummaryRow | null;
  /** Likes: the likers the recipient may see, newest first (at most 3), and how many in all. */
  likers: UserSummaryRow[] | null;
  liker_count: number;
  comment_text: string | null;
  comment_parent_id: string | null;
}

/** What one notify call says happened. */
export interface NotifyInput {
  recipientId: string;
  kind: NotificationType;
  /** What makes two events one row (see the migration). */
  groupKey: string;
  actorId: string | null;
  videoId?: string | null;
  commentId?: string | null;
}

/** A recipient's inbox fingerprint: changes whenever something they could see changed. */
export interface InboxSignature {
  recipient_id: string;
  signature: string;
}

/** A user summary of `u` as JSON. */
const userJson = (u: string) =>
  `json_build_object('id', ${u}.id, 'username', ${u}.username, 'display_name', ${u}.display_name, 'avatar_key', ${u}.avatar_key)`;

/** People `r` (the recipient, SQL text) is told about: not banned, no block either way. */
const actorShownSql = (u: string, r: string) => `(${u}.banned_at IS NULL AND NOT ${blockedBetweenSql(r, `${u}.id`)})`;

/** The likers of a like row the recipient may see: still liking the video, not banned, not in a block. */
const likersFrom = (n: string) =>
  `FROM notification_actors na JOIN users lu ON lu.id = na.actor_id
   JOIN video_likes vl ON vl.video_id = ${n}.video_id AND vl.user_id = na.actor_id
   WHERE na.notification_id = ${n}.id AND ${actorShownSql('lu', `${n}.recipient_id`)}`;

/**
 * Whether a stored row is shown now (`n` notifications, `v` its video, `c`
 * its comment, all LEFT JOINed): its type not muted, its actor (or, for
 * likes, at least one liker) someone the recipient may see, its video one
 * the recipient may watch, its comment one they may read, and a caption
 * mention still in the caption. Deleted videos, comments and accounts take
 * their rows with them (foreign keys).
 */
const shownSql = (n: string, v: string, c: string) => `(
  NOT (${n}.kind = ANY (COALESCE((SELECT s.muted FROM notification_settings s WHERE s.user_id = ${n}.recipient_id), '{}'::text[])))
  AND (${n}.actor_id IS NULL OR EXISTS (SELECT 1 FROM users au WHERE au.id = ${n}.actor_id AND ${actorShownSql('au', `${n}.recipient_id`)}))
  AND (${n}.kind <> 'like' OR EXISTS (SELECT 1 ${likersFrom(n)}))
  AND (${n}.video_id IS NULL OR ${viewableSql(v, `${n}.recipient_id`)})
  AND (${n}.comment_id IS NULL OR ${commentVisibleSql(c, `${n}.recipient_id`)})
  AND (${n}.kind <> 'mention' OR ${n}.comment_id IS NOT NULL
       OR EXISTS (SELECT 1 FROM video_mentions vm WHERE vm.video_id = ${n}.video_id AND vm.user_id = ${n}.recipient_id)))`;

/** Rows per retention DELETE. */
const PRUNE_BATCH = 1000;

const FROM = `FROM notifications n LEFT JOIN videos v ON v.id = n.video_id LEFT JOIN comments c ON c.id = n.comment_id`;

/** Notifications: written through notify_user() (the migration), read back through the rule above. */
export class NotificationsRepository {
  constructor(private readonly db: Database) {}

  /** Writes one (or joins a like row); returns the recipient when something changed for them, else null. */
  async notify(input: NotifyInput): Promise<string | null> {
    const r = await this.db.query<{ id: string | null }>('SELECT notify_user($1, $2, $3, $4, $5, $6) AS id', [
      input.recipientId,
      input.kind,
      input.groupKey,
      input.actorId,
      input.videoId ?? null,
      input.commentId ?? null,
    ]);
    return r.rows[0]?.id ? input.recipientId : null;
  }

  /** The inbox, most recently changed first. */
  async list(recipientId: string, limit: number, after?: KeysetCursor): Promise<NotificationRow[]> {
    const page = keysetSql({ time: 'n.updated_at', id: 'n.id' }, after, [recipientId, limit]);
    return this.select(`n.recipient_id = $1${page.and}`, `ORDER BY ${page.orderBy} LIMIT $2`, page.params);
  }

  /** Shown rows of the recipient changed at or after `since` (what a live stream sends), oldest first. */
  async changedSince(recipientId: string, since: Date, limit: number): Promise<NotificationRow[]> {
    return this.select(`n.recipient_id = $1 AND n.updated_at >= $3`, 'ORDER BY n.updated_at ASC, n.id ASC LIMIT $2', [
      recipientId,
      limit,
      since,
    ]);
  }

  /** One row of the recipient's (hidden or another user's: null). */
  async get(recipientId: string, id: string): Promise<NotificationRow | null> {
    const rows = await this.select('n.recipient_id = $1 AND n.id = $2', '', [recipientId, id]);
    return rows[0] ?? null;
  }

  private async select(where: string, tail: string, params: unknown[]): Promise<NotificationRow[]> {
    const r = await this.db.query<NotificationRow>(
      `SELECT n.id, n.kind, n.video_id, n.comment_id, n.created_at, n.updated_at, n.read_at,
              (SELECT ${userJson('au')} FROM users au WHERE au.id = n.actor_id) AS actor,
              CASE WHEN n.kind = 'like' THEN
                (SELECT json_agg(${userJson('x')} ORDER BY x.acted_at DESC, x.id) FROM
                   (SELECT lu.id, lu.username, lu.display_name, lu.avatar_key, na.acted_at ${likersFrom('n')}
                    ORDER BY na.acted_at DESC, lu.id LIMIT 3) x)
              END AS likers,
              CASE WHEN n.kind = 'like' THEN (SELECT count(*)::int ${likersFrom('n')}) ELSE 0 END AS liker_count,
              c.text AS comment_text, c.parent_id AS comment_parent_id
       ${FROM}
       WHERE ${where} AND ${shownSql('n', 'v', 'c')} ${tail}`,
      params,
    );
    return r.rows;
  }

  async unreadCount(recipientId: string): Promise<number> {
    const r = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n ${FROM} WHERE n.recipient_id = $1 AND n.read_at IS NULL AND ${shownSql('n', 'v', 'c')}`,
      [recipientId],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** Marks one row read; false when the recipient has no such row (hidden rows included: they are theirs). */
  async markRead(recipientId: string, id: string): Promise<boolean> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE notifications SET read_at = COALESCE(read_at, date_trunc('milliseconds', clock_timestamp()))
       WHERE recipient_id = $1 AND id = $2 RETURNING id`,
      [recipientId, id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Marks every unread row of the recipient read; returns how many. */
  async markAllRead(recipientId: string): Promise<number> {
    const r = await this.db.query(
      `UPDATE notifications SET read_at = date_trunc('milliseconds', clock_timestamp()) WHERE recipient_id = $1 AND read_at IS NULL`,
      [recipientId],
    );
    return r.rowCount ?? 0;
  }

  async muted(userId: string): Promise<NotificationType[]> {
    const r = await this.db.query<{ muted: NotificationType[] }>('SELECT muted FROM notification_settings WHERE user_id = $1', [userId]);
    return r.rows[0]?.muted ?? [];
  }

  async setMuted(userId: string, muted: readonly NotificationType[]): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_settings (user_id, muted) VALUES ($1, $2::text[])
       ON CONFLICT (user_id) DO UPDATE SET muted = EXCLUDED.muted, updated_at = now()`,
      [userId, muted],
    );
  }

  /**
   * One cheap fingerprint per watched recipient (the newest change, the
   * unread rows, the mute list), so one query a tick tells every open stream
   * of this process whether to look closer. Raw rows: blocks and mutes are
   * applied when a stream reads its changes.
   */
  async signatures(recipientIds: readonly string[]): Promise<InboxSignature[]> {
    if (recipientIds.length === 0) return [];
    const r = await this.db.query<InboxSignature>(
      `SELECT u.id AS recipient_id,
              concat_ws('|', (SELECT max(n.updated_at)::text FROM notifications n WHERE n.recipient_id = u.id),
                        (SELECT count(*)::text FROM notifications n WHERE n.recipient_id = u.id AND n.read_at IS NULL),
                        (SELECT count(*)::text FROM notifications n WHERE n.recipient_id = u.id),
                        (SELECT s.updated_at::text FROM notification_settings s WHERE s.user_id = u.id),
                        (SELECT count(*)::text FROM blocks b WHERE b.blocker_id = u.id OR b.blocked_id = u.id)) AS signature
       FROM users u WHERE u.id = ANY ($1::text[])`,
      [recipientIds],
    );
    return r.rows;
  }

  /** Deletes notifications that last changed more than `days` ago, in batches; returns how many went. */
  async prune(days: number, signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const r = await this.db.query(
        `DELETE FROM notifications WHERE id IN (
           SELECT id FROM notifications WHERE updated_at < now() - make_interval(days => $1::int) LIMIT $2)`,
        [days, PRUNE_BATCH],
      );
      total += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < PRUNE_BATCH) return total;
    }
  }

  /** The author of a comment (a reply's addressee). */
  async commentAuthor(commentId: string): Promise<string | null> {
    const r = await this.db.query<{ author_id: string }>('SELECT author_id FROM comments WHERE id = $1', [commentId]);
    return r.rows[0]?.author_id ?? null;
  }

  /** Ids of existing accounts named (lower-cased usernames). */
  async userIdsByUsername(usernames: readonly string[]): Promise<string[]> {
    if (usernames.length === 0) return [];
    const r = await this.db.query<{ id: string }>('SELECT id FROM users WHERE lower(username) = ANY ($1::text[])', [usernames]);
    return r.rows.map((x) => x.id);
  }
}
