import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ObjectStore } from '../../ports/object-store.js';
import { sqlString, withDuckdb } from './duckdb.js';
import type { DateRange, LakeDay, LakeReader } from './lake-reader.js';
import { TRAFFIC_SOURCES } from './lake-schema.js';

/** Bump when the tables' SQL changes: old files are then simply not used. */
const AGG_VERSION = 2;

/** Where the aggregates are shared in the object store (beside the event table, never inside `lake/events/`). */
export const LAKE_AGGREGATES_PREFIX = `lake/aggregates/v${AGG_VERSION}/`;

/** The three tables of a day or month. */
export const AGGREGATE_TABLES = ['viewers', 'counts', 'pipeline'] as const;
export type AggregateTable = (typeof AGGREGATE_TABLES)[number];

/** Days younger than this are never rolled into a month (they still get late events and new deliveries). */
const SETTLE_DAYS = 2;
const DAY_MS = 86_400_000;
/** How long "not in the object store" is believed before asking again (another process may build it). */
const MISSING_TTL_MS = 10_000;

/** One day's or one month's aggregates, as local Parquet files. */
export interface AggregateSet {
  /** `dt=YYYY-MM-DD` or `month=YYYY-MM`. */
  id: string;
  /** A hash of the live file set it was computed from (a month: of its days' versions). */
  version: string;
  /** The days it covers. */
  dts: string[];
  /**
   * viewers: (dt, creator_id, video_id, viewer hash, duration_ms, plays, counted_plays, watch_ms, max_watched_ms, completes);
   * counts: (dt, creator_id, video_id, metric, n): traffic sources as `src:<source>` (plays), engagement by type;
   * pipeline: (dt, type, creator_id, stage, ok, elapsed_ms), one row per pipeline event.
   */
  paths: Record<AggregateTable, string>;
}

/** How a range is read: rolled-up tables where they exist, raw files for the days without. */
export interface AggregatePlan {
  range: { from: string; to: string };
  /** The manifest's days of the range. */
  days: LakeDay[];
  tables: AggregateSet[];
  /** Days of the range read from the raw lake files (no table of theirs is built yet). */
  rawDays: LakeDay[];
  /** What was missing: built by warmInBackground / refresh. */
  missingDays: LakeDay[];
  missingMonths: Array<{ month: string; days: LakeDay[] }>;
  /** A hash of every day's version in the range: the answer's cache key. */
  version: string;
}

export interface AggregateStats {
  /** Day tables computed from raw lake files (a new or changed file set of that day). */
  dayComputations: number;
  /** Month tables rolled up from day tables. */
  monthComputations: number;
  /** Day or month tables fetched from the object store (built by another process). */
  sharedFetches: number;
  /** Queries that read some raw files (days without a table yet). */
  directQueries: number;
  /** The days computed, oldest first (the last 200). */
  computedDays: string[];
}

const monthOf = (dt: string) => dt.slice(0, 7);
const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);
const addDays = (dt: string, n: number) => new Date(Date.parse(`${dt}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const monthEnd = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10);
};

/**
 * Incremental aggregates of the lake (the EMR job's role). Each partition day
 * is reduced once to three small tables (per viewer of each video, per
 * metric of each video, the pipeline's events), keyed by that day's live file
 * set: a new or compacted file recomputes its day only. Settled days (older
 * than SETTLE_DAYS) are rolled up into one table per month, keyed by its
 * days' versions, so a range opens at most a few files per month whatever its
 * length (90 days: ≤ 4 month tables and 2 recent days, not 90 × 2 files).
 *
 * Tables are shared through the object store (`lake/aggregates/v2/…`): the
 * worker's lake maintenance builds what is missing after each compaction
 * (`refresh`), any process that needs one that is not there builds it in the
 * background and puts it there; every process keeps local copies. Until a
 * day's table exists its raw files are read instead (filtered to the
 * subject), so an answer never waits for a build.
 *
 * A play is a `play` event and what follows it for the same viewer and video
 * that day (the events carry no play id; a play running past midnight UTC
 * counts its watch time up to midnight). A viewer is the signed-in user or
 * else the device; in the tables only as a 64-bit hash, and nothing per
 * viewer ever leaves this module's callers.
 */
export class LakeAggregates {
  private readonly known = new Map<string, AggregateSet>();
  private readonly missing = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<AggregateSet>>();
  readonly stats: AggregateStats = { dayComputations: 0, monthComputations: 0, sharedFetches: 0, directQueries: 0, computedDays: [] };
  private background: Promise<void> = Promise.resolve();
  /** Queries running now: background builds wait for none (they would slow the answer someone waits for). */
  private foreground = 0;
  private readonly queued = new Set<string>();
  private stopped = false;
  private readonly now: () => Date;

  constructor(
    readonly reader: LakeReader,
    private readonly dir: string,
    private readonly log?: Logger,
    private readonly store?: ObjectStore,
    opts: { now?: () => Date } = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Just the manifest's view of `range` (one small query). */
  days(range: DateRange): Promise<LakeDay[]> {
    return this.reader.days(range);
  }

  /**
   * How `range` is read now: one manifest query (the range's whole months),
   * then, per month, its rolled-up table if built, else per day its table if
   * built, else the day's raw files. Nothing is computed here.
   */
  async plan(range: { from: string; to: string }): Promise<AggregatePlan> {
    const all = await this.reader.days({ from: `${monthOf(range.from)}-01`, to: monthEnd(monthOf(range.to)) });
    const settled = addDays(this.now().toISOString().slice(0, 10), -SETTLE_DAYS);
    const days = all.filter((d) => d.dt >= range.from && d.dt <= range.to);
    const plan: AggregatePlan = {
      range,
      days,
      tables: [],
      rawDays: [],
      missingDays: [],
      missingMonths: [],
      version: hash(days.map((d) => `${d.dt}:${d.version}`).join(',')),
    };
    const covered = new Set<string>();
    const byMonth = new Map<string, LakeDay[]>();
    for (const d of all) if (d.dt <= settled) byMonth.set(monthOf(d.dt), [...(byMonth.get(monthOf(d.dt)) ?? []), d]);
    for (const [month, mdays] of byMonth) {
      if (!mdays.some((d) => d.dt >= range.from && d.dt <= range.to)) continue;
      // One day of a month in the range: its day table is as good (and smaller).
      const inRange = mdays.filter((d) => d.dt >= range.from && d.dt <= range.to);
      const set = this.monthSet(month, mdays);
      if (inRange.length > 1 && (await this.available(set))) {
        plan.tables.push(set);
        for (const d of mdays) covered.add(d.dt);
      } else if (inRange.length > 1) plan.missingMonths.push({ month, days: mdays });
    }
    for (const d of days) {
      if (covered.has(d.dt)) continue;
      const set = this.daySet(d);
      if (await this.available(set)) plan.tables.push(set);
      else {
        plan.rawDays.push(d);
        plan.missingDays.push(d);
      }
    }
    return plan;
  }

  /**
   * Runs `fn` on a connection holding temporary tables `v`, `cnt` and `pl`
   * (the three tables' shapes) for the plan's range, filtered by `where` (SQL
   * over columns both the raw events and the tables have: creator_id,
   * video_id; literals only). Days without a table are reduced from their raw
   * files (a corrupt file is found, skipped and the read retried); what is
   * missing is then built in the background. `materialize: false` (a
   * dashboard reading most rows of every table a few times): views over the
   * tables' files when no day is read raw, instead of copies.
   */
  async withTables<T>(
    plan: AggregatePlan,
    where: string,
    fn: (c: DuckDBConnection) => Promise<T>,
    opts: { materialize?: boolean } = {},
  ): Promise<T> {
    if (plan.rawDays.length > 0) this.stats.directQueries += 1;
    try {
      return await this.inForeground(() => this.load(plan, where, fn, opts));
    } finally {
      if (plan.missingDays.length > 0 || plan.missingMonths.length > 0) this.warmInBackground(plan);
    }
  }

  private async load<T>(
    plan: AggregatePlan,
    where: string,
    fn: (c: DuckDBConnection) => Promise<T>,
    opts: { materialize?: boolean },
  ): Promise<T> {
    const files = plan.rawDays.length === 0 ? [] : await this.reader.liveFiles({ from: plan.rawDays[0]!.dt, to: plan.rawDays.at(-1)!.dt });
    const rawDts = new Set(plan.rawDays.map((d) => d.dt));
    const keys = files.filter((f) => rawDts.has(f.dt)).map((f) => f.key);
    for (let attempt = 0; ; attempt++) {
      const got = await this.reader.acquire(keys);
      try {
        return await withDuckdb(async (c) => {
          // Only tables, read by a few queries over most of their rows (the dashboard): views over the files, nothing copied.
          const views = got.paths.length === 0 && !opts.materialize;
          if (!views) await reduceEvents(c, got.paths, { where });
          else await cacheParquetMetadata(c);
          const inRange = `dt BETWEEN DATE ${sqlString(plan.range.from)} AND DATE ${sqlString(plan.range.to)}`;
          for (const [table, name] of [
            ['v', 'viewers'],
            ['cnt', 'counts'],
            ['pl', 'pipeline'],
          ] as const) {
            if (plan.tables.length === 0) {
              if (views) await c.run(`CREATE TEMP VIEW ${table} AS SELECT * FROM (${EMPTY[name]}) WHERE false`);
              continue;
            }
            const list = `read_parquet([${plan.tables.map((t) => sqlString(t.paths[name])).join(', ')}], hive_partitioning = false)`;
            const filter = name === 'pipeline' ? inRange : `(${where}) AND ${inRange}`;
            if (views) await c.run(`CREATE TEMP VIEW ${table} AS SELECT * FROM ${list} WHERE ${filter}`);
            else await c.run(`INSERT INTO ${table} BY NAME SELECT * FROM ${list} WHERE ${filter}`);
          }
          return fn(c);
        });
      } catch (err) {
        if (attempt >= 2 || got.keys.length === 0) throw err;
        let found = false;
        for (const key of got.keys) if (!(await this.reader.readsFully(key))) found = true;
        if (!found) throw err;
      } finally {
        got.release();
      }
    }
  }

  /** Builds what `plan` found missing, in the background, one table at a time (a query does not wait for them). */
  warmInBackground(plan: Pick<AggregatePlan, 'missingDays' | 'missingMonths'>): void {
    const jobs: Array<[string, () => Promise<unknown>]> = [
      ...plan.missingDays.map((d): [string, () => Promise<unknown>] => [`dt=${d.dt}:${d.version}`, () => this.day(d)]),
      ...plan.missingMonths.map((m): [string, () => Promise<unknown>] => [
        `month=${m.month}:${this.monthSet(m.month, m.days).version}`,
        () => this.month(m.month, m.days),
      ]),
    ];
    for (const [id, job] of jobs) {
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.background = this.background
        .then(() => this.quiet())
        .then(() => (this.stopped ? undefined : job()))
        .then(
          () => undefined,
          (err: unknown) => this.log?.error({ err, id }, 'lake: aggregates failed'),
        )
        .finally(() => this.queued.delete(id));
    }
  }

  /**
   * Builds every missing day and month table of `range` (all history by
   * default) and shares them through the object store: the worker's lake
   * maintenance runs this after compaction, so queries find them built.
   */
  async refresh(range: DateRange = {}, opts: { signal?: AbortSignal } = {}): Promise<{ days: number; months: number }> {
    const before = { days: this.stats.dayComputations, months: this.stats.monthComputations };
    const all = await this.reader.days(range);
    if (all.length === 0) return { days: 0, months: 0 };
    const settled = addDays(this.now().toISOString().slice(0, 10), -SETTLE_DAYS);
    const byMonth = new Map<string, LakeDay[]>();
    for (const d of all) {
      if (opts.signal?.aborted) break;
      await this.day(d);
      if (d.dt <= settled) byMonth.set(monthOf(d.dt), [...(byMonth.get(monthOf(d.dt)) ?? []), d]);
    }
    for (const [month, days] of byMonth) {
      if (opts.signal?.aborted) break;
      // A month table is whole: every settled day of the month, not only those of `range`.
      const whole =
        range.from || range.to
          ? (await this.reader.days({ from: `${month}-01`, to: monthEnd(month) })).filter((d) => d.dt <= settled)
          : days;
      if (whole.length > 1) await this.month(month, whole);
    }
    // The whole lake refreshed: tables of days and months no longer in it (LAKE_RETENTION_DAYS) go from the store.
    if (!range.from && !range.to && !opts.signal?.aborted) await this.forget(all);
    return { days: this.stats.dayComputations - before.days, months: this.stats.monthComputations - before.months };
  }

  private async forget(days: readonly LakeDay[]): Promise<void> {
    if (!this.store) return;
    const live = new Set([...days.map((d) => `dt=${d.dt}`), ...days.map((d) => `month=${monthOf(d.dt)}`)]);
    let cursor: string | undefined;
    do {
      const page = await this.store.listPage(LAKE_AGGREGATES_PREFIX, cursor === undefined ? {} : { cursor });
      for (const k of page.keys) {
        const id = k.key.slice(LAKE_AGGREGATES_PREFIX.length).split('/')[0]!;
        if (!live.has(id)) await this.store.delete(k.key);
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  /** Stops background builds (the one running finishes): before the database closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
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

  private set(id: string, version: string, dts: string[]): AggregateSet {
    const base = join(this.dir, `v${AGG_VERSION}`, id);
    const paths = Object.fromEntries(AGGREGATE_TABLES.map((t) => [t, join(base, `${version}.${t}.parquet`)])) as Record<
      AggregateTable,
      string
    >;
    return { id, version, dts, paths };
  }

  private daySet(d: LakeDay): AggregateSet {
    return this.set(`dt=${d.dt}`, d.version, [d.dt]);
  }

  private monthSet(month: string, days: readonly LakeDay[]): AggregateSet {
    return this.set(
      `month=${month}`,
      hash(days.map((d) => `${d.dt}:${d.version}`).join(',')),
      days.map((d) => d.dt),
    );
  }

  private storeKey(set: AggregateSet, table: AggregateTable): string {
    return `${LAKE_AGGREGATES_PREFIX}${set.id}/${set.version}.${table}.parquet`;
  }

  /** Whether `set` is built: known here, on local disk, or in the object store (fetched then). */
  private async available(set: AggregateSet): Promise<boolean> {
    if (this.known.get(set.id)?.version === set.version) return true;
    if (await allExist(set)) {
      this.remember(set);
      return true;
    }
    const id = `${set.id}:${set.version}`;
    if (!this.store || (this.missing.get(id) ?? 0) > Date.now()) return false;
    try {
      await mkdir(dirname(set.paths.viewers), { recursive: true });
      await Promise.all(
        AGGREGATE_TABLES.map(async (t) => {
          const tmp = `${set.paths[t]}.${process.pid}.fetch.part`;
          await this.store!.getToFile(this.storeKey(set, t), tmp);
          await rename(tmp, set.paths[t]);
        }),
      );
    } catch {
      await Promise.all(AGGREGATE_TABLES.map((t) => rm(`${set.paths[t]}.${process.pid}.fetch.part`, { force: true })));
      this.missing.set(id, Date.now() + MISSING_TTL_MS);
      return false;
    }
    this.stats.sharedFetches += 1;
    this.remember(set);
    return true;
  }

  /** `set` is the current version of its id: older local versions go. */
  private remember(set: AggregateSet): void {
    const old = this.known.get(set.id);
    this.known.set(set.id, set);
    if (old && old.version !== set.version) {
      void Promise.all(AGGREGATE_TABLES.map((t) => rm(old.paths[t], { force: true })));
    }
  }

  private build(set: AggregateSet, compute: (tmp: Record<AggregateTable, string>) => Promise<void>): Promise<AggregateSet> {
    const id = `${set.id}:${set.version}`;
    let p = this.inflight.get(id);
    if (!p) {
      p = (async () => {
        if (await this.available(set)) return set;
        await mkdir(dirname(set.paths.viewers), { recursive: true });
        const tmp = Object.fromEntries(AGGREGATE_TABLES.map((t) => [t, `${set.paths[t]}.${process.pid}.part`])) as Record<
          AggregateTable,
          string
        >;
        try {
          await compute(tmp);
          for (const t of AGGREGATE_TABLES) await rename(tmp[t], set.paths[t]);
        } finally {
          await Promise.all(AGGREGATE_TABLES.map((t) => rm(tmp[t], { force: true })));
        }
        await this.share(set);
        this.missing.delete(id);
        this.remember(set);
        return set;
      })().finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    return p;
  }

  /** Puts a built set into the object store and deletes that id's other versions there (best effort). */
  private async share(set: AggregateSet): Promise<void> {
    if (!this.store) return;
    try {
      for (const t of AGGREGATE_TABLES) {
        await this.store.putFile(this.storeKey(set, t), set.paths[t], { contentType: 'application/vnd.apache.parquet' });
      }
      const prefix = `${LAKE_AGGREGATES_PREFIX}${set.id}/`;
      const page = await this.store.listPage(prefix);
      for (const k of page.keys) if (!k.key.startsWith(`${prefix}${set.version}.`)) await this.store.delete(k.key);
    } catch (err) {
      this.log?.warn({ err, id: set.id }, 'lake: could not share aggregates through the object store');
    }
    // Local leftovers of other versions (an earlier process's).
    const dir = dirname(set.paths.viewers);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.startsWith(`${set.version}.`) && !name.endsWith('.part')) await rm(join(dir, name), { force: true });
    }
  }

  private async day(d: LakeDay): Promise<AggregateSet> {
    const set = this.daySet(d);
    if (this.known.get(set.id)?.version === set.version) return set;
    return this.build(set, async (tmp) => {
      const files = await this.reader.liveFiles({ from: d.dt, to: d.dt });
      for (let attempt = 0; ; attempt++) {
        const got = await this.reader.acquire(files.map((f) => f.key));
        try {
          await withDuckdb(async (c) => {
            await reduceEvents(c, got.paths, { dt: `DATE ${sqlString(d.dt)}` });
            await writeTables(c, tmp);
          });
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
    });
  }

  private async month(month: string, days: readonly LakeDay[]): Promise<AggregateSet> {
    const set = this.monthSet(month, days);
    if (this.known.get(set.id)?.version === set.version) return set;
    return this.build(set, async (tmp) => {
      const parts: AggregateSet[] = [];
      for (const d of days) parts.push(await this.day(d));
      await withDuckdb(async (c) => {
        await cacheParquetMetadata(c);
        for (const t of AGGREGATE_TABLES) {
          const order = t === 'pipeline' ? 'dt' : 'creator_id, video_id, dt';
          await c.run(
            `COPY (SELECT * FROM read_parquet([${parts.map((p) => sqlString(p.paths[t])).join(', ')}], hive_partitioning = false) ORDER BY ${order})
             TO ${sqlString(tmp[t])} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 30720)`,
          );
        }
      });
      this.stats.monthComputations += 1;
    });
  }
}

/** Writes temporary tables v, cnt and pl of `c` to the day's files. */
async function writeTables(c: DuckDBConnection, tmp: Record<AggregateTable, string>): Promise<void> {
  const opts = `(FORMAT parquet, COMPRESSION snappy)`;
  await c.run(`COPY (SELECT * FROM v ORDER BY creator_id, video_id) TO ${sqlString(tmp.viewers)} ${opts}`);
  await c.run(`COPY (SELECT * FROM cnt ORDER BY creator_id, video_id) TO ${sqlString(tmp.counts)} ${opts}`);
  await c.run(`COPY (SELECT * FROM pl) TO ${sqlString(tmp.pipeline)} ${opts}`);
}

async function allExist(set: AggregateSet): Promise<boolean> {
  const present = await Promise.all(
    AGGREGATE_TABLES.map((t) =>
      stat(set.paths[t]).then(
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
  NULL::INTEGER AS duration_ms, NULL::VARCHAR AS source, NULL::BOOLEAN AS counted, NULL::VARCHAR AS stage, NULL::BOOLEAN AS ok,
  NULL::BIGINT AS elapsed_ms WHERE false)`;

/** The tables' shapes, empty (a view over no files). */
const EMPTY: Record<AggregateTable, string> = {
  viewers: `SELECT NULL::DATE AS dt, NULL::VARCHAR AS creator_id, NULL::VARCHAR AS video_id, NULL::UBIGINT AS viewer,
    NULL::INTEGER AS duration_ms, NULL::INTEGER AS plays, NULL::INTEGER AS counted_plays, NULL::BIGINT AS watch_ms,
    NULL::INTEGER AS max_watched_ms, NULL::INTEGER AS completes`,
  counts: `SELECT NULL::DATE AS dt, NULL::VARCHAR AS creator_id, NULL::VARCHAR AS video_id, NULL::VARCHAR AS metric, NULL::BIGINT AS n`,
  pipeline: `SELECT NULL::DATE AS dt, NULL::VARCHAR AS type, NULL::VARCHAR AS creator_id, NULL::VARCHAR AS stage, NULL::BOOLEAN AS ok,
    NULL::BIGINT AS elapsed_ms`,
};

let metadataCache: Promise<void> | null = null;

/**
 * DuckDB keeps Parquet footers of files it read (checked against their
 * modification time): the tables and raw files are opened again by every
 * query, and their footers are most of the cost of a small read.
 */
export function cacheParquetMetadata(c: DuckDBConnection): Promise<void> {
  metadataCache ??= c.run(`SET GLOBAL parquet_metadata_cache = true`).then(
    () => undefined,
    () => undefined,
  );
  return metadataCache;
}

/**
 * Reduces raw lake events to the tables' three shapes, as temporary tables of
 * connection `c`: `v` (dt, creator_id, video_id, viewer hash, duration_ms,
 * plays, counted_plays, watch_ms, max_watched_ms, completes), `cnt` (dt,
 * creator_id, video_id, metric, n) and `pl` (dt, type, creator_id, stage, ok,
 * elapsed_ms). `opts.dt`: the day as a SQL expression (a constant for one
 * day's files; derived from the event time otherwise); `opts.where`: a filter
 * on the events (one video or creator: a query's raw days), literals only
 * (DuckDB pushes a constant filter into the Parquet scan; a parameter costs
 * about twice the read).
 */
export async function reduceEvents(
  c: DuckDBConnection,
  paths: readonly string[],
  opts: { dt?: string; where?: string } = {},
): Promise<void> {
  await cacheParquetMetadata(c);
  const source = paths.length === 0 ? NO_EVENTS : `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
  const dt = opts.dt ?? `CAST(timezone('UTC', event_time) AS DATE)`;
  const sources = TRAFFIC_SOURCES.map(sqlString).join(', ');
  await c.run(
    `CREATE TEMP TABLE ev AS
      SELECT ${dt} AS dt, event_time, kind, type, video_id, creator_id, coalesce(user_id, 'd:' || device_id) AS viewer,
             watched_ms, duration_ms, source, counted, stage, ok, elapsed_ms
      FROM ${source}${opts.where ? ` WHERE (${opts.where})` : ''}`,
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
  await c.run(`CREATE TEMP TABLE pl AS
    SELECT dt, type, creator_id, stage, ok, elapsed_ms::BIGINT AS elapsed_ms FROM ev WHERE kind = 'pipeline'`);
  await c.run(`DROP TABLE plays`);
  await c.run(`DROP TABLE ev`);
}
