import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';

const root = import.meta.dirname;
/** The glasswatch server `vite dev` forwards to (it serves everything but the client). */
const SERVER = process.env.GLASSWATCH_DEV_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root,
  plugins: [svelte()],
  resolve: {
    alias: { $shared: resolve(root, '../shared') },
  },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': SERVER,
      '/socket.io': { target: SERVER, ws: true },
      '/healthz': SERVER,
      '/metrics': {
        target: SERVER,
        // `/metrics` is also a page: only Prometheus scrapers (not browsers asking for HTML) go to the server.
        bypass: (req) => (req.headers.accept?.includes('text/html') ? '/index.html' : undefined),
      },
    },
  },
});
