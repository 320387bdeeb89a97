// `npm start` runs this first. It builds only when it can and must, so that both of these work:
//   - a checkout: `npm install && npm start` builds dist/ and web/dist/ on the first start, and
//     again whenever a source file is newer than the build;
//   - a production install: `npm ci --omit=dev` next to a prebuilt dist/ starts as it is, without
//     TypeScript or Vite (which are dev dependencies and are not there).
// Plain JavaScript on purpose: it runs before anything is compiled, and without dev dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

/** What the build writes last of each part; a start needs all of them. */
const OUTPUTS = ['dist/src/cli.js', 'web/dist/index.html'];
/** What a build reads: a file under these newer than the oldest output means the build is stale. */
const INPUTS = ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const SKIP_DIRS = new Set(['dist', 'node_modules']);
/** The build's tools: dev dependencies, so present in a checkout and absent in a production install. */
const BUILD_TOOLS = ['typescript', 'vite'];

/** Newest modification time (ms) of a file or of any file in a folder tree. */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    max = Math.max(max, newest(join(path, entry.name)));
  }
  return max;
}

/**
 * 'start' (the build is there and current, or cannot be redone here), 'build', or 'missing'
 * (no build and no tools to make one).
 * @param {string} root
 * @returns {'start' | 'build' | 'missing'}
 */
function decide(root) {
  const built = OUTPUTS.map((f) => statSync(join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  const hasTools = BUILD_TOOLS.every((t) => existsSync(join(root, 'node_modules', t, 'package.json')));
  if (built.includes(0)) return hasTools ? 'build' : 'missing';
  if (!hasTools) return 'start';
  const inputs = Math.max(...INPUTS.map((p) => newest(join(root, p))));
  return inputs > Math.min(...built) ? 'build' : 'start';
}

const root = process.cwd();
const verdict = decide(root);
if (verdict === 'missing') {
  process.stderr.write(
    'curta: no build to start (dist/src/cli.js or web/dist/index.html is missing) and no build tools to make one:\n' +
      '  run `npm ci && npm run build` (the build needs the dev dependencies), then start it,\n' +
      '  or use the container image (see README.md, "Self-hosting").\n',
  );
  process.exit(1);
}
if (verdict === 'build') {
  // npm_execpath is the npm that runs this script; "npm" on the PATH otherwise.
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(result.status ?? 1);
}
