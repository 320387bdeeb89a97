#!/usr/bin/env node
import { COMMANDS } from './cli/commands.js';
import { KEEP_RUNNING } from './cli/command.js';
import { runCli } from './cli/main.js';

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

runCli(process.argv.slice(2), COMMANDS, io).then(
  (code) => {
    if (code !== KEEP_RUNNING) process.exit(code);
  },
  (err: unknown) => {
    // A bug, not an expected failure: the stack is what a report needs.
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(70); // EX_SOFTWARE
  },
);
