/**
 * Serves the built client: hashed assets cached forever, every page path
 * answered with index.html (the client routes). `/metrics` is both a page and
 * the Prometheus endpoint, so a browser (Accept: text/html) gets the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';
import serve from 'koa-static';
import { isApiPath, PAGE_PATHS, PUBLIC } from '../../../shared/routes.ts';
import { ROOT } from '../../lib/paths.ts';

export const CLIENT_DIST = path.join(ROOT, 'client', 'dist');

export function wantsPage(ctx: Context): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  if (ctx.path === PUBLIC.metrics) return ctx.get('Accept').includes('text/html');
  return (PAGE_PATHS as readonly string[]).includes(ctx.path);
}

export function clientRoutes(distDir = CLIENT_DIST) {
  const assets = serve(distDir, {
    index: false,
    setHeaders(res, filePath) {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const indexFile = path.join(distDir, 'index.html');
  return async function client(ctx: Context, next: Next) {
    if (wantsPage(ctx)) {
      if (!fs.existsSync(indexFile)) ctx.throw(503, 'the client is not built: run `npm run build`', { code: 'client_not_built' });
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = fs.createReadStream(indexFile);
      return;
    }
    if (isApiPath(ctx.path) || ctx.path === PUBLIC.metrics) return next();
    return assets(ctx, next);
  };
}
