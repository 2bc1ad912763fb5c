import type { Alert, Delivery } from '../../shared/alerts.ts';
import { channelTarget, type Channel, type ChannelKind } from '../../shared/channels.ts';

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

/** The target of the notification's channel: the URL after `slack:`, the chat id after `telegram:`. */
export const targetOf = (n: Notification) => channelTarget(n.channel);

/**
 * POSTs JSON (or another body) and throws a descriptive error unless the
 * answer is 2xx: the status and the start of the body, which is where chat
 * services say what they did not like. Redirects are refused.
 */
export async function post(url: string, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}): Promise<string> {
  const isText = typeof body === 'string';
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': isText ? 'text/plain' : 'application/json', 'user-agent': 'glasswatch', ...headers },
    body: isText ? body : JSON.stringify(body),
    signal,
    redirect: 'error',
  });
  const text = (await res.text()).slice(0, 300);
  if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, ' ').trim()}` : ''}`);
  return text;
}

/** The level as chat services colour it. */
export const LEVEL_COLOR: Record<Alert['level'], string> = { INFO: '#3b82f6', WARNING: '#f59e0b', CRITICAL: '#ef4444' };

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
