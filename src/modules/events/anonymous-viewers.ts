import { createHmac } from 'node:crypto';
import type { RateRule } from '../../config/config.js';
import type { RateLimiter } from '../safety/rate-limiter.js';

/**
 * Anonymous viewers name themselves (X-Device-Id), so one client can be any
 * number of them. What it cannot rotate as cheaply is its address, so
 * anonymous viewing is bounded per address (IPv4, or the IPv6 /64: the
 * rate limiter's `clientKey`):
 *
 * - an address may bring `EVENTS_NEW_DEVICES_PER_IP` new device ids per
 *   window; the events of devices beyond that are stored (the device's own
 *   For You history keeps working behind a crowded NAT) but never count —
 *   no views, no trial exposure, no training;
 * - the devices it did bring add at most `EVENTS_ANON_VIEWS_PER_IP` views
 *   to one video per UTC day (the view budget, kept in the database);
 * - trending counts anonymous viewers by distinct address.
 *
 * Signed-in viewers are not bounded this way: an account is one viewer, and
 * accounts cost a sign-up (rate-limited per address).
 */
export class DeviceAdmission {
  constructor(
    private readonly limiter: RateLimiter,
    /** New device ids per address per window; null: every device counts. */
    private readonly rule: RateRule | null,
  ) {}

  /**
   * Whether this device's events count: true for a device its address
   * already brought this window, or while the address is within its
   * allowance of new ones. Counters live where the rate limits' do (the
   * cache: Redis when configured), in windows aligned like theirs; only
   * admitted devices are remembered, so a flood of ids costs one counter.
   */
  async admit(address: string, deviceId: string): Promise<boolean> {
    if (!this.rule) return true;
    const seen = { limit: 1, windowSec: this.rule.windowSec };
    const known = `events:device:${address}:${deviceId}`;
    if ((await this.limiter.exhausted(known, seen)) !== null) return true;
    if ((await this.limiter.hit(`events:new-devices:${address}`, this.rule)) !== null) return false;
    await this.limiter.hit(known, seen);
    return true;
  }
}

/**
 * What view records store of an anonymous viewer's address: a keyed hash
 * (HMAC with the signing secret), enough to tell addresses apart, not to
 * recover one (the IPv4 space is small enough to reverse an unkeyed hash).
 */
export function addressTag(secret: string, address: string): string {
  return createHmac('sha256', secret).update(`view-address:${address}`).digest('base64url').slice(0, 22);
}
