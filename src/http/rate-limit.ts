import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, RateLimitedAction, RateRule } from '../config/config.js';
import { AppError } from '../errors.js';
import { DEVICE_ID_PATTERN } from '../lib/http/api-schemas.js';
import { clientKey, type RateLimiter, type Reservation, type WindowState } from '../modules/safety/rate-limiter.js';

const WHAT: Record<RateLimitedAction, string> = {
  signup: 'sign-ups from this address',
  login: 'login attempts',
  comment: 'comments',
  like: 'likes',
  share: 'shares',
  report: 'reports',
  upload: 'uploads',
  events: 'playback event batches',
  account: 'password checks',
  export: 'data exports',
  avatar: 'avatar uploads',
  search: 'searches',
};

/**
 * The limits a request counted against, as the IETF draft "RateLimit header
 * fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-08 and later, structured
 * fields) writes them: one policy per limit, named `<action>-<ip|user|device>`,
 *
 *     RateLimit-Policy: "comment-ip";q=120;w=60, "comment-user";q=30;w=60
 *     RateLimit: "comment-ip";r=119;t=42, "comment-user";r=29;t=42
 *
 * `q` is the quota and `w` the window in seconds; `r` what remains of it and `t`
 * the seconds until the window starts over. (The per-username count of failed
 * logins is not shown: it would tell anyone how often others guessed at a name.)
 */
export function setRateLimitHeaders(reply: FastifyReply, states: ReadonlyArray<readonly [string, WindowState]>): void {
  if (states.length === 0) return;
  reply.header('ratelimit-policy', states.map(([name, s]) => `"${name}";q=${s.rule.limit};w=${s.rule.windowSec}`).join(', '));
  reply.header('ratelimit', states.map(([name, s]) => `"${name}";r=${s.remaining};t=${s.resetSec}`).join(', '));
}

/** The username a login names (per-username limits count failed logins only). */
function loginName(request: FastifyRequest): string | null {
  const name = (request.body as { username?: unknown } | null | undefined)?.username;
  return typeof name === 'string' && name.length > 0 && name.length <= 64 ? name.toLowerCase() : null;
}

/**
 * Rate limits, declared per route (`rateLimit: 'comment'` in its contract) and
 * checked before the handler — after authentication, so per-user limits
 * know the user, and before any expensive work (password hashing). Actions
 * with a `device` rule also count per X-Device-Id when the request names one. A
 * request over either limit is a 429 `rate_limited` with Retry-After.
 *
 * Login is special: every attempt counts per IP, but per username only
 * failed ones are kept (so a user who knows their password is never locked
 * out by their own logins), and a username that used up its failures is
 * refused until the window ends, whatever the password. The attempt is
 * reserved before the password is verified and given back unless the answer
 * is 401: concurrent guesses can never all be checked against a count that
 * none of them has raised yet, so at most `limit` passwords per window are
 * ever verified (attempts still in flight hold their place).
 */
export function registerRateLimits(app: FastifyInstance, limiter: RateLimiter, rules: Config['rateLimits']): void {
  const reservations = new WeakMap<FastifyRequest, Reservation>();

  app.addHook('preHandler', async (request, reply) => {
    const action = request.routeOptions.config?.contract?.rateLimit;
    if (!action) return;
    const rule = rules[action];
    const checks: Array<Promise<[string, WindowState]>> = [];
    const take = (policy: string, key: string, r: RateRule) =>
      checks.push(limiter.take(key, r).then((state): [string, WindowState] => [`${action}-${policy}`, state]));
    let loginKey: string | null = null;
    if (rule.ip) take('ip', `${action}:ip:${clientKey(request.ip)}`, rule.ip);
    // Per device where the route names one (its X-Device-Id, already validated by the route's header schema).
    const device = request.headers['x-device-id'];
    if (rule.device && typeof device === 'string' && DEVICE_ID_PATTERN.test(device)) {
      take('device', `${action}:device:${device}`, rule.device);
    }
    if (rule.user) {
      if (action === 'login') {
        const name = loginName(request);
        if (name) loginKey = `login:name:${name}`;
      } else if (request.user) {
        take('user', `${action}:user:${request.user.id}`, rule.user);
      }
    }
    const states = await Promise.all(checks);
    setRateLimitHeaders(reply, states);
    const waits = states.map(([, s]) => s.retryAfter).filter((s): s is number => s !== null);
    // Only an attempt that passed every other limit takes one of the username's.
    if (waits.length === 0 && loginKey && rule.user) {
      const reservation = await limiter.reserve(loginKey, rule.user);
      if (reservation.retryAfter === null) reservations.set(request, reservation);
      else waits.push(reservation.retryAfter);
    }
    if (waits.length > 0) {
      const retryAfter = Math.max(...waits);
      throw new AppError('rate_limited', `Too many ${WHAT[action]}; try again in ${retryAfter} s.`, { action, retryAfter });
    }
  });

  // Before the answer leaves, so the next attempt already sees the count.
  app.addHook('onSend', async (request, reply, payload) => {
    const reservation = reservations.get(request);
    if (reservation) {
      reservations.delete(request);
      if (reply.statusCode !== 401) await reservation.release();
    }
    return payload;
  });
}
