import { describe, expect, it } from 'vitest';
import { normalizeTag, parseCaption } from './caption.js';

describe('parseCaption', () => {
  it('finds hashtags in any script, normalised and unique, in order', () => {
    expect(parseCaption('Sunset #Beach #praia #Beach #ação #日本 #2024').hashtags).toEqual(['beach', 'praia', 'ação', '日本', '2024']);
  });

  it('ignores things that only look like tags', () => {
    expect(parseCaption('a#b &#38; ## # x#').hashtags).toEqual([]);
    expect(parseCaption('(#ok) line\n#two').hashtags).toEqual(['ok', 'two']);
  });

  it('finds mentions, not e-mail addresses, and drops a trailing full stop', () => {
    expect(parseCaption('thanks @Alice. and @bob_b, mail me@example.com @x @alice').mentions).toEqual(['alice', 'bob_b']);
  });

  it('caps the number of tags', () => {
    const caption = Array.from({ length: 40 }, (_, i) => `#t${i}`).join(' ');
    expect(parseCaption(caption).hashtags).toHaveLength(30);
  });

  it('normalises a tag given with or without #', () => {
    expect(normalizeTag('#Praia')).toBe('praia');
    expect(normalizeTag('no spaces')).toBeNull();
    expect(normalizeTag('')).toBeNull();
  });
});
