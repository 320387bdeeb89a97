import { parseArgs } from 'node:util';
import { DbJobQueue } from '../adapters/queue/db-job-queue.js';
import { jobNames } from '../jobs/job-registry.js';
import type { JobInfo, JobListState, JobQueue } from '../ports/job-queue.js';
import { CliFailure, CliUsageError, EXIT, type CliCommand, type CliIo } from './command.js';
import type { Database } from '../ports/database.js';
import { withDatabaseOrServer } from './tool-commands.js';

export const JOBS_USAGE = `Usage: curta jobs list [--queue <name>] [--state <state>]… [--stuck-after <duration>] [--limit <n>] [--json]
       curta jobs retry <id> | --all-dead [--queue <name>]
       curta jobs discard <id> | --all-dead [--queue <name>]

  Dead and stuck jobs of the durable queue.

  list      Dead jobs (failed on every attempt, or for good) and stuck ones
            (running, but their worker's lease expired, or claimed longer ago
            than --stuck-after, default 1h), newest first: state, queue, id,
            attempts, age and the first line of the last error.
            --state dead|stuck|queued|running|done (repeatable) lists others.
            --json prints every field, the whole last error included.
  retry     Puts a dead or stuck job back in its queue with a fresh set of
            attempts, runnable now (a stuck job's worker, if it still lives,
            loses it). --all-dead: every dead job (of --queue). A job whose
            dedupe key a newer unfinished job holds stays dead: that one does
            the work.
  discard   Deletes a dead job, or with --all-dead every dead one (of --queue).

  Queues: ${jobNames().join(', ')}.
  Durations: <n>s, <n>m, <n>h or <n>d. Workers need not be stopped; on the
  embedded profile a running server answers through its control socket.`;

const STATES: readonly JobListState[] = ['dead', 'stuck', 'queued', 'running', 'done'];
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function parseDuration(raw: string, option: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(raw.trim());
  if (!m) throw new CliUsageError(`${option} must be a duration such as 30m, 2h or 1d (got "${raw}")`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** "3h", "2d", "45s": how long ago, in the largest whole unit. */
export function formatAge(ms: number): string {
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 120) return `${sec}s`;
  if (sec < 7200) return `${Math.floor(sec / 60)}m`;
  if (sec < 172_800) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86_400)}d`;
}

function firstLine(text: string | null, max = 100): string {
  const line = (text ?? '').split('\n', 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function printTable(jobs: readonly JobInfo[], io: CliIo, now: number): void {
  const rows = jobs.map((j) => [
    j.stuck ? 'stuck' : j.status,
    j.queue,
    j.id,
    `${j.attempt}/${j.maxAttempts}`,
    formatAge(now - (j.finishedAt ?? j.claimedAt ?? j.createdAt).getTime()),
    firstLine(j.lastError) || '-',
  ]);
  const header = ['STATE', 'QUEUE', 'ID', 'ATTEMPTS', 'AGE', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) io.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

/** Checks the arguments first (no database opened for a usage mistake), then returns the work. */
function list(args: string[], io: CliIo): (queue: JobQueue) => Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      queue: { type: 'string' },
      state: { type: 'string', multiple: true },
      'stuck-after': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new CliUsageError(`curta jobs list takes options only (got "${positionals.join(' ')}")`);
  const states = values.state ?? ['dead', 'stuck'];
  for (const s of states) {
    if (!STATES.includes(s as JobListState)) throw new CliUsageError(`--state must be one of ${STATES.join(', ')} (got "${s}")`);
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new CliUsageError('--limit must be a whole number from 1 to 100000');
  const filter = {
    states: states as JobListState[],
    limit,
    ...(values.queue ? { queue: values.queue } : {}),
    ...(values['stuck-after'] ? { stuckAfterMs: parseDuration(values['stuck-after'], '--stuck-after') } : {}),
  };
  return async (queue) => {
    const jobs = await queue.listJobs(filter);
    if (values.json) {
      io.out(JSON.stringify(jobs, null, 2));
    } else if (jobs.length === 0) {
      io.out(`no ${states.join(' or ')} jobs${values.queue ? ` in ${values.queue}` : ''}`);
    } else {
      printTable(jobs, io, Date.now());
    }
    return EXIT.ok;
  };
}

function act(action: 'retry' | 'discard', args: string[], io: CliIo): (queue: JobQueue) => Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'all-dead': { type: 'boolean', default: false }, queue: { type: 'string' }, 'stuck-after': { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  const allDead = values['all-dead'];
  if (allDead === positionals.length > 0 || positionals.length > 1) {
    throw new CliUsageError(`curta jobs ${action} needs one job id or --all-dead`);
  }
  if (!allDead && values.queue) throw new CliUsageError('--queue goes with --all-dead (a job id names its queue)');
  if (action === 'discard' && values['stuck-after'])
    throw new CliUsageError('--stuck-after goes with retry (only dead jobs are discarded)');
  const id = positionals[0];
  const target = id
    ? { id, ...(values['stuck-after'] ? { stuckAfterMs: parseDuration(values['stuck-after'], '--stuck-after') } : {}) }
    : { allDead: true as const, ...(values.queue ? { queue: values.queue } : {}) };
  const done = action === 'retry' ? 'requeued' : 'discarded';
  return async (queue) => {
    const ids = action === 'retry' ? await queue.retryJobs(target) : await queue.discardJobs(target);
    if (id) {
      if (ids.length === 0) {
        const what = action === 'retry' ? 'dead or stuck job' : 'dead job';
        throw new CliFailure(
          `no ${what} ${id} (see curta jobs list${action === 'retry' ? '; a dead job whose work a newer job does stays dead' : ''})`,
        );
      }
      io.out(`${done} ${id}`);
    } else {
      for (const jobId of ids) io.out(`${done} ${jobId}`);
      io.out(`${ids.length} dead job${ids.length === 1 ? '' : 's'} ${done}${values.queue ? ` in ${values.queue}` : ''}`);
    }
    return EXIT.ok;
  };
}

/**
 * Checks `args` (a usage mistake never opens the database) and returns the
 * work to run on a queue: the same whether this process opened the database
 * or a running embedded server does it over its control socket.
 */
export function parseJobsArgs(args: string[], io: CliIo): (queue: JobQueue) => Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'retry' && action !== 'discard') {
    throw new CliUsageError(action ? `Unknown action "${action}"` : 'curta jobs needs an action: list, retry or discard');
  }
  try {
    return action === 'list' ? list(rest, io) : act(action, rest, io);
  } catch (err) {
    // parseArgs' own messages (unknown option, missing value) are usage mistakes.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new CliUsageError((err as Error).message);
    throw err;
  }
}

/** `curta jobs …` on an open database (the CLI's own, or a running server's). */
export function jobsWith(db: Database, args: string[], io: CliIo): Promise<number> {
  return parseJobsArgs(args, io)(new DbJobQueue(db));
}

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'dead and stuck jobs: curta jobs list | retry <id>|--all-dead | discard <id>|--all-dead',
  usage: JOBS_USAGE,
  async run(args, ctx) {
    const work = parseJobsArgs(args, ctx.io);
    return withDatabaseOrServer(ctx, { command: 'jobs', args }, (db) => work(new DbJobQueue(db, { logger: ctx.log() })), {
      migrateFirst: true,
    });
  },
};
