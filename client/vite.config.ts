import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = import.meta.dirname;
/** The glasswatch server `vite dev` forwards to (it serves everything but the client). */
const SERVER = process.env.GLASSWATCH_DEV_SERVER ?? 'http://127.0.0.1:3000';
/** The version this client is built as: a wall screen reloads itself when the server's differs (lib/kiosk-version.ts). */
const VERSION: string = JSON.parse(readFileSync(resolve(root, '../package.json'), 'utf8')).version;

export default defineConfig({
  root,
  plugins: [svelte()],
  define: { __GLASSWATCH_VERSION__: JSON.stringify(VERSION) },
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
