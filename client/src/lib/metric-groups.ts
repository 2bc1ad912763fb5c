import { METRIC_NAMES, type MetricName } from '$shared/catalog.ts';

/** Option groups for metric pickers, by the name's area (`cpu.…`, `db.…`). */
const AREAS: Record<string, string> = {
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  net: 'Network',
  db: 'Database',
  app: 'Viewers',
  self: 'glasswatch server',
};

export const METRIC_GROUPS: ReadonlyArray<{ title: string; metrics: MetricName[] }> = Object.entries(AREAS).map(([area, title]) => ({
  title,
  metrics: METRIC_NAMES.filter((m) => m.split('.')[0] === area),
}));
