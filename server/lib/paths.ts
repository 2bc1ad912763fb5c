/**
 * Where the install is: the folder with package.json, migrations/ and
 * client/. Found from this module upward, so it holds both when the server
 * runs from its TypeScript (server/lib/) and from its bundle (dist/server/).
 */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(import.meta.dirname);
