import type { pino } from 'pino';
import type { LoadedConfig } from '../config/config.js';

/** Where a command writes: one line at a time, newline added. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CliContext {
  io: CliIo;
  /** The validated configuration; read on first use, so `--help` works with a broken environment. */
  config(): Readonly<LoadedConfig>;
  log(): pino.Logger;
}

/**
 * One `curta <name>` command. `run` returns the exit status, or KEEP_RUNNING
 * for the long-running ones (start, serve, worker), which exit on a signal.
 */
export interface CliCommand {
  name: string;
  /** One line for `curta --help`. */
  summary: string;
  /** The whole of `curta <name> --help`. */
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

export const KEEP_RUNNING = -1;

/** sysexits(3) codes the commands use. */
export const EXIT = { ok: 0, failure: 1, usage: 64, noInput: 66, unavailable: 69, software: 70, config: 78 } as const;

/**
 * An expected failure (a wrong argument, a missing user, a database another
 * process holds): printed as its message alone, no stack trace, with its exit status.
 */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** A usage mistake: the message, then the command's usage, exit 64. */
export class CliUsageError extends CliFailure {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'CliUsageError';
  }
}
