/**
 * A/B of the second start: `npx tsx bench/ab-start.ts CHECKOUT_A CHECKOUT_B`
 * runs each checkout's built bundle (`dist/server/main.js`, as `npm start`
 * leaves it) the way the server-load group times a restart (spawn → first
 * 200 from /healthz, polled every 20 ms; stopped after 1 s), alternating A
 * and B so a busy moment of the machine falls on both. The first start of
 * each creates its data dir or schema (not timed). AB_KIND=pglite (default)
 * or postgres (a fresh database each on 127.0.0.1:5432, dropped at the end);
 * AB_N = timed starts each (default 9). Not part of `npm run bench`: it
 * compares two builds, for a change to the start-up path.
 */
import path from 'node:path';
import { median, round, runCleanups, sleep, startServerProcess, tempDir, tempPostgres } from './lib.ts';

const checkouts = process.argv.slice(2).map((p) => path.resolve(p));
if (checkouts.length !== 2) throw new Error('usage: npx tsx bench/ab-start.ts CHECKOUT_A CHECKOUT_B');
const kind = process.env.AB_KIND === 'postgres' ? 'postgres' : 'pglite';
const N = Number(process.env.AB_N ?? 9);

const places = await Promise.all(
  checkouts.map(async () => {
    const db = kind === 'postgres' ? await tempPostgres() : null;
    if (kind === 'postgres' && !db) throw new Error('PostgreSQL on 127.0.0.1:5432 does not answer');
    return { dataDir: tempDir().dir, databaseUrl: db?.url };
  }),
);

async function startOnce(i: number): Promise<number> {
  const server = await startServerProcess({ intervalMs: 1000, ...places[i]!, checkout: checkouts[i], noLogin: true });
  await sleep(1000);
  await server.stop();
  return server.startMs;
}

try {
  for (let i = 0; i < checkouts.length; i++) await startOnce(i);
  const times: number[][] = checkouts.map(() => []);
  for (let n = 0; n < N; n++) for (let i = 0; i < checkouts.length; i++) times[i]!.push(await startOnce(i));
  checkouts.forEach((c, i) => console.log(`${kind} ${c}: median ${round(median(times[i]!)!, 0)} ms (${times[i]!.map((t) => round(t, 0)).join(', ')})`));
} finally {
  await runCleanups(); // the data dirs and databases
}
