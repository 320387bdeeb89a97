import { describe, expect, it } from 'vitest';
import { oltpRows } from './events.repository.js';

const ev = (type: 'impression' | 'play' | 'progress' | 'complete' | 'skip', videoId: string, watchedMs: number | null = null) => ({
  type,
  videoId,
  watchedMs,
});

describe('oltpRows (what the OLTP events table keeps of a batch)', () => {
  it('keeps impressions, completes and skips; drops play/progress that add no longer watch', () => {
    expect(oltpRows([ev('impression', 'a'), ev('play', 'a'), ev('progress', 'a', 4000), ev('complete', 'a', 8000)])).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });

  it("keeps the longest play/progress when it watched longer than the kept events, or is the video's only event", () => {
    expect(oltpRows([ev('impression', 'a'), ev('play', 'a'), ev('progress', 'a', 1500), ev('progress', 'a', 3000)])).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(oltpRows([ev('play', 'b'), ev('progress', 'c', 0)])).toEqual([true, true]);
    expect(oltpRows([ev('skip', 'a', 500), ev('progress', 'a', 2500), ev('progress', 'b', 10)])).toEqual([true, true, true]);
    expect(oltpRows([ev('progress', 'a', 2500), ev('progress', 'a', 2500)])).toEqual([true, false]);
  });

  it('keeps every counted type even when repeated (rewatches, repeated impressions count)', () => {
    expect(oltpRows([ev('complete', 'a'), ev('complete', 'a'), ev('impression', 'a'), ev('impression', 'a'), ev('play', 'a')])).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});
