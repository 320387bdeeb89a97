#!/usr/bin/env node
import { pino } from 'pino';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type LoadedConfig } from './config/config.js';
import { resolveSigningSecret } from './config/signing-secret.js';
import { migrate } from './adapters/db/migrate.js';
import { createObjectStore, openDatabase } from './adapters/factory.js';
import { parseRecsArgs, RECS_USAGE, recsEvalCommand, recsTrainCommand } from './modules/recs/recs-command.js';
import { ADMIN_USAGE, adminCommand } from './modules/safety/admin-command.js';

const USAGE = `Usage: curta <command>

Commands:
  start     API + workers in one process (what \`npm start\` runs)
  serve     API only (stateless; run as many as you like behind a load balancer)
  worker    processing workers only
  migrate   apply database migrations and exit
  admin     grant or revoke the admin role: curta admin grant|revoke <username>
  recs      recommender: curta recs train [--force] | curta recs eval --dataset <dir>

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 1;
  }
  if (!['start', 'serve', 'worker', 'migrate', 'admin', 'recs'].includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
    return 1;
  }

  let config: Readonly<LoadedConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  const log = pino({ level: config.logLevel });

  if (command === 'admin') {
    if (argv.length !== 3) {
      process.stderr.write(`${ADMIN_USAGE}\n`);
      return 64; // EX_USAGE
    }
    const db = await openDatabase(config);
    try {
      await migrate(db);
      const result = await adminCommand(db, argv.slice(1));
      if (result.stdout) process.stdout.write(result.stdout);
      if (result.stderr) process.stderr.write(result.stderr);
      return result.code;
    } finally {
      await db.close();
    }
  }

  if (command === 'recs') {
    const parsed = parseRecsArgs(argv.slice(1));
    if ('error' in parsed) {
      process.stderr.write(`${parsed.error}\n\n${RECS_USAGE}\n`);
      return 64; // EX_USAGE
    }
    const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
    if (parsed.command === 'eval') return recsEvalCommand(parsed, io);
    const db = await openDatabase(config);
    try {
      await migrate(db);
      const store = createObjectStore(await resolveSigningSecret(config, log));
      return await recsTrainCommand(db, store, { windowDays: config.recs.trainWindowDays, force: parsed.force }, io);
    } finally {
      await db.close();
    }
  }

  if (command === 'migrate') {
    const db = await openDatabase(config);
    await migrate(db);
    await db.close();
    log.info('migrations applied');
    return 0;
  }

  const app = await createApp(config, { logger: log });
  const runsWorkers = command === 'start' || command === 'worker';
  const servesHttp = command === 'start' || command === 'serve';
  try {
    // Each mode checks the tools it uses before doing anything: the API
    // converts avatar images, workers transcode videos.
    if (servesHttp) await app.images.check();
    if (runsWorkers) await app.transcoder.check();
  } catch (err) {
    log.fatal((err as Error).message);
    await app.close();
    return 69; // EX_UNAVAILABLE
  }
  if (runsWorkers) app.startWorkers();
  if (servesHttp) {
    await app.http.listen({ host: config.http.host, port: config.http.port });
    log.info(`Curta is up: ${config.http.publicBaseUrl}`);
  }
  installShutdown(app, log);
  return -1; // keep running
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

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
