/**
 * Starts a worker thread from a module of ours. Node 20 applies neither
 * `--import tsx` nor an explicit `execArgv` loader to a worker's entry module
 * (nodejs/node#47747, privatenumber/tsx#354: "Unknown file extension .ts"),
 * under `node --import tsx` and the `tsx` CLI alike. So when running from
 * TypeScript, a one-line bootstrap registers tsx inside the worker, then
 * imports the real entry.
 */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(entry: URL, workerData?: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
