import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { afterCursor, isoTime, keysetPage, type Page } from '../../lib/pagination.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { CommentTargetRow, ReportRow, ReportsRepository, ReportTargetType, UserTargetRow } from './reports.repository.js';
import type {
  AdminReportView,
  AdminUserTarget,
  AdminVideoView,
  CreateReportInput,
  ReportQueueParams,
  ReportTarget,
  ReportView,
} from './safety.schema.js';

export function userTarget(u: UserTargetRow): AdminUserTarget {
  return {
    type: 'user',
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    bio: u.bio,
    role: u.role,
    banned: u.banned_at ? { reason: u.ban_reason ?? '', at: isoTime(u.banned_at) } : null,
    createdAt: isoTime(u.created_at),
  };
}

/**
 * Reports: anyone signed in reports what they can see (a video, a comment,
 * an account) — one open report per reporter per target; admins work the
 * queue and resolve or dismiss them. Taking a video down or banning a user
 * resolves every open report on it.
 */
export class ReportsService {
  constructor(
    private readonly repo: ReportsRepository,
    private readonly videos: VideosService,
    private readonly videosRepo: VideosRepository,
  ) {}

  async create(user: PublicUser, input: CreateReportInput): Promise<ReportView> {
    await this.checkTarget(user, input.targetType, input.targetId);
    const row = await this.repo.insert({
      id: randomId(),
      reporterId: user.id,
      targetType: input.targetType,
      targetId: input.targetId,
      reason: input.reason,
      details: input.details ?? '',
    });
    if (!row) {
      const existing = await this.repo.findOpen(user.id, input.targetType, input.targetId);
      throw new AppError('already_reported', 'You already reported this; an admin will look at it.', { reportId: existing });
    }
    return toReportView(row);
  }

  /** Reporters report only what they can see, and never themselves or their own things. */
  private async checkTarget(user: PublicUser, type: ReportTargetType, id: string): Promise<void> {
    const self = () => new AppError('cannot_report_self', 'You cannot report yourself or your own videos and comments.');
    switch (type) {
      case 'video': {
        const video = await this.videos.getVisibleRow(id, user);
        if (video.owner_id === user.id) throw self();
        return;
      }
      case 'comment': {
        const comment = await this.repo.visibleComment(id, user.id);
        const video = comment ? await this.videos.getCachedRow(comment.video_id) : null;
        if (!comment || !video || !(await this.videos.canView(video, user))) {
          throw new AppError('comment_not_found', `No comment with id "${id}".`);
        }
        if (comment.author_id === user.id) throw self();
        return;
      }
      case 'user': {
        if (id === user.id) throw self();
        if (!(await this.repo.activeUserExists(id))) throw new AppError('user_not_found', `No user with id "${id}".`);
        return;
      }
    }
  }

  async queue(admin: PublicUser, params: ReportQueueParams): Promise<Page<AdminReportView>> {
    const rows = await this.repo.list(params.status, params.targetType, params.limit + 1, afterCursor(params.cursor));
    const page = keysetPage(rows, params.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { items: await this.present(page.items, admin), nextCursor: page.nextCursor };
  }

  async get(admin: PublicUser, id: string): Promise<AdminReportView> {
    const row = await this.repo.get(id);
    if (!row) throw new AppError('report_not_found', `No report with id "${id}".`);
    return (await this.present([row], admin))[0]!;
  }

  /** Idempotent for the same outcome; closing a report the other way is a 409 report_closed. */
  async close(admin: PublicUser, id: string, status: 'resolved' | 'dismissed', note: string): Promise<AdminReportView> {
    const closed = await this.repo.close(id, status, admin.id, note);
    if (closed) return (await this.present([closed], admin))[0]!;
    const row = await this.repo.get(id);
    if (!row) throw new AppError('report_not_found', `No report with id "${id}".`);
    if (row.status !== status) {
      throw new AppError('report_closed', `This report was already ${row.status}.`, { status: row.status });
    }
    return (await this.present([row], admin))[0]!;
  }

  /** Reports with their targets as they are now; one query per kind of target. */
  private async present(rows: readonly ReportRow[], admin: PublicUser): Promise<AdminReportView[]> {
    const ids = (type: ReportTargetType) => [...new Set(rows.filter((r) => r.target_type === type).map((r) => r.target_id))];
    const [videoRows, commentRows, userRows, counts] = await Promise.all([
      this.videosRepo.listByIds(ids('video')),
      this.repo.comments(ids('comment')),
      this.repo.users(ids('user')),
      this.repo.openCounts(rows.map((r) => ({ type: r.target_type, id: r.target_id }))),
    ]);
    const targets = new Map<string, ReportTarget>();
    for (const v of videoRows) targets.set(`video:${v.id}`, this.videoTarget(v, admin));
    for (const c of commentRows) targets.set(`comment:${c.id}`, commentTarget(c));
    for (const u of userRows) targets.set(`user:${u.id}`, userTarget(u));
    return rows.map((r) => ({
      ...toReportView(r),
      reporter: r.reporter_username ? { id: r.reporter_id, username: r.reporter_username } : null,
      target: targets.get(`${r.target_type}:${r.target_id}`) ?? null,
      openReportsOnTarget: counts.get(`${r.target_type}:${r.target_id}`) ?? 0,
      resolution:
        r.status === 'open' || !r.closed_at
          ? null
          : {
              note: r.resolution_note,
              by: r.closed_by && r.closed_by_username ? { id: r.closed_by, username: r.closed_by_username } : null,
              at: isoTime(r.closed_at),
            },
    }));
  }

  /**
   * Admins see the video whatever its visibility (private renditions through
   * signed URLs bound to the admin, which answer while they are an admin).
   */
  videoTarget(v: VideoRow, admin: PublicUser): AdminVideoView {
    const target: AdminVideoView = { type: 'video', ...this.videos.toView(v, admin.id), ownerBanned: v.owner_banned };
    if (v.taken_down_at) target.takedown = { reason: v.takedown_reason ?? '', at: isoTime(v.taken_down_at) };
    return target;
  }
}

function commentTarget(c: CommentTargetRow): ReportTarget {
  return {
    type: 'comment',
    id: c.id,
    videoId: c.video_id,
    text: c.text,
    author: { id: c.author_id, username: c.author_username, banned: c.author_banned },
    createdAt: isoTime(c.created_at),
  };
}

export function toReportView(r: ReportRow): ReportView {
  return {
    id: r.id,
    targetType: r.target_type,
    targetId: r.target_id,
    reason: r.reason,
    details: r.details,
    status: r.status,
    createdAt: isoTime(r.created_at),
  };
}
