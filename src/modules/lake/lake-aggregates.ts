import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { DuckDBConnection } from '@duckdb/node-api';
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
  /** Cold queries answered straight from the raw files of their range (their days' aggregates built afterwards, in the background). */
  directQueries: number;
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
  readonly stats: AggregateStats = { dayComputations: 0, dayHits: 0, directQueries: 0, computedDays: [] };
  private background: Promise<void> = Promise.resolve();
  /** Queries running now: background builds wait for none (they would slow the answer someone waits for). */
  private foreground = 0;
  private readonly queued = new Set<string>();

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

  /** The day tables of `days` when every one is built already (no computation), else null. */
  async ready(days: readonly LakeDay[]): Promise<DayTables[] | null> {
    const out: DayTables[] = [];
    for (const d of days) {
      const have = this.known.get(d.dt);
      if (have?.version === d.version) {
        out.push(have);
        continue;
      }
      const t = this.paths(d);
      if (!(await bothExist(t))) return null;
      this.known.set(d.dt, t);
      out.push(t);
    }
    this.stats.dayHits += out.length;
    return out;
  }

  /** Builds the day tables of `days` in the background, one day at a time (a cold query does not wait for them). */
  warmInBackground(days: readonly LakeDay[]): void {
    for (const d of days) {
      const id = `${d.dt}:${d.version}`;
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.background = this.background
        .then(() => this.quiet())
        .then(() => this.day(d))
        .then(
          () => undefined,
          (err: unknown) => this.log?.error({ err, dt: d.dt }, 'lake: day aggregates failed'),
        )
        .finally(() => this.queued.delete(id));
    }
  }

  /** Runs a query someone waits for (background builds hold off meanwhile). */
  async inForeground<T>(fn: () => Promise<T>): Promise<T> {
    this.foreground += 1;
    try {
      return await fn();
    } finally {
      this.foreground -= 1;
    }
  }

  private async quiet(): Promise<void> {
    for (let waited = 0; this.foreground > 0 && waited < 30_000; waited += 25) await new Promise((r) => setTimeout(r, 25));
  }

  /** Resolves once the background builds asked for so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    let seen: Promise<void> | null = null;
    while (seen !== this.background) {
      seen = this.background;
      await seen;
    }
  }

  /**
   * The direct path: reduces the raw live files of `range`, filtered by `where`
   * (`$1` = `param`), into temporary tables `v` and `cnt` of a connection and
   * runs `fn` on it. A corrupt file is found, skipped and the read retried.
   */
  async withReduced<T>(range: DateRange, where: string, param: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    this.stats.directQueries += 1;
    return this.inForeground(() => this.reduced(range, where, param, fn));
  }

  private async reduced<T>(range: DateRange, where: string, param: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const files = await this.reader.liveFiles(range);
    for (let attempt = 0; ; attempt++) {
      const got = await this.reader.acquire(files.map((f) => f.key));
      try {
        return await withDuckdb(async (c) => {
          await reduceEvents(c, got.paths, { where, param });
          return fn(c);
        });
      } catch (err) {
        if (attempt >= 2) throw err;
        let found = false;
        for (const key of got.keys) if (!(await this.reader.readsFully(key))) found = true;
        if (!found) throw err;
      } finally {
        got.release();
      }
    }
  }

  private paths(d: LakeDay): DayTables {
    const base = join(this.dir, `v${AGG_VERSION}`, `dt=${d.dt}`);
    return {
      dt: d.dt,
      version: d.version,
      viewers: join(base, `${d.version}.viewers.parquet`),
      counts: join(base, `${d.version}.counts.parquet`),
    };
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
    const t = this.paths(d);
    const base = dirname(t.viewers);
    if (await bothExist(t)) {
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
    await withDuckdb(async (c) => {
      await reduceEvents(c, paths, { dt: `DATE ${sqlString(dt)}` });
      await c.run(`COPY (SELECT * FROM v ORDER BY creator_id, video_id) TO ${sqlString(tmpV)} (FORMAT parquet, COMPRESSION snappy)`);
      await c.run(`COPY (SELECT * FROM cnt ORDER BY creator_id, video_id) TO ${sqlString(tmpC)} (FORMAT parquet, COMPRESSION snappy)`);
    });
    await rename(tmpV, t.viewers);
    await rename(tmpC, t.counts);
  }
}

async function bothExist(t: DayTables): Promise<boolean> {
  const present = await Promise.all(
    [t.viewers, t.counts].map((p) =>
      stat(p).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.every(Boolean);
}

/** An empty stand-in for the events table (no files). */
const NO_EVENTS = `(SELECT NULL::TIMESTAMPTZ AS event_time, NULL::VARCHAR AS kind, NULL::VARCHAR AS type, NULL::VARCHAR AS video_id,
  NULL::VARCHAR AS creator_id, NULL::VARCHAR AS user_id, NULL::VARCHAR AS device_id, NULL::INTEGER AS watched_ms,
  NULL::INTEGER AS duration_ms, NULL::VARCHAR AS source, NULL::BOOLEAN AS counted WHERE false)`;

/**
 * Reduces raw lake events to the day tables' two shapes, as temporary tables
 * of connection `c`: `v` (dt, creator_id, video_id, viewer hash, duration_ms,
 * plays, counted_plays, watch_ms, max_watched_ms, completes) and `cnt` (dt,
 * creator_id, video_id, metric, n). `opts.dt`: the day as a SQL expression
 * (a constant for one day's files; derived from the event time otherwise);
 * `opts.where`: a filter on the events (one video or creator: the direct path
 * of a cold query) with `$1` bound to `opts.param`.
 */
export async function reduceEvents(
  c: DuckDBConnection,
  paths: readonly string[],
  opts: { dt?: string; where?: string; param?: string } = {},
): Promise<void> {
  const source = paths.length === 0 ? NO_EVENTS : `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
  const dt = opts.dt ?? `CAST(timezone('UTC', event_time) AS DATE)`;
  const sources = TRAFFIC_SOURCES.map(sqlString).join(', ');
  await c.run(
    `CREATE TEMP TABLE ev AS
      SELECT ${dt} AS dt, event_time, kind, type, video_id, creator_id, coalesce(user_id, 'd:' || device_id) AS viewer,
             watched_ms, duration_ms, source, counted
      FROM ${source}
      WHERE creator_id IS NOT NULL AND kind IN ('playback', 'engagement')${opts.where ? ` AND (${opts.where})` : ''}`,
    opts.param === undefined ? undefined : [opts.param],
  );
  await c.run(`CREATE TEMP TABLE plays AS
    WITH seg AS (
      SELECT *, sum(CASE WHEN type = 'play' THEN 1 ELSE 0 END)
                  OVER (PARTITION BY dt, video_id, viewer ORDER BY event_time, CASE WHEN type = 'play' THEN 0 ELSE 1 END
                        ROWS UNBOUNDED PRECEDING) AS play_no
      FROM ev WHERE kind = 'playback' AND viewer IS NOT NULL AND video_id IS NOT NULL
    )
    SELECT dt, creator_id, video_id, viewer, play_no,
           max(duration_ms) AS duration_ms,
           bool_or(type = 'play' AND counted IS NOT FALSE) AS counted,
           CASE WHEN any_value(source) FILTER (WHERE type = 'play') IN (${sources})
                THEN any_value(source) FILTER (WHERE type = 'play') ELSE 'other' END AS source,
           coalesce(max(watched_ms), 0) AS watched_ms,
           bool_or(type = 'complete') AS completed
    FROM seg WHERE play_no > 0
    GROUP BY dt, creator_id, video_id, viewer, play_no`);
  await c.run(`CREATE TEMP TABLE v AS
    SELECT dt, creator_id, video_id, hash(viewer) AS viewer,
           max(duration_ms)::INTEGER AS duration_ms,
           count(*)::INTEGER AS plays,
           count(*) FILTER (WHERE counted)::INTEGER AS counted_plays,
           sum(watched_ms)::BIGINT AS watch_ms,
           max(watched_ms)::INTEGER AS max_watched_ms,
           count(*) FILTER (WHERE completed OR (duration_ms > 0 AND watched_ms >= duration_ms))::INTEGER AS completes
    FROM plays GROUP BY dt, creator_id, video_id, hash(viewer)`);
  await c.run(`CREATE TEMP TABLE cnt AS
    SELECT dt, creator_id, video_id, 'src:' || source AS metric, count(*)::BIGINT AS n FROM plays GROUP BY ALL
    UNION ALL
    SELECT dt, creator_id, video_id, type AS metric, count(*)::BIGINT AS n FROM ev WHERE kind = 'engagement' GROUP BY ALL`);
  await c.run(`DROP TABLE plays`);
  await c.run(`DROP TABLE ev`);
}
