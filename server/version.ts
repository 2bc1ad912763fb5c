import { readFileSync } from 'node:fs';

/** The version from package.json: shown in the UI and compared by wall screens to notice upgrades. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
