import type { Logger } from 'pino';
import { enqueueJob } from '../../jobs/job-definition.js';
import { sqlState } from '../../lib/db-errors.js';
import { avatarFolder } from '../../lib/storage-layout.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { requestLakeErasure } from '../lake/lake-erasure.js';
import { maintainLakeJob } from '../lake/lake.jobs.js';
import type { PurgeJobPayload } from '../videos/purge-video.job.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideoManagementService } from '../videos/video-management.service.js';
import type { AccountsService } from './accounts.service.js';
import { purgeAccountJob, type PurgeAccountJobPayload } from './purge-account.job.js';
import type { PublicUser } from './user.types.js';

/** The queued avatar purge runs this much later: a safety net behind the inline delete. */
const PURGE_SWEEP_DELAY_MS = 5 * 60_000;
/** A deadlock with a concurrent follow or comment aborts the transaction; it is run again this often at most. */
const MAX_TRIES = 3;
/** Cached copies of other people's videos dropped at once after a deletion. */
const INVALIDATE_CONCURRENCY = 8;

interface Deleted {
  videos: PurgeJobPayload[];
  /** Other people's videos whose counters (likes, comments) or mention links changed. */
  touched: string[];
}

/**
 * Deleting an account: ONE transaction removes everything the account is in
 * the database — its videos (each with its purge job queued, as deleting a
 * video does), its likes, comment likes and comments with the counters they
 * moved on other people's videos and comments, its follows both ways with
 * the follower/following counts of the other side, its playback events and
 * view records, and the users row, whose foreign keys take its sessions,
 * blocks (both ways), bookmarks, reports it filed, mentions of it and upload
 * quota with it (its shares stay counted, anonymously). A crash before the
 * commit leaves the account as it was (run it again); a crash after it
 * leaves only stored objects, which the queued purges remove. After the
 * commit the objects are purged at once and cached copies dropped.
 *
 * Reports about the account, its videos or comments are kept: they have no
 * foreign key to their target by design, moderators still need them (the
 * queue shows the target as gone), and deleting an account must not erase
 * the complaints about it. Its username is held for DELETED_USERNAME_HOLD_DAYS.
 *
 * The data lake: the same transaction records a lake erasure (and takes the
 * account's and its devices' events out of lake_buffer, the devices'
 * anonymous OLTP events too); the lake maintenance job then rewrites every
 * lake file holding them (lake-erasure.ts). Events others made about its
 * videos stay in the lake without its id (creator_id nulled).
 */
export class AccountDeletion {
  constructor(
    private readonly db: Database,
    private readonly queue: JobQueue,
    private readonly store: ObjectStore,
    private readonly accounts: AccountsService,
    private readonly videos: VideoManagementService,
    private readonly events: VideoEvents,
    private readonly usernameHoldDays: number,
    private readonly log: Logger,
  ) {}

  /** Needs the account's password (403 `wrong_password`). Every session ends with it. */
  async delete(user: PublicUser, password: string): Promise<void> {
    await this.accounts.verifyPassword(user, password);
    await this.deleteAccount(user.id);
  }

  /** Idempotent: an account already gone is left alone. */
  async deleteAccount(userId: string): Promise<void> {
    const deleted = await this.withRetry(() => this.db.transaction((tx) => this.deleteInTransaction(userId, tx)));
    if (!deleted) return;
    this.log.info({ userId, videos: deleted.videos.length }, 'account deleted');
    // Signed media handed to this account stops at once in this process (others re-read within MEDIA_VIEWER_CACHE_MS).
    this.events.viewersChanged(userId);
    await this.videos.afterDeleteAll(deleted.videos);
    await this.purgeObjects({ userId }).catch((err: unknown) =>
      this.log.warn({ err, userId }, "purging a deleted account's avatar failed; the purge job will retry"),
    );
    const queue = [...deleted.touched];
    await Promise.all(
      Array.from({ length: Math.min(INVALIDATE_CONCURRENCY, queue.length) }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) await this.events.changed(id);
      }),
    );
  }

  async handlePurgeJob(job: Job<PurgeAccountJobPayload>): Promise<void> {
    await this.purgeObjects(job.payload);
  }

  private async purgeObjects(p: PurgeAccountJobPayload): Promise<void> {
    await this.store.deletePrefix(avatarFolder(p.userId));
  }

  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const state = sqlState(err);
        if (attempt >= MAX_TRIES || (state !== '40P01' && state !== '40001')) throw err;
        this.log.warn({ err, attempt }, 'account deletion hit a deadlock; running it again');
      }
    }
  }

  private async deleteInTransaction(userId: string, tx: SqlExecutor): Promise<Deleted | null> {
    const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = [userId]) => tx.query<T>(sql, params);

    // Locks: the account and everyone it follows or is followed by, in id order (as following and
    // blocking lock pairs), so a concurrent follow or unfollow waits instead of deadlocking;
    // then the account itself FOR UPDATE, so nothing new can point at it until the commit.
    const neighbours = await q<{ id: string }>(
      'SELECT followee_id AS id FROM follows WHERE follower_id = $1 UNION SELECT follower_id FROM follows WHERE followee_id = $1',
    );
    await q('SELECT 1 FROM users WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE', [
      [userId, ...neighbours.rows.map((r) => r.id)],
    ]);
    const account = await q<{ username: string }>('SELECT username FROM users WHERE id = $1 FOR UPDATE');
    const username = account.rows[0]?.username;
    if (username === undefined) return null;

    const videos = await this.videos.deleteAllOf(userId, tx);
    const touched = new Set<string>();
    const touch = (rows: Array<{ video_id: string }>) => rows.forEach((r) => touched.add(r.video_id));

    touch((await q<{ video_id: string }>('SELECT video_id FROM video_mentions WHERE user_id = $1')).rows);
    touch(
      (
        await q<{ video_id: string }>(
          `WITH del AS (DELETE FROM video_likes WHERE user_id = $1 RETURNING video_id)
           UPDATE video_stats s SET likes = s.likes - 1 FROM del WHERE s.video_id = del.video_id RETURNING s.video_id`,
        )
      ).rows,
    );
    await q(
      `WITH del AS (DELETE FROM comment_likes WHERE user_id = $1 RETURNING comment_id)
       UPDATE comments c SET like_count = c.like_count - 1 FROM del WHERE c.id = del.comment_id`,
    );

    // Comments. Its threads are locked first (a reply being added locks its thread the same way),
    // so no reply can slip in uncounted; every removed row comes off its video's comment count.
    const lessComments = (gone: string) =>
      `n AS (SELECT video_id, count(*)::bigint AS c FROM ${gone} GROUP BY video_id)
       UPDATE video_stats s SET comments = s.comments - n.c FROM n WHERE s.video_id = n.video_id RETURNING s.video_id`;
    await q('SELECT 1 FROM comments WHERE author_id = $1 AND parent_id IS NULL ORDER BY id FOR UPDATE');
    // Replies (anyone's) in its threads.
    touch(
      (
        await q<{ video_id: string }>(
          `WITH gone AS (DELETE FROM comments WHERE parent_id IN (SELECT id FROM comments WHERE author_id = $1 AND parent_id IS NULL)
                         RETURNING video_id), ${lessComments('gone')}`,
        )
      ).rows,
    );
    // Its replies in other people's threads, with those threads' reply counts.
    touch(
      (
        await q<{ video_id: string }>(
          `WITH gone AS (DELETE FROM comments WHERE author_id = $1 AND parent_id IS NOT NULL RETURNING video_id, parent_id),
                threads AS (UPDATE comments c SET reply_count = c.reply_count - t.n
                            FROM (SELECT parent_id, count(*)::int AS n FROM gone GROUP BY parent_id) t WHERE c.id = t.parent_id),
                ${lessComments('gone')}`,
        )
      ).rows,
    );
    // Its threads themselves.
    touch(
      (
        await q<{ video_id: string }>(
          `WITH gone AS (DELETE FROM comments WHERE author_id = $1 RETURNING video_id), ${lessComments('gone')}`,
        )
      ).rows,
    );

    // Follows both ways, with the other side's counts.
    await q(
      `WITH del AS (DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1 RETURNING follower_id, followee_id)
       UPDATE users u
       SET following_count = u.following_count - (SELECT count(*) FROM del WHERE del.follower_id = u.id)::int,
           follower_count  = u.follower_count  - (SELECT count(*) FROM del WHERE del.followee_id = u.id)::int
       WHERE u.id <> $1 AND u.id IN (SELECT follower_id FROM del UNION SELECT followee_id FROM del)`,
    );

    // The lake (right to erasure): recorded now, before its events rows go (they name its devices); its
    // and its devices' rows leave lake_buffer here, and the lake maintenance job, asked for now, rewrites
    // the lake files that hold them (lake-erasure.ts).
    await requestLakeErasure(tx, userId);
    await enqueueJob(this.queue, maintainLakeJob, {}, { executor: tx });
    // Playback history: the events log has no foreign keys, and view records name viewers by key.
    await q('DELETE FROM events WHERE user_id = $1');
    await q('DELETE FROM video_views WHERE viewer_key = $1', [`u:${userId}`]);

    if (this.usernameHoldDays > 0) {
      await q(
        `INSERT INTO held_usernames (username_key, held_until) VALUES (lower($1), now() + make_interval(days => $2::int))
         ON CONFLICT (username_key) DO UPDATE SET held_until = GREATEST(held_usernames.held_until, EXCLUDED.held_until)`,
        [username, this.usernameHoldDays],
      );
    }
    await enqueueJob(this.queue, purgeAccountJob, { userId }, { runAt: new Date(Date.now() + PURGE_SWEEP_DELAY_MS), executor: tx });
    // Sessions, blocks, bookmarks, reports filed, mentions and quotas go by cascade; shares are kept without a user.
    await q('DELETE FROM users WHERE id = $1');
    return { videos, touched: [...touched] };
  }
}
