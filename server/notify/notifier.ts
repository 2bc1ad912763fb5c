import type { Alert, Channel, ChannelKind, Delivery } from '../../shared/alerts.ts';

export interface Notification {
  alert: Alert;
  reason: Delivery['reason'];
  channel: Channel;
  /** Where a person sees this alert in the product. */
  link: string;
}

/**
 * One notification channel. `send` throws a descriptive error when delivery
 * failed (it is retried); `notConfigured` says why the channel cannot send at
 * all (such deliveries fail at once instead of retrying forever).
 */
export interface Notifier {
  readonly kind: ChannelKind;
  notConfigured(): string | null;
  send(n: Notification, signal: AbortSignal): Promise<void>;
}

/** One line a person reads first: "[CRITICAL] CPU usage critical on web-1 — firing". */
export function headline(n: Notification): string {
  const what = { firing: 'firing', repeat: 'still firing', resolved: 'resolved' }[n.reason];
  return `[${n.alert.level}] ${n.alert.ruleName} on ${n.alert.host} — ${what}`;
}

/** The plain-text body shared by email and chat. */
export function details(n: Notification): string {
  const a = n.alert;
  const lines = [
    a.message,
    '',
    `Host:      ${a.host}`,
    `Metric:    ${a.metric}`,
    `Value:     ${a.value}`,
    `Threshold: ${a.operator} ${a.threshold}`,
    `Level:     ${a.level}`,
    `Started:   ${new Date(a.startedAt).toISOString()}`,
  ];
  if (a.acknowledgedBy) lines.push(`Acknowledged by ${a.acknowledgedBy} at ${new Date(a.acknowledgedAt!).toISOString()}`);
  if (a.resolvedAt) lines.push(`Resolved:  ${new Date(a.resolvedAt).toISOString()}${a.resolvedBy ? ` by ${a.resolvedBy}` : ''}`);
  lines.push('', `Open: ${n.link}`);
  return lines.join('\n');
}
