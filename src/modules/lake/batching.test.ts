import { describe, expect, it } from 'vitest';
import { closeReason, rowsForBytes } from './batching.js';
import { batchFileKey, compactedFileKey, parseLakeKey, partitionOf } from './lake-schema.js';

const hints = { maxEvents: 100, maxBytes: 10_000, maxAgeSec: 60 };
const now = new Date('2026-12-03T12:00:00Z');
const ago = (sec: number) => new Date(now.getTime() - sec * 1000);

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
    expect(rowsForBytes(0, 100, 1000)).toBe(0);
    expect(rowsForBytes(5, 500, 100)).toBe(1);
    expect(rowsForBytes(50, 40, 100)).toBe(2);
    expect(rowsForBytes(3, 40, 1000)).toBe(3);
    expect(rowsForBytes(7, 0, 1000)).toBe(7);
  });

  it('puts an event in the UTC (dt, hour) of its time, under a key the batch alone decides', () => {
    const cases: Array<[string, string]> = [
      ['2026-12-03T11:59:59.999Z', 'lake/events/dt=2026-12-03/hour=11/part-b000000000042.parquet'],
      ['2026-12-03T12:00:00.000Z', 'lake/events/dt=2026-12-03/hour=12/part-b000000000042.parquet'],
      // 00:30 in UTC+02:00 is 22:30 UTC the day before.
      ['2026-12-03T00:30:00+02:00', 'lake/events/dt=2026-12-02/hour=22/part-b000000000042.parquet'],
    ];
    for (const [at, key] of cases) {
      expect(batchFileKey(partitionOf(new Date(at)), 42)).toBe(key);
      expect(parseLakeKey(key)).toEqual(partitionOf(new Date(at)));
    }
    expect(batchFileKey({ dt: '2026-12-03', hour: 5 }, 43)).toBe('lake/events/dt=2026-12-03/hour=05/part-b000000000043.parquet');
    expect(compactedFileKey({ dt: '2026-12-03', hour: 5 }, 7)).toBe('lake/events/dt=2026-12-03/hour=05/part-c000000000007.parquet');
    // Not lake files: other prefixes, hours past 23, names without .parquet, nested folders.
    for (const key of [
      'lake/events/README.txt',
      'lake/events/dt=2026-12-03/hour=24/a.parquet',
      'lake/events/dt=2026-12-03/hour=05/x/a.parquet',
      'media/a.parquet',
    ]) {
      expect(parseLakeKey(key)).toBeNull();
    }
  });
});
