/**
 * Builds the client with Vite when client/dist is missing or older than the
 * client's or shared/'s sources, so `npm start` on a fresh clone just works
 * and a restart after `git pull` picks up client changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'client', 'dist', 'index.html');
// package.json too: the client embeds its version, and wall screens reload when it changes.
const inputs = [path.join(root, 'client'), path.join(root, 'shared'), path.join(root, 'package.json'), path.join(root, 'package-lock.json')];

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

export function clientIsStale(): boolean {
  const built = fs.statSync(dist, { throwIfNoEntry: false });
  return !built || Math.max(...inputs.map(newestMtime)) > built.mtimeMs;
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--force') || clientIsStale()) {
    process.stderr.write('building the client (vite)…\n');
    await build({ configFile: path.join(root, 'client', 'vite.config.ts'), logLevel: 'warn' });
    process.stderr.write('client built.\n');
  }
}
