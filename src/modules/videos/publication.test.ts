import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { MAX_SCHEDULE_AHEAD_MS, publishAtFor, publishChoiceOf } from './publication.js';

const NOW = Date.parse('2030-06-01T12:00:00Z');

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
  return undefined;
};

describe('publishAtFor', () => {
  it('stores a draft as null, "now" as now, and a future time as that time', () => {
    expect(publishAtFor({ draft: true }, NOW)).toBeNull();
    expect(publishAtFor({ now: true }, NOW)?.getTime()).toBe(NOW);
    expect(publishAtFor({ publishAt: '2030-06-01T14:00:01+02:00' }, NOW)?.getTime()).toBe(NOW + 1000);
    expect(publishAtFor({ publishAt: '2030-06-01T12:00:02Z' }, NOW)?.toISOString()).toBe('2030-06-01T12:00:02.000Z');
  });

  it('refuses a time that has passed (or is now) and one too far ahead', () => {
    expect(codeOf(() => publishAtFor({ publishAt: '2030-06-01T12:00:00Z' }, NOW))).toBe('publish_time_invalid');
    expect(codeOf(() => publishAtFor({ publishAt: '2020-01-01T00:00:00Z' }, NOW))).toBe('publish_time_invalid');
    expect(codeOf(() => publishAtFor({ publishAt: new Date(NOW + MAX_SCHEDULE_AHEAD_MS).toISOString() }, NOW))).toBeUndefined();
    expect(codeOf(() => publishAtFor({ publishAt: new Date(NOW + MAX_SCHEDULE_AHEAD_MS + 1).toISOString() }, NOW))).toBe(
      'publish_time_invalid',
    );
    expect(codeOf(() => publishAtFor({ publishAt: 'soon' }, NOW))).toBe('publish_time_invalid');
  });
});

describe('publishChoiceOf', () => {
  it('reads a body: a time, a draft, publish now, or nothing to change', () => {
    expect(publishChoiceOf({ publishAt: 'x' })).toEqual({ publishAt: 'x' });
    expect(publishChoiceOf({ draft: true })).toEqual({ draft: true });
    expect(publishChoiceOf({ draft: false })).toEqual({ now: true });
    expect(publishChoiceOf({})).toBeNull();
  });
});
