import { AppError } from '../../errors.js';
import type { KeysetCursor } from '../../lib/cursor.js';
import { isForeignKeyViolation } from '../../lib/db-errors.js';
import { keysetSql } from '../../lib/pagination.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import { commentVisibleSql } from '../videos/visibility.js';

export interface CommentRow {
  id: string;
  video_id: string;
  author_id: string;
  author_username: string;
  author_display_name: string;
  author_avatar_key: string | null;
  parent_id: string | null;
  text: string;
  like_count: number;
  reply_count: number;
  created_at: Date;
  /** Whether the viewer the row was read for liked it. */
  liked: boolean;
}

export interface NewComment {
  id: string;
  videoId: string;
  authorId: string;
  /** Any comment of the same video; a reply to a reply is attached to its top-level comment. */
  replyTo: string | null;
  text: string;
}

const COLUMNS = `c.id, c.video_id, c.author_id, u.username AS author_username, u.display_name AS author_display_name,
  u.avatar_key AS author_avatar_key, c.parent_id, c.text, c.like_count, c.reply_count, c.created_at`;

/**
 * Comments and their counters: the video's comment count (video_stats), a
 * top-level comment's reply count and a comment's like count all change in
 * the transaction that adds or removes the rows they count.
 */
export class CommentsRepository {
  constructor(private readonly db: Database) {}

  /**
   * A comment as `viewerId` may see it: comments of banned authors and of
   * people in a block with the viewer do not exist for them.
   */
  async get(
    videoId: string,
    commentId: string,
    viewerId: string | null = null,
    executor: SqlExecutor = this.db,
  ): Promise<CommentRow | null> {
    return this.find(videoId, commentId, viewerId, true, executor);
  }

  private async find(
    videoId: string,
    commentId: string,
    viewerId: string | null,
    onlyVisible: boolean,
    executor: SqlExecutor,
  ): Promise<CommentRow | null> {
    const r = await executor.query<CommentRow>(
      `SELECT ${COLUMNS}, ${likedSql('$3')} AS liked FROM comments c JOIN users u ON u.id = c.author_id
       WHERE c.id = $1 AND c.video_id = $2${onlyVisible ? ` AND ${commentVisibleSql('c', '$3')}` : ''}`,
      [commentId, videoId, viewerId],
    );
    return r.rows[0] ?? null;
  }

  async insert(c: NewComment): Promise<CommentRow> {
    try {
      return await this.db.transaction(async (tx) => {
        let parentId: string | null = null;
        if (c.replyTo) {
          // Nobody replies to a comment they cannot see (a banned author's, or across a block).
          const p = await tx.query<{ id: string; parent_id: string | null }>(
            `SELECT c.id, c.parent_id FROM comments c WHERE c.id = $1 AND c.video_id = $2 AND ${commentVisibleSql('c', '$3')}`,
            [c.replyTo, c.videoId, c.authorId],
          );
          const parent = p.rows[0];
          parentId = parent ? (parent.parent_id ?? parent.id) : null;
          // Lock the thread's top-level comment (always first, as delete does), so a
          // concurrent delete of the thread cannot miss this reply in its count.
          const locked = parentId ? await tx.query('SELECT 1 FROM comments WHERE id = $1 FOR UPDATE', [parentId]) : null;
          if (!locked?.rows.length) throw new AppError('comment_not_found', `No comment with id "${c.replyTo}" on this video.`);
        }
        await tx.query('INSERT INTO comments (id, video_id, author_id, parent_id, text) VALUES ($1, $2, $3, $4, $5)', [
          c.id,
          c.videoId,
          c.authorId,
          parentId,
          c.text,
        ]);
        if (parentId) await tx.query('UPDATE comments SET reply_count = reply_count + 1 WHERE id = $1', [parentId]);
        await tx.query(
          `INSERT INTO video_stats (video_id, comments) VALUES ($1, 1)
           ON CONFLICT (video_id) DO UPDATE SET comments = video_stats.comments + 1`,
          [c.videoId],
        );
        return (await this.get(c.videoId, c.id, c.authorId, tx))!;
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new AppError('video_not_found', `No video with id "${c.videoId}".`);
      throw err;
    }
  }

  /**
   * Deletes a comment and, for a top-level one, its replies, if `mayDelete`
   * allows it (checked on the locked row). Returns how many comments went.
   */
  async delete(videoId: string, commentId: string, mayDelete: (row: CommentRow) => void): Promise<number> {
    return this.db.transaction(async (tx) => {
      const notFound = () => new AppError('comment_not_found', `No comment with id "${commentId}" on this video.`);
      const found = await this.find(videoId, commentId, null, false, tx);
      if (!found) throw notFound();
      // Locks in one order everywhere: the thread's top-level comment, then the reply.
      await tx.query('SELECT 1 FROM comments WHERE id = $1 FOR UPDATE', [found.parent_id ?? found.id]);
      if (found.parent_id) await tx.query('SELECT 1 FROM comments WHERE id = $1 FOR UPDATE', [found.id]);
      const row = await this.find(videoId, commentId, null, false, tx);
      if (!row) throw notFound();
      mayDelete(row);
      const gone = await tx.query('DELETE FROM comments WHERE id = $1 OR parent_id = $1 RETURNING id', [commentId]);
      const n = gone.rows.length;
      if (row.parent_id) await tx.query('UPDATE comments SET reply_count = reply_count - 1 WHERE id = $1', [row.parent_id]);
      await tx.query('UPDATE video_stats SET comments = comments - $2 WHERE video_id = $1', [videoId, n]);
      return n;
    });
  }

  /** Top-level comments, newest first; or the replies to one, oldest first (conversation order). */
  async list(
    videoId: string,
    parentId: string | null,
    viewerId: string | null,
    limit: number,
    after?: KeysetCursor,
  ): Promise<CommentRow[]> {
    const params: unknown[] = [videoId, viewerId, limit];
    let where = `c.video_id = $1 AND ${commentVisibleSql('c', '$2')}`;
    if (parentId) {
      params.push(parentId);
      where += ` AND c.parent_id = $${params.length}`;
    } else {
      where += ' AND c.parent_id IS NULL';
    }
    const page = keysetSql({ time: 'c.created_at', id: 'c.id' }, after, params, parentId ? 'ASC' : 'DESC');
    const r = await this.db.query<CommentRow>(
      `SELECT ${COLUMNS}, ${likedSql('$2')} AS liked FROM comments c JOIN users u ON u.id = c.author_id
       WHERE ${where}${page.and} ORDER BY ${page.orderBy} LIMIT $3`,
      page.params,
    );
    return r.rows;
  }

  async like(commentId: string, userId: string): Promise<number> {
    try {
      await this.db.query(
        `WITH ins AS (INSERT INTO comment_likes (comment_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING comment_id)
         UPDATE comments c SET like_count = c.like_count + 1 FROM ins WHERE c.id = ins.comment_id`,
        [commentId, userId],
      );
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new AppError('comment_not_found', `No comment with id "${commentId}".`);
      throw err;
    }
    return this.likeCount(commentId);
  }

  async unlike(commentId: string, userId: string): Promise<number> {
    await this.db.query(
      `WITH del AS (DELETE FROM comment_likes WHERE comment_id = $1 AND user_id = $2 RETURNING comment_id)
       UPDATE comments c SET like_count = c.like_count - 1 FROM del WHERE c.id = del.comment_id`,
      [commentId, userId],
    );
    return this.likeCount(commentId);
  }

  private async likeCount(commentId: string): Promise<number> {
    const r = await this.db.query<{ like_count: number }>('SELECT like_count FROM comments WHERE id = $1', [commentId]);
    return r.rows[0]?.like_count ?? 0;
  }
}

const likedSql = (viewer: string) =>
  `(${viewer}::text IS NOT NULL AND EXISTS (SELECT 1 FROM comment_likes cl WHERE cl.comment_id = c.id AND cl.user_id = ${viewer}::text))`;
