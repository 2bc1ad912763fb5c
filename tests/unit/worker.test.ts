/**
 * A bundled worker thread starts with the process's flags but without its
 * preloads: `node --import tsx --import ./bench/probe.ts dist/server/main.js`
 * must not hand the TypeScript probe to PGlite's worker, which could not load it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagsWithoutPreloads } from '../../server/lib/worker.ts';

describe('a bundled worker thread\'s flags', () => {
  it('drops every preload, in both spellings, and keeps the other flags in order', () => {
    assert.deepEqual(
      flagsWithoutPreloads(['--import', 'tsx', '--enable-source-maps', '--import=./bench/probe.ts', '-r', 'x.cjs', '--require=y.cjs', '--max-old-space-size=4096', '--loader', 'l.mjs', '--experimental-loader=m.mjs', '--expose-gc']),
      ['--enable-source-maps', '--max-old-space-size=4096', '--expose-gc'],
    );
  });

  it('leaves flags without preloads as they are', () => {
    assert.deepEqual(flagsWithoutPreloads([]), []);
    assert.deepEqual(flagsWithoutPreloads(['--enable-source-maps']), ['--enable-source-maps']);
  });
});
