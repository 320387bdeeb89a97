import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/config.js';
import { projectRoot } from '../lib/project-root.js';
import { asCliFailure } from './expected-errors.js';
import { CliUsageError, EXIT, type CliCommand, type CliContext, type CliIo } from './command.js';

export function curtaVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function topUsage(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: curta <command> [options]',
    '       curta <command> --help     what a command does and takes',
    '       curta --version',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from environment variables; see README.md.',
  ].join('\n');
}

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/**
 * `curta …`: finds the command, answers --help and --version without reading
 * the configuration, and turns expected failures (bad configuration, usage
 * mistakes, CliFailure) into one message and an exit status; only a bug
 * prints a stack trace.
 */
export async function runCli(argv: readonly string[], commands: readonly CliCommand[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(curtaVersion());
    return EXIT.ok;
  }
  if (!name || isHelp(name)) {
    (name ? io.out : io.err)(topUsage(commands));
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${topUsage(commands)}`);
    return EXIT.usage;
  }
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.out(command.usage);
    return EXIT.ok;
  }

  let config: Readonly<LoadedConfig> | undefined;
  let log: pino.Logger | undefined;
  const ctx: CliContext = {
    io,
    config: () => (config ??= loadConfig()),
    log: () => (log ??= pino({ level: ctx.config().logLevel })),
  };
  try {
    return await command.run(args, ctx);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT.config;
    }
    if (err instanceof CliUsageError) {
      io.err(`${err.message}\n\n${command.usage}`);
      return err.exitCode;
    }
    const failure = asCliFailure(err);
    if (failure) {
      io.err(`curta ${command.name}: ${failure.message}`);
      return failure.exitCode;
    }
    throw err;
  }
}
