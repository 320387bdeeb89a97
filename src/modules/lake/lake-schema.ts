/**
 * The lake's one table, `events`, as Parquet: typed columns and a schema
 * version in every row, Hive-style partitions `dt=YYYY-MM-DD/hour=HH` (UTC,
 * by event time) in the key, so Athena/Trino/Spark on S3 and DuckDB anywhere
 * read the files as they are. Columns only ever get added (bump
 * LAKE_SCHEMA_VERSION); readers select by name.
 */
export const LAKE_SCHEMA_VERSION = 1;

/** Where the event table lives in the object store. */
export const LAKE_EVENTS_PREFIX = 'lake/events/';

export type LakeEventKind = 'playback' | 'engagement' | 'pipeline';

/** Where a viewer found the video (the player says; null when unknown). */
export const TRAFFIC_SOURCES = ['for_you', 'following', 'profile', 'search', 'hashtag', 'share', 'other'] as const;
export type TrafficSource = (typeof TRAFFIC_SOURCES)[number];

/** Event types per kind (type names are stable: they are lake data). */
export const LAKE_EVENT_TYPES = {
  playback: ['impression', 'play', 'progress', 'complete', 'skip'],
  engagement: ['like', 'comment', 'share', 'follow', 'bookmark', 'not_interested', 'unlike', 'delete_comment', 'undo_not_interested'],
  pipeline: ['upload_created', 'upload_completed', 'processing_started', 'processing_finished', 'processing_failed'],
} as const satisfies Record<LakeEventKind, readonly string[]>;

/** One row of the lake (and of lake_buffer). Nulls where a column does not apply to the kind. */
export interface LakeEvent {
  eventId: string;
  eventTime: Date;
  receivedAt: Date;
  kind: LakeEventKind;
  type: string;
  videoId: string | null;
  /** The video's owner when the event happened: creator analytics filter on it without a join. */
  creatorId: string | null;
  userId: string | null;
  deviceId: string | null;
  watchedMs: number | null;
  durationMs: number | null;
  source: string | null;
  /** False for playback of devices over their address's allowance (never counted as views). */
  counted: boolean | null;
  /** Pipeline: which stage (upload, probe, transcode, package, ...). */
  stage: string | null;
  ok: boolean | null;
  elapsedMs: number | null;
  bytes: number | null;
  /** Anything else, as JSON text. */
  attrs: string | null;
}

/** Parquet columns in file order, with their DuckDB types (DuckDB writes the files). */
export const LAKE_COLUMNS = [
  ['event_id', 'VARCHAR'],
  ['schema_version', 'INTEGER'],
  ['event_time', 'TIMESTAMPTZ'],
  ['received_at', 'TIMESTAMPTZ'],
  ['kind', 'VARCHAR'],
  ['type', 'VARCHAR'],
  ['video_id', 'VARCHAR'],
  ['creator_id', 'VARCHAR'],
  ['user_id', 'VARCHAR'],
  ['device_id', 'VARCHAR'],
  ['watched_ms', 'INTEGER'],
  ['duration_ms', 'INTEGER'],
  ['source', 'VARCHAR'],
  ['counted', 'BOOLEAN'],
  ['stage', 'VARCHAR'],
  ['ok', 'BOOLEAN'],
  ['elapsed_ms', 'BIGINT'],
  ['bytes', 'BIGINT'],
  ['attrs', 'VARCHAR'],
] as const;

export interface LakePartition {
  /** YYYY-MM-DD (UTC). */
  dt: string;
  /** 0–23 (UTC). */
  hour: number;
}

export function partitionOf(t: Date): LakePartition {
  return { dt: t.toISOString().slice(0, 10), hour: t.getUTCHours() };
}

export function partitionPrefix(p: LakePartition): string {
  return `${LAKE_EVENTS_PREFIX}dt=${p.dt}/hour=${String(p.hour).padStart(2, '0')}/`;
}

/** The file a delivery batch writes for one partition: a function of the batch only, so a re-run overwrites it. */
export function batchFileKey(p: LakePartition, batchId: number): string {
  return `${partitionPrefix(p)}part-b${String(batchId).padStart(12, '0')}.parquet`;
}

/** The file a compaction writes for one partition. */
export function compactedFileKey(p: LakePartition, compactionId: number): string {
  return `${partitionPrefix(p)}part-c${String(compactionId).padStart(12, '0')}.parquet`;
}

const PARTITION_KEY = /^lake\/events\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** The partition a lake key belongs to, or null for a key that is not a lake file. */
export function parseLakeKey(key: string): LakePartition | null {
  const m = PARTITION_KEY.exec(key);
  if (!m) return null;
  const hour = Number(m[2]);
  return hour <= 23 ? { dt: m[1]!, hour } : null;
}
