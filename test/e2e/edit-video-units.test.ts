/** The edit sheet's pure parts (web/src/edit-video-model.ts), without a browser. */
import { describe, expect, it } from 'vitest';
import { editPatch, formatCoverTime, initialCoverMs } from '../../web/src/edit-video-model.js';

describe('the edit sheet', () => {
  it('formats cover times to the tenth of a second', () => {
    expect([0, 99, 100, 3450, 59_999, 61_200].map(formatCoverTime)).toEqual(['0:00.0', '0:00.0', '0:00.1', '0:03.4', '0:59.9', '1:01.2']);
  });

  it('starts the scrubber at the chosen cover, else where processing took the automatic one', () => {
    expect(initialCoverMs({ durationMs: 8000 })).toBe(1000);
    expect(initialCoverMs({ durationMs: 1500 })).toBe(750);
    expect(initialCoverMs({ durationMs: 8000, coverTimeMs: 4200 })).toBe(4200);
    // A cover past the (re-measured) end is clamped into the video.
    expect(initialCoverMs({ durationMs: 4000, coverTimeMs: 9000 })).toBe(3999);
    expect(initialCoverMs({ durationMs: null })).toBe(0);
  });

  it('sends only what changed, and the cover only when one was picked', () => {
    const view = { caption: 'a #b', visibility: 'public' as const, commentsEnabled: true };
    const same = { caption: 'a #b', visibility: 'public' as const, commentsEnabled: true, coverTimeMs: null };
    expect(editPatch(view, same)).toBeNull();
    expect(editPatch(view, { ...same, caption: 'c' })).toEqual({ caption: 'c' });
    expect(editPatch(view, { ...same, visibility: 'private', commentsEnabled: false })).toEqual({
      visibility: 'private',
      commentsEnabled: false,
    });
    expect(editPatch(view, { ...same, coverTimeMs: 0 })).toEqual({ coverTimeMs: 0 });
  });
});
