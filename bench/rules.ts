/**
 * 100 rules evaluated per tick: the product's alert service (createAlertService)
 * with 100 enabled rules over all built-in metrics, fed samples on its own
 * bus; per sample the time from `bus.publish` until `alerts.idle()` says the
 * evaluation is done. No rule breaches (the steady state of almost every
 * tick), so this is the evaluation itself; a tick that fires or resolves adds
 * one database transaction, which the socket benchmarks cover.
 */
import { BUILTIN_METRICS as METRIC_NAMES, isBuiltinMetric, METRICS } from '../shared/catalog.ts';
import { ruleCreateSchema } from '../shared/alert-schemas.ts';
import type { MetricValues } from '../shared/catalog.ts';
import { createAlertService } from '../server/alerts/service.ts';
import type { Actor } from '../server/auth/service.ts';
import { createSampleBus } from '../server/lib/bus.ts';
import { openBenchDatabase } from './data.ts';
import { meets, median, percentile, progress, round, scale, standalone, type BenchResult } from './lib.ts';

const RULES = 100;
/** Who creates the rules (they are audited). */
const BENCH_ACTOR: Actor = { principal: { kind: 'user', id: 0, username: 'bench', role: 'admin' }, from: { address: null } };
const SAMPLES = scale(3000, 500);
const WARMUP = scale(300, 100);

export async function run(): Promise<BenchResult[]> {
  const target = (await openBenchDatabase('postgres')) ?? (await openBenchDatabase('pglite'));
  if (!target) throw new Error('no database');
  progress(`rules: ${RULES} rules on ${target.kind}, ${SAMPLES} samples`);
  try {
    const bus = createSampleBus();
    const metrics = { info: (name: string) => (isBuiltinMetric(name) ? METRICS[name] : undefined) };
    const alerts = await createAlertService({ db: target.database.db, bus, metrics, onChange: () => {}, onQueued: () => {} });
    try {
      for (let i = 0; i < RULES; i++) {
        const metric = METRIC_NAMES[i % METRIC_NAMES.length]!;
        const max: number | undefined = (METRICS[metric] as { max?: number }).max;
        await alerts.createRule(
          ruleCreateSchema.parse({ name: `bench rule ${i}`, metric, operator: '>', threshold: max ?? 1e12, level: 'WARNING', forSeconds: i % 3 === 0 ? 60 : 0 }),
          BENCH_ACTOR,
        );
      }
      const values: MetricValues = Object.fromEntries(METRIC_NAMES.map((m, i) => [m, 10 + i]));
      const t0 = Date.now();
      const ms: number[] = [];
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const t = performance.now();
        void bus.publish({ samples: [{ host: 'bench-host', ts: t0 + i * 1000, values }], fresh: true });
        await alerts.idle();
        if (i >= WARMUP) ms.push(performance.now() - t);
      }
      const p50 = median(ms);
      const p99 = percentile(ms, 99);
      return [
        {
          name: `${RULES} rules evaluated per tick`,
          median: round(p50, 3),
          p50: round(p50, 3),
          p99: round(p99, 3),
          max: round(Math.max(...ms), 3),
          unit: 'ms',
          target: '< 1',
          met: meets(p99, '<', 1),
          note: `the alert service on ${target.kind} with ${RULES} rules (all ${METRIC_NAMES.length} built-in metrics, a third with forSeconds), ${SAMPLES} samples after ${WARMUP} warm-up; bus.publish → alerts.idle() per sample, no transition (so no database work); verdict on the p99`,
        },
      ];
    } finally {
      await alerts.close();
    }
  } finally {
    await target.dispose();
  }
}

if (import.meta.filename === process.argv[1]) await standalone(run);
