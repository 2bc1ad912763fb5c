import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = import.meta.dirname;
/** The glasswatch server `vite dev` forwards to (it serves everything but the client). */
const SERVER = process.env.GLASSWATCH_DEV_SERVER ?? 'http://127.0.0.1:3000';
/** The version this client is built as: a wall screen reloads itself when the server's differs (lib/kiosk-version.ts). */
const VERSION: string = JSON.parse(readFileSync(resolve(root, '../package.json'), 'utf8')).version;

/**
 * socket.io-client's engine carries three transports; glasswatch connects by
 * WebSocket with HTTP long-polling as the fallback (lib/socket.ts), never by
 * WebTransport: leaving that one out keeps about 1 kB of gzip off every page.
 * Both edits or neither (an engine.io-client that changed is left alone).
 */
function withoutWebTransport(): Plugin {
  const file = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;
  return {
    name: 'glasswatch:without-webtransport',
    transform(code, id) {
      if (!file.test(id)) return;
      const out = code.replace(/^import \{ WT \} from "\.\/webtransport\.js";$/m, '').replace(/^\s*webtransport: WT,$/m, '');
      return out.length === code.length - 'import { WT } from "./webtransport.js";'.length - '    webtransport: WT,'.length ? out : undefined;
    },
  };
}

export default defineConfig({
  root,
  plugins: [svelte(), withoutWebTransport()],
  define: { __GLASSWATCH_VERSION__: JSON.stringify(VERSION) },
  resolve: {
    alias: { $shared: resolve(root, '../shared') },
  },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    rolldownOptions: {
      output: {
        // Lazy chunks beside the app: the wall screen, the reports page, and what edits things (rules, admin,
        // the Application panel's editor and the input schemas they share with the server). Fewer, larger
        // chunks compress better (JS < 150 kB gzip).
        codeSplitting: {
          groups: [
            { name: 'app', tags: ['$initial'], priority: 2 },
            {
              name: 'manage',
              test: /(pages[\\/](Rules|Admin)|components[\\/](admin|rules)[\\/]|components[\\/]apps[\\/]AppPanelEditor|lib[\\/](admin[\\/]|rule)|node_modules[\\/]zod|schemas)/,
            },
          ],
        },
      },
    },
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
