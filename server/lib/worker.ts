/**
 * Starts a worker thread from a module of ours. Node 20 applies neither
 * `--import tsx` nor an explicit `execArgv` loader to a worker's entry module
 * (nodejs/node#47747, privatenumber/tsx#354: "Unknown file extension .ts"),
 * under `node --import tsx` and the `tsx` CLI alike. So when running from
 * TypeScript, a one-line bootstrap registers tsx inside the worker, then
 * imports the real entry. A bundled entry (.js) starts as it is, without the
 * process's preloaded modules (`--import`, `--require`: a probe or a loader
 * meant for the main thread, which a worker could not even load).
 */
import { Worker } from 'node:worker_threads';

const PRELOAD = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** The process's flags without its preloads (both `--import x` and `--import=x`). */
export function flagsWithoutPreloads(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (PRELOAD.has(flag)) i++;
    else if (![...PRELOAD].some((p) => flag.startsWith(`${p}=`))) kept.push(flag);
  }
  return kept;
}

export function startModuleWorker(entry: URL, workerData?: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData, execArgv: flagsWithoutPreloads(process.execArgv) });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
