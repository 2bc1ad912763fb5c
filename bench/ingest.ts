/**
 * Samples written per second in a burst into the head of the sample store
 * (`samples`, keyed by host, metric and ts), through the product's
 * insertSamples (one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`
 * per batch, plus the hosts' last_seen), on PGlite (in its worker thread) and
 * PostgreSQL, in batches of 1,000 and 10,000 rows, against Drizzle's
 * multi-row INSERT … VALUES as a baseline. Bytes per sample are measured
 * after a realistic day by the storage benchmark (history.ts), not here.
 */
import { sql } from 'drizzle-orm';
import { samples } from '../server/store/schema.ts';
import { openBenchDatabase, insertTicks, tickRows, type BenchDatabase } from './data.ts';
import { meets, median, notMeasured, progress, round, scale, standalone, type BenchResult } from './lib.ts';

const ROWS = scale(200_000, 50_000);
const REPS = scale(3, 1);
const BATCHES = [1_000, 10_000];
const T0 = Date.UTC(2024, 0, 1);
const BASELINE_ROWS = scale(100_000, 20_000);

async function burst(target: BenchDatabase, batch: number): Promise<number[]> {
  const rates: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // Every repetition starts from an empty table, so all see the same index size.
    await target.database.db.execute(sql`TRUNCATE samples`);
    const ms = await insertTicks(target, T0, ROWS, batch);
    rates.push((ROWS / ms) * 1000);
  }
  return rates;
}

/**
 * The baseline the design compares with: Drizzle's multi-row INSERT … VALUES
 * (4 bind parameters per row), same rows, batches of 1,000, on an empty table.
 */
async function valuesBaseline(target: BenchDatabase): Promise<number[]> {
  const rates: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    await target.database.db.execute(sql`TRUNCATE samples`);
    const batches = [];
    for (let start = 0; start < BASELINE_ROWS; start += 1_000) {
      const r = tickRows(target, T0, 1_000, start);
      batches.push(r.value.map((value, i) => ({ ts: new Date(r.tsMs[i]!), hostId: r.hostId[i]!, metricId: r.metricId[i]!, value })));
    }
    const t = performance.now();
    for (const rows of batches) await target.database.db.insert(samples).values(rows);
    rates.push((BASELINE_ROWS / (performance.now() - t)) * 1000);
  }
  return rates;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of ['pglite', 'postgres'] as const) {
    const target = await openBenchDatabase(kind);
    if (!target) {
      results.push(notMeasured(`ingest [${kind}]`, '≥ 50,000', 'PostgreSQL does not answer'));
      continue;
    }
    try {
      progress(`ingest ${kind}: baseline, Drizzle INSERT … VALUES, ${REPS} × ${BASELINE_ROWS.toLocaleString('en')} rows in batches of 1,000`);
      const baseline = median(await valuesBaseline(target));
      for (const batch of BATCHES) {
        progress(`ingest ${kind}: ${REPS} × ${ROWS.toLocaleString('en')} rows in batches of ${batch.toLocaleString('en')}`);
        const rates = await burst(target, batch);
        const m = median(rates);
        results.push({
          name: `samples written/s [${kind}, batch ${batch.toLocaleString('en')}]`,
          median: round(m, 0),
          unit: 'rows/s',
          target: kind === 'postgres' ? '≥ 50,000' : '',
          met: kind === 'postgres' ? meets(m, '>=', 50_000) : null,
          reps: rates.map((r) => round(r, 0)),
          note: `median of ${REPS} bursts of ${ROWS.toLocaleString('en')} rows (${target.metricIds.length} metrics per 1 s tick, one host), each into an empty table with its indexes; insertSamples (unnest) awaited one batch after another; ${round(m! / baseline!, 1)}× the ${round(baseline, 0)!.toLocaleString('en')} rows/s of Drizzle's INSERT … VALUES with batches of 1,000 (same rows, median of ${REPS} × ${BASELINE_ROWS.toLocaleString('en')})`,
        });
      }
    } finally {
      await target.dispose();
    }
  }
  return results;
}

if (import.meta.filename === process.argv[1]) {
  await standalone(run);
}
