import { defineConfig } from 'vite';

// Built with `vite build web` into web/dist, which the API server serves at `/`.
// `vite web` (dev) proxies the API, media and storage routes to a local server.
const api = process.env.CURTA_API ?? 'http://localhost:8080';

export default defineConfig({
  build: {
    // hls.js (~600 kB) is its own chunk, loaded on the first video only.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/media': { target: api },
      '/storage': { target: api },
    },
  },
});
