import { defineConfig } from 'vite';

// Built with `vite build web` into web/dist, which the API server serves at `/`.
// `vite web` (dev, hot reload) proxies the API, media, storage and avatar routes to a
// local server (`CURTA_API`, default http://localhost:8080); every other path is the app.
const api = process.env.CURTA_API ?? 'http://localhost:8080';

export default defineConfig({
  build: {
    // hls.js's light build (~375 kB, ~120 kB gzip) is its own chunk, fetched as the feed boots.
    chunkSizeWarningLimit: 400,
    target: 'es2022',
    // Keep the previous build's hashed files: a page already open (a test's browser while another
    // process rebuilds, or a viewer during a deploy) can still fetch the chunks it names.
    emptyOutDir: false,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/media': { target: api },
      '/storage': { target: api },
      '/avatars': { target: api },
    },
  },
});
