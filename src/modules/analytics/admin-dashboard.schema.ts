import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';

/** The admin dashboard's range: whole UTC days, both ends included. */
export const DEFAULT_RANGE_DAYS = 28;
export const MAX_RANGE_DAYS = 365;
const DAY_MS = 86_400_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date as YYYY-MM-DD (2024-02-30 is refused). */
export function isCalendarDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const day = z.string().max(10).refine(isCalendarDate, { error: 'must be a date as YYYY-MM-DD' });

export function addDays(d: string, n: number): string {
  return new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

export interface ResolvedRange {
  from: string;
  to: string;
}

/**
 * Fills in a range: `to` defaults to today (UTC), `from` to 27 days before
 * `to` (28 days in all). Returns an error message for a reversed or too long one.
 */
export function resolveRange(
  q: { from?: string | undefined; to?: string | undefined },
  now = new Date(),
): ResolvedRange | { error: string } {
  const to = q.to ?? now.toISOString().slice(0, 10);
  const from = q.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) return { error: `from (${from}) is after to (${to})` };
  if (daysBetween(from, to) > MAX_RANGE_DAYS) return { error: `the range spans more than ${MAX_RANGE_DAYS} days` };
  return { from, to };
}

export const AdminAnalyticsQuery = z
  .object({
    from: day.optional().describe(`First day (UTC), YYYY-MM-DD; default ${DEFAULT_RANGE_DAYS - 1} days before \`to\``),
    to: day.optional().describe('Last day (UTC), YYYY-MM-DD, included; default today'),
  })
  .superRefine((q, ctx) => {
    if (q.from === undefined || q.to === undefined || !isCalendarDate(q.from) || !isCalendarDate(q.to)) return;
    const r = resolveRange(q);
    if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error, path: ['from'] });
  });
export type AdminAnalyticsParams = z.infer<typeof AdminAnalyticsQuery>;

const DailyPoint = z.object({
  date: z.string().describe('YYYY-MM-DD (UTC)'),
  activeViewers: count().describe('Distinct viewers (accounts, else devices) with a counted play that day'),
  activeCreators: count().describe('Distinct creators who started an upload that day'),
  uploads: count().describe('Uploads started (upload_created) that day'),
  uploadsCompleted: count().describe('Uploads whose bytes arrived (upload_completed) that day'),
  views: count().describe('Counted plays that day (as creator analytics counts views)'),
});

const StageFigures = z.object({
  stage: z
    .string()
    .describe(
      'Pipeline stage as the events name it: upload (created → bytes arrived), queue (→ processing started), processing (→ ready or failed)',
    ),
  runs: count().describe('Pipeline events of the stage with a duration'),
  succeeded: count().describe('Of those, ok'),
  failed: count().describe('Of those, not ok (a stage without an outcome, like queue, has neither)'),
  successRate: z.number().min(0).max(1).nullable().describe('succeeded / (succeeded + failed); null without outcomes'),
  p50Ms: z.number().nullable().describe('Median duration (nearest rank); null without one'),
  p95Ms: z.number().nullable().describe('95th percentile duration (nearest rank)'),
});

const QueueFigures = z.object({
  queue: z.string(),
  queued: count(),
  running: count(),
  dead: count(),
  oldestDueSec: z.number().min(0).describe('How long the oldest due job has waited past its run time'),
});

export const STORAGE_KINDS = ['originals', 'renditions', 'avatars', 'models', 'lake', 'archive'] as const;
const StorageFigures = z.object({
  kind: z.enum(STORAGE_KINDS),
  bytes: count(),
  objects: count(),
});

const TopVideo = z.object({
  videoId: z.string(),
  caption: z.string().describe('Empty when the video no longer exists'),
  creator: z.string().nullable().describe('Username of the owner; null when the account is gone'),
  views: count().describe('Counted plays'),
  uniqueViewers: count().describe('Distinct viewers who played'),
  watchTimeMs: count().describe('Watch time of every play'),
});

export const AdminAnalytics = responseSchema(
  'AdminAnalytics',
  z.object({
    range: z.object({ from: z.string(), to: z.string(), days: count() }),
    generatedAt: isoTime,
    lake: z.object({
      files: count().describe('Live lake files the figures read'),
      events: count().describe('Events in those files'),
      computedAt: isoTime.describe('When the lake figures were computed (cached until the range gets new files)'),
    }),
    totals: z.object({
      activeViewers: count().describe('Distinct viewers over the whole range'),
      activeCreators: count().describe('Distinct uploading creators over the whole range'),
      uploads: count(),
      views: count(),
      watchTimeMs: count(),
      processingRuns: count().describe('processing_finished + processing_failed events'),
      processingSuccessRate: z.number().min(0).max(1).nullable().describe('Processing attempts that ended ready, of all that ended'),
    }),
    daily: z.array(DailyPoint).describe('One point per day of the range, zeros included'),
    stages: z.array(StageFigures).describe('Per pipeline stage, by name'),
    queues: z.array(QueueFigures).describe('Now: every registered queue, and any other that has jobs'),
    deadJobs: count().describe('Dead jobs over every queue, now'),
    storage: z.object({
      items: z.array(StorageFigures),
      totalBytes: count(),
      measuredAt: isoTime.describe('When the sweep ran'),
      method: z
        .string()
        .describe(
          'How it was measured: a paged listing sweep of each prefix (cached), lake from the manifest, archive from archived videos',
        ),
    }),
    topVideos: z.array(TopVideo).describe('Most counted plays in the range, at most 10'),
    reports: z.object({
      open: count().describe('Reports awaiting review, now'),
      oldestOpenAt: isoTime.nullable(),
    }),
  }),
);
export type AdminAnalytics = z.infer<typeof AdminAnalytics>;
