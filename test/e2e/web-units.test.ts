/**
 * The web app's pure parts, without a browser: its URLs, the playback
 * events a viewing turns into (the semantics the recommender relies on),
 * and when a stall at a video's end counts as its end.
 */
import { describe, expect, it } from 'vitest';
import { compactCount } from '../../web/src/caption.js';
import { END_STALL_MS, END_STALL_WINDOW_S, EndStallGuard, type MediaClock } from '../../web/src/end-guard.js';
import { WatchSession, type EventQueue } from '../../web/src/events.js';
import { parseRoute } from '../../web/src/router.js';
import type { PlaybackEvent } from '../../web/src/types.js';

const route = (url: string) => {
  const u = new URL(url, 'http://x');
  return parseRoute({ pathname: u.pathname, search: u.search });
};

describe('web routes', () => {
  it('maps every page to its URL', () => {
    expect(route('/')).toEqual({ name: 'for-you' });
    expect(route('/following')).toEqual({ name: 'following' });
    expect(route('/v/abcDEF12_-')).toEqual({ name: 'video', id: 'abcDEF12_-' });
    expect(route('/?v=abcDEF12')).toEqual({ name: 'video', id: 'abcDEF12' });
    expect(route('/@alice.b')).toEqual({ name: 'profile', username: 'alice.b' });
    expect(route('/tag/caf%C3%A9')).toEqual({ name: 'tag', tag: 'café' });
    expect(route('/search?q=a%20b')).toEqual({ name: 'search', q: 'a b' });
    expect(route('/search')).toEqual({ name: 'search', q: '' });
    expect(route('/settings/')).toEqual({ name: 'settings' });
    expect(route('/upload')).toEqual({ name: 'upload' });
    expect(route('/nope')).toEqual({ name: 'not-found' });
    expect(route('/v/%E0%A4%A')).toEqual({ name: 'not-found' });
    expect(route('/studio/analytics')).toEqual({ name: 'analytics' });
    expect(route('/studio/analytics?days=7')).toEqual({ name: 'analytics', days: 7 });
    expect(route('/studio/analytics/abcDEF12?days=13')).toEqual({ name: 'analytics', videoId: 'abcDEF12' });
    expect(route('/studio/analytics/a/b')).toEqual({ name: 'not-found' });
  });

  it('writes counts compactly', () => {
    expect([0, 999, 1000, 1250, 99_999, 100_500, 1_500_000].map(compactCount)).toEqual(['0', '999', '1K', '1.2K', '99.9K', '100K', '1.5M']);
  });
});

describe('playback events of one viewing', () => {
  const queue = () => {
    const events: Array<Omit<PlaybackEvent, 'at'>> = [];
    return { events, q: { push: (e: Omit<PlaybackEvent, 'at'>) => events.push(e) } as unknown as EventQueue };
  };
  /** Plays from `from` to `to` seconds in 0.25 s steps. */
  const play = (w: WatchSession, from: number, to: number) => {
    for (let t = from; t <= to + 1e-9; t += 0.25) w.onTime(t, true);
  };

  it('impression when current, play once, progress with cumulative time, a skip when left early', () => {
    const { events, q } = queue();
    const w = new WatchSession(q, 'vid00001', 20_000);
    w.onPlaying(0);
    play(w, 0, 6);
    w.onPlaying(6); // resumed after a pause: no second play
    play(w, 6, 8);
    w.end();
    w.end(); // once only
    expect(events.map((e) => e.type)).toEqual(['impression', 'play', 'progress', 'skip']);
    expect(events[2]).toMatchObject({ type: 'progress', watchedMs: 5000 });
    expect(events[3]).toMatchObject({ type: 'skip', watchedMs: 8000 });
  });

  it('a complete on every loop, and no skip after one', () => {
    const { events, q } = queue();
    const w = new WatchSession(q, 'vid00002', 4_000);
    w.onPlaying(0);
    play(w, 0, 4);
    w.onComplete();
    play(w, 0, 4);
    w.onComplete();
    play(w, 0, 1);
    w.end();
    expect(events.map((e) => e.type)).toEqual(['impression', 'play', 'complete', 'progress', 'complete', 'progress']);
    expect(events.filter((e) => e.type === 'complete').map((e) => e.watchedMs)).toEqual([4000, 8000]);
    expect(events.at(-1)).toMatchObject({ type: 'progress', watchedMs: 9000 });
  });

  it('seeks and paused time do not count as watched; past half is not a skip', () => {
    const { events, q } = queue();
    const w = new WatchSession(q, 'vid00003', 10_000);
    w.onPlaying(0);
    play(w, 0, 2);
    w.onSeek(5); // scrubbed ahead
    w.onTime(5, true);
    play(w, 5, 8);
    w.onTime(8, false); // paused
    w.onTime(9, false);
    w.end();
    expect(Math.round(w.watched)).toBe(5000);
    expect(events.map((e) => e.type)).toEqual(['impression', 'play', 'progress']);
  });

  it('every event of a viewing names where the viewer found the video, when the feed knows', () => {
    const { events, q } = queue();
    const w = new WatchSession(q, 'vid00004', 4_000, 'hashtag');
    w.onPlaying(0);
    play(w, 0, 4);
    w.onComplete();
    w.end();
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.source === 'hashtag')).toBe(true);
    const unknown = queue();
    new WatchSession(unknown.q, 'vid00005', 4_000).end();
    expect(unknown.events.every((e) => !('source' in e))).toBe(true);
  });
});

describe('a stall at the end of a video', () => {
  const clock = (currentTime: number, over: Partial<MediaClock> = {}): MediaClock => ({
    currentTime,
    duration: 8.13,
    paused: false,
    ended: false,
    seeking: false,
    ...over,
  });
  /** Feeds the guard the same state every 250 ms from `from` ms for `forMs`; the first time it fires, or null. */
  const hold = (g: EndStallGuard, m: MediaClock, from: number, forMs: number): number | null => {
    for (let t = from; t <= from + forMs; t += 250) if (g.check(m, t)) return t;
    return null;
  };

  it('is the end once time has stood still that close to the duration for long enough', () => {
    const g = new EndStallGuard();
    // Playing normally up to 7.98 s of 8.13 s (the video): no end while time moves.
    for (let i = 0; i <= 30; i++) expect(g.check(clock(7 + i * 0.033), i * 33)).toBe(false);
    const fired = hold(g, clock(7.98), 2000, 3000);
    expect(fired).not.toBeNull();
    expect(fired! - 2000).toBeGreaterThanOrEqual(END_STALL_MS);
    expect(fired! - 2000).toBeLessThan(END_STALL_MS + 500);
    // Once: the next stall is a new one, timed from scratch.
    expect(g.check(clock(7.98), fired! + 250)).toBe(false);
  });

  it('is not the end further from the duration, paused, seeking, ended or without a duration', () => {
    const far = 8.13 - END_STALL_WINDOW_S - 0.05;
    expect(hold(new EndStallGuard(), clock(far), 0, 10_000)).toBeNull();
    expect(hold(new EndStallGuard(), clock(8.0, { paused: true }), 0, 10_000)).toBeNull();
    expect(hold(new EndStallGuard(), clock(8.0, { seeking: true }), 0, 10_000)).toBeNull();
    expect(hold(new EndStallGuard(), clock(8.13, { ended: true }), 0, 10_000)).toBeNull();
    expect(hold(new EndStallGuard(), clock(8.0, { duration: Number.NaN }), 0, 10_000)).toBeNull();
    expect(hold(new EndStallGuard(), clock(8.0, { duration: Number.POSITIVE_INFINITY }), 0, 10_000)).toBeNull();
  });

  it('starts counting again after a pause or a seek', () => {
    const g = new EndStallGuard();
    expect(hold(g, clock(8.0), 0, END_STALL_MS - 250)).toBeNull();
    expect(g.check(clock(8.0, { paused: true }), END_STALL_MS)).toBe(false);
    // Resumed and still stuck: a full stall period from here, not from the first sighting.
    expect(g.check(clock(8.0), END_STALL_MS + 250)).toBe(false);
    expect(g.check(clock(8.0), 2 * END_STALL_MS)).toBe(false);
    expect(g.check(clock(8.0), 2 * END_STALL_MS + 250)).toBe(true);
  });
});

describe('analytics page helpers', () => {
  it('picks the last N days, today included, and formats figures', async () => {
    const m = await import('../../web/src/pages/analytics-model.js');
    expect(m.rangeOf(7, Date.parse('2026-03-10T15:00:00Z'))).toEqual({ from: '2026-03-04', to: '2026-03-10' });
    expect(m.rangeOf(28, Date.parse('2026-03-01T00:00:00Z'))).toEqual({ from: '2026-02-02', to: '2026-03-01' });
    expect(m.formatDurationMs(83_000)).toBe('1:23');
    expect(m.formatDurationMs(3_725_000)).toBe('1:02:05');
    expect(m.formatWatchTime(42 * 60_000)).toBe('42 min');
    expect(m.formatWatchTime(750 * 60_000)).toBe('12.5 h');
    expect(m.formatPercent(0.1234)).toBe('12.3%');
    expect(m.formatPercent(null)).toBe('–');
  });
});
