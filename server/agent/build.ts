/** `npm run build:agent`: writes dist/glasswatch-agent.mjs (agent/bundle.ts). */
import path from 'node:path';
import { buildAgent } from './bundle.ts';

const out = await buildAgent();
process.stderr.write(`wrote ${path.relative(process.cwd(), out)}\n`);
