import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, verifyWebhookSignature } from './signature.js';

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'evt_1', type: 'video.ready', createdAt: '2026-01-01T00:00:00.000Z', data: { video: { id: 'v' } } });
  const t = 1_800_000_000;

  it('verifies what it signed, within the replay window', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const header = signatureHeader(secret, body, t);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ header, body, secret, now: t + 299 })).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhookSignature({ header, body: Buffer.from(body), secret, now: t - 10 })).toMatchObject({ ok: true });
  });

  it('refuses a changed body, another secret, an old or future timestamp, and malformed headers', () => {
    const header = signatureHeader(secret, body, t);
    expect(verifyWebhookSignature({ header, body: body.replace('ready', 'failed'), secret, now: t })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifyWebhookSignature({ header, body, secret: newWebhookSecret(), now: t })).toMatchObject({ reason: 'signature_mismatch' });
    expect(verifyWebhookSignature({ header, body, secret, now: t + 301 })).toMatchObject({ reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhookSignature({ header, body, secret, now: t - 301 })).toMatchObject({ reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhookSignature({ header, body, secret, now: t + 1000, toleranceSec: 1200 })).toMatchObject({ ok: true });
    // A replayed signature with a fresh timestamp does not match: the timestamp is signed too.
    const replayed = header.replace(`t=${t}`, `t=${t + 1000}`);
    expect(verifyWebhookSignature({ header: replayed, body, secret, now: t + 1000 })).toMatchObject({ reason: 'signature_mismatch' });
    for (const bad of [undefined, '', 'v1=abc', `t=${t}`, `t=x,v1=${'0'.repeat(64)}`, 'garbage']) {
      expect(verifyWebhookSignature({ header: bad, body, secret, now: t }), String(bad)).toMatchObject({ reason: 'malformed_header' });
    }
  });

  it('accepts any one of several v1 signatures (a secret rotation)', () => {
    const other = signatureHeader(newWebhookSecret(), body, t).split(',')[1];
    const header = `${signatureHeader(secret, body, t)},${other}`;
    expect(verifyWebhookSignature({ header, body, secret, now: t })).toMatchObject({ ok: true });
  });
});
