import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SqlExecutor } from '../../ports/database.js';
import { sqlString, withDuckdb } from './duckdb.js';
import type { LakeReader } from './lake-reader.js';

/** One playback event of a viewer's history, as the data export writes it. */
export interface PlaybackHistoryItem {
  id: string;
  type: string;
  videoId: string | null;
  watchedMs: number | null;
  source: string | null;
  /** The client's time of the event. */
  at: string | null;
  receivedAt: string | null;
}

/** Days read before the account's creation: event times are the client's, which may run behind. */
const CLOCK_SLACK_DAYS = 2;

interface PendingRow {
  id: string;
  type: string;
  video_id: string | null;
  watched_ms: number | null;
  source: string | null;
  at: Date | null;
  received_at: Date | null;
}

const iso = (v: Date | number | null): string | null => (v === null ? null : new Date(v).toISOString());

/**
 * A signed-in viewer's whole playback history, for their data export: the
 * OLTP events table keeps only what serving reads, for a short window
 * (oltpRows, EVENTS_RETENTION_HOURS), while every event reaches the lake.
 * An event is in exactly one of three places at any moment, moving one way:
 * a pre-lake events row the backfill has not copied yet → lake_buffer → a
 * Parquet file. They are read against that flow (pre-lake rows, then the
 * buffer, then the files) and an event already met is skipped by its id, so
 * one moved between two reads is written once and none is missed.
 *
 * The files' part is written by DuckDB to a temporary JSON-lines file and
 * read back line by line, so memory stays flat however long the history; the
 * files are pinned in the reader's cache only while DuckDB reads them.
 */
export class PlaybackHistory {
  constructor(
    private readonly db: SqlExecutor,
    private readonly reader: LakeReader,
  ) {}

  /** The history, oldest first (pre-lake rows, the lake's files, then what the buffer holds). */
  async *read(userId: string, accountCreatedAt: Date): AsyncGenerator<PlaybackHistoryItem> {
    const preLake = await this.db.query<PendingRow>(
      `SELECT lake_backfill_event_id(e.id)::text AS id, e.type, e.video_id, e.watched_ms, NULL::text AS source,
              e.client_at AS at, e.received_at
       FROM lake_backfill b JOIN events e ON e.id > b.next_id AND e.id <= b.upto_id
       WHERE b.done_at IS NULL AND e.user_id = $1 ORDER BY e.id`,
      [userId],
    );
    const buffered = await this.db.query<PendingRow>(
      `SELECT event_id::text AS id, type, video_id, watched_ms, source, event_time AS at, received_at
       FROM lake_buffer_events WHERE kind = 'playback' AND user_id = $1 ORDER BY event_time, event_id`,
      [userId],
    );
    const met = new Set<string>();
    for (const r of [...preLake.rows, ...buffered.rows]) met.add(r.id);
    const item = (r: PendingRow): PlaybackHistoryItem => ({
      id: r.id,
      type: r.type,
      videoId: r.video_id,
      watchedMs: r.watched_ms,
      source: r.source,
      at: iso(r.at),
      receivedAt: iso(r.received_at),
    });
    const inBuffer = new Set(buffered.rows.map((r) => r.id));
    for (const r of preLake.rows) if (!inBuffer.has(r.id)) yield item(r);

    const from = new Date(accountCreatedAt.getTime() - CLOCK_SLACK_DAYS * 86_400_000).toISOString().slice(0, 10);
    for await (const r of this.fromFiles(userId, from)) if (!met.has(r.id)) yield r;
    for (const r of buffered.rows) yield item(r);
  }

  /** The viewer's playback events in the lake's files of partitions from `from` on, oldest first. */
  private async *fromFiles(userId: string, from: string): AsyncGenerator<PlaybackHistoryItem> {
    const files = await this.reader.liveFiles({ from });
    if (files.length === 0) return;
    const dir = await mkdtemp(join(tmpdir(), 'curta-history-'));
    try {
      const out = join(dir, 'history.jsonl');
      const { paths, release } = await this.reader.acquire(files.map((f) => f.key));
      try {
        if (paths.length === 0) return;
        await withDuckdb((c) =>
          c.run(
            `COPY (
               SELECT event_id AS id, type, video_id AS "videoId", watched_ms AS "watchedMs", source,
                      epoch_ms(event_time) AS at, epoch_ms(received_at) AS "receivedAt"
               FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)
               WHERE kind = 'playback' AND user_id = ${sqlString(userId)}
               ORDER BY event_time, event_id
             ) TO ${sqlString(out)} (FORMAT JSON)`,
          ),
        );
      } finally {
        release();
      }
      const lines = createInterface({ input: createReadStream(out, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === '') continue;
        const r = JSON.parse(line) as Omit<PlaybackHistoryItem, 'at' | 'receivedAt'> & { at: number | null; receivedAt: number | null };
        yield { ...r, at: iso(r.at), receivedAt: iso(r.receivedAt) };
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
