import type { FastifyRequest } from 'fastify';
import type { PublicUser } from '../../modules/accounts/user.types.js';

/** Who is watching: the signed-in user, an anonymous device, both (a device that signed in) or neither. */
export interface Viewer {
  user: PublicUser | null;
  deviceId: string | null;
}

/**
 * The viewer of a request whose route declares `headers: DeviceHeader`: the
 * header was validated by the route's schema, so this only reads it.
 */
export function viewerOf(request: FastifyRequest<{ Headers: { 'x-device-id'?: string | undefined } }>): Viewer {
  return { user: request.user, deviceId: request.headers['x-device-id'] ?? null };
}
