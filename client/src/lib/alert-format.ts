import type { Alert, AlertState, Level, Operator } from '$shared/alerts.ts';
import type { MetricName } from '$shared/catalog.ts';
import { formatMetricText } from '$shared/format.ts';
import { PAGES } from '$shared/routes.ts';
import { catalog } from './catalog.svelte.ts';
import type { IconName } from './icons.ts';
import { pageHref } from './router.svelte.ts';

export const OPERATOR_SYMBOL: Record<Operator, string> = { '>': '>', '<': '<', '>=': '≥', '<=': '≤', '==': '=' };

/** CSS class per level: the colours of app.css (--level-*). */
export const LEVEL_CLASS: Record<Level, 'critical' | 'warning' | 'info'> = { CRITICAL: 'critical', WARNING: 'warning', INFO: 'info' };
export const LEVEL_ICON: Record<Level, IconName> = { CRITICAL: 'critical', WARNING: 'warning', INFO: 'info' };
/** Most severe first: the order of counts and pickers. */
export const LEVELS_DOWN: readonly Level[] = ['CRITICAL', 'WARNING', 'INFO'];

export const STATE_LABEL: Record<AlertState, string> = { firing: 'Firing', acknowledged: 'Acknowledged', resolved: 'Resolved' };

/** "≥ 85 %". */
export function conditionText(metric: MetricName, operator: Operator, threshold: number): string {
  return `${OPERATOR_SYMBOL[operator]} ${formatMetricText(catalog.def(metric), threshold)}`;
}

/** Where the clear margin is measured from the threshold, for the operator's good side. */
export function clearDirection(operator: Operator): string {
  if (operator === '>' || operator === '>=') return 'below';
  if (operator === '<' || operator === '<=') return 'above';
  return 'away from';
}

export function alertHref(alert: Pick<Alert, 'id'>): string {
  return pageHref(PAGES.alerts, { id: alert.id });
}

/** Whole units for settings: "30 s", "30 min", "1 h 30 min", "2 d". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60 || s % 60 !== 0) return `${s} s`;
  const min = s / 60;
  if (min < 60 || min % 60 !== 0) return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
  const h = min / 60;
  return h % 24 === 0 ? `${h / 24} d` : `${h} h`;
}
