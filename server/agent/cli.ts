/** Entry point of `npm run agent` and of the single-file build (`npm run build:agent`). */
import { createLogger } from '../lib/log.ts';
import { runAgentCli } from './main.ts';

runAgentCli().catch((err) => {
  createLogger('agent').error('the agent stopped', err);
  process.exit(1);
});
