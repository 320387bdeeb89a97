import { describe, expect, it } from 'vitest';
import { parseAnalyticsArgs, table } from './admin-analytics-command.js';
import { AdminAnalyticsQuery, addDays, daysBetween, isCalendarDate, resolveRange } from './admin-dashboard.schema.js';

describe('admin analytics ranges', () => {
  it('accepts real calendar dates only', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '20240101', "2024-01-01'", '', '2024-01-01T00:00:00Z']) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
  });

  it('fills defaults (28 days ending today) and refuses reversed or over-long ranges', () => {
    const now = new Date('2026-03-10T15:00:00Z');
    expect(resolveRange({}, now)).toEqual({ from: '2026-02-11', to: '2026-03-10' });
    expect(resolveRange({ to: '2026-01-28' }, now)).toEqual({ from: '2026-01-01', to: '2026-01-28' });
    expect(resolveRange({ from: '2026-03-02', to: '2026-03-01' }, now)).toEqual({ error: 'from (2026-03-02) is after to (2026-03-01)' });
    expect(resolveRange({ from: '2025-01-01', to: '2025-12-31' }, now)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(resolveRange({ from: '2024-01-01', to: '2024-12-31' }, now)).toEqual({ error: 'the range spans more than 365 days' });
    expect(daysBetween('2026-03-01', '2026-03-01')).toBe(1);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('the query schema reports the field', () => {
    const r = AdminAnalyticsQuery.safeParse({ from: '2026-03-05', to: '2026-03-01' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['from']);
    expect(AdminAnalyticsQuery.safeParse({ from: '2026-02-30' }).success).toBe(false);
    expect(AdminAnalyticsQuery.safeParse({}).success).toBe(true);
  });
});

describe('curta analytics arguments and tables', () => {
  it('parses options and refuses bad ones with a message', () => {
    expect(parseAnalyticsArgs(['--from', '2026-03-01', '--to', '2026-03-03', '--json'])).toMatchObject({
      range: { from: '2026-03-01', to: '2026-03-03' },
      json: true,
    });
    expect(parseAnalyticsArgs(['--creator', 'ana'])).toMatchObject({ creator: 'ana', json: false });
    expect(parseAnalyticsArgs(['--from', 'monday'])).toEqual({ error: '--from must be a date as YYYY-MM-DD (got "monday")' });
    expect(parseAnalyticsArgs(['--creator', ''])).toEqual({ error: '--creator needs a username' });
    expect(parseAnalyticsArgs(['--nope'])).toHaveProperty('error');
    expect(parseAnalyticsArgs(['positional'])).toHaveProperty('error');
  });

  it('pads columns and right-aligns numbers', () => {
    expect(
      table(
        ['queue', 'dead'],
        [
          ['video.process', 12],
          ['x', 1234],
        ],
      ),
    ).toEqual(['queue           dead', '-------------  -----', 'video.process     12', 'x              1,234']);
  });
});
