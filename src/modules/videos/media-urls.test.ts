import { describe, expect, it } from 'vitest';
import { MediaUrls, isPubliclyServable, withSharedMaxAge } from './media-urls.js';

const SECRET = 'k'.repeat(40);
const SIGNED = /\/media\/s\/(\d+)\/([\w-]+)\/([\w-]+)\/abc\/r1\//;

describe('MediaUrls', () => {
  it('gives plain URLs to public renditions and prefix-signed ones, bound to the viewer, to the rest', () => {
    const urls = new MediaUrls('https://cdn.example', SECRET, 3600, () => 1_000_000_000_000);
    expect(urls.forPrefix('media/abc/r1', true, 'viewer-1')('hls/master.m3u8')).toBe('https://cdn.example/media/abc/r1/hls/master.m3u8');
    const signed = urls.forPrefix('media/abc/r1', false, 'viewer-1')('hls/master.m3u8');
    const m = /^https:\/\/cdn\.example\/media\/s\/(\d+)\/([\w-]+)\/viewer-1\/abc\/r1\/hls\/master\.m3u8$/.exec(signed);
    expect(m).not.toBeNull();
    // Expiry at least the TTL away, rounded up to a 15-minute step.
    expect(Number(m![1]) % 900).toBe(0);
    expect(Number(m![1])).toBeGreaterThanOrEqual(1_000_000_000 + 3600);
    // The same signature covers every object under the prefix, for that viewer.
    const checked = urls.verify('media/abc/r1', m![1]!, m![2]!, 'viewer-1');
    expect(checked.viewerId).toBe('viewer-1');
    expect(checked.secondsLeft).toBeGreaterThan(3600);
  });

  it('signs "nobody signed in" as a viewer of its own', () => {
    const urls = new MediaUrls('http://x', SECRET, 600, () => 1_000_000_000_000);
    const [, exp, sig, viewer] = SIGNED.exec(urls.forPrefix('media/abc/r1', false, null)('poster.jpg'))!;
    expect(viewer).toBe('-');
    expect(urls.verify('media/abc/r1', exp!, sig!, '-').viewerId).toBeNull();
    expect(() => urls.verify('media/abc/r1', exp!, sig!, 'someone')).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
  });

  it('refuses another prefix, another viewer, a tampered expiry and an expired URL', () => {
    let now = 1_000_000_000_000;
    const urls = new MediaUrls('http://x', SECRET, 600, () => now);
    const [, exp, sig, viewer] = SIGNED.exec(urls.forPrefix('media/abc/r1', false, 'viewer-1')('poster.jpg'))!;
    const invalid = expect.objectContaining({ code: 'signature_invalid' });
    expect(() => urls.verify('media/other/r1', exp!, sig!, viewer!)).toThrow(invalid);
    expect(() => urls.verify('media/abc/r1', exp!, sig!, 'viewer-2')).toThrow(invalid);
    expect(() => urls.verify('media/abc/r1', exp!, sig!, '-')).toThrow(invalid);
    expect(() => urls.verify('media/abc/r1', exp!, sig!, 'a/b')).toThrow(invalid);
    expect(() => urls.verify('media/abc/r1', String(Number(exp) + 900), sig!, viewer!)).toThrow(invalid);
    expect(() => urls.verify('media/abc/r1', 'soon', sig!, viewer!)).toThrow(invalid);
    now = Number(exp) * 1000 + 1;
    expect(() => urls.verify('media/abc/r1', exp!, sig!, viewer!)).toThrow(expect.objectContaining({ code: 'signature_expired' }));
    expect(() =>
      new MediaUrls('http://x', 'another secret, also forty characters long', 600, () => 0).verify('media/abc/r1', exp!, sig!, viewer!),
    ).toThrow(invalid);
  });

  it('serves plainly only ready public or unlisted videos', () => {
    expect(isPubliclyServable({ status: 'ready', visibility: 'public' })).toBe(true);
    expect(isPubliclyServable({ status: 'ready', visibility: 'unlisted' })).toBe(true);
    expect(isPubliclyServable({ status: 'ready', visibility: 'followers' })).toBe(false);
    expect(isPubliclyServable({ status: 'ready', visibility: 'private' })).toBe(false);
    expect(isPubliclyServable({ status: 'processing', visibility: 'public' })).toBe(false);
  });
});

describe('withSharedMaxAge', () => {
  it('makes shared caches revalidate public answers after a few seconds while browsers keep theirs', () => {
    expect(withSharedMaxAge('public, max-age=31536000, immutable', 5)).toBe('public, max-age=31536000, s-maxage=5, immutable');
    expect(withSharedMaxAge('public, max-age=60', 5)).toBe('public, max-age=60, s-maxage=5');
  });

  it('leaves alone what is not public, not cacheable, already short or already says s-maxage', () => {
    for (const cc of ['no-cache', 'private, max-age=600', 'public, max-age=3', 'public, max-age=600, s-maxage=30', 'public, no-cache']) {
      expect(withSharedMaxAge(cc, 5)).toBe(cc);
    }
  });
});
