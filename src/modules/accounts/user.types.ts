/**
 * Who an account is, in the shapes other modules see: the signed-in user
 * every service is handed, and the summary row lists of people read. Kept
 * apart from the accounts service and repositories so modules that only
 * need the shape do not depend on them.
 */

export type Role = 'user' | 'admin';

export interface PublicUser {
  id: string;
  username: string;
  /** `admin` sees the report queue and moderates (granted with `curta admin grant <username>`). */
  role: Role;
  createdAt: string;
}

/** The few fields lists of people show. */
export interface UserSummaryRow {
  id: string;
  username: string;
  display_name: string;
  avatar_key: string | null;
}
