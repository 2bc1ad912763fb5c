/**
 * The agent's single-file build (`npm run build:agent`, and the server's
 * download route): bundles the agent (its code, socket.io-client,
 * systeminformation, pg) into one file, dist/glasswatch-agent.mjs, that runs
 * with plain `node` (≥ 20) on a host with nothing else installed.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT as root } from '../lib/paths.ts';

export const AGENT_BUNDLE = path.join(root, 'dist', 'glasswatch-agent.mjs');

export async function buildAgent(outfile = AGENT_BUNDLE): Promise<string> {
  await build({
    entryPoints: [path.join(root, 'server/agent/cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    legalComments: 'eof',
    // pg's optional native binding: never installed, never loaded.
    external: ['pg-native'],
    // Bundled CommonJS (pg, systeminformation) calls require(); give it one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __gwRequire } from 'node:module'; const require = __gwRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}
