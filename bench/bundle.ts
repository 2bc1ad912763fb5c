/**
 * Client bundle size: every JavaScript file Vite emitted in client/dist/assets,
 * gzipped here with zlib (level 9, as a static server or CDN would) and summed;
 * and the part the first page load fetches (index.html's script and preloads).
 * The client is (re)built first when client/dist is missing or older than its
 * sources (server/build.ts decides, as `npm start` does).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { meets, progress, ROOT, round, standalone, type BenchResult } from './lib.ts';

const ASSETS = path.join(ROOT, 'client/dist/assets');

function gzipKb(file: string): { raw: number; gzip: number } {
  const data = fs.readFileSync(file);
  return { raw: data.length / 1024, gzip: zlib.gzipSync(data, { level: 9 }).length / 1024 };
}

export async function run(): Promise<BenchResult[]> {
  progress('bundle: building the client if it is missing or stale');
  let buildNote = '';
  try {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/build.ts')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    // The client may be mid-edit: measure the last good build, and say so.
    if (!fs.existsSync(ASSETS)) throw err;
    buildNote = '; the rebuild FAILED, so this is the previous build in client/dist';
  }
  const files = fs.readdirSync(ASSETS);
  const sizes = (ext: string) => files.filter((f) => f.endsWith(ext)).map((f) => ({ file: f, ...gzipKb(path.join(ASSETS, f)) }));
  const js = sizes('.js');
  const css = sizes('.css');
  const total = (xs: Array<{ gzip: number }>) => xs.reduce((a, x) => a + x.gzip, 0);
  const jsGzip = total(js);
  // What the first page load fetches: index.html's module script and its modulepreload links (the rest is lazy).
  const html = fs.readFileSync(path.join(ROOT, 'client/dist/index.html'), 'utf8');
  const initialNames = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!));
  const initial = js.filter((f) => initialNames.has(f.file));
  const initialGzip = total(initial);
  return [
    {
      name: 'client JavaScript, all chunks, gzip',
      median: round(jsGzip, 1),
      unit: 'kB',
      target: '< 150',
      met: meets(jsGzip, '<', 150),
      note: `${js.length} file(s): ${js.map((f) => `${f.file} ${round(f.raw, 1)} kB → ${round(f.gzip, 1)} kB`).join(', ')}; CSS (not counted) ${round(total(css), 1)} kB gzip${buildNote}`,
    },
    {
      name: 'client JavaScript of the first page load, gzip',
      median: round(initialGzip, 1),
      unit: 'kB',
      target: '< 150',
      met: meets(initialGzip, '<', 150),
      note: `index.html's module script and modulepreload links: ${initial.map((f) => f.file).join(', ')}; other chunks load when their page is opened${buildNote}`,
    },
  ];
}

if (import.meta.filename === process.argv[1]) await standalone(run);
