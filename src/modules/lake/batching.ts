import { batchFileKey, partitionOf, type LakeEvent, type LakePartition } from './lake-schema.js';

/** Firehose's buffering hints: a batch closes at whichever limit comes first. */
export interface BufferHints {
  maxEvents: number;
  maxBytes: number;
  maxAgeSec: number;
}

/** What the buffer holds that a delivery may take (rows whose transactions have all ended), measured up to one batch. */
export interface BufferWindow {
  /** Deliverable rows, counted up to `maxEvents` (a fuller buffer reads as `maxEvents`). */
  events: number;
  /** Their size (bytes of buffered rows). */
  bytes: number;
  /** When the oldest deliverable row was received; null when there is none. */
  oldest: Date | null;
}

/** Why a batch closes now, or null while the buffer should keep filling. */
export function closeReason(w: BufferWindow, hints: BufferHints, now: Date, force = false): 'size' | 'bytes' | 'age' | 'forced' | null {
  if (w.events === 0 || w.oldest === null) return null;
  if (w.events >= hints.maxEvents) return 'size';
  if (w.bytes >= hints.maxBytes) return 'bytes';
  if (now.getTime() - w.oldest.getTime() >= hints.maxAgeSec * 1000) return 'age';
  return force ? 'forced' : null;
}

/**
 * Of the rows in key order with their running byte totals, how many one
 * batch takes: as many as fit in `maxBytes` (at least one, however large).
 */
export function rowsWithinBytes(cumulativeBytes: readonly number[], maxBytes: number): number {
  let n = 0;
  while (n < cumulativeBytes.length && cumulativeBytes[n]! <= maxBytes) n++;
  return Math.max(n, cumulativeBytes.length > 0 ? 1 : 0);
}

export interface PartitionFile {
  partition: LakePartition;
  key: string;
  events: LakeEvent[];
}

/**
 * A batch's events grouped into one file per (dt, hour) partition of their
 * event time (UTC), each under the key the batch id alone decides, in key
 * order: a re-run of the batch writes exactly the same files.
 */
export function partitionBatch(batchId: number, events: readonly LakeEvent[]): PartitionFile[] {
  const files = new Map<string, PartitionFile>();
  for (const e of events) {
    const partition = partitionOf(e.eventTime);
    const key = batchFileKey(partition, batchId);
    let f = files.get(key);
    if (!f) files.set(key, (f = { partition, key, events: [] }));
    f.events.push(e);
  }
  return [...files.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
