/**
 * Alert rules, alerts and silences: the shapes of ../CONTRACT.md and small
 * pure helpers. No validation library here, so every page can import it;
 * the input schemas are in alert-schemas.ts.
 */
import type { MetricName } from './catalog.ts';
import type { Ack, TsMs } from './events.ts';

export const OPERATORS = ['>', '<', '>=', '<=', '=='] as const;
export type Operator = (typeof OPERATORS)[number];

export const LEVELS = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];
export const LEVEL_RANK: Record<Level, number> = { INFO: 1, WARNING: 2, CRITICAL: 3 };

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export { CHANNEL_KINDS, channelKind, type Channel, type ChannelKind } from './channels.ts';
import type { Channel } from './channels.ts';

export interface Rule {
  id: number;
  name: string;
  metric: MetricName;
  /** null: every host. */
  host: string | null;
  operator: Operator;
  threshold: number;
  level: Level;
  /** The condition must hold this long before the alert fires; 0 = at once. */
  forSeconds: number;
  /** Hysteresis: a firing alert resolves only once the value is this far on the good side of the threshold. */
  clearMargin: number;
  enabled: boolean;
  channels: Channel[];
  /** Re-notify a still-firing, unacknowledged alert this often; null = never. */
  repeatSeconds: number | null;
  createdAt: TsMs;
  updatedAt: TsMs;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'suppressed';

/** One notification of one alert on one channel. */
export interface Delivery {
  channel: Channel;
  /** What was notified: the alert firing, a reminder, or its resolution. */
  reason: 'firing' | 'repeat' | 'resolved';
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sentAt: TsMs | null;
}

export interface Alert {
  id: number;
  ruleId: number | null;
  ruleName: string;
  metric: MetricName;
  host: string;
  level: Level;
  state: AlertState;
  /** The value that fired the alert (the live value is on the dashboard). */
  value: number;
  threshold: number;
  operator: Operator;
  message: string;
  startedAt: TsMs;
  acknowledgedAt: TsMs | null;
  acknowledgedBy: string | null;
  resolvedAt: TsMs | null;
  /** Who resolved it, or "system" when the condition cleared (or the rule changed). */
  resolvedBy: string | null;
  note: string | null;
  /** Fired while a silence matched: recorded and shown, nobody notified. */
  silenced: boolean;
  deliveries: Delivery[];
}

export type AlertEventKind = 'fired' | 'notified' | 'notify_failed' | 'acknowledged' | 'unacknowledged' | 'resolved' | 'silenced';

export interface AlertEvent {
  at: TsMs;
  kind: AlertEventKind;
  actor: string | null;
  detail: string | null;
}

export interface AlertDetail extends Alert {
  timeline: AlertEvent[];
}

export interface Silence {
  id: number;
  ruleId: number | null;
  host: string | null;
  startsAt: TsMs;
  endsAt: TsMs;
  reason: string | null;
  createdBy: string;
  createdAt: TsMs;
}

/** Open first by severity, then newest: the order of every alert list. */
export function compareAlerts(a: Alert, b: Alert): number {
  const openA = a.state !== 'resolved' ? 1 : 0;
  const openB = b.state !== 'resolved' ? 1 : 0;
  return openB - openA || LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || b.startedAt - a.startedAt;
}

/** The acknowledgement callback of alert:ack / alert:unack / alert:resolve. */
export type AlertAck = Ack<{ alert: Alert }>;
