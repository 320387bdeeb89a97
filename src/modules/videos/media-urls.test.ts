import { describe, expect, it } from 'vitest';
import { MediaUrls, isPubliclyServable } from './media-urls.js';

const SECRET = 'k'.repeat(40);

describe('MediaUrls', () => {
  it('gives plain URLs to public renditions and prefix-signed ones to the rest', () => {
    const urls = new MediaUrls('https://cdn.example', SECRET, 3600, () => 1_000_000_000_000);
    expect(urls.forPrefix('media/abc/r1', true)('hls/master.m3u8')).toBe('https://cdn.example/media/abc/r1/hls/master.m3u8');
    const signed = urls.forPrefix('media/abc/r1', false)('hls/master.m3u8');
    const m = /^https:\/\/cdn\.example\/media\/s\/(\d+)\/([\w-]+)\/abc\/r1\/hls\/master\.m3u8$/.exec(signed);
    expect(m).not.toBeNull();
    // Expiry at least the TTL away, rounded up to a 15-minute step.
    expect(Number(m![1]) % 900).toBe(0);
    expect(Number(m![1])).toBeGreaterThanOrEqual(1_000_000_000 + 3600);
    // The same signature covers every object under the prefix.
    expect(urls.verify('media/abc/r1', m![1]!, m![2]!)).toBeGreaterThan(3600);
  });

  it('refuses another prefix, a tampered expiry and an expired URL', () => {
    let now = 1_000_000_000_000;
    const urls = new MediaUrls('http://x', SECRET, 600, () => now);
    const [, exp, sig] = /\/media\/s\/(\d+)\/([\w-]+)\//.exec(urls.forPrefix('media/abc/r1', false)('poster.jpg'))!;
    expect(() => urls.verify('media/other/r1', exp!, sig!)).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
    expect(() => urls.verify('media/abc/r1', String(Number(exp) + 900), sig!)).toThrow(
      expect.objectContaining({ code: 'signature_invalid' }),
    );
    expect(() => urls.verify('media/abc/r1', 'soon', sig!)).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
    now = Number(exp) * 1000 + 1;
    expect(() => urls.verify('media/abc/r1', exp!, sig!)).toThrow(expect.objectContaining({ code: 'signature_expired' }));
    expect(() =>
      new MediaUrls('http://x', 'another secret, also forty characters long', 600, () => 0).verify('media/abc/r1', exp!, sig!),
    ).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
  });

  it('serves plainly only ready public or unlisted videos', () => {
    expect(isPubliclyServable({ status: 'ready', visibility: 'public' })).toBe(true);
    expect(isPubliclyServable({ status: 'ready', visibility: 'unlisted' })).toBe(true);
    expect(isPubliclyServable({ status: 'ready', visibility: 'followers' })).toBe(false);
    expect(isPubliclyServable({ status: 'ready', visibility: 'private' })).toBe(false);
    expect(isPubliclyServable({ status: 'processing', visibility: 'public' })).toBe(false);
  });
});
