import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { enforceRouteAuth } from '../lib/http/guards.js';
import type { RouteAuth } from '../lib/http/route.js';
import type { AccountsService } from '../modules/accounts/accounts.service.js';

/**
 * Resolves `Authorization: Bearer <token>` into `request.user`, then enforces
 * the route's declared `auth` — before the body is read, so an anonymous
 * upload is refused without receiving it. A missing header means anonymous;
 * a present but unknown/expired token is a 401, so clients notice a dead
 * session instead of silently browsing logged out.
 */
export function registerAuth(app: FastifyInstance, accounts: AccountsService): void {
  app.decorateRequest('user', null);
  app.decorateRequest('authToken', null);
  app.addHook('onRequest', async (request) => {
    const contract = request.routeOptions.config?.contract;
    const header = request.headers.authorization;
    // A route that reads its own Authorization header (the metrics scraper's token) is not a session.
    if (header && !contract?.ownAuthorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw new AppError('unauthorized', 'Malformed Authorization header; expected "Bearer <token>".');
      const user = await accounts.authenticate(match[1]);
      if (!user) throw new AppError('unauthorized', 'The session token is invalid, expired or revoked; log in again.');
      request.user = user;
      request.authToken = match[1];
    }
    enforceRouteAuth(request, contract?.auth as RouteAuth | undefined);
  });
}
