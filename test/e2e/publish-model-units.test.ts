/** The creator's publishing controls and stats, their pure parts (web/src/studio/publish-model.ts), without a browser. */
import { describe, expect, it } from 'vitest';
import {
  defaultScheduleTime,
  formatCount,
  formatWatch,
  fromLocalInput,
  MAX_SCHEDULE_AHEAD_MS,
  publishFields,
  scheduleProblem,
  toLocalInput,
} from '../../web/src/studio/publish-model.js';

describe('publishing in the studio', () => {
  it('round-trips a datetime-local value in the local zone, and refuses what is not one', () => {
    const t = new Date(2026, 11, 3, 18, 30).getTime();
    expect(toLocalInput(t)).toBe('2026-12-03T18:30');
    expect(fromLocalInput('2026-12-03T18:30')).toBe(t);
    expect(fromLocalInput('2026-12-03T18:30:15')).toBe(t + 15_000);
    for (const bad of ['', 'tomorrow', '2026-12-03', '2026-12-03 18:30']) expect(fromLocalInput(bad), bad).toBeNull();
  });

  it('starts the picker on a whole hour at least half an hour away', () => {
    const now = new Date(2026, 11, 3, 18, 45).getTime();
    expect(defaultScheduleTime(now)).toBe(new Date(2026, 11, 3, 20, 0).getTime());
    const early = new Date(2026, 11, 3, 18, 10).getTime();
    expect(defaultScheduleTime(early)).toBe(new Date(2026, 11, 3, 19, 0).getTime());
  });

  it('says what is wrong with a publish time the way the server would refuse it', () => {
    const now = Date.UTC(2026, 11, 3, 12);
    expect(scheduleProblem(null, now)).toMatch(/Choose/);
    expect(scheduleProblem(now, now)).toMatch(/passed/);
    expect(scheduleProblem(now - 60_000, now)).toMatch(/passed/);
    expect(scheduleProblem(now + 60_000, now)).toBeNull();
    expect(scheduleProblem(now + MAX_SCHEDULE_AHEAD_MS, now)).toBeNull();
    expect(scheduleProblem(now + MAX_SCHEDULE_AHEAD_MS + 1, now)).toMatch(/90 days/);
  });

  it('creates an upload as a draft, at a time, or to go out when ready', () => {
    expect(publishFields('now', 123)).toEqual({});
    expect(publishFields('draft', 123)).toEqual({ draft: true });
    expect(publishFields('schedule', Date.UTC(2030, 0, 1))).toEqual({ publishAt: '2030-01-01T00:00:00.000Z' });
    expect(publishFields('schedule', null)).toEqual({});
  });

  it('reads counts and watch times the way people read them', () => {
    expect([0, 999, 1000, 1250, 15_400, 999_999, 3_400_000, 2e9].map(formatCount)).toEqual([
      '0',
      '999',
      '1K',
      '1.2K',
      '15K',
      '999K',
      '3.4M',
      '2B',
    ]);
    expect([null, 0, 3240, 59_940, 65_000].map(formatWatch)).toEqual(['—', '0.0 s', '3.2 s', '59.9 s', '1:05']);
  });
});
