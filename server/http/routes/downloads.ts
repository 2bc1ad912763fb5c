/**
 * `GET /downloads/glasswatch-agent.mjs`: the agent as one file, so the
 * install command an admin copies under Admin → Agents needs nothing but
 * this server. Built once per server process on first request (esbuild,
 * about a second) and kept; it holds no secret, so it needs no login.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Router } from '@koa/router';
import { PUBLIC } from '../../../shared/routes.ts';
import { createLogger } from '../../lib/log.ts';

const log = createLogger('http');

export function downloadRoutes(deps: { build(outfile: string): Promise<string> }) {
  const router = new Router();
  let built: Promise<Buffer> | undefined;
  const bundle = () =>
    (built ??= (async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'glasswatch-agent-'));
      try {
        return await fs.readFile(await deps.build(path.join(dir, 'glasswatch-agent.mjs')));
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    })().catch((err) => {
      built = undefined;
      throw err;
    }));

  router.get(PUBLIC.agentDownload, async (ctx) => {
    try {
      ctx.body = await bundle();
    } catch (err) {
      log.error('building the agent failed', err);
      ctx.throw(503, 'the agent could not be built on this server: run `npm run build:agent` and copy dist/glasswatch-agent.mjs', { code: 'unavailable' });
    }
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="glasswatch-agent.mjs"');
    ctx.set('Cache-Control', 'no-cache');
  });
  return router;
}
