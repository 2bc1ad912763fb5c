import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/paths.ts';

/** The version from package.json: shown in the UI and compared by wall screens to notice upgrades. */
export const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
