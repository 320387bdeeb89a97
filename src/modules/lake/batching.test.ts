import { describe, expect, it } from 'vitest';
import { closeReason, partitionBatch, rowsWithinBytes } from './batching.js';
import type { LakeEvent } from './lake-schema.js';

const hints = { maxEvents: 100, maxBytes: 10_000, maxAgeSec: 60 };
const now = new Date('2026-12-03T12:00:00Z');
const ago = (sec: number) => new Date(now.getTime() - sec * 1000);

function ev(id: string, at: string): LakeEvent {
  return {
    eventId: id,
    eventTime: new Date(at),
    receivedAt: new Date(at),
    kind: 'playback',
    type: 'play',
    videoId: 'v',
    creatorId: 'c',
    userId: 'u',
    deviceId: null,
    watchedMs: null,
    durationMs: null,
    source: null,
    counted: true,
    stage: null,
    ok: null,
    elapsedMs: null,
    bytes: null,
    attrs: null,
  };
}

describe('lake batching', () => {
  it('closes a batch at whichever of size, bytes or age comes first, and never an empty one', () => {
    expect(closeReason({ events: 0, bytes: 0, oldest: null }, hints, now, true)).toBeNull();
    expect(closeReason({ events: 100, bytes: 10, oldest: ago(1) }, hints, now)).toBe('size');
    expect(closeReason({ events: 5, bytes: 10_000, oldest: ago(1) }, hints, now)).toBe('bytes');
    expect(closeReason({ events: 5, bytes: 100, oldest: ago(60) }, hints, now)).toBe('age');
    expect(closeReason({ events: 5, bytes: 100, oldest: ago(59) }, hints, now)).toBeNull();
    expect(closeReason({ events: 5, bytes: 100, oldest: ago(59) }, hints, now, true)).toBe('forced');
  });

  it('takes as many rows as fit in the byte limit, at least one', () => {
    expect(rowsWithinBytes([], 100)).toBe(0);
    expect(rowsWithinBytes([500], 100)).toBe(1);
    expect(rowsWithinBytes([40, 80, 120, 160], 100)).toBe(2);
    expect(rowsWithinBytes([40, 80, 100], 100)).toBe(3);
  });

  it('writes one file per UTC (dt, hour) of event time, under keys that depend on the batch only', () => {
    const events = [
      ev('a', '2026-12-03T11:59:59.999Z'),
      ev('b', '2026-12-03T12:00:00.000Z'),
      ev('c', '2026-12-02T23:30:00+00:00'),
      // 00:30 in UTC+02:00 is 22:30 UTC the day before.
      ev('d', '2026-12-03T00:30:00+02:00'),
      ev('e', '2026-12-03T12:59:00Z'),
    ];
    const files = partitionBatch(42, events);
    expect(files.map((f) => [f.key, f.events.map((e) => e.eventId)])).toEqual([
      ['lake/events/dt=2026-12-02/hour=22/part-b000000000042.parquet', ['d']],
      ['lake/events/dt=2026-12-02/hour=23/part-b000000000042.parquet', ['c']],
      ['lake/events/dt=2026-12-03/hour=11/part-b000000000042.parquet', ['a']],
      ['lake/events/dt=2026-12-03/hour=12/part-b000000000042.parquet', ['b', 'e']],
    ]);
    // Deterministic: the same batch again gives the same files, whatever the row order.
    expect(partitionBatch(42, [...events].reverse()).map((f) => f.key)).toEqual(files.map((f) => f.key));
    expect(partitionBatch(43, events)[0]!.key).toBe('lake/events/dt=2026-12-02/hour=22/part-b000000000043.parquet');
  });
});
