import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { UserSummary } from '../accounts/accounts.schema.js';
import type { PublicUser, UserSummaryRow } from '../accounts/user.types.js';
import { parseCaption } from '../videos/caption.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { NotificationWatch } from './notification-watch.js';
import type { NotificationRow, NotificationsRepository, NotifyInput } from './notifications.repository.js';
import { NOTIFICATION_TYPES, type NotificationType, type NotificationView } from './notifications.schema.js';

/**
 * What the social module tells notifications about (likes, follows,
 * comments). Called after the change committed; never throws (a lost
 * notification must not fail the like that caused it).
 */
export interface ActivityListener {
  liked(actor: PublicUser, video: { id: string; owner_id: string }): Promise<void>;
  followed(actor: PublicUser, followeeId: string): Promise<void>;
  commented(
    actor: PublicUser,
    video: { id: string; owner_id: string },
    comment: { id: string; text: string },
    /** The comment it answers (as sent: a reply to a reply names that reply), or null for a top-level comment. */
    replyTo: string | null,
  ): Promise<void>;
}

/** How much of a comment a notification quotes. */
const QUOTE_LENGTH = 120;

/** A live stream's first read and each change: at most this many rows sent at once. */
export const STREAM_BATCH = 20;

/** The inbox: reading, marking read, mute settings, and the activity hooks that write it. */
export class NotificationsService implements ActivityListener {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly videos: VideosService,
    private readonly videosRepo: VideosRepository,
    private readonly summary: (row: UserSummaryRow) => UserSummary,
    private readonly watch: NotificationWatch,
    private readonly log: Logger,
  ) {}

  // ------------------------------------------------------------------ reading

  async list(user: PublicUser, page: PageParams): Promise<Page<NotificationView>> {
    const rows = await this.repo.list(user.id, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.updated_at), id: r.id }));
    return { items: await this.present(user.id, result.items), nextCursor: result.nextCursor };
  }

  async unread(user: PublicUser): Promise<{ unread: number }> {
    return { unread: await this.repo.unreadCount(user.id) };
  }

  /** Rows changed at or after `since`, oldest first, as `recipientId` sees them now. */
  async changedSince(recipientId: string, since: Date): Promise<NotificationView[]> {
    return this.present(recipientId, await this.repo.changedSince(recipientId, since, STREAM_BATCH));
  }

  /** The newest shown rows (a stream's first read), newest first. */
  async latest(recipientId: string, limit: number): Promise<NotificationView[]> {
    return this.present(recipientId, await this.repo.list(recipientId, limit));
  }

  async unreadCount(recipientId: string): Promise<number> {
    return this.repo.unreadCount(recipientId);
  }

  /** One notification, read. Anyone else's (or one no longer shown) is a 404. */
  async markRead(user: PublicUser, id: string): Promise<NotificationView> {
    const row = await this.repo.get(user.id, id);
    if (!row) throw notFound(id);
    await this.repo.markRead(user.id, id);
    this.watch.poke(user.id);
    const [view] = await this.present(user.id, [{ ...row, read_at: row.read_at ?? new Date() }]);
    return view!;
  }

  async markAllRead(user: PublicUser): Promise<{ marked: number; unread: number }> {
    const marked = await this.repo.markAllRead(user.id);
    if (marked > 0) this.watch.poke(user.id);
    return { marked, unread: await this.repo.unreadCount(user.id) };
  }

  async settings(user: PublicUser): Promise<{ muted: NotificationType[]; types: NotificationType[] }> {
    return { muted: sortTypes(await this.repo.muted(user.id)), types: [...NOTIFICATION_TYPES] };
  }

  async updateSettings(
    user: PublicUser,
    muted: readonly NotificationType[],
  ): Promise<{ muted: NotificationType[]; types: NotificationType[] }> {
    const list = sortTypes([...new Set(muted)]);
    await this.repo.setMuted(user.id, list);
    this.watch.poke(user.id);
    return { muted: list, types: [...NOTIFICATION_TYPES] };
  }

  /** Retention: notifications that last changed more than `days` ago go. */
  prune(days: number, signal?: AbortSignal): Promise<number> {
    return this.repo.prune(days, signal);
  }

  // ------------------------------------------------------------------ writing

  async liked(actor: PublicUser, video: { id: string; owner_id: string }): Promise<void> {
    await this.send([{ recipientId: video.owner_id, kind: 'like', groupKey: `like:${video.id}`, actorId: actor.id, videoId: video.id }]);
  }

  async followed(actor: PublicUser, followeeId: string): Promise<void> {
    await this.send([{ recipientId: followeeId, kind: 'follow', groupKey: `follow:${actor.id}`, actorId: actor.id }]);
  }

  /**
   * One notification per person per comment, the most specific one: the
   * author of the comment answered hears "replied", else the video's owner
   * hears "commented", else each person @mentioned hears "mentioned you".
   */
  async commented(
    actor: PublicUser,
    video: { id: string; owner_id: string },
    comment: { id: string; text: string },
    replyTo: string | null,
  ): Promise<void> {
    try {
      const told = new Set<string>([actor.id]);
      const out: NotifyInput[] = [];
      const add = (recipientId: string | null, kind: NotificationType) => {
        if (!recipientId || told.has(recipientId)) return;
        told.add(recipientId);
        out.push({ recipientId, kind, groupKey: `${kind}:${comment.id}`, actorId: actor.id, videoId: video.id, commentId: comment.id });
      };
      if (replyTo) add(await this.repo.commentAuthor(replyTo), 'reply');
      add(video.owner_id, 'comment');
      for (const id of await this.repo.userIdsByUsername(parseCaption(comment.text).mentions)) add(id, 'mention');
      await this.send(out);
    } catch (err) {
      this.log.warn({ err, commentId: comment.id }, 'writing comment notifications failed');
    }
  }

  private async send(inputs: readonly NotifyInput[]): Promise<void> {
    for (const input of inputs) {
      try {
        this.watch.poke(await this.repo.notify(input));
      } catch (err) {
        this.log.warn({ err, kind: input.kind, recipientId: input.recipientId }, 'writing a notification failed');
      }
    }
  }

  // --------------------------------------------------------------- presenting

  private async present(recipientId: string, rows: readonly NotificationRow[]): Promise<NotificationView[]> {
    const videoIds = [...new Set(rows.map((r) => r.video_id).filter((id): id is string => id !== null))];
    const videos = new Map((await this.videosRepo.listByIds(videoIds)).map((v) => [v.id, this.videos.toView(v, recipientId)]));
    return rows.map((r) => {
      const actors = r.kind === 'like' ? (r.likers ?? []) : r.actor ? [r.actor] : [];
      const v = r.video_id ? videos.get(r.video_id) : undefined;
      const view: NotificationView = {
        id: r.id,
        type: r.kind,
        text: sentence(
          r,
          actors.map((a) => a.username),
        ),
        read: r.read_at !== null,
        actors: actors.map((a) => this.summary(a)),
        actorCount: r.kind === 'like' ? r.liker_count : actors.length,
        video: v
          ? {
              id: v.id,
              caption: v.caption,
              status: v.status,
              posterUrl: v.playback?.poster ?? null,
              ...(v.error ? { error: v.error } : {}),
              ...(r.kind === 'restore_failed' && v.archive?.lastError
                ? { error: { code: 'restore_failed', message: v.archive.lastError } }
                : {}),
            }
          : null,
        comment: r.comment_id ? { id: r.comment_id, text: quote(r.comment_text ?? ''), parentId: r.comment_parent_id } : null,
        createdAt: isoTime(r.created_at),
        updatedAt: isoTime(r.updated_at),
      };
      return view;
    });
  }
}

const notFound = (id: string) => new AppError('notification_not_found', `No notification with id "${id.slice(0, 40)}".`);

const sortTypes = (list: readonly NotificationType[]): NotificationType[] => NOTIFICATION_TYPES.filter((t) => list.includes(t));

function quote(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > QUOTE_LENGTH ? `${one.slice(0, QUOTE_LENGTH - 1)}…` : one;
}

/** The sentence an inbox row shows ("ana and 3 others liked your video"). */
export function sentence(r: Pick<NotificationRow, 'kind' | 'liker_count' | 'comment_id'>, names: readonly string[]): string {
  const who = names[0] ?? 'Someone';
  switch (r.kind) {
    case 'like': {
      const n = Math.max(r.liker_count, names.length);
      if (n <= 1) return `${who} liked your video`;
      if (n === 2 && names[1]) return `${who} and ${names[1]} liked your video`;
      return `${who} and ${n - 1} others liked your video`;
    }
    case 'comment':
      return `${who} commented on your video`;
    case 'reply':
      return `${who} replied to your comment`;
    case 'mention':
      return r.comment_id ? `${who} mentioned you in a comment` : `${who} mentioned you in a video`;
    case 'follow':
      return `${who} started following you`;
    case 'video_ready':
      return 'Your video is ready';
    case 'video_failed':
      return 'Your video could not be processed';
    case 'restore_failed':
      return 'Your archived video could not be restored';
  }
}
