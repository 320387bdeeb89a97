import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { sqlString, withDuckdb } from './duckdb.js';
import type { DateRange, LakeDay, LakeReader } from './lake-reader.js';
import { TRAFFIC_SOURCES } from './lake-schema.js';

/** Bump when the day tables' SQL changes: old files are then simply not used. */
const AGG_VERSION = 1;

/** One partition day's aggregates, as local Parquet files. */
export interface DayTables {
  dt: string;
  version: string;
  /** (dt, creator_id, video_id, viewer hash, duration_ms, plays, counted_plays, watch_ms, max_watched_ms, completes). */
  viewers: string;
  /** (dt, creator_id, video_id, metric, n): traffic sources as `src:<source>` (plays), engagement by type. */
  counts: string;
}

export interface AggregateStats {
  /** Day aggregates computed from raw lake files (a new or changed file set of that day). */
  dayComputations: number;
  /** Day aggregates reused (in memory or from an earlier process's files). */
  dayHits: number;
  /** The days computed, oldest first (the last 200). */
  computedDays: string[];
}

/**
 * Incremental aggregates of the lake: each partition day is reduced once to
 * two small tables (per viewer of each video, and per metric of each video),
 * keyed by that day's live file set — a new or compacted file recomputes its
 * day only. Queries over a range read the range's day tables, never the raw
 * events again.
 *
 * A play is a `play` event and what follows it for the same viewer and video
 * that day (the events carry no play id; a play running past midnight UTC
 * counts its watch time up to midnight). A viewer is the signed-in user or
 * else the device; in the day tables only as a 64-bit hash, and nothing
 * per viewer ever leaves this module's callers.
 */
export class LakeAggregates {
  private readonly known = new Map<string, DayTables>();
  private readonly inflight = new Map<string, Promise<DayTables>>();
  readonly stats: AggregateStats = { dayComputations: 0, dayHits: 0, computedDays: [] };

  constructor(
    readonly reader: LakeReader,
    private readonly dir: string,
    private readonly log?: Logger,
  ) {}

  /** The day tables of every day of `range` that has live files, and a version of them all. */
  async tables(range: DateRange): Promise<{ days: LakeDay[]; tables: DayTables[] }> {
    const days = await this.reader.days(range);
    const tables = await Promise.all(days.map((d) => this.day(d)));
    return { days, tables };
  }

  /** Just the manifest's view of `range` (one small query): what a cached answer is keyed by. */
  days(range: DateRange): Promise<LakeDay[]> {
    return this.reader.days(range);
  }

  private async day(d: LakeDay): Promise<DayTables> {
    const id = `${d.dt}:${d.version}`;
    const have = this.known.get(d.dt);
    if (have?.version === d.version) {
      this.stats.dayHits += 1;
      return have;
    }
    let p = this.inflight.get(id);
    if (!p) {
      p = this.build(d).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    const t = await p;
    const old = this.known.get(d.dt);
    if (old && old.version !== t.version) {
      await Promise.all([rm(old.viewers, { force: true }), rm(old.counts, { force: true })]);
    }
    this.known.set(d.dt, t);
    return t;
  }

  private async build(d: LakeDay): Promise<DayTables> {
    const base = join(this.dir, `v${AGG_VERSION}`, `dt=${d.dt}`);
    const t: DayTables = {
      dt: d.dt,
      version: d.version,
      viewers: join(base, `${d.version}.viewers.parquet`),
      counts: join(base, `${d.version}.counts.parquet`),
    };
    const present = await Promise.all(
      [t.viewers, t.counts].map((p) =>
        stat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (present.every(Boolean)) {
      this.stats.dayHits += 1;
      return t;
    }
    await mkdir(base, { recursive: true });
    const files = await this.reader.liveFiles({ from: d.dt, to: d.dt });
    for (let attempt = 0; ; attempt++) {
      const got = await this.reader.acquire(files.map((f) => f.key));
      try {
        await this.compute(d.dt, got.paths, t);
        break;
      } catch (err) {
        // One bad file fails the whole read: find it (each file read once on its own), skip it, try again.
        if (attempt >= 2) throw err;
        let found = false;
        for (const key of got.keys) if (!(await this.reader.readsFully(key))) found = true;
        if (!found) throw err;
        this.log?.warn({ dt: d.dt }, 'lake: day aggregates recomputed without the skipped files');
      } finally {
        got.release();
      }
    }
    this.stats.dayComputations += 1;
    this.stats.computedDays.push(d.dt);
    if (this.stats.computedDays.length > 200) this.stats.computedDays.shift();
    return t;
  }

  private async compute(dt: string, paths: readonly string[], t: DayTables): Promise<void> {
    const tmpV = `${t.viewers}.${process.pid}.part`;
    const tmpC = `${t.counts}.${process.pid}.part`;
    const day = `DATE ${sqlString(dt)}`;
    const sources = TRAFFIC_SOURCES.map(sqlString).join(', ');
    await withDuckdb(async (c) => {
      const source =
        paths.length === 0
          ? `(SELECT NULL::TIMESTAMPTZ AS event_time, NULL::VARCHAR AS kind, NULL::VARCHAR AS type, NULL::VARCHAR AS video_id, NULL::VARCHAR AS creator_id,
               NULL::VARCHAR AS user_id, NULL::VARCHAR AS device_id, NULL::INTEGER AS watched_ms, NULL::INTEGER AS duration_ms, NULL::VARCHAR AS source,
               NULL::BOOLEAN AS counted WHERE false)`
          : `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
      await c.run(`CREATE TEMP TABLE ev AS
        SELECT event_time, kind, type, video_id, creator_id, coalesce(user_id, 'd:' || device_id) AS viewer,
               watched_ms, duration_ms, source, counted
        FROM ${source}
        WHERE creator_id IS NOT NULL AND kind IN ('playback', 'engagement')`);
      await c.run(`CREATE TEMP TABLE plays AS
        WITH seg AS (
          SELECT *, sum(CASE WHEN type = 'play' THEN 1 ELSE 0 END)
                      OVER (PARTITION BY video_id, viewer ORDER BY event_time, CASE WHEN type = 'play' THEN 0 ELSE 1 END
                            ROWS UNBOUNDED PRECEDING) AS play_no
          FROM ev WHERE kind = 'playback' AND viewer IS NOT NULL AND video_id IS NOT NULL
        )
        SELECT creator_id, video_id, viewer, play_no,
               max(duration_ms) AS duration_ms,
               bool_or(type = 'play' AND counted IS NOT FALSE) AS counted,
               CASE WHEN any_value(source) FILTER (WHERE type = 'play') IN (${sources})
                    THEN any_value(source) FILTER (WHERE type = 'play') ELSE 'other' END AS source,
               coalesce(max(watched_ms), 0) AS watched_ms,
               bool_or(type = 'complete') AS completed
        FROM seg WHERE play_no > 0
        GROUP BY creator_id, video_id, viewer, play_no`);
      await c.run(`COPY (
          SELECT ${day} AS dt, creator_id, video_id, hash(viewer) AS viewer,
                 max(duration_ms)::INTEGER AS duration_ms,
                 count(*)::INTEGER AS plays,
                 count(*) FILTER (WHERE counted)::INTEGER AS counted_plays,
                 sum(watched_ms)::BIGINT AS watch_ms,
                 max(watched_ms)::INTEGER AS max_watched_ms,
                 count(*) FILTER (WHERE completed OR (duration_ms > 0 AND watched_ms >= duration_ms))::INTEGER AS completes
          FROM plays GROUP BY creator_id, video_id, hash(viewer)
          ORDER BY creator_id, video_id
        ) TO ${sqlString(tmpV)} (FORMAT parquet, COMPRESSION snappy)`);
      await c.run(`COPY (
          SELECT ${day} AS dt, creator_id, video_id, metric, n FROM (
            SELECT creator_id, video_id, 'src:' || source AS metric, count(*)::BIGINT AS n FROM plays GROUP BY ALL
            UNION ALL
            SELECT creator_id, video_id, type AS metric, count(*)::BIGINT AS n FROM ev WHERE kind = 'engagement' GROUP BY ALL
          ) ORDER BY creator_id, video_id
        ) TO ${sqlString(tmpC)} (FORMAT parquet, COMPRESSION snappy)`);
    });
    await rename(tmpV, t.viewers);
    await rename(tmpC, t.counts);
  }
}
