import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { SESSION_PRUNE_BATCH, type AccountsRepository, type UserRow } from './accounts.repository.js';
import type { ChangePasswordInput, CredentialsInput as Credentials } from './accounts.schema.js';
import type { PublicUser } from './user.types.js';

export interface AuthResult {
  user: PublicUser;
  token: string;
}

// OWASP's argon2id baseline (19 MiB, t=2, p=1). @node-rs/argon2 defaults to argon2id;
// its Algorithm enum is a const enum we cannot import under verbatimModuleSyntax.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function toPublicUser(u: UserRow): PublicUser {
  return { id: u.id, username: u.username, role: u.role ?? 'user', createdAt: new Date(u.created_at).toISOString() };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class AccountsService {
  /** Verified against when a username does not exist, so both paths cost the same. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly repo: AccountsRepository,
    private readonly sessionTtlDays: number,
  ) {}

  async signup(input: Credentials): Promise<AuthResult> {
    const passwordHash = await hash(input.password, ARGON2);
    const user = await this.repo.insertUser(randomId(), input.username, passwordHash);
    if (!user) throw new AppError('username_taken', `The username "${input.username}" is already taken.`);
    return { user: toPublicUser(user), token: await this.openSession(user.id) };
  }

  async login(input: Credentials): Promise<AuthResult> {
    const user = await this.repo.findByUsername(input.username);
    if (!user) {
      this.dummyHash ??= hash(randomBytes(16).toString('hex'), ARGON2);
      await verify(await this.dummyHash, input.password);
      throw new AppError('invalid_credentials', 'Wrong username or password.');
    }
    if (!(await verify(user.password_hash, input.password))) {
      throw new AppError('invalid_credentials', 'Wrong username or password.');
    }
    // Said only to someone who knows the password.
    if (user.banned_at) {
      throw new AppError('account_banned', `This account is banned${user.ban_reason ? `: ${user.ban_reason}` : '.'}`, {
        reason: user.ban_reason ?? '',
      });
    }
    return { user: toPublicUser(user), token: await this.openSession(user.id) };
  }

  async logout(token: string): Promise<void> {
    await this.repo.revokeSession(hashToken(token));
  }

  /** Ends every session of the user, the caller's included. */
  async logoutEverywhere(user: PublicUser): Promise<void> {
    await this.repo.deleteSessions(user.id);
  }

  /**
   * Needs the current password (403 `wrong_password` otherwise); the new one
   * follows the sign-up rules (the route's schema). Every other session of
   * the account ends; the one that asked (`token`) stays signed in.
   */
  async changePassword(user: PublicUser, token: string, input: ChangePasswordInput): Promise<void> {
    const row = await this.verifyPassword(user, input.currentPassword);
    const newHash = await hash(input.newPassword, ARGON2);
    if (!(await this.repo.changePassword(user.id, row.password_hash, newHash, hashToken(token)))) {
      // Another change landed between the check and this write: the password given is no longer current.
      throw new AppError('wrong_password', 'The password changed meanwhile; enter the current one.');
    }
  }

  /** The account's row if `password` is its password; 403 `wrong_password` otherwise. */
  async verifyPassword(user: PublicUser, password: string): Promise<UserRow> {
    const row = await this.repo.findById(user.id);
    if (!row) throw new AppError('unauthorized', 'The account no longer exists.');
    if (!(await verify(row.password_hash, password))) throw new AppError('wrong_password', 'That is not your current password.');
    return row;
  }

  /** The user behind a bearer token, or null when unknown, expired or revoked. */
  async authenticate(token: string): Promise<PublicUser | null> {
    if (token.length < 20 || token.length > 200) return null;
    const user = await this.repo.findSessionUser(hashToken(token));
    return user ? toPublicUser(user) : null;
  }

  /**
   * Scheduled retention (src/jobs/retention.ts): every dead session (expired,
   * or revoked by a logout or a ban), batch by batch; returns how many.
   */
  pruneDeadSessions(signal?: AbortSignal): Promise<number> {
    return drainBatches(() => this.repo.pruneSessions(), signal);
  }

  /** Scheduled retention: username holds of deleted accounts that have run out; returns how many. */
  pruneUsernameHolds(signal?: AbortSignal): Promise<number> {
    return drainBatches(() => this.repo.pruneUsernameHolds(), signal);
  }

  /**
   * Every sign-in also prunes a bounded batch of dead sessions (expired or
   * revoked, anyone's): the table stays as small as the live sessions
   * without a schedule of its own, on every database.
   */
  private async openSession(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.sessionTtlDays * 86_400_000);
    await this.repo.insertSession(hashToken(token), userId, expiresAt);
    await this.repo.pruneSessions();
    return token;
  }
}

/** Runs a batch (at most SESSION_PRUNE_BATCH rows) until one comes back short. */
async function drainBatches(batch: () => Promise<number>, signal?: AbortSignal): Promise<number> {
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = await batch();
    total += n;
    if (n < SESSION_PRUNE_BATCH) return total;
  }
}
