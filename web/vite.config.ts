import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// Built with `vite build web` into web/dist, which the API server serves at `/`.
// `vite web` (dev, hot reload) proxies the API, media, storage and avatar routes to a
// local server (`CURTA_API`, default http://localhost:8080); every other path is the app.
const api = process.env.CURTA_API ?? 'http://localhost:8080';
const root = fileURLToPath(new URL('.', import.meta.url));
const publicDir = join(root, 'public');

/** Files under web/public (copied as they are into web/dist), as URL paths. */
function publicFiles(dir = publicDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? publicFiles(path) : [`/${relative(publicDir, path).split(sep).join('/')}`];
  });
}

/**
 * The service worker (web/src/sw.ts) is built as its own entry to `/sw.js`
 * (no hash: its URL is what browsers check for updates). Once the bundle is
 * known, its shell list (`/`, the page entry's JS and CSS and what they import
 * statically, the manifest and icons) and a version (a hash of that list and
 * of the worker's code) are written into it: any change to the shell is a new
 * sw.js, which browsers install as an update.
 */
function serviceWorkerShell(): Plugin {
  return {
    name: 'curta-sw-shell',
    apply: 'build',
    generateBundle(_options, bundle) {
      const sw = bundle['sw.js'];
      const page = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry && c.facadeModuleId?.endsWith('index.html'));
      if (sw?.type !== 'chunk' || page?.type !== 'chunk') throw new Error('curta-sw-shell: the sw.js or index.html entry is missing');
      const files = new Set<string>();
      const visit = (fileName: string) => {
        const chunk = bundle[fileName];
        if (!chunk || files.has(fileName)) return;
        files.add(fileName);
        if (chunk.type !== 'chunk') return;
        for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
        for (const imported of chunk.imports) visit(imported);
      };
      visit(page.fileName);
      const shell = ['/', ...[...files].sort().map((f) => `/${f}`), ...publicFiles().sort()];
      const version = createHash('sha256').update(JSON.stringify(shell)).update(sw.code).digest('hex').slice(0, 16);
      const before = sw.code;
      // The placeholders are string literals; the minifier may have changed their quotes.
      sw.code = sw.code
        .replace(/(["'`])__CURTA_SW_SHELL__\1/g, () => JSON.stringify(JSON.stringify(shell)))
        .replace(/(["'`])__CURTA_SW_VERSION__\1/g, () => JSON.stringify(version));
      if (sw.code === before || sw.code.includes('__CURTA_SW_')) throw new Error('curta-sw-shell: placeholders not found in sw.js');
    },
  };
}

export default defineConfig(({ command }) => ({
  plugins: [serviceWorkerShell()],
  // Whether the page registers /sw.js: built pages only (`vite` in dev serves none). Not
  // import.meta.env.PROD, which is false in a build run under NODE_ENV=test (the browser tests').
  define: { __CURTA_SW__: JSON.stringify(command === 'build') },
  build: {
    // hls.js's light build (~375 kB, ~120 kB gzip) is its own chunk, fetched as the feed boots.
    chunkSizeWarningLimit: 400,
    target: 'es2022',
    // Keep the previous build's hashed files: a page already open (a test's browser while another
    // process rebuilds, or a viewer during a deploy) can still fetch the chunks it names.
    emptyOutDir: false,
    rollupOptions: {
      input: { index: join(root, 'index.html'), sw: join(root, 'src', 'sw.ts') },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/media': { target: api },
      '/storage': { target: api },
      '/avatars': { target: api },
    },
  },
}));
