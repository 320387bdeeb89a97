import type { SqlExecutor } from '../../ports/database.js';
import { ModerationRepository } from './moderation.repository.js';

export const ADMIN_USAGE = `Usage: curta admin grant <username>    make the account an admin (report queue, takedowns, bans)
       curta admin revoke <username>   make it an ordinary account again`;

export interface CommandResult {
  code: number;
  stdout?: string;
  stderr?: string;
}

/** `curta admin grant|revoke <username>`: sets the account's role. Exit 0 on success (also when nothing changed). */
export async function adminCommand(db: SqlExecutor, args: readonly string[]): Promise<CommandResult> {
  const [action, username, ...rest] = args;
  if ((action !== 'grant' && action !== 'revoke') || !username || rest.length > 0) {
    return { code: 64, stderr: `${ADMIN_USAGE}\n` }; // EX_USAGE
  }
  const role = action === 'grant' ? 'admin' : 'user';
  const result = await new ModerationRepository(db).setRole(username, role);
  if (!result) return { code: 1, stderr: `No user named "${username}".\n` };
  const unchanged = result.previous === role;
  const message =
    role === 'admin'
      ? `${result.username} is ${unchanged ? 'already' : 'now'} an admin.`
      : `${result.username} ${unchanged ? 'was not' : 'is no longer'} an admin.`;
  return { code: 0, stdout: `${message}\n` };
}
