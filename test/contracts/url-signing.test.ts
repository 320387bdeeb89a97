import { describe, expect, it } from 'vitest';
import { assertValidSignature, canonicalString, expiryFromNow, sign, verify, type SignedRequestFields } from '../../src/lib/url-signing.js';
import { rejectsWithCode } from './support.js';

const secret = 'a-secret-of-at-least-thirty-two-characters';
const fields: SignedRequestFields = {
  method: 'GET',
  path: 'videos/v1/720/seg_001.m4s',
  expires: 2_000_000_000,
  params: { user: 'u1', variant: '720' },
};

describe('url-signing', () => {
  it('verifies its own signatures, whatever the parameter order', () => {
    const sig = sign(secret, fields);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verify(secret, fields, sig)).toBe(true);
    expect(verify(secret, { ...fields, params: { variant: '720', user: 'u1' } }, sig)).toBe(true);
  });

  it('rejects a change to any signed component or the secret', () => {
    const sig = sign(secret, fields);
    expect(verify(secret, { ...fields, method: 'PUT' }, sig)).toBe(false);
    expect(verify(secret, { ...fields, path: 'videos/v1/720/seg_002.m4s' }, sig)).toBe(false);
    expect(verify(secret, { ...fields, expires: fields.expires + 1 }, sig)).toBe(false);
    expect(verify(secret, { ...fields, params: { user: 'u2', variant: '720' } }, sig)).toBe(false);
    expect(verify(secret, { ...fields, params: { user: 'u1' } }, sig)).toBe(false);
    expect(verify(`${secret}x`, fields, sig)).toBe(false);
    expect(verify(secret, fields, sig.slice(0, -2))).toBe(false);
    expect(verify(secret, fields, '')).toBe(false);
  });

  it('cannot be confused by separators inside values', () => {
    const a = canonicalString({ method: 'GET', path: 'a', expires: 1, params: { x: '1&y=2' } });
    const b = canonicalString({ method: 'GET', path: 'a', expires: 1, params: { x: '1', y: '2' } });
    expect(a).not.toBe(b);
    const absent = canonicalString({ method: 'GET', path: 'a', expires: 1, params: { x: undefined } });
    const empty = canonicalString({ method: 'GET', path: 'a', expires: 1, params: { x: '' } });
    expect(absent).not.toBe(empty);
  });

  it('distinguishes invalid from expired, checking the signature first', async () => {
    const sig = sign(secret, fields);
    const at = (ms: number) => async () => assertValidSignature(secret, fields, sig, ms);
    await at(fields.expires * 1000 - 1)();
    await rejectsWithCode(at(fields.expires * 1000)(), 'signature_expired');
    await rejectsWithCode((async () => assertValidSignature(secret, { ...fields, expires: 1 }, sig, 0))(), 'signature_invalid');
    await rejectsWithCode((async () => assertValidSignature(secret, fields, undefined, 0))(), 'signature_invalid');
  });

  it('computes expiry in whole seconds and refuses non-positive lifetimes', async () => {
    expect(expiryFromNow(60, 1_000_999)).toBe(1060);
    await rejectsWithCode((async () => expiryFromNow(0))(), 'validation_failed');
    await rejectsWithCode((async () => expiryFromNow(1.5))(), 'validation_failed');
  });
});
