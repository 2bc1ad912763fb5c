/**
 * The outbox worker: delivers queued notifications — one row per alert and
 * channel, or per report email — with exponential backoff on failure and no
 * limit on retries (a mail server that is down for a day gets its mail when
 * it is back). Rows are claimed with a lease, so several server nodes never
 * send one twice.
 *
 * It does not poll. A pass runs when a notification is queued (here, or on
 * another node: the cluster's "outbox" message), when an alert or a rule
 * changes (main.ts: an acknowledgement moves the next reminder), when a
 * delivery ends, and when the next row falls due — a retry's backoff, an
 * expired lease, a reminder — read from the database after every pass; a
 * slow safety pass (`pollMs`) covers a lost message. An idle server asks the
 * database nothing between those.
 *
 * Channels are isolated: every delivery runs on its own with a hard
 * deadline (a notifier that ignores its abort signal is cut off anyway), at
 * most a few per channel kind at once, and a kind whose slots are all busy
 * is skipped when rows are claimed — a mail server that accepts a message
 * and never answers holds up mail, never a webhook.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { channelKind, type Alert, type Channel, type Delivery } from '../../shared/alerts.ts';
import { createLogger } from '../lib/log.ts';
import { addEvent, loadAlert } from '../alerts/store.ts';
import { queryRows, type Db } from '../store/db.ts';
import { alerts, notificationOutbox } from '../store/schema.ts';
import type { Mail, Mailer } from './email.ts';
import type { Notifier } from './notifier.ts';

const log = createLogger('notify');
export const SEND_TIMEOUT_MS = 15_000;
/** Deliveries in flight per channel kind. */
const PER_KIND = 4;
const LEASE = sql`interval '2 minutes'`;

export interface OutboxDeps {
  db: Db;
  notifiers: Record<ReturnType<typeof channelKind>, Notifier>;
  publicUrl: string;
  isSilenced(alert: Alert): boolean;
  /** An alert's deliveries changed: push it to viewers. */
  refresh(alertId: number): Promise<void>;
  /** Report emails (rows with a report_id): how a stored report becomes a mail, and the mailer. */
  reports?: { mailer: Mailer; compose(reportId: number, to: string): Promise<Mail | undefined> };
  signal: AbortSignal;
  /**
   * Only the cluster leader delivers: `active()` says whether this node leads,
   * `condition()` is the fencing check written into the claim itself — a node
   * that lost the lead claims nothing, even before it knows. Default: one node.
   */
  leader?: { active(): boolean; condition(): SQL };
  /** First retry after this long, doubling up to maxRetryMs. */
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** A pass runs at least this often, whatever else wakes it (default 30 s). */
  pollMs?: number;
}

/** A pass that failed (the database away) is tried again after this long. */
const FAILED_PASS_RETRY_MS = 2000;
/** Never wake sooner than this after a pass: a row due "now" that a pass could not take waits for a delivery to end. */
const MIN_WAKE_MS = 20;

interface Claimed extends Record<string, unknown> {
  id: number;
  /** One of the two is set (a check constraint says so). */
  alert_id: number | null;
  report_id: number | null;
  recipient: string | null;
  channel: string;
  reason: Delivery['reason'] | 'report';
  attempts: number;
}

/**
 * Runs `work` with an abort signal that fires after `ms`, and gives up on it
 * then even if it ignores the signal (its late result is dropped).
 */
export async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no answer within ${ms / 1000} s`);
      err.name = 'TimeoutError';
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const running = work(controller.signal);
  running.catch(() => {}); // a late failure after the deadline is already accounted for
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

export function startOutbox(deps: OutboxDeps) {
  const { db } = deps;
  const baseMs = deps.retryBaseMs ?? 5000;
  const maxMs = deps.maxRetryMs ?? 10 * 60_000;
  const safetyMs = deps.pollMs ?? 30_000;
  let running: Promise<void> | undefined;
  let again = false;
  const active = () => deps.leader?.active() ?? true;
  const fenced = () => deps.leader?.condition() ?? sql`true`;

  /** Reminders for firing, unacknowledged alerts whose rule asks for them. */
  async function queueRepeats() {
    await db.execute(sql`
      WITH due AS (
        UPDATE alerts a SET last_notified_at = now()
        FROM alert_rules r
        WHERE ${fenced()} AND a.rule_id = r.id AND a.state = 'firing' AND r.repeat_seconds IS NOT NULL
          AND coalesce(a.last_notified_at, a.started_at) <= now() - make_interval(secs => r.repeat_seconds)
        RETURNING a.id, r.channels
      )
      INSERT INTO notification_outbox (alert_id, channel, reason)
      SELECT due.id, c.channel, 'repeat' FROM due, jsonb_array_elements_text(due.channels) AS c(channel)`);
  }

  /** Claims due rows of the kinds that have a free slot. */
  async function claim(busyKinds: readonly string[]): Promise<Claimed[]> {
    const busy = `{${busyKinds.map((k) => `"${k}"`).join(',')}}`;
    return queryRows<Claimed>(db, sql`
      UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = now() + ${LEASE}
      WHERE ${fenced()} AND id IN (
        SELECT id FROM notification_outbox
        WHERE status = 'pending' AND next_attempt_at <= now() AND split_part(channel, ':', 1) <> ALL(${busy}::text[])
        ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED)
      RETURNING id, alert_id, report_id, recipient, channel, reason, attempts`);
  }

  /**
   * How long until the next row falls due, by the database's clock (the one
   * the claim compares with): a pending row of a kind with a free slot (a
   * retry's backoff, an expired lease) or a reminder. Null: nothing waits.
   */
  async function nextDueInMs(busyKinds: readonly string[]): Promise<number | null> {
    const busy = `{${busyKinds.map((k) => `"${k}"`).join(',')}}`;
    const [row] = await queryRows<{ wait_ms: number | string | null }>(db, sql`
      SELECT extract(epoch FROM least(
        (SELECT min(next_attempt_at) FROM notification_outbox
          WHERE status = 'pending' AND split_part(channel, ':', 1) <> ALL(${busy}::text[])),
        (SELECT min(coalesce(a.last_notified_at, a.started_at) + make_interval(secs => r.repeat_seconds))
          FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
          WHERE a.state = 'firing' AND r.repeat_seconds IS NOT NULL)
      ) - now()) * 1000 AS wait_ms`);
    return row?.wait_ms == null ? null : Number(row.wait_ms);
  }

  let wake: NodeJS.Timeout | undefined;
  /** The next pass, in `ms` (at most the safety interval). */
  function wakeIn(ms: number): void {
    clearTimeout(wake);
    if (deps.signal.aborted) return;
    wake = setTimeout(() => void kick(), Math.min(safetyMs, Math.max(MIN_WAKE_MS, ms)));
  }
  deps.signal.addEventListener('abort', () => clearTimeout(wake), { once: true });

  const finishRow = (id: number, set: Partial<typeof notificationOutbox.$inferInsert>) =>
    db.update(notificationOutbox).set(set).where(eq(notificationOutbox.id, id));

  /** A failed attempt: retried after the backoff; the first failure is logged. */
  async function retryLater(row: Claimed, err: unknown, what: string): Promise<string> {
    const message = err instanceof Error ? err.message : String(err);
    await finishRow(row.id, { lastError: message, nextAttemptAt: new Date(Date.now() + retryDelayMs(row.attempts, baseMs, maxMs)) });
    if (row.attempts === 1) log.warn(`notification ${row.id} (${what}) failed; retrying with backoff`, err);
    return message;
  }

  /** A report by email, to the recipient it was queued for. */
  async function deliverReport(row: Claimed & { report_id: number }): Promise<void> {
    const mailer = deps.reports?.mailer;
    const unavailable = !mailer ? 'report emails are not wired on this server' : !row.recipient ? 'no recipient (set REPORT_EMAIL_TO)' : mailer.notConfigured();
    if (unavailable) {
      await finishRow(row.id, { status: 'failed', lastError: unavailable });
      return;
    }
    const mail = await deps.reports!.compose(row.report_id, row.recipient!);
    if (!mail) {
      await finishRow(row.id, { status: 'failed', lastError: `report ${row.report_id} is gone` });
      return;
    }
    try {
      await withDeadline((signal) => mailer!.send(mail, signal), SEND_TIMEOUT_MS);
      await finishRow(row.id, { status: 'sent', sentAt: new Date(), lastError: null });
    } catch (err) {
      await retryLater(row, err, `report ${row.report_id} by email`);
    }
  }

  async function deliver(row: Claimed): Promise<void> {
    // Leadership ended since the claim: the new leader sends it once the lease runs out, this node does not.
    if (!active()) return;
    if (row.report_id !== null) return deliverReport({ ...row, report_id: row.report_id });
    if (row.alert_id === null) return;
    const alert = await loadAlert(db, row.alert_id);
    if (!alert) return;
    const channel = row.channel as Alert['deliveries'][number]['channel'];
    const notifier = deps.notifiers[channelKind(channel)];
    const finish = (set: Partial<typeof notificationOutbox.$inferInsert>) => finishRow(row.id, set);

    if (deps.isSilenced(alert)) {
      await finish({ status: 'suppressed', lastError: 'silenced' });
      return;
    }
    const unavailable = notifier.notConfigured();
    if (unavailable) {
      await finish({ status: 'failed', lastError: unavailable });
      return;
    }
    try {
      const reason = row.reason as Delivery['reason'];
      await withDeadline(
        (signal) => notifier.send({ alert, reason, channel, link: `${deps.publicUrl}/alerts?id=${alert.id}` }, signal),
        SEND_TIMEOUT_MS,
      );
      await finish({ status: 'sent', sentAt: new Date(), lastError: null });
      await db.update(alerts).set({ lastNotifiedAt: new Date() }).where(eq(alerts.id, alert.id));
      await addEvent(db, alert.id, 'notified', null, `${row.reason} via ${channelKind(channel)}`);
    } catch (err) {
      const message = await retryLater(row, err, `alert ${alert.id} via ${channelKind(channel)}`);
      if (row.attempts === 1) await addEvent(db, alert.id, 'notify_failed', null, `${channelKind(channel)}: ${message} (retrying)`);
    }
  }

  const inFlight = new Map<string, number>();
  const deliveries = new Set<Promise<void>>();

  /** Starts one delivery on its own; when it ends, its alert (if it is about one) is re-pushed and a new pass may claim more. */
  function start(row: Claimed) {
    const kind = channelKind(row.channel as Channel);
    inFlight.set(kind, (inFlight.get(kind) ?? 0) + 1);
    const done = deliver(row)
      .catch((err) => log.error(`delivering notification ${row.id} failed`, err))
      .then(() => (row.alert_id === null ? undefined : deps.refresh(row.alert_id)))
      .catch((err) => log.warn(`could not push alert ${row.alert_id} after a delivery`, err))
      .finally(() => {
        inFlight.set(kind, (inFlight.get(kind) ?? 1) - 1);
        deliveries.delete(done);
        if (!deps.signal.aborted) void kick();
      });
    deliveries.add(done);
  }

  async function runOnce() {
    if (!active()) return wakeIn(safetyMs);
    await queueRepeats();
    const busyKinds = () => [...inFlight].filter(([, n]) => n >= PER_KIND).map(([k]) => k);
    for (;;) {
      const batch = await claim(busyKinds());
      if (batch.length === 0) break;
      for (const row of batch) start(row);
    }
    wakeIn((await nextDueInMs(busyKinds())) ?? safetyMs);
  }

  /** Runs a pass now (or right after the one in progress); none once the server stops. */
  function kick(): Promise<void> {
    if (deps.signal.aborted) return running ?? Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = runOnce()
      .catch((err) => {
        log.error('outbox pass failed', err);
        wakeIn(FAILED_PASS_RETRY_MS);
      })
      .finally(() => {
        running = undefined;
        if (again && !deps.signal.aborted) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  void kick();
  return {
    kick,
    /** Resolves once a pass has run and every delivery it started has ended (tests await this instead of sleeping). */
    async idle() {
      await kick();
      while (deliveries.size > 0 || running) {
        await Promise.all(deliveries);
        await running;
      }
    },
    async stopped() {
      await running;
      await Promise.all(deliveries);
    },
  };
}
