import { describe, expect, it } from 'vitest';
import { cleanText } from './text.js';

describe('cleanText', () => {
  it('strips control and bidi-override characters but keeps markup as text', () => {
    expect(cleanText('  hi\u0000 <b>x</b>\u0007\u202E  ', { multiline: true })).toBe('hi <b>x</b>');
  });
  it('keeps newlines only where lines are allowed', () => {
    expect(cleanText('a\r\nb\n\n\n\nc', { multiline: true })).toBe('a\nb\n\nc');
    expect(cleanText('a\nb\tc', { multiline: false })).toBe('a b c');
  });
  it('normalises to NFC', () => {
    expect(cleanText('a\u0301', { multiline: false })).toBe('\u00e1');
  });
});
