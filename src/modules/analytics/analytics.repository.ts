import { sqlString } from '../lake/duckdb.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LakeAggregates } from '../lake/lake-aggregates.js';
import type { LakeDay } from '../lake/lake-reader.js';
import { TRAFFIC_SOURCES, type TrafficSource } from '../lake/lake-schema.js';

/** What the figures are about: one video, or every video of one creator. */
/** A video's `creatorId` (its owner, as its events carry it) narrows the read: the tables are sorted by creator. */
export type Subject = { kind: 'video'; videoId: string; creatorId?: string } | { kind: 'account'; creatorId: string };

export const ENGAGEMENT_METRICS = ['like', 'comment', 'share', 'follow', 'bookmark'] as const;
export type EngagementMetric = (typeof ENGAGEMENT_METRICS)[number];

export interface DayFigures {
  date: string;
  views: number;
  uniqueViewers: number;
  watchTimeMs: number;
  likes: number;
  comments: number;
  shares: number;
  follows: number;
  bookmarks: number;
}

/** Raw figures of a subject over a range (before privacy rules are applied by the service). */
export interface RawFigures {
  views: number;
  plays: number;
  uniqueViewers: number;
  watchTimeMs: number;
  completes: number;
  /** (viewer, video) pairs, and how many of them played more than once. */
  viewerVideos: number;
  rewatchers: number;
  engagement: Record<EngagementMetric, number>;
  sources: Record<TrafficSource, number>;
  /** Per second 0..duration: share of (viewer, video) pairs still watching (video subjects only). */
  retention: number[] | null;
  durationMs: number | null;
  daily: DayFigures[];
  top: Array<{ videoId: string; views: number; uniqueViewers: number; watchTimeMs: number }>;
}

/** Every date from `from` to `to` (YYYY-MM-DD, UTC), inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** Share of pairs still watching at each whole second 0..lastSecond, from a histogram of seconds watched (monotone, 1 at 0). */
export function retentionCurve(histogram: ReadonlyMap<number, number>, lastSecond: number): number[] {
  let total = 0;
  for (const n of histogram.values()) total += n;
  const curve: number[] = [];
  if (total === 0) return curve;
  let atOrPast = total;
  for (let s = 0; s <= lastSecond; s++) {
    curve.push(atOrPast / total);
    atOrPast -= histogram.get(s) ?? 0;
  }
  return curve;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The creator figures, from the lake's aggregates (src/modules/lake/lake-aggregates.ts):
 * a handful of DuckDB queries over the range's month and day tables.
 */
export class AnalyticsRepository {
  constructor(private readonly aggregates: LakeAggregates) {}

  /** The manifest's days of a range: what an answer's cache key is built from. */
  days(from: string, to: string): Promise<LakeDay[]> {
    return this.aggregates.days({ from, to });
  }

  /**
   * The figures of `subject` over the range, from the range's month and day
   * tables where they are built, and straight from the raw files (filtered to
   * the subject, as a query run directly in DuckDB would) for the days whose
   * tables are not built yet; those are then built in the background.
   */
  async figures(subject: Subject, from: string, to: string, opts: { top?: number } = {}): Promise<RawFigures> {
    const topN = opts.top ?? 10;
    const where =
      subject.kind === 'account'
        ? `creator_id = ${sqlString(subject.creatorId)}`
        : `video_id = ${sqlString(subject.videoId)}${subject.creatorId === undefined ? '' : ` AND creator_id = ${sqlString(subject.creatorId)}`}`;
    const plan = await this.aggregates.plan({ from, to });
    if (plan.days.length === 0) return emptyFigures(subject, from, to);
    return this.aggregates.withTables(plan, where, (c) => figuresOn(c, subject, from, to, topN));
  }
}

function emptyFigures(subject: Subject, from: string, to: string): RawFigures {
  const dates = datesBetween(from, to);
  return {
    views: 0,
    plays: 0,
    uniqueViewers: 0,
    watchTimeMs: 0,
    completes: 0,
    viewerVideos: 0,
    rewatchers: 0,
    engagement: { like: 0, comment: 0, share: 0, follow: 0, bookmark: 0 },
    sources: Object.fromEntries(TRAFFIC_SOURCES.map((s) => [s, 0])) as Record<TrafficSource, number>,
    retention: subject.kind === 'video' ? [] : null,
    durationMs: null,
    daily: dates.map((date) => ({
      date,
      views: 0,
      uniqueViewers: 0,
      watchTimeMs: 0,
      likes: 0,
      comments: 0,
      shares: 0,
      follows: 0,
      bookmarks: 0,
    })),
    top: [],
  };
}

/** The figures from temporary tables `v` and `cnt` of `c` (already filtered to the subject). */
export async function figuresOn(c: DuckDBConnection, subject: Subject, from: string, to: string, topN: number): Promise<RawFigures> {
  const empty = emptyFigures(subject, from, to);
  {
    const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
    const [totals] = await rows(`
      WITH per AS (
        SELECT video_id, viewer, sum(plays) AS plays,
               max(least(max_watched_ms, coalesce(max_duration, max_watched_ms))) AS mw
        FROM (SELECT *, max(duration_ms) OVER (PARTITION BY video_id) AS max_duration FROM v)
        GROUP BY video_id, viewer
      )
      SELECT (SELECT sum(counted_plays) FROM v) AS views, (SELECT sum(plays) FROM v) AS plays,
             (SELECT sum(watch_ms) FROM v) AS watch_ms, (SELECT sum(completes) FROM v) AS completes,
             (SELECT count(DISTINCT viewer) FROM per) AS uniq, (SELECT count(*) FROM per) AS pairs,
             (SELECT count(*) FILTER (WHERE plays > 1) FROM per) AS rewatchers,
             (SELECT max(duration_ms) FROM v) AS duration_ms`);
    const out: RawFigures = {
      ...empty,
      views: num(totals?.views),
      plays: num(totals?.plays),
      watchTimeMs: num(totals?.watch_ms),
      completes: num(totals?.completes),
      uniqueViewers: num(totals?.uniq),
      viewerVideos: num(totals?.pairs),
      rewatchers: num(totals?.rewatchers),
      durationMs: totals?.duration_ms === null || totals?.duration_ms === undefined ? null : num(totals.duration_ms),
    };
    if (subject.kind === 'video') {
      const hist = await rows(`
        SELECT floor(mw / 1000)::INTEGER AS sec, count(*) AS n FROM (
          SELECT viewer, max(least(max_watched_ms, coalesce(d.dur, max_watched_ms))) AS mw
          FROM v, (SELECT max(duration_ms) AS dur FROM v) d GROUP BY viewer
        ) GROUP BY sec`);
      const histogram = new Map(hist.map((r) => [num(r.sec), num(r.n)]));
      const lastSecond = out.durationMs !== null ? Math.floor(out.durationMs / 1000) : Math.max(0, ...histogram.keys());
      out.retention = retentionCurve(histogram, lastSecond);
    }
    const byDate = new Map(out.daily.map((d) => [d.date, { ...d }]));
    for (const r of await rows(`
      SELECT strftime(dt, '%Y-%m-%d') AS date, sum(counted_plays) AS views, count(DISTINCT viewer) AS uniq, sum(watch_ms) AS watch_ms
      FROM v GROUP BY dt`)) {
      const d = byDate.get(str(r.date));
      if (!d) continue;
      d.views = num(r.views);
      d.uniqueViewers = num(r.uniq);
      d.watchTimeMs = num(r.watch_ms);
    }
    const daily: Record<EngagementMetric, keyof DayFigures> = {
      like: 'likes',
      comment: 'comments',
      share: 'shares',
      follow: 'follows',
      bookmark: 'bookmarks',
    };
    for (const r of await rows(`SELECT strftime(dt, '%Y-%m-%d') AS date, metric, sum(n) AS n FROM cnt GROUP BY dt, metric`)) {
      const metric = str(r.metric);
      const n = num(r.n);
      if (metric.startsWith('src:')) {
        const source = metric.slice(4) as TrafficSource;
        if (source in out.sources) out.sources[source] += n;
      } else if ((ENGAGEMENT_METRICS as readonly string[]).includes(metric)) {
        const m = metric as EngagementMetric;
        out.engagement[m] += n;
        const d = byDate.get(str(r.date));
        if (d) (d[daily[m]] as number) += n;
      }
    }
    out.daily = [...byDate.values()];
    if (subject.kind === 'account') {
      out.top = (
        await rows(`
        SELECT video_id, sum(counted_plays) AS views, count(DISTINCT viewer) AS uniq, sum(watch_ms) AS watch_ms
        FROM v GROUP BY video_id ORDER BY views DESC, watch_ms DESC, video_id LIMIT ${Math.max(1, Math.floor(topN))}`)
      ).map((r) => ({ videoId: str(r.video_id), views: num(r.views), uniqueViewers: num(r.uniq), watchTimeMs: num(r.watch_ms) }));
    }
    return out;
  }
}
