import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';
import { TRAFFIC_SOURCES } from '../lake/lake-schema.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = (what: string) => z.string().regex(DATE, 'a date as YYYY-MM-DD').describe(what);

export const AnalyticsQuery = z.object({
  from: date('First day (UTC, inclusive); default: 27 days before `to`').optional(),
  to: date('Last day (UTC, inclusive); default: today').optional(),
  format: z.enum(['json', 'csv']).default('json').describe('`csv`: the daily series as text/csv (a header row, one row per day)'),
});
export type AnalyticsQuery = z.output<typeof AnalyticsQuery>;

const rate = () => z.number().min(0).max(1);

const Day = z.object({
  date: z.string().describe('YYYY-MM-DD (UTC)'),
  views: count(),
  uniqueViewers: count(),
  watchTimeMs: count(),
  likes: count(),
  comments: count(),
  shares: count(),
  follows: count(),
  bookmarks: count(),
});

const Figures = {
  from: z.string().describe('First day of the range (YYYY-MM-DD, UTC)'),
  to: z.string().describe('Last day of the range'),
  through: isoTime.nullable().describe('Newest event time in the lake (its freshness); null while it is empty'),
  views: count().describe('Counted plays'),
  plays: count().describe('Every play, counted or not (anonymous plays past their address allowance are not views)'),
  uniqueViewers: count().describe('Distinct viewers (accounts, or devices when signed out) who played'),
  watchTimeMs: count().describe('Total watch time of every play'),
  averageViewDurationMs: z.number().min(0).nullable().describe('watchTimeMs / plays; null without plays'),
  completionRate: rate().nullable().describe('Share of plays that reached the end'),
  rewatchRate: rate().nullable().describe('Share of viewers who played more than once'),
  likes: count(),
  comments: count(),
  shares: count(),
  follows: count().describe('Follows of the creator (from this video, for a video)'),
  bookmarks: count(),
  minimumViewers: count().describe('Breakdowns (retention curve, traffic sources) need at least this many distinct viewers'),
  withheld: z.boolean().describe('True when uniqueViewers < minimumViewers: the breakdowns are null'),
  trafficSources: z
    .array(z.object({ source: z.enum(TRAFFIC_SOURCES), plays: count(), share: rate() }))
    .nullable()
    .describe('Plays by where the viewer found the video, with shares of all plays; null when withheld'),
  daily: z.array(Day).describe('Every day of the range, zeros included'),
};

export const VideoAnalytics = responseSchema(
  'VideoAnalytics',
  z.object({
    videoId: z.string(),
    caption: z.string(),
    durationMs: count().nullable(),
    ...Figures,
    retention: z
      .array(rate())
      .nullable()
      .describe(
        'Share of viewers still watching at each whole second 0..duration (index = second), from each viewer’s longest play: starts at 1, never rises; null when withheld',
      ),
  }),
);
export type VideoAnalytics = z.output<typeof VideoAnalytics>;

export const AccountAnalytics = responseSchema(
  'AccountAnalytics',
  z.object({
    ...Figures,
    topVideos: z
      .array(
        z.object({
          videoId: z.string(),
          caption: z.string(),
          views: count(),
          uniqueViewers: count(),
          watchTimeMs: count(),
        }),
      )
      .describe('Your most viewed videos of the range (at most 10)'),
  }),
);
export type AccountAnalytics = z.output<typeof AccountAnalytics>;
