import { describe, expect, it } from 'vitest';
import { CliUsageError, type CliContext } from './command.js';
import { formatAge, jobsCommand } from './jobs-command.js';

/** A context whose configuration (hence database) must never be read: argument mistakes are caught first. */
const untouchable: CliContext = {
  io: { out: () => undefined, err: () => undefined },
  config: () => {
    throw new Error('the configuration was read');
  },
  log: () => {
    throw new Error('the logger was made');
  },
};

describe('curta jobs arguments', () => {
  it.each([
    [[], /needs an action: list, retry or discard/],
    [['frob'], /Unknown action "frob"/],
    [['list', 'extra'], /takes options only/],
    [['list', '--state', 'zombie'], /--state must be one of dead, stuck, queued, running, done/],
    [['list', '--limit', '0'], /--limit must be a whole number/],
    [['list', '--limit', 'many'], /--limit must be a whole number/],
    [['list', '--stuck-after', 'soon'], /--stuck-after must be a duration such as 30m/],
    [['list', '--stuck-after', '10w'], /--stuck-after must be a duration/],
    [['list', '--everything'], /Unknown option '--everything'/],
    [['list', '--queue'], /argument missing/],
    [['retry'], /needs one job id or --all-dead/],
    [['retry', 'a', '--all-dead'], /needs one job id or --all-dead/],
    [['retry', 'a', 'b'], /needs one job id or --all-dead/],
    [['retry', 'a', '--queue', 'video.purge'], /--queue goes with --all-dead/],
    [['discard', 'a', '--stuck-after', '1h'], /--stuck-after goes with retry/],
    [['discard'], /needs one job id or --all-dead/],
  ])('refuses %j before reading the configuration', async (args, message) => {
    const err = await jobsCommand.run(args, untouchable).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliUsageError);
    expect((err as Error).message).toMatch(message);
  });

  it('names every registered queue in its help', () => {
    expect(jobsCommand.usage).toMatch(/^Usage: curta jobs list/);
    expect(jobsCommand.usage).toContain('video.process, video.purge');
  });

  it('writes ages in their largest whole unit', () => {
    expect([0, 59_000, 119_999, 120_000, 7_199_999, 7_200_000, 172_799_999, 172_800_000, -5].map(formatAge)).toEqual([
      '0s',
      '59s',
      '119s',
      '2m',
      '119m',
      '2h',
      '47h',
      '2d',
      '0s',
    ]);
  });
});
