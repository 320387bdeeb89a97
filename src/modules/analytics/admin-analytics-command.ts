import { parseArgs } from 'node:util';
import type { Cache } from '../../ports/cache.js';
import type { Database } from '../../ports/database.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Config } from '../../config/config.js';
import { LakeAggregates } from '../lake/lake-aggregates.js';
import { VideosRepository } from '../videos/videos.repository.js';
import { AnalyticsRepository } from './analytics.repository.js';
import type { AccountAnalytics } from './analytics.schema.js';
import { AnalyticsService } from './analytics.service.js';
import { LakeReader } from '../lake/lake-reader.js';
import { createAdminDashboardService, lakeAggregatesDir, lakeFilesDir } from './admin-dashboard.module.js';
import { isCalendarDate, resolveRange, type AdminAnalytics, type ResolvedRange } from './admin-dashboard.schema.js';

export const ANALYTICS_USAGE = `Usage: curta analytics [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
         the admin dashboard's key figures: daily active viewers and
         creators, uploads, views, processing success and p50/p95 per stage
         (from the Parquet lake), queues and dead jobs, storage by kind,
         top videos, reports awaiting review. Default: the last 28 days
       curta analytics --creator <username> [--from …] [--to …] [--json]
         one creator's views, unique viewers, watch time, completion,
         engagement and top videos, as creator analytics reports them

  Whole UTC days, both ends included, at most 365. --json prints the same
  document as GET /api/v1/admin/analytics (or the creator's figures).`;

export interface AnalyticsArgs {
  from?: string;
  to?: string;
  json: boolean;
  creator?: string;
}

export function parseAnalyticsArgs(args: string[]): (AnalyticsArgs & { range: ResolvedRange }) | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false }, creator: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  for (const k of ['from', 'to'] as const) {
    const v = values[k];
    if (v !== undefined && !isCalendarDate(v)) return { error: `--${k} must be a date as YYYY-MM-DD (got "${v}")` };
  }
  if (values.creator !== undefined && (values.creator === '' || values.creator.length > 200))
    return { error: '--creator needs a username' };
  const range = resolveRange({ from: values.from, to: values.to });
  if ('error' in range) return { error: range.error };
  return {
    range,
    json: values.json ?? false,
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.to !== undefined ? { to: values.to } : {}),
    ...(values.creator !== undefined ? { creator: values.creator } : {}),
  };
}

/** A plain-text table: columns padded, numbers right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtInt(c) : c)))];
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: Array<string | number>) =>
    r
      .map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

const fmtInt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const fmtPct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
const fmtMs = (ms: number | null) => (ms === null ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`);
export function fmtBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${b} B` : `${v.toFixed(1)} ${units[u]}`;
}
const fmtDuration = (ms: number) => {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
};

/** The admin figures as a terminal report. */
export function formatAdminAnalytics(a: AdminAnalytics): string[] {
  const out: string[] = [];
  out.push(
    `Curta analytics ${a.range.from} → ${a.range.to} (${a.range.days} days; lake: ${fmtInt(a.lake.files)} files, ${fmtInt(a.lake.events)} events)`,
  );
  out.push('');
  out.push(
    ...table(
      ['active viewers', 'active creators', 'uploads', 'views', 'watch time', 'processing success'],
      [
        [
          a.totals.activeViewers,
          a.totals.activeCreators,
          a.totals.uploads,
          a.totals.views,
          fmtDuration(a.totals.watchTimeMs),
          `${fmtPct(a.totals.processingSuccessRate)} of ${fmtInt(a.totals.processingRuns)}`,
        ],
      ],
    ),
  );
  out.push('', 'Per day');
  out.push(
    ...table(
      ['date', 'viewers', 'creators', 'uploads', 'views'],
      a.daily.map((d) => [d.date, d.activeViewers, d.activeCreators, d.uploads, d.views]),
    ),
  );
  out.push('', 'Processing by stage');
  out.push(
    ...(a.stages.length === 0
      ? ['(no processing in the range)']
      : table(
          ['stage', 'runs', 'failed', 'success', 'p50', 'p95'],
          a.stages.map((s) => [s.stage, s.runs, s.failed, fmtPct(s.successRate), fmtMs(s.p50Ms), fmtMs(s.p95Ms)]),
        )),
  );
  out.push('', `Queues (now; dead jobs: ${fmtInt(a.deadJobs)})`);
  out.push(
    ...table(
      ['queue', 'queued', 'running', 'dead', 'oldest due'],
      a.queues.map((q) => [q.queue, q.queued, q.running, q.dead, `${Math.round(q.oldestDueSec)} s`]),
    ),
  );
  out.push('', `Storage (swept ${a.storage.measuredAt}; total ${fmtBytes(a.storage.totalBytes)})`);
  out.push(
    ...table(
      ['kind', 'objects', 'size'],
      a.storage.items.map((s) => [s.kind, s.objects, fmtBytes(s.bytes)]),
    ),
  );
  out.push('', 'Top videos');
  out.push(
    ...(a.topVideos.length === 0
      ? ['(no views in the range)']
      : table(
          ['video', 'creator', 'views', 'viewers', 'watch time', 'caption'],
          a.topVideos.map((v) => [
            v.videoId,
            v.creator ?? '(deleted)',
            v.views,
            v.uniqueViewers,
            fmtDuration(v.watchTimeMs),
            clip(v.caption, 40),
          ]),
        )),
  );
  out.push('', `Reports awaiting review: ${fmtInt(a.reports.open)}${a.reports.oldestOpenAt ? ` (oldest ${a.reports.oldestOpenAt})` : ''}`);
  return out;
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/**
 * One creator's key figures through creator analytics (the service behind
 * GET /api/v1/analytics/account, as the creator would see them): aggregates
 * only, no viewer identity. Null when there is no such user.
 */
export async function creatorFigures(
  deps: AnalyticsDeps,
  lake: LakeAggregates,
  username: string,
  range: ResolvedRange,
): Promise<{ creator: string; figures: AccountAnalytics } | null> {
  const { rows } = await deps.db.query<{ id: string; username: string; role: 'user' | 'admin'; created_at: Date | string }>(
    `SELECT id, username, role, created_at FROM users WHERE lower(username) = lower($1)`,
    [username],
  );
  const user = rows[0];
  if (!user) return null;
  const { minimumViewers, resultTtlSec } = deps.config.analytics;
  const service = new AnalyticsService(new AnalyticsRepository(lake), new VideosRepository(deps.db), lake.reader, deps.cache, {
    minimumViewers,
    resultTtlSec,
  });
  const figures = await service.account(
    { id: user.id, username: user.username, role: user.role, createdAt: new Date(user.created_at).toISOString() },
    { from: range.from, to: range.to, format: 'json' },
  );
  return { creator: user.username, figures };
}

export function formatCreatorFigures(c: { creator: string; figures: AccountAnalytics }): string[] {
  const f = c.figures;
  const out = [`${c.creator}: ${f.from} → ${f.to}`, ''];
  out.push(
    ...table(
      ['views', 'unique viewers', 'watch time', 'avg view', 'completion', 'likes', 'comments', 'shares', 'follows'],
      [
        [
          f.views,
          f.uniqueViewers,
          fmtDuration(f.watchTimeMs),
          f.averageViewDurationMs === null ? '–' : fmtDuration(f.averageViewDurationMs),
          fmtPct(f.completionRate),
          f.likes,
          f.comments,
          f.shares,
          f.follows,
        ],
      ],
    ),
  );
  out.push('', 'Top videos');
  out.push(
    ...(f.topVideos.length === 0
      ? ['(no views in the range)']
      : table(
          ['video', 'views', 'viewers', 'watch time', 'caption'],
          f.topVideos.map((v) => [v.videoId, v.views, v.uniqueViewers, fmtDuration(v.watchTimeMs), clip(v.caption, 40)]),
        )),
  );
  return out;
}

export interface AnalyticsDeps {
  config: Readonly<Config>;
  db: Database;
  store: ObjectStore;
  cache: Cache;
  queue: JobQueue;
}

/** Runs `curta analytics`; returns the exit status (1: no such creator). */
export async function runAnalytics(
  parsed: AnalyticsArgs & { range: ResolvedRange },
  deps: AnalyticsDeps,
  io: { out: (l: string) => void; err: (l: string) => void },
): Promise<number> {
  const lake = new LakeAggregates(
    new LakeReader(deps.db, deps.store, { cacheDir: lakeFilesDir(deps.config), cacheMaxBytes: deps.config.analytics.cacheMaxBytes }),
    lakeAggregatesDir(deps.config),
    undefined,
    deps.store,
  );
  try {
    return await analyticsWith(lake, parsed, deps, io);
  } finally {
    // Tables the query found missing are built in the background: a command does not wait for them (lake maintenance will).
    await lake.stop();
  }
}

async function analyticsWith(
  lake: LakeAggregates,
  parsed: AnalyticsArgs & { range: ResolvedRange },
  deps: AnalyticsDeps,
  io: { out: (l: string) => void; err: (l: string) => void },
): Promise<number> {
  if (parsed.creator !== undefined) {
    const found = await creatorFigures(deps, lake, parsed.creator, parsed.range);
    if (!found) {
      io.err(`No user named "${parsed.creator}".`);
      return 1;
    }
    for (const line of parsed.json ? [JSON.stringify({ creator: found.creator, ...found.figures }, null, 2)] : formatCreatorFigures(found))
      io.out(line);
    return 0;
  }
  const service = createAdminDashboardService(
    { config: deps.config, db: deps.db, store: deps.store, cache: deps.cache, queue: deps.queue },
    lake,
  );
  const figures = await service.figures(parsed.range);
  for (const line of parsed.json ? [JSON.stringify(figures, null, 2)] : formatAdminAnalytics(figures)) io.out(line);
  return 0;
}
