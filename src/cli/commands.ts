import type { CliCommand } from './command.js';
import { archiveCommand } from './archive-command.js';
import { backupCommand, restoreCommand } from './backup-commands.js';
import { jobsCommand } from './jobs-command.js';
import { lakeCliCommand } from './lake-command.js';
import { serverCommands } from './server-commands.js';
import { adminCliCommand, analyticsCliCommand, migrateCommand, recsCliCommand, storageCliCommand } from './tool-commands.js';

/** Every `curta <command>`, in the order `curta --help` lists them. Add a command here. */
export const COMMANDS: readonly CliCommand[] = [
  ...serverCommands,
  migrateCommand,
  adminCliCommand,
  recsCliCommand,
  analyticsCliCommand,
  storageCliCommand,
  lakeCliCommand,
  jobsCommand,
  archiveCommand,
  backupCommand,
  restoreCommand,
];
