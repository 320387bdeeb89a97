import type { pino } from 'pino';
import { createApp, type App } from '../app.js';
import { EXIT, KEEP_RUNNING, type CliCommand, type CliContext } from './command.js';
import { describeDeployment } from './deployment.js';

type Mode = 'start' | 'serve' | 'worker';

const SUMMARIES: Record<Mode, string> = {
  start: 'API + workers in one process (what `npm start` runs)',
  serve: 'API only (stateless; run as many as you like behind a load balancer)',
  worker: 'processing workers only (transcoding, purges, sweeps, training)',
};

function serverCommand(mode: Mode): CliCommand {
  return {
    name: mode,
    summary: SUMMARIES[mode],
    usage: `Usage: curta ${mode}

  ${SUMMARIES[mode]}.
  Runs until SIGTERM or SIGINT, then drains (finishes requests and jobs in
  flight) and exits 0. Configuration comes from environment variables: see
  README.md, "Configuration".`,
    async run(args, ctx) {
      if (args.length > 0) {
        ctx.io.err(`curta ${mode} takes no arguments (got "${args.join(' ')}")`);
        return EXIT.usage;
      }
      return runServer(mode, ctx);
    },
  };
}

async function runServer(mode: Mode, ctx: CliContext): Promise<number> {
  const config = ctx.config();
  const log = ctx.log();
  const app = await createApp(config, { logger: log });
  const runsWorkers = mode === 'start' || mode === 'worker';
  const servesHttp = mode === 'start' || mode === 'serve';
  try {
    // Each mode checks the tools it uses before doing anything: the API
    // converts avatar images, workers transcode videos.
    if (servesHttp) await app.images.check();
    if (runsWorkers) await app.transcoder.check();
  } catch (err) {
    log.fatal((err as Error).message);
    await app.close();
    return EXIT.unavailable;
  }
  const parts = describeDeployment(config);
  log.info(parts, `database: ${parts.database}; storage: ${parts.storage}; cache: ${parts.cache}; queue: ${parts.queue}`);
  if (runsWorkers) app.startWorkers();
  if (servesHttp) {
    await app.http.listen({ host: config.http.host, port: config.http.port });
    log.info(`Curta is up: ${config.http.publicBaseUrl}`);
  } else {
    log.info('Curta workers are up');
  }
  installShutdown(app, log);
  return KEEP_RUNNING;
}

function installShutdown(app: App, log: pino.Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export const serverCommands: CliCommand[] = [serverCommand('start'), serverCommand('serve'), serverCommand('worker')];
