import { createHash } from 'node:crypto';
import type { Cache } from '../../ports/cache.js';
import type { Database } from '../../ports/database.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { LakeAggregates } from '../lake/lake-aggregates.js';
import { addDays, daysBetween, STORAGE_KINDS, type AdminAnalytics, type ResolvedRange } from './admin-dashboard.schema.js';

/** Object-store prefixes swept for storage figures, by kind (src/lib/storage-layout.ts). */
const SWEPT_PREFIXES: ReadonlyArray<{ kind: 'originals' | 'renditions' | 'avatars' | 'models'; prefix: string }> = [
  { kind: 'originals', prefix: 'originals/' },
  { kind: 'renditions', prefix: 'media/' },
  { kind: 'avatars', prefix: 'avatars/' },
  { kind: 'models', prefix: 'recs/models/' },
];

/** Where the last storage sweep is kept (in the shared cache: one sweep serves every API process). */
export const STORAGE_CACHE_KEY = 'admin-analytics:storage:v1';

type StorageKind = (typeof STORAGE_KINDS)[number];
export type StorageSnapshot = AdminAnalytics['storage'];
type LakeFigures = Pick<AdminAnalytics, 'lake' | 'totals' | 'daily' | 'stages' | 'topVideos'>;

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface AdminDashboardOptions {
  /** How long a storage sweep's figures are reused (ms). */
  storageSweepTtlMs: number;
  /** How long lake figures are reused while the range's live files are unchanged (ms). */
  lakeCacheTtlMs: number;
  /** Registered job queues (they appear at 0 when empty). */
  queues: readonly string[];
}

/**
 * The operator's figures: from the lake's incremental aggregates
 * (src/modules/lake/lake-aggregates.ts: month and day tables, the raw files
 * only for days whose tables are not built yet), with the creator analytics'
 * definitions so both pages agree (a play is a `play` event and what follows
 * it for the same viewer and video that day; a view is a counted play; watch
 * time is each play's furthest watch, summed; an active viewer had a counted
 * play that day), cached per range under a fingerprint of its live files (a
 * delivery or a compaction recomputes, and only its days' tables are rebuilt), the job queue and the
 * report queue (live: one small query each), and storage by kind (a paged
 * listing sweep, cached: listing a whole bucket per request would cost a LIST
 * per 1,000 objects).
 */
export class AdminDashboardService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly cache: Cache,
    private readonly queue: JobQueue,
    private readonly lake: LakeAggregates,
    private readonly opts: AdminDashboardOptions,
  ) {}

  async figures(range: ResolvedRange, now = new Date()): Promise<AdminAnalytics> {
    const [lake, queues, storage, reports] = await Promise.all([
      this.lakeFigures(range),
      this.queueFigures(),
      this.storage(),
      this.reportFigures(),
    ]);
    return {
      range: { ...range, days: daysBetween(range.from, range.to) },
      generatedAt: now.toISOString(),
      ...lake,
      queues: queues.items,
      deadJobs: queues.dead,
      storage,
      reports,
    };
  }

  /** Lake figures for the range, recomputed only when its set of live files changes. */
  async lakeFigures(range: ResolvedRange): Promise<LakeFigures> {
    // The manifest rows (key, size, when listed) identify the data: a delivery or a compaction changes them.
    const { rows: files } = await this.db.query<{ key: string; bytes: string | number; events: number; created: string }>(
      `SELECT key, bytes, events, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created FROM lake_files
       WHERE state = 'live' AND dt >= $1::date AND dt <= $2::date ORDER BY key`,
      [range.from, range.to],
    );
    const fingerprint = createHash('sha256')
      .update(files.map((f) => `${f.key}:${f.bytes}:${f.created}`).join('\n'))
      .digest('base64url')
      .slice(0, 22);
    const key = `admin-analytics:v1:${range.from}:${range.to}:${fingerprint}`;
    return this.cache.getOrLoad(key, this.opts.lakeCacheTtlMs, async () => ({
      ...(await this.computeLake(range, files.length === 0)),
      lake: { files: files.length, events: files.reduce((s, f) => s + f.events, 0), computedAt: new Date().toISOString() },
    }));
  }

  private async computeLake(range: ResolvedRange, empty: boolean): Promise<Omit<LakeFigures, 'lake'>> {
    const plan = empty ? null : await this.lake.plan(range);
    const [dailyRows = [], stageRows = [], totalRows = [], topRows = []] =
      !plan || plan.days.length === 0
        ? []
        : await this.lake.withTables(
            plan,
            'true',
            async (c) => {
              const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
              return [
                await rows(`
                WITH pv AS (SELECT dt, count(DISTINCT viewer) FILTER (WHERE counted_plays > 0) AS viewers, sum(counted_plays) AS views
                            FROM v GROUP BY dt),
                     pu AS (SELECT dt, count(DISTINCT creator_id) FILTER (WHERE type = 'upload_created') AS creators,
                                   count(*) FILTER (WHERE type = 'upload_created') AS uploads,
                                   count(*) FILTER (WHERE type = 'upload_completed') AS completed
                            FROM pl GROUP BY dt)
                SELECT strftime(coalesce(pv.dt, pu.dt), '%Y-%m-%d') AS day, pv.viewers, pu.creators, pu.uploads, pu.completed, pv.views
                FROM pv FULL OUTER JOIN pu ON pu.dt = pv.dt ORDER BY 1`),
                await rows(`
                SELECT stage, count(*) AS runs, count(*) FILTER (WHERE ok) AS succeeded, count(*) FILTER (WHERE NOT ok) AS failed,
                       quantile_disc(elapsed_ms, 0.5) AS p50, quantile_disc(elapsed_ms, 0.95) AS p95
                FROM pl WHERE stage IS NOT NULL AND elapsed_ms IS NOT NULL GROUP BY 1 ORDER BY 1`),
                await rows(`
                SELECT * FROM
                  (SELECT count(DISTINCT viewer) FILTER (WHERE counted_plays > 0) AS viewers, coalesce(sum(counted_plays), 0) AS views,
                          coalesce(sum(watch_ms), 0) AS watched FROM v),
                  (SELECT count(DISTINCT creator_id) FILTER (WHERE type = 'upload_created') AS creators,
                          count(*) FILTER (WHERE type IN ('processing_finished', 'processing_failed')) AS proc_runs,
                          count(*) FILTER (WHERE type = 'processing_finished' AND ok IS NOT FALSE) AS proc_ok FROM pl)`),
                await rows(`
                SELECT video_id, sum(counted_plays) AS views, count(DISTINCT viewer) AS viewers, coalesce(sum(watch_ms), 0) AS watched
                FROM v WHERE video_id IS NOT NULL GROUP BY video_id HAVING sum(counted_plays) > 0
                ORDER BY views DESC, watched DESC, video_id LIMIT 10`),
              ];
            },
            { materialize: false },
          );

    const byDay = new Map(dailyRows.map((r) => [text(r.day), r]));
    const daily: AdminAnalytics['daily'] = [];
    for (let d = range.from; d <= range.to; d = addDays(d, 1)) {
      const r = byDay.get(d);
      daily.push({
        date: d,
        activeViewers: n(r?.viewers),
        activeCreators: n(r?.creators),
        uploads: n(r?.uploads),
        uploadsCompleted: n(r?.completed),
        views: n(r?.views),
      });
    }
    const stages = stageRows.map((r) => {
      const succeeded = n(r.succeeded);
      const failed = n(r.failed);
      return {
        stage: text(r.stage),
        runs: n(r.runs),
        succeeded,
        failed,
        successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
        p50Ms: nullableNumber(r.p50),
        p95Ms: nullableNumber(r.p95),
      };
    });
    const t = totalRows[0] ?? {};
    const names = await this.videoNames(topRows.map((r) => text(r.video_id)));
    return {
      totals: {
        activeViewers: n(t.viewers),
        activeCreators: n(t.creators),
        uploads: daily.reduce((s, d) => s + d.uploads, 0),
        views: n(t.views),
        watchTimeMs: n(t.watched),
        processingRuns: n(t.proc_runs),
        processingSuccessRate: n(t.proc_runs) > 0 ? n(t.proc_ok) / n(t.proc_runs) : null,
      },
      daily,
      stages,
      topVideos: topRows.map((r) => {
        const id = text(r.video_id);
        const v = names.get(id);
        return {
          videoId: id,
          caption: v?.caption ?? '',
          creator: v?.username ?? null,
          views: n(r.views),
          uniqueViewers: n(r.viewers),
          watchTimeMs: n(r.watched),
        };
      }),
    };
  }

  private async videoNames(ids: string[]): Promise<Map<string, { caption: string; username: string | null }>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query<{ id: string; caption: string; username: string | null }>(
      `SELECT v.id, v.caption, u.username FROM videos v LEFT JOIN users u ON u.id = v.owner_id WHERE v.id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { caption: r.caption, username: r.username }]));
  }

  async queueFigures(): Promise<{ items: AdminAnalytics['queues']; dead: number }> {
    const stats = await this.queue.stats();
    const seen = new Set(stats.map((s) => s.queue));
    const items = [
      ...stats.map((s) => ({
        queue: s.queue,
        queued: s.counts.queued,
        running: s.counts.running,
        dead: s.counts.dead,
        oldestDueSec: s.oldestDueSec,
      })),
      ...this.opts.queues.filter((q) => !seen.has(q)).map((q) => ({ queue: q, queued: 0, running: 0, dead: 0, oldestDueSec: 0 })),
    ].sort((a, b) => a.queue.localeCompare(b.queue));
    return { items, dead: items.reduce((s, q) => s + q.dead, 0) };
  }

  async reportFigures(): Promise<AdminAnalytics['reports']> {
    const { rows } = await this.db.query<{ open: number; oldest: Date | string | null }>(
      `SELECT count(*)::int AS open, min(created_at) AS oldest FROM reports WHERE status = 'open'`,
    );
    const row = rows[0];
    return { open: row?.open ?? 0, oldestOpenAt: row?.oldest ? new Date(row.oldest).toISOString() : null };
  }

  /** Storage by kind from the last sweep (swept now when there is none younger than the TTL; concurrent callers share one). */
  storage(): Promise<StorageSnapshot> {
    return this.cache.getOrLoad(STORAGE_CACHE_KEY, this.opts.storageSweepTtlMs, () => this.sweepStorage());
  }

  /** Sweeps now and keeps the result for the next requests (after a bulk change an operator wants to see). */
  async refreshStorage(): Promise<StorageSnapshot> {
    const snapshot = await this.sweepStorage();
    await this.cache.set(STORAGE_CACHE_KEY, snapshot, this.opts.storageSweepTtlMs);
    return snapshot;
  }

  /**
   * One sweep: every key under the media prefixes, a page (≤ 1,000 keys, one
   * LIST on S3) at a time, sizes from the listing (no per-object reads).
   * Objects of archived (or restoring) videos count as archive; lake bytes
   * come from the manifest (lake_files), not a listing.
   */
  async sweepStorage(): Promise<StorageSnapshot> {
    const archivedRows = await this.db.query<{ id: string }>(`SELECT id FROM videos WHERE status IN ('archived', 'restoring')`);
    const archived = new Set(archivedRows.rows.map((r) => r.id));
    const totals = new Map<StorageKind, { bytes: number; objects: number }>(STORAGE_KINDS.map((k) => [k, { bytes: 0, objects: 0 }]));
    const add = (kind: StorageKind, bytes: number, objects = 1) => {
      const t = totals.get(kind)!;
      t.bytes += bytes;
      t.objects += objects;
    };
    for (const { kind, prefix } of SWEPT_PREFIXES) {
      let cursor: string | undefined;
      do {
        const page = await this.store.listPage(prefix, cursor === undefined ? {} : { cursor });
        for (const k of page.keys) {
          const videoId = kind === 'originals' || kind === 'renditions' ? k.key.slice(prefix.length).split('/')[0]! : null;
          add(videoId !== null && archived.has(videoId) ? 'archive' : kind, k.size);
        }
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
    }
    const lake = await this.db.query<{ bytes: string | number | null; files: number }>(
      `SELECT coalesce(sum(bytes), 0) AS bytes, count(*)::int AS files FROM lake_files WHERE state = 'live'`,
    );
    add('lake', Number(lake.rows[0]?.bytes ?? 0), lake.rows[0]?.files ?? 0);
    const items = STORAGE_KINDS.map((kind) => ({ kind, ...totals.get(kind)! }));
    return {
      items,
      totalBytes: items.reduce((s, i) => s + i.bytes, 0),
      measuredAt: new Date().toISOString(),
      method:
        'paged listing sweep of originals/, media/, avatars/ and recs/models/ (cached); lake from the lake_files manifest; archive = objects of archived videos',
    };
  }
}
