import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe-style: the header
 *
 *     Curta-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * signs `${t}.${body}` (the raw request body, byte for byte) with the
 * endpoint's secret. A receiver recomputes the HMAC over the body it received,
 * compares in constant time, and refuses a timestamp older (or newer) than its
 * replay window — five minutes by default — so a captured delivery cannot be
 * replayed later. `verifyWebhookSignature` below does all of it; it depends on
 * nothing but node:crypto, so receivers may copy it.
 */
export const SIGNATURE_HEADER = 'curta-signature';
export const DEFAULT_TOLERANCE_SEC = 300;

/** A new endpoint secret: `whsec_` and 32 random bytes (base64url). The whole string is the HMAC key. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for `body` signed at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

export type SignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch' };

/**
 * Checks a delivery: `header` is the Curta-Signature value, `body` the raw
 * body as received (not re-serialised JSON), `secret` the endpoint's.
 * Accepts any of several `v1=` entries (one per secret during a rotation).
 */
export function verifyWebhookSignature(opts: {
  header: string | undefined | null;
  body: string | Buffer;
  secret: string;
  toleranceSec?: number;
  /** Unix seconds; for tests. */
  now?: number;
}): SignatureCheck {
  const { header, secret, toleranceSec = DEFAULT_TOLERANCE_SEC } = opts;
  if (!header || header.length > 2000) return { ok: false, reason: 'malformed_header' };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: 'malformed_header' };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > toleranceSec) return { ok: false, reason: 'timestamp_outside_tolerance' };
  const body = typeof opts.body === 'string' ? opts.body : opts.body.toString('utf8');
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  const matches = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'signature_mismatch' };
}
