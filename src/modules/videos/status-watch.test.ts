import { describe, expect, it } from 'vitest';
import { VideoStatusWatch } from './status-watch.js';
import type { VideoRow } from './video.types.js';

const row = (id: string, progress = 0) => ({ id, progress }) as unknown as VideoRow;

function table(rows: VideoRow[]) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const reads: string[][] = [];
  return {
    byId,
    reads,
    load: async (ids: readonly string[]) => {
      reads.push([...ids]);
      return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
  };
}

describe('VideoStatusWatch', () => {
  it('reads every watched video in one query per tick, however many streams watch it', async () => {
    const t = table([row('a'), row('b')]);
    const watch = new VideoStatusWatch(t.load, 60_000);
    const seen: Array<[string, number | null]> = [];
    const stops = [
      ...Array.from({ length: 100 }, () => watch.watch('a', (r) => void seen.push(['a', r?.progress ?? null]))),
      watch.watch('b', (r) => void seen.push(['b', r?.progress ?? null])),
    ];
    await watch.tick();
    expect(t.reads).toEqual([['a', 'b']]);
    expect(seen.filter(([id]) => id === 'a')).toHaveLength(100);
    expect(seen.filter(([id]) => id === 'b')).toEqual([['b', 0]]);
    stops.forEach((stop) => stop());
    expect(watch.size).toBe(0);
    await watch.tick();
    expect(t.reads).toHaveLength(1); // nothing watched, nothing read
  });

  it('hands null for a video that is gone, and keeps going after a failed read', async () => {
    const t = table([row('a', 10)]);
    let fail = true;
    const warnings: string[] = [];
    const watch = new VideoStatusWatch(
      async (ids) => {
        if (fail) throw new Error('database away');
        return t.load(ids);
      },
      60_000,
      { warn: (_obj, msg) => void warnings.push(msg) },
    );
    const seen: Array<number | null> = [];
    const stop = watch.watch('a', (r) => void seen.push(r?.progress ?? null));
    await watch.tick();
    expect(seen).toEqual([]);
    expect(warnings).toHaveLength(1);
    fail = false;
    await watch.tick();
    t.byId.delete('a');
    await watch.tick();
    expect(seen).toEqual([10, null]);
    stop();
    stop(); // twice is harmless
  });

  it('reads large sets in chunks', async () => {
    const ids = Array.from({ length: 1203 }, (_, i) => `v${i}`);
    const t = table(ids.map((id) => row(id)));
    const watch = new VideoStatusWatch(t.load, 60_000);
    let calls = 0;
    const stops = ids.map((id) => watch.watch(id, () => (calls += 1)));
    await watch.tick();
    expect(t.reads.map((r) => r.length)).toEqual([500, 500, 203]);
    expect(calls).toBe(1203);
    stops.forEach((stop) => stop());
  });
});
