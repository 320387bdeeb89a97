/** Firehose's buffering hints: a batch closes at whichever limit comes first. */
export interface BufferHints {
  maxEvents: number;
  maxBytes: number;
  maxAgeSec: number;
}

/** The delivery hints the lake configuration sets (LAKE_BATCH_MAX_EVENTS, LAKE_BATCH_MAX_BYTES, LAKE_BUFFER_MAX_AGE_SEC). */
export function bufferHints(lake: { batchMaxEvents: number; batchMaxBytes: number; maxAgeSec: number }): BufferHints {
  return { maxEvents: lake.batchMaxEvents, maxBytes: lake.batchMaxBytes, maxAgeSec: lake.maxAgeSec };
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
 * How many of `events` deliverable rows one batch takes: as many as fit in
 * `maxBytes` at `avgRowBytes` each (at least one, however large).
 */
export function rowsForBytes(events: number, avgRowBytes: number, maxBytes: number): number {
  if (events <= 0) return 0;
  if (avgRowBytes <= 0) return events;
  return Math.max(1, Math.min(events, Math.floor(maxBytes / avgRowBytes)));
}
