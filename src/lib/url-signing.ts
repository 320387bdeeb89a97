import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * HMAC-SHA256 signatures for URLs the API itself serves (signed PUT uploads in
 * embedded mode today, signed private GETs later). The signature covers the
 * method, the path, the expiry and every extra parameter, so changing any of
 * them invalidates it.
 */
export interface SignedRequestFields {
  method: 'GET' | 'HEAD' | 'PUT';
  /** Object key or URL path; anything the verifier can reconstruct exactly. */
  path: string;
  /** Expiry as Unix time in whole seconds. */
  expires: number;
  /** Further signed values; absent and empty-string values are distinct. */
  params?: Readonly<Record<string, string | undefined>>;
}

/**
 * Unambiguous text the signature is computed over: every component is
 * percent-encoded, so no value can contain the separators.
 */
export function canonicalString(fields: SignedRequestFields): string {
  const params = Object.entries(fields.params ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return ['curta-v1', fields.method, encodeURIComponent(fields.path), String(fields.expires), params].join('\n');
}

/** base64url HMAC-SHA256 of the canonical string. */
export function sign(secret: string | Buffer, fields: SignedRequestFields): string {
  if (secret.length === 0) throw new Error('signing secret must not be empty');
  return createHmac('sha256', secret).update(canonicalString(fields)).digest('base64url');
}

/** Constant-time check of a signature; says nothing about expiry. */
export function verify(secret: string | Buffer, fields: SignedRequestFields, signature: string): boolean {
  const expected = Buffer.from(sign(secret, fields), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  // Lengths are public (always 32 bytes for a genuine signature); compare
  // against a same-length buffer so timingSafeEqual never throws.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, given);
}

/**
 * Throws AppError('signature_invalid') when the signature does not match the
 * fields (anything tampered with, expiry included) and
 * AppError('signature_expired') when it matches but `expires` has passed.
 */
export function assertValidSignature(
  secret: string | Buffer,
  fields: SignedRequestFields,
  signature: string | undefined,
  nowMs: number = Date.now(),
): void {
  if (!signature || !Number.isSafeInteger(fields.expires) || !verify(secret, fields, signature)) {
    throw new AppError('signature_invalid', 'The URL signature is invalid.');
  }
  if (nowMs >= fields.expires * 1000) {
    throw new AppError('signature_expired', 'The signed URL has expired.');
  }
}

/** Expiry (Unix seconds) `expiresInSec` from `nowMs`. */
export function expiryFromNow(expiresInSec: number, nowMs: number = Date.now()): number {
  if (!Number.isInteger(expiresInSec) || expiresInSec < 1) {
    throw new AppError('validation_failed', 'expiresInSec must be a positive integer.');
  }
  return Math.floor(nowMs / 1000) + expiresInSec;
}
