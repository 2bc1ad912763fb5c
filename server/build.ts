/**
 * `npm start` and `npm run build`: builds what is stale, so a fresh clone
 * just works and a restart after `git pull` picks up every change.
 *
 * - The client, with Vite, into client/dist, when it is missing or older than
 *   the client's or shared/'s sources.
 * - The server, with esbuild, into dist/server/ (main.js, its two worker
 *   entries and the chunks they share, our code only: packages stay in
 *   node_modules), when it is older than server/ or shared/. Plain `node`
 *   starts it without compiling TypeScript on the way up (a second start
 *   ~1 s sooner than under tsx: bench/RESULTS.md).
 *
 * `--force` builds both whatever their age.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/paths.ts';

const CLIENT_BUILT = path.join(ROOT, 'client', 'dist', 'index.html');
const SERVER_DIR = path.join(ROOT, 'dist', 'server');
/** What `npm start` runs. */
export const SERVER_BUNDLE = path.join(SERVER_DIR, 'main.js');
/**
 * The server's entries: the process (server/start.ts, as main.js: the name systemd units give) and the
 * modules its worker threads start (their URLs end in .js once bundled).
 */
const SERVER_ENTRIES = [
  { in: 'server/start.ts', out: 'main' },
  { in: 'server/store/pglite-worker.ts', out: 'pglite-worker' },
  { in: 'server/scrape/exposition-worker.ts', out: 'exposition-worker' },
];
// package.json and its lock too: the client embeds the version (wall screens reload when it changes), and both follow the dependencies.
const COMMON_INPUTS = ['shared', 'package.json', 'package-lock.json'];

function newestMtime(p: string): number {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

function isStale(output: string, inputs: readonly string[]): boolean {
  const built = fs.statSync(output, { throwIfNoEntry: false });
  return !built || Math.max(...inputs.map((p) => newestMtime(path.join(ROOT, p)))) > built.mtimeMs;
}

export const clientIsStale = (): boolean => isStale(CLIENT_BUILT, ['client', ...COMMON_INPUTS]);
export const serverIsStale = (): boolean => isStale(SERVER_BUNDLE, ['server', ...COMMON_INPUTS]);

export async function buildClient(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'client', 'vite.config.ts'), logLevel: 'warn' });
}

export async function buildServer(): Promise<void> {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: SERVER_ENTRIES.map((e) => ({ in: path.join(ROOT, e.in), out: e.out })),
    outdir: SERVER_DIR,
    // start.ts imports main.ts only once PGlite's worker is booting: the packages main.ts needs load in that
    // chunk, not before the entry's first line (as they would in one file, where imports are hoisted).
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Not loaded unless asked for (NODE_OPTIONS=--enable-source-maps: stack traces in TypeScript lines): parsing it costs a start ~150 ms.
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  // Chunks are named by their content: remove those of earlier builds (after writing, so a running server never misses a file).
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(ROOT, f)));
  for (const name of fs.readdirSync(SERVER_DIR)) {
    const file = path.join(SERVER_DIR, name);
    if (!written.has(file)) fs.rmSync(file, { force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const force = process.argv.includes('--force');
  if (force || clientIsStale()) {
    process.stderr.write('building the client (vite)…\n');
    await buildClient();
    process.stderr.write('client built.\n');
  }
  if (force || serverIsStale()) {
    await buildServer();
    process.stderr.write('server built.\n');
  }
}
