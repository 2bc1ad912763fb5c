/**
 * A/B of the second start: `npx tsx bench/ab-start.ts CHECKOUT_A CHECKOUT_B`
 * spawns `node <checkout>/dist/server/main.js` (each checkout built, as
 * `npm start` leaves it) and times spawn → first 200 from /healthz (fetch
 * every 20 ms), alternating A and B so a busy moment of the machine falls on
 * both; each start runs 1 s and is stopped with SIGTERM. The first start of
 * each creates its data dir (not timed). AB_KIND=pglite (default) or
 * postgres (a fresh database each on 127.0.0.1:5432, dropped at the end);
 * AB_N = timed starts each (default 9). Not part of `npm run
 * bench`: it compares two builds, for a change to the start-up path.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { median, round, tempDir, tempPostgres } from './lib.ts';

const checkouts = process.argv.slice(2).map((p) => path.resolve(p));
if (checkouts.length !== 2) throw new Error('usage: npx tsx bench/ab-start.ts CHECKOUT_A CHECKOUT_B');
const kind = process.env.AB_KIND === 'postgres' ? 'postgres' : 'pglite';
const N = Number(process.env.AB_N ?? 9);
const { dir } = tempDir();
/** Each checkout's database (PostgreSQL) — fresh, dropped at the end. */
const dbs = kind === 'postgres' ? await Promise.all(checkouts.map(() => tempPostgres())) : [];
if (dbs.some((d) => d === null)) throw new Error('PostgreSQL on 127.0.0.1:5432 does not answer');

async function startOnce(i: number): Promise<number> {
  const port = 3950 + i;
  const env = {
    ...process.env, PORT: String(port), LOG_LEVEL: 'warn', DATA_DIR: path.join(dir, `ab-${i}`),
    ...(kind === 'postgres' ? { DATABASE_URL: dbs[i]!.url } : {}),
  };
  const t = performance.now();
  const child = spawn(process.execPath, [path.join(checkouts[i]!, 'dist/server/main.js')], { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${checkouts[i]} exited with ${child.exitCode} before answering`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ms = performance.now() - t;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return ms;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

try {
  for (let i = 0; i < checkouts.length; i++) await startOnce(i);
  const times: number[][] = checkouts.map(() => []);
  for (let n = 0; n < N; n++) for (let i = 0; i < checkouts.length; i++) times[i]!.push(await startOnce(i));
  checkouts.forEach((c, i) => console.log(`${kind} ${c}: median ${round(median(times[i]!)!, 0)} ms (${times[i]!.map((t) => round(t, 0)).join(', ')})`));
} finally {
  for (const d of dbs) await d?.drop();
}
