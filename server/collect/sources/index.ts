/**
 * The source registry. Adding a source: one file in this folder plus one line
 * below. The check at the end makes a catalog metric without a source a
 * compile error.
 */
import type { BuiltinMetric } from '../../../shared/catalog.ts';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../store/db.ts';
import { createAppSource, type AudienceCounts } from './app.ts';
import { createCpuSource } from './cpu.ts';
import { createDbSizeSource, createDbSource } from './db.ts';
import { createDiskSource } from './disk.ts';
import { createMemorySource } from './memory.ts';
import { createNetSource } from './net.ts';
import { createSelfSource } from './self.ts';

export interface SourceDeps {
  db: Db;
  audience: AudienceCounts;
}

export function createSources(deps: SourceDeps) {
  const run = (text: string) => queryRows(deps.db, sql.raw(text));
  return [
    createCpuSource(),
    createMemorySource(),
    createDiskSource(),
    createNetSource(),
    createDbSource(run),
    createDbSizeSource(run),
    createAppSource(deps.audience),
    createSelfSource(),
  ] as const;
}

type Covered = ReturnType<typeof createSources>[number]['metrics'][number];
// host.up is not measured on a host: the server computes it from arrivals (fleet/liveness.ts).
type Uncovered = Exclude<BuiltinMetric, Covered | 'host.up'>;
// A type error here names the catalog metrics that no source measures.
const everyMetricHasASource: [Uncovered] extends [never] ? true : Uncovered = true;
void everyMetricHasASource;
