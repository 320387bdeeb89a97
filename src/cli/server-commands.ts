import type { pino } from 'pino';
import { createApp, type App } from '../app.js';
import { EXIT, KEEP_RUNNING, type CliCommand, type CliContext } from './command.js';
import { controlSocketPath, startControlServer, type ControlServer } from './control-socket.js';
import { describeDeployment } from './deployment.js';
import { controlHandlers } from './control-handlers.js';

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
  const control = await startControl(app, log);
  // Before any job is claimed: a SIGTERM that arrives while the rest starts up still drains.
  installShutdown(app, log, control);
  const parts = describeDeployment(config);
  log.info(parts, `database: ${parts.database}; storage: ${parts.storage}; cache: ${parts.cache}; queue: ${parts.queue}`);
  if (runsWorkers) app.startWorkers();
  if (servesHttp) {
    await app.http.listen({ host: config.http.host, port: config.http.port });
    log.info(`Curta is up: ${config.http.publicBaseUrl}`);
  } else {
    let address: string | null;
    try {
      address = await app.listenWorkerHttp();
    } catch (err) {
      // Most often another process on WORKER_HTTP_PORT: said in one line, as for a missing ffmpeg.
      log.fatal(`cannot listen on WORKER_HTTP_PORT ${config.workerHttp?.port}: ${(err as Error).message}`);
      await app.close();
      return EXIT.unavailable;
    }
    log.info(address ? `Curta workers are up; health and metrics: ${address}` : 'Curta workers are up');
  }
  return KEEP_RUNNING;
}

/**
 * On the embedded profile this process holds the database alone: it answers
 * `curta admin`, `curta backup` and `curta migrate status` over a unix
 * socket beside the database (see control-socket.ts). A socket that cannot
 * be opened only costs those commands while the server runs: said, not fatal.
 */
async function startControl(app: App, log: pino.Logger): Promise<ControlServer | null> {
  const database = app.config.database;
  if (database.kind !== 'pglite') return null;
  const path = controlSocketPath(database.dir);
  try {
    return await startControlServer(path, controlHandlers(app.db, app.store, app.services.archive.archive), (err) =>
      log.error({ err }, 'control socket request failed'),
    );
  } catch (err) {
    log.warn(
      { err, path },
      'control socket unavailable: curta admin, backup and migrate status cannot reach this process; stop it to run them',
    );
    return null;
  }
}

function installShutdown(app: App, log: pino.Logger, control: ControlServer | null): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    (control ? control.close() : Promise.resolve())
      .then(() => app.close())
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
