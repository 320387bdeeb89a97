import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config, RateLimitedAction } from '../config/config.js';
import { AppError } from '../errors.js';
import { clientKey, type RateLimiter } from '../modules/safety/rate-limiter.js';

const WHAT: Record<RateLimitedAction, string> = {
  signup: 'sign-ups from this address',
  login: 'login attempts',
  comment: 'comments',
  like: 'likes',
  share: 'shares',
  report: 'reports',
  upload: 'uploads',
  avatar: 'avatar uploads',
};

/** The username a login names (per-username limits count failed logins only). */
function loginName(request: FastifyRequest): string | null {
  const name = (request.body as { username?: unknown } | null | undefined)?.username;
  return typeof name === 'string' && name.length > 0 && name.length <= 64 ? name.toLowerCase() : null;
}

/**
 * Rate limits, declared per route (`rateLimit: 'comment'` in its contract) and
 * checked before the handler — after authentication, so per-user limits
 * know the user, and before any expensive work (password hashing). A
 * request over either limit is a 429 `rate_limited` with Retry-After.
 *
 * Login is special: every attempt counts per IP, but per username only
 * failed ones do (so a user who knows their password is never locked out by
 * their own logins), and a username that used up its failures is refused
 * until the window ends, whatever the password.
 */
export function registerRateLimits(app: FastifyInstance, limiter: RateLimiter, rules: Config['rateLimits']): void {
  app.addHook('preHandler', async (request) => {
    const action = request.routeOptions.config?.contract?.rateLimit;
    if (!action) return;
    const rule = rules[action];
    const checks: Array<Promise<number | null>> = [];
    if (rule.ip) checks.push(limiter.hit(`${action}:ip:${clientKey(request.ip)}`, rule.ip));
    if (rule.user) {
      if (action === 'login') {
        const name = loginName(request);
        if (name) checks.push(limiter.exhausted(`login:name:${name}`, rule.user));
      } else if (request.user) {
        checks.push(limiter.hit(`${action}:user:${request.user.id}`, rule.user));
      }
    }
    const waits = (await Promise.all(checks)).filter((s): s is number => s !== null);
    if (waits.length > 0) {
      const retryAfter = Math.max(...waits);
      throw new AppError('rate_limited', `Too many ${WHAT[action]}; try again in ${retryAfter} s.`, { action, retryAfter });
    }
  });

  const loginRule = rules.login.user;
  if (loginRule) {
    // Before the answer leaves, so the next attempt already sees the count.
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.routeOptions.config?.contract?.rateLimit === 'login' && reply.statusCode === 401) {
        const name = loginName(request);
        if (name) await limiter.hit(`login:name:${name}`, loginRule);
      }
      return payload;
    });
  }
}
