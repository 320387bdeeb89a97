import { createHash } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { Cache } from '../../ports/cache.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { LakeReader } from '../lake/lake-reader.js';
import { TRAFFIC_SOURCES } from '../lake/lake-schema.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { AnalyticsRepository, DayFigures, RawFigures, Subject } from './analytics.repository.js';
import type { AccountAnalytics, AnalyticsQuery, VideoAnalytics } from './analytics.schema.js';

/** The longest range one answer covers, in days (inclusive). */
export const MAX_RANGE_DAYS = 365;
/** The default range: the last 28 days, today included. */
export const DEFAULT_RANGE_DAYS = 28;

const DAY_MS = 86_400_000;

export interface AnalyticsOptions {
  /** k: below this many distinct viewers the retention curve and traffic sources are withheld. */
  minimumViewers: number;
  /** How long a computed answer is kept in the cache (it is keyed by the manifest's version of its range, so new data is never hidden by it). */
  resultTtlSec: number;
  now?: () => Date;
}

const isDate = (s: string): boolean => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
};

/**
 * Creator analytics: figures of your own videos from the lake. Nothing that
 * identifies a viewer leaves this service (the lake's day tables hold viewers
 * only as hashes, and only counts come out of them); breakdowns of fewer than
 * `minimumViewers` distinct viewers are withheld.
 */
export class AnalyticsService {
  private readonly now: () => Date;

  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly videos: VideosRepository,
    private readonly reader: LakeReader,
    private readonly cache: Cache,
    private readonly opts: AnalyticsOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The range a query asks for: validated (400 `validation_failed`), defaults filled. */
  range(q: Pick<AnalyticsQuery, 'from' | 'to'>): { from: string; to: string } {
    const fail = (message: string, field: string) => {
      throw new AppError('validation_failed', `Invalid request: ${field}: ${message}`);
    };
    if (q.from !== undefined && !isDate(q.from)) fail(`"${q.from}" is not a date (YYYY-MM-DD).`, 'from');
    if (q.to !== undefined && !isDate(q.to)) fail(`"${q.to}" is not a date (YYYY-MM-DD).`, 'to');
    const to = q.to ?? this.now().toISOString().slice(0, 10);
    const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
    if (from > to) fail(`from (${from}) is after to (${to}).`, 'from');
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
    if (days > MAX_RANGE_DAYS) fail(`The range covers ${days} days; at most ${MAX_RANGE_DAYS}.`, 'from');
    return { from, to };
  }

  async video(user: PublicUser, videoId: string, q: AnalyticsQuery): Promise<VideoAnalytics> {
    const { from, to } = this.range(q);
    const row = await this.videos.get(videoId);
    // Someone else's video (or none): the same answer, so its existence is not revealed.
    if (!row || (row.owner_id !== user.id && user.role !== 'admin'))
      throw new AppError('video_not_found', `No video with id "${videoId}".`);
    const [raw, through] = await Promise.all([
      this.raw({ kind: 'video', videoId, creatorId: row.owner_id }, from, to),
      this.reader.through(),
    ]);
    const figures = this.present(raw, from, to, through);
    return {
      videoId,
      caption: row.caption,
      durationMs: row.duration_ms ?? raw.durationMs,
      ...figures,
      retention: figures.withheld ? null : (raw.retention ?? []),
    };
  }

  async account(user: PublicUser, q: AnalyticsQuery): Promise<AccountAnalytics> {
    const { from, to } = this.range(q);
    const [raw, through] = await Promise.all([this.raw({ kind: 'account', creatorId: user.id }, from, to), this.reader.through()]);
    const rows = raw.top.length > 0 ? await this.videos.listByIds(raw.top.map((t) => t.videoId)) : [];
    const captions = new Map(rows.filter((r) => r.owner_id === user.id).map((r) => [r.id, r.caption]));
    return {
      ...this.present(raw, from, to, through),
      topVideos: raw.top.map((t) => ({ ...t, caption: captions.get(t.videoId) ?? '' })),
    };
  }

  /** The raw figures, cached under the manifest's version of the range (a new file in the range is a new key). */
  private async raw(subject: Subject, from: string, to: string): Promise<RawFigures> {
    const days = await this.repo.days(from, to);
    const version = createHash('sha256')
      .update(days.map((d) => `${d.dt}:${d.version}`).join(','))
      .digest('base64url')
      .slice(0, 22);
    const id = subject.kind === 'video' ? `video:${subject.videoId}` : `account:${subject.creatorId}`;
    return this.cache.getOrLoad(`analytics:v1:${id}:${from}:${to}:${version}`, this.opts.resultTtlSec * 1000, () =>
      this.repo.figures(subject, from, to),
    );
  }

  private present(raw: RawFigures, from: string, to: string, through: Date | null) {
    const k = this.opts.minimumViewers;
    const withheld = raw.uniqueViewers < k;
    const ratio = (a: number, b: number) => (b > 0 ? Math.min(1, a / b) : null);
    const sourcePlays = TRAFFIC_SOURCES.reduce((n, s) => n + raw.sources[s], 0);
    return {
      from,
      to,
      through: through ? through.toISOString() : null,
      views: raw.views,
      plays: raw.plays,
      uniqueViewers: raw.uniqueViewers,
      watchTimeMs: raw.watchTimeMs,
      averageViewDurationMs: raw.plays > 0 ? Math.round(raw.watchTimeMs / raw.plays) : null,
      completionRate: ratio(raw.completes, raw.plays),
      rewatchRate: ratio(raw.rewatchers, raw.viewerVideos),
      likes: raw.engagement.like,
      comments: raw.engagement.comment,
      shares: raw.engagement.share,
      follows: raw.engagement.follow,
      bookmarks: raw.engagement.bookmark,
      minimumViewers: k,
      withheld,
      trafficSources: withheld
        ? null
        : TRAFFIC_SOURCES.map((source) => ({
            source,
            plays: raw.sources[source],
            share: sourcePlays > 0 ? raw.sources[source] / sourcePlays : 0,
          })),
      daily: raw.daily,
    };
  }
}

/** A CSV cell: quoted when needed; text a spreadsheet would run as a formula (= + - @, tab, CR) is prefixed with '. */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const DAILY_COLUMNS: Array<[string, keyof DayFigures]> = [
  ['date', 'date'],
  ['views', 'views'],
  ['unique_viewers', 'uniqueViewers'],
  ['watch_time_ms', 'watchTimeMs'],
  ['likes', 'likes'],
  ['comments', 'comments'],
  ['shares', 'shares'],
  ['follows', 'follows'],
  ['bookmarks', 'bookmarks'],
];

/** The daily series as CSV (a header row, one row per day; CRLF as RFC 4180 says); a video's rows start with its id and caption. */
export function dailyCsv(daily: readonly DayFigures[], video?: { videoId: string; caption: string }): string {
  const head = [...(video ? ['video_id', 'caption'] : []), ...DAILY_COLUMNS.map(([name]) => name)];
  const lines = [head.map(csvCell).join(',')];
  for (const d of daily) {
    const cells: Array<string | number> = [...(video ? [video.videoId, video.caption] : []), ...DAILY_COLUMNS.map(([, key]) => d[key])];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
