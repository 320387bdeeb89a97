/** The archived video's words (web/src/archive/archive-model.ts), without a browser. */
import { describe, expect, it } from 'vitest';
import { archiveHeadline, archiveOf, etaWords, phaseWords, retryAfterSec, waitWords } from '../../web/src/archive/archive-model.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const at = (sec: number) => new Date(NOW + sec * 1000).toISOString();
const restoring = (etaAt: string | null, phase: 'retrieving' | 'processing' = 'retrieving') =>
  ({ status: 'restoring', archive: { archivedAt: at(-86_400), restore: { phase, requestedAt: at(-10), etaAt } } }) as const;

describe('archived video words', () => {
  it('knows an archived or restoring video, and nothing else', () => {
    expect(archiveOf({ status: 'ready', archive: null })).toBeNull();
    expect(archiveOf({ status: 'archived', archive: { archivedAt: at(0), restore: null } })).toEqual({ archivedAt: at(0), restore: null });
    // A server that sent no archive block still gets the archived wording.
    expect(archiveOf({ status: 'restoring', archive: null })).toEqual({ archivedAt: '', restore: null });
  });

  it('says how long the wait is, coarsely', () => {
    expect(etaWords(null, NOW)).toBeNull();
    expect(etaWords('not a date', NOW)).toBeNull();
    expect(etaWords(at(-30), NOW)).toBe('any moment now');
    expect(etaWords(at(40), NOW)).toBe('under a minute');
    expect(etaWords(at(170), NOW)).toBe('about 3 min');
    expect(etaWords(at(4 * 3600 + 600), NOW)).toBe('about 4 h');
    expect(etaWords(at(4.3 * 3600), NOW)).toBe('about 4.5 h');
    expect(etaWords(at(30 * 3600), NOW)).toBe('about 30 h');
    expect(etaWords(at(3 * 86_400), NOW)).toBe('about 3 days');
  });

  it('reads "Archived — restoring, ready in about …"', () => {
    expect(archiveHeadline(restoring(at(300)), NOW)).toBe('Archived — restoring, ready in about 5 min');
    expect(archiveHeadline(restoring(null), NOW)).toBe('Archived — restoring, ready soon');
    expect(archiveHeadline(restoring(at(-5)), NOW)).toBe('Archived — restoring, ready any moment now');
    expect(archiveHeadline({ status: 'archived', archive: { archivedAt: at(0), restore: null } }, NOW)).toBe(
      'Archived — opening it brings it back',
    );
    expect(archiveHeadline({ status: 'ready', archive: null }, NOW)).toBe('');
    expect(phaseWords('retrieving')).toMatch(/archive/);
    expect(phaseWords('processing')).toMatch(/playback/);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterSec('120', NOW)).toBe(120);
    expect(retryAfterSec('0', NOW)).toBe(1);
    expect(retryAfterSec(new Date(NOW + 90_500).toUTCString(), NOW)).toBe(90);
    expect(retryAfterSec(null, NOW)).toBe(60);
    expect(retryAfterSec('soon', NOW, 30)).toBe(30);
    expect([5, 59, 60, 1800, 5400].map(waitWords)).toEqual(['5 s', '59 s', '1 min', '30 min', '1.5 h']);
  });
});
