import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { ProfilesService } from '../accounts/profiles.service.js';
import type { ActivityListener } from '../notifications/notifications.service.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosService } from '../videos/videos.service.js';
import type { CommentRow, CommentsRepository } from './comments.repository.js';
import type { CommentView, CreateCommentInput } from './social.schema.js';

/**
 * Comments with one level of replies. A reply to a reply is attached to the
 * top-level comment of its thread (as the big apps do) rather than refused.
 * Anyone who may see the video may read its comments; writing needs comments
 * to be on; the author deletes their own, the video's owner deletes any.
 */
export class CommentsService {
  constructor(
    private readonly repo: CommentsRepository,
    private readonly videos: VideosService,
    private readonly profiles: ProfilesService,
    /** Told about new comments (notifications). */
    private readonly activity?: ActivityListener,
  ) {}

  async list(viewer: PublicUser | null, videoId: string, parentId: string | undefined, page: PageParams): Promise<Page<CommentView>> {
    await this.videos.getVisibleRow(videoId, viewer);
    if (parentId) {
      const parent = await this.repo.get(videoId, parentId, viewer?.id ?? null);
      if (!parent) throw new AppError('comment_not_found', `No comment with id "${parentId}" on this video.`);
      // Replies hang off top-level comments only.
      parentId = parent.parent_id ?? parent.id;
    }
    const rows = await this.repo.list(videoId, parentId ?? null, viewer?.id ?? null, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { items: result.items.map((r) => this.toView(r, viewer)), nextCursor: result.nextCursor };
  }

  async create(user: PublicUser, videoId: string, input: CreateCommentInput): Promise<CommentView> {
    const video = await this.openVideo(user, videoId);
    const row = await this.repo.insert({ id: randomId(), videoId, authorId: user.id, replyTo: input.parentId ?? null, text: input.text });
    await this.videos.countersChanged(videoId);
    await this.activity?.commented(user, video, row, input.parentId ?? null);
    return this.toView(row, user);
  }

  async delete(user: PublicUser, videoId: string, commentId: string): Promise<void> {
    const video = await this.videos.getVisibleRow(videoId, user);
    await this.repo.delete(videoId, commentId, (row) => {
      if (row.author_id !== user.id && video.owner_id !== user.id) {
        throw new AppError('forbidden', "Only the comment's author or the video's owner can delete it.");
      }
    });
    await this.videos.countersChanged(videoId);
  }

  async like(user: PublicUser, videoId: string, commentId: string): Promise<{ liked: true; likes: number }> {
    await this.openVideo(user, videoId);
    await this.requireComment(videoId, commentId, user);
    return { liked: true, likes: await this.repo.like(commentId, user.id) };
  }

  async unlike(user: PublicUser, videoId: string, commentId: string): Promise<{ liked: false; likes: number }> {
    await this.videos.getVisibleRow(videoId, user);
    await this.requireComment(videoId, commentId, user);
    return { liked: false, likes: await this.repo.unlike(commentId, user.id) };
  }

  /** A video the user may see and that takes comments. */
  private async openVideo(user: PublicUser, videoId: string): Promise<VideoRow> {
    const video = await this.videos.getVisibleRow(videoId, user);
    if (!video.comments_enabled) throw new AppError('comments_disabled', 'Comments are turned off for this video.');
    return video;
  }

  private async requireComment(videoId: string, commentId: string, viewer: PublicUser): Promise<void> {
    if (!(await this.repo.get(videoId, commentId, viewer.id))) {
      throw new AppError('comment_not_found', `No comment with id "${commentId}" on this video.`);
    }
  }

  private toView(r: CommentRow, viewer: PublicUser | null): CommentView {
    const view: CommentView = {
      id: r.id,
      videoId: r.video_id,
      parentId: r.parent_id,
      author: this.profiles.summary({
        id: r.author_id,
        username: r.author_username,
        display_name: r.author_display_name,
        avatar_key: r.author_avatar_key,
      }),
      text: r.text,
      likeCount: r.like_count,
      replyCount: r.reply_count,
      createdAt: isoTime(r.created_at),
    };
    if (viewer) view.viewer = { liked: r.liked };
    return view;
  }
}
