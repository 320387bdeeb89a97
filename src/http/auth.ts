import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { AccountsService } from '../modules/accounts/accounts.service.js';
import type { PublicUser } from '../modules/accounts/user.types.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: PublicUser | null;
    /** The raw bearer token, when one was sent and valid. */
    authToken: string | null;
  }
  interface FastifyContextConfig {
    /** false: the route checks its own Authorization header (it is not a session token). */
    sessionAuth?: boolean;
  }
}

/**
 * Resolves `Authorization: Bearer <token>` into `request.user`. A missing header
 * means anonymous; a present but unknown/expired token is a 401, so clients
 * notice a dead session instead of silently browsing logged out.
 */
export function registerAuth(app: FastifyInstance, accounts: AccountsService): void {
  app.decorateRequest('user', null);
  app.decorateRequest('authToken', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header || request.routeOptions.config?.sessionAuth === false) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new AppError('unauthorized', 'Malformed Authorization header; expected "Bearer <token>".');
    const user = await accounts.authenticate(match[1]);
    if (!user) throw new AppError('unauthorized', 'The session token is invalid, expired or revoked; log in again.');
    request.user = user;
    request.authToken = match[1];
  });
}

export function requireUser(request: FastifyRequest): PublicUser {
  if (!request.user) throw new AppError('unauthorized', 'Sign in first: send Authorization: Bearer <token>.');
  return request.user;
}

/** Admin-only endpoints: 401 when anonymous, 403 `forbidden` for everyone but admins. */
export function requireAdmin(request: FastifyRequest): PublicUser {
  const user = requireUser(request);
  if (user.role !== 'admin') throw new AppError('forbidden', 'Only admins can do this.');
  return user;
}
