const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** "14:03:27" in the viewer's time zone. */
export function formatClock(tsMs: number): string {
  return TIME.format(tsMs);
}

/** "Mar 4, 14:03:27". */
export function formatDateTime(tsMs: number): string {
  return DATE_TIME.format(tsMs);
}

/** "just now", "42 s ago", "5 min ago". */
export function formatAgo(ageMs: number): string {
  const s = Math.max(0, Math.round(ageMs / 1000));
  if (s < 2) return 'just now';
  if (s < 120) return `${s} s ago`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min ago`;
  return `${Math.round(min / 60)} h ago`;
}

const HOUR_MINUTE = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** An axis tick at `tsMs` when ticks are `stepMs` apart: "14:03:20", "14:05", "Mar 4". */
export function formatTick(tsMs: number, stepMs: number): string {
  if (stepMs >= 86_400_000) return DAY.format(tsMs);
  if (stepMs >= 60_000) return HOUR_MINUTE.format(tsMs);
  return TIME.format(tsMs);
}
