/**
 * `npm run dev`: the whole service with hot reload. The API and workers run
 * under `node --watch` (restarted when a server file changes) on
 * CURTA_API's port (8080), and Vite serves the web app with hot module
 * replacement on 5173, proxying the API, media and storage routes to it.
 * Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.PORT ?? '8080';
const webPort = Number(process.env.WEB_PORT ?? 5173);

const api = spawn(process.execPath, ['--import', 'tsx', '--watch', 'src/cli.ts', 'start'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PORT: apiPort, PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://localhost:${webPort}` },
});

// Read by web/vite.config.ts for its proxy.
process.env.CURTA_API ??= `http://localhost:${apiPort}`;
const web = await createServer({
  root: `${root}web`,
  configFile: `${root}web/vite.config.ts`,
  server: { port: webPort, strictPort: true },
});
await web.listen();
web.printUrls();
console.log(`  API (restarts on change): http://localhost:${apiPort}\n`);

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  api.kill('SIGTERM');
  await web.close();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
api.on('exit', (code) => void stop(code ?? 1));
