import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { PublicUser } from '../../modules/accounts/user.types.js';
import type { RouteAuth } from './route.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in caller, or null (set by the session hook). */
    user: PublicUser | null;
    /** The raw bearer token, when one was sent and valid. */
    authToken: string | null;
  }
}

function requireUser(request: FastifyRequest): PublicUser {
  if (!request.user) throw new AppError('unauthorized', 'Sign in first: send Authorization: Bearer <token>.');
  return request.user;
}

/** Admin-only endpoints: 401 when anonymous, 403 `forbidden` for everyone but admins. */
function requireAdmin(request: FastifyRequest): PublicUser {
  const user = requireUser(request);
  if (user.role !== 'admin') throw new AppError('forbidden', 'Only admins can do this.');
  return user;
}

/** Enforces a route's declared `auth` (after the session token was resolved). */
export function enforceRouteAuth(request: FastifyRequest, auth: RouteAuth | undefined): void {
  if (auth === 'user') requireUser(request);
  else if (auth === 'admin') requireAdmin(request);
}
