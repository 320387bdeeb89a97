import { randomBytes } from 'node:crypto';

/** URL-safe random id (base64url), 16 characters = 96 bits by default. */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
