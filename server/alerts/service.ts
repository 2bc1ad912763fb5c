/**
 * The alert service: evaluates every enabled rule on every fresh sample, and
 * owns every change to alerts, rules and silences. Every change is persisted
 * in a transaction — with its outbox rows and its audit entry — first, and
 * only then applied in memory and pushed to viewers.
 *
 * Evaluation and rule/silence changes run one at a time through one queue.
 * Operator actions (acknowledge, resolve) do not wait in it: each is one
 * conditional UPDATE (`… WHERE state = 'firing'`), so a flood of them can
 * neither hold up evaluation nor double-apply, and an alert is re-read after
 * every change, one alert at a time, so the last push shows the last state.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import { compareAlerts, type Alert, type AlertDetail, type Rule, type Silence } from '../../shared/alerts.ts';
import { ruleCreateSchema, type RuleInput, type RulePatch } from '../../shared/alert-schemas.ts';
import { metricDef, type MetricDef } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { formatMetricText } from '../../shared/format.ts';
import { audit } from '../auth/audit.ts';
import { actorName, auditOf, type Actor } from '../auth/service.ts';
import type { SampleBus } from '../lib/bus.ts';
import { notFound, ServiceError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import type { Db } from '../store/db.ts';
import { alertRules, alertRuleStates, alerts, silences } from '../store/schema.ts';
import { evaluateRule, OK, type RuleState, type Transition } from './evaluate.ts';
import {
  addEvent, clearState, listAlerts, loadActiveSilences, loadAlert, loadAlertDetail, loadRules, loadStates, openAlertRows,
  openAlertsOf, queueNotifications, saveState, silenceCovers, toRule, toSilence, type AlertFilter, type Tx,
} from './store.ts';

const log = createLogger('alerts');
const SYSTEM = 'system';
/** Fields whose change makes open alerts of the rule meaningless: they are resolved. */
const CONDITION_FIELDS = ['metric', 'host', 'operator', 'threshold', 'forSeconds', 'clearMargin'] as const;
/** Samples waiting for evaluation beyond this are skipped (the database is too slow): 20 s of 50 hosts. */
const MAX_BACKLOG = 1000;

export interface AlertServiceDeps {
  db: Db;
  bus: SampleBus;
  /** Which metrics exist (a rule on an unknown one is refused) and how to show their values. */
  metrics: { info(name: string): MetricDef | undefined };
  /** Called after every persisted change of an alert. */
  onChange(alert: Alert): void;
  /** New notifications are queued: deliver them. */
  onQueued(): void;
  /** Whether this node evaluates rules (the cluster leader; always on a single node). */
  evaluates?(): boolean;
  /** Refuses the transaction unless this node still leads (cluster/leader.ts); a fired alert is written by the leader only. */
  fence?(tx: Tx): Promise<void>;
}


export type AlertService = Awaited<ReturnType<typeof createAlertService>>;

const keyOf = (ruleId: number, host: string) => `${ruleId}\u0000${host}`;

export function alertMessage(rule: Pick<Rule, 'name' | 'metric' | 'operator' | 'threshold'>, host: string, value: number, def: MetricDef): string {
  return `${rule.name}: ${def.label} on ${host} is ${formatMetricText(def, value)} (threshold ${rule.operator} ${formatMetricText(def, rule.threshold)})`;
}

export async function createAlertService(deps: AlertServiceDeps) {
  const { db } = deps;
  const defOf = (metric: string) => metricDef(metric, { get: deps.metrics.info });
  const requireMetric = (metric: string) => {
    if (!deps.metrics.info(metric)) throw new ServiceError(422, 'invalid_value', `unknown metric "${metric}"`);
  };
  const rules = new Map<number, Rule>();
  let activeSilences: Silence[] = [];
  const states = new Map<string, RuleState>();
  /** Open alerts (firing or acknowledged) by (rule, host). */
  const open = new Map<string, Alert>();

  /** (Re)reads rules and silences: at start, and when another node changed them. */
  async function loadConfig() {
    const loaded = await loadRules(db);
    rules.clear();
    for (const r of loaded) rules.set(r.id, r);
    activeSilences = await loadActiveSilences(db, Date.now());
  }
  /** (Re)reads open alerts and the evaluator's states: at start, and when this node becomes the leader. */
  async function loadState() {
    const openRows = await openAlertRows(db);
    const stored = await loadStates(db);
    open.clear();
    states.clear();
    for (const row of openRows) {
      const alert = await loadAlert(db, row.id);
      if (!alert || row.ruleId === null) continue;
      open.set(keyOf(row.ruleId, row.host), alert);
      states.set(keyOf(row.ruleId, row.host), { phase: 'firing', since: alert.startedAt });
    }
    for (const s of stored) states.set(keyOf(s.ruleId, s.host), { phase: s.phase, since: s.since.getTime() });
  }
  await loadConfig();
  await loadState();

  // ---- the one queue ---------------------------------------------------------
  let queue: Promise<unknown> = Promise.resolve();
  let backlog = 0;
  function serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  }

  const decorate = (alert: Alert, now = Date.now()): Alert => ({
    ...alert,
    silenced: alert.silenced || activeSilences.some((s) => silenceCovers(s, alert, now)),
  });

  /** Tracks the open set (undecorated: silences are applied on the way out) and pushes the change. */
  function publish(alert: Alert) {
    if (alert.state === 'resolved') {
      // By id: an alert whose rule was deleted has lost its ruleId by now.
      for (const [key, a] of open) if (a.id === alert.id) open.delete(key);
    } else if (alert.ruleId !== null) {
      open.set(keyOf(alert.ruleId, alert.host), alert);
    }
    deps.onChange(decorate(alert));
  }

  async function publishIds(ids: number[]) {
    for (const id of ids) {
      const alert = await loadAlert(db, id);
      if (alert) publish(alert);
    }
  }

  // ---- evaluation -----------------------------------------------------------
  interface Change {
    rule: Rule;
    host: string;
    value: number;
    state: RuleState;
    transition: Transition;
  }

  /** Applies one evaluation step's transitions inside a transaction; returns the alerts it touched. */
  async function persist(tx: Tx, c: Change, at: number): Promise<number | undefined> {
    const key = keyOf(c.rule.id, c.host);
    switch (c.transition) {
      case 'pending':
        await saveState(tx, c.rule.id, c.host, 'pending', c.state.since);
        return undefined;
      case 'cancelled':
      case 'unlatch':
        await clearState(tx, c.rule.id, c.host);
        return undefined;
      case 'fire': {
        await clearState(tx, c.rule.id, c.host);
        if (open.has(key)) return undefined; // already open (restored after a restart): fire once
        const silenced = activeSilences.some((s) => silenceCovers(s, { ruleId: c.rule.id, host: c.host }, at));
        const [row] = await tx
          .insert(alerts)
          .values({
            ruleId: c.rule.id, ruleName: c.rule.name, metric: c.rule.metric, host: c.host, level: c.rule.level, state: 'firing',
            value: c.value, threshold: c.rule.threshold, operator: c.rule.operator, message: alertMessage(c.rule, c.host, c.value, defOf(c.rule.metric)),
            startedAt: new Date(at), silenced,
          })
          .returning({ id: alerts.id });
        await addEvent(tx, row!.id, 'fired', SYSTEM, `value ${formatMetricText(defOf(c.rule.metric), c.value)}${silenced ? ' (silenced)' : ''}`, at);
        await queueNotifications(tx, row!.id, c.rule.channels, 'firing');
        return row!.id;
      }
      case 'resolve': {
        const current = open.get(key);
        if (!current) return undefined;
        await resolveRow(tx, current.id, SYSTEM, null, `value back to ${formatMetricText(defOf(c.rule.metric), c.value)}`, at);
        await queueNotifications(tx, current.id, c.rule.channels, 'resolved');
        return current.id;
      }
    }
  }

  async function resolveRow(tx: Tx, id: number, actor: string, note: string | null, detail: string | null, at = Date.now()) {
    const updated = await tx
      .update(alerts)
      .set({ state: 'resolved', resolvedAt: new Date(at), resolvedBy: actor, ...(note ? { note } : {}) })
      .where(and(eq(alerts.id, id), ne(alerts.state, 'resolved')))
      .returning({ id: alerts.id });
    if (updated.length > 0) await addEvent(tx, id, 'resolved', actor, note ?? detail, at);
    return updated.length > 0;
  }

  async function evaluateSample(sample: MetricsEvent) {
    const changes: Change[] = [];
    for (const rule of rules.values()) {
      if (!rule.enabled || (rule.host !== null && rule.host !== sample.host)) continue;
      const value = sample.values[rule.metric];
      const key = keyOf(rule.id, sample.host);
      const { state, transition } = evaluateRule(states.get(key) ?? OK, value, rule, sample.ts);
      if (transition) changes.push({ rule, host: sample.host, value: value!, state, transition });
    }
    if (changes.length === 0) return;
    const touched: number[] = [];
    await db.transaction(async (tx) => {
      await deps.fence?.(tx);
      for (const c of changes) {
        const id = await persist(tx, c, sample.ts);
        if (id !== undefined) touched.push(id);
      }
    });
    for (const c of changes) {
      const key = keyOf(c.rule.id, c.host);
      if (c.state.phase === 'ok') states.delete(key);
      else states.set(key, c.state);
    }
    await publishIds(touched);
    if (touched.length > 0) deps.onQueued();
  }

  // Only fresh samples: a replayed backlog must not fire alerts for conditions that are over.
  const unsubscribe = deps.bus.subscribe('alerts', ({ samples, fresh }) => {
    if (!fresh || (deps.evaluates && !deps.evaluates())) return;
    for (const sample of samples) evaluateLater(sample);
  });

  function evaluateLater(sample: MetricsEvent) {
    // A silence ran out: the alerts it covered are no longer shown as silenced.
    if (activeSilences.some((s) => s.endsAt <= sample.ts)) {
      activeSilences = activeSilences.filter((s) => s.endsAt > sample.ts);
      republishOpen();
    }
    if (backlog >= MAX_BACKLOG) {
      if (backlog++ === MAX_BACKLOG) log.warn('alert evaluation is falling behind the database: skipping samples');
      return;
    }
    backlog++;
    serialize(() => evaluateSample(sample))
      .catch((err) => {
        // Leadership moved to another node: it evaluates from here on.
        if ((err as Error).name === 'NotLeader') log.debug('stopped evaluating: this node no longer leads');
        else log.error('evaluating a sample failed (it is retried with the next sample)', err);
      })
      .finally(() => {
        backlog = Math.max(0, Math.min(backlog, MAX_BACKLOG) - 1);
      });
  }

  // ---- operator actions -----------------------------------------------------
  /** Why an action did not apply: the alert is gone, or not in the state the action needs. */
  async function refusal(id: number, want: string): Promise<ServiceError> {
    const alert = await loadAlert(db, id);
    if (!alert) return notFound(`alert ${id}`);
    const why = alert.state === 'acknowledged' ? `acknowledged by ${alert.acknowledgedBy}` : alert.state;
    return new ServiceError(409, 'conflict', `alert ${id} is ${why}, not ${want}`);
  }

  async function acknowledge(id: number, by: Actor, note?: string): Promise<Alert> {
    const actor = actorName(by.principal);
    const changed = await db.transaction(async (tx) => {
      const at = new Date();
      const [row] = await tx
        .update(alerts)
        .set({ state: 'acknowledged', acknowledgedAt: at, acknowledgedBy: actor, note: note ?? sql`${alerts.note}` })
        .where(and(eq(alerts.id, id), eq(alerts.state, 'firing')))
        .returning({ id: alerts.id });
      if (!row) return false;
      await addEvent(tx, id, 'acknowledged', actor, note ?? null, at.getTime());
      await audit(tx, auditOf(by, 'alert.ack', `alert ${id}`, note ? { note } : undefined));
      return true;
    });
    if (!changed) throw await refusal(id, 'firing');
    return finish(id);
  }

  async function unacknowledge(id: number, by: Actor): Promise<Alert> {
    const actor = actorName(by.principal);
    const changed = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(alerts)
        .set({ state: 'firing', acknowledgedAt: null, acknowledgedBy: null })
        .where(and(eq(alerts.id, id), eq(alerts.state, 'acknowledged')))
        .returning({ id: alerts.id });
      if (!row) return false;
      await addEvent(tx, id, 'unacknowledged', actor, null);
      await audit(tx, auditOf(by, 'alert.unack', `alert ${id}`));
      return true;
    });
    if (!changed) throw await refusal(id, 'acknowledged');
    return finish(id);
  }

  /** Manual resolution: the evaluator stays quiet (latched) until the condition clears by itself. */
  async function resolve(id: number, by: Actor, note?: string): Promise<Alert> {
    const actor = actorName(by.principal);
    const latchedAt = Date.now();
    const resolved = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(alerts)
        .set({ state: 'resolved', resolvedAt: new Date(latchedAt), resolvedBy: actor, ...(note ? { note } : {}) })
        .where(and(eq(alerts.id, id), ne(alerts.state, 'resolved')))
        .returning({ ruleId: alerts.ruleId, host: alerts.host });
      if (!row) return undefined;
      await addEvent(tx, id, 'resolved', actor, note ?? 'resolved by hand', latchedAt);
      const rule = row.ruleId === null ? undefined : rules.get(row.ruleId);
      if (rule) {
        await saveState(tx, rule.id, row.host, 'latched', latchedAt);
        await queueNotifications(tx, id, rule.channels, 'resolved');
      }
      await audit(tx, auditOf(by, 'alert.resolve', `alert ${id}`, note ? { note } : undefined));
      return row;
    });
    if (!resolved) throw await refusal(id, 'open');
    if (resolved.ruleId !== null) states.set(keyOf(resolved.ruleId, resolved.host), { phase: 'latched', since: latchedAt });
    deps.onQueued();
    return finish(id);
  }

  /** Re-reads and pushes an alert; one alert at a time, so the last push carries the last state. */
  const finishing = new Map<number, Promise<unknown>>();
  function finish(id: number): Promise<Alert> {
    const run = (finishing.get(id) ?? Promise.resolve()).then(async () => {
      const alert = await loadAlert(db, id);
      if (!alert) throw notFound(`alert ${id}`);
      publish(alert);
      return decorate(alert);
    });
    const settled = run.catch(() => {});
    finishing.set(id, settled);
    void settled.then(() => finishing.get(id) === settled && finishing.delete(id));
    return run;
  }

  // ---- rules ------------------------------------------------------------------
  /** Resolves every open alert of a rule (it changed, was disabled or deleted) and forgets its states. */
  async function settleRule(tx: Tx, rule: Rule, why: string): Promise<number[]> {
    const rows = await tx.select({ id: alerts.id }).from(alerts).where(openAlertsOf(rule.id));
    for (const { id } of rows) {
      await resolveRow(tx, id, SYSTEM, null, why);
      await queueNotifications(tx, id, rule.channels, 'resolved');
    }
    await tx.delete(alertRuleStates).where(eq(alertRuleStates.ruleId, rule.id));
    return rows.map((r) => r.id);
  }

  function forgetRule(ruleId: number) {
    for (const key of [...states.keys()]) if (key.startsWith(`${ruleId}\u0000`)) states.delete(key);
  }

  function createRule(input: RuleInput, by: Actor): Promise<Rule> {
    return serialize(async () => {
      requireMetric(input.metric);
      const rule = await db.transaction(async (tx) => {
        const [row] = await tx.insert(alertRules).values(input).returning();
        const created = toRule(row!);
        await audit(tx, auditOf(by, 'rule.create', `rule ${created.id} "${created.name}"`, input));
        return created;
      });
      rules.set(rule.id, rule);
      return rule;
    });
  }

  function updateRule(id: number, patch: RulePatch, by: Actor): Promise<Rule> {
    const actor = actorName(by.principal);
    return serialize(async () => {
      const current = rules.get(id);
      if (!current) throw notFound(`rule ${id}`);
      const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = { ...current, ...patch };
      const merged = ruleCreateSchema.safeParse(fields);
      if (!merged.success) {
        const issue = merged.error.issues[0];
        throw new ServiceError(422, 'invalid_value', `${issue?.path.join('.') || 'rule'}: ${issue?.message}`);
      }
      if (patch.metric !== undefined) requireMetric(merged.data.metric);
      const disabled = current.enabled && merged.data.enabled === false;
      const conditionChanged = CONDITION_FIELDS.some((f) => merged.data[f] !== current[f]);
      let settled: number[] = [];
      const rule = await db.transaction(async (tx) => {
        const [row] = await tx.update(alertRules).set({ ...merged.data, updatedAt: new Date() }).where(eq(alertRules.id, id)).returning();
        if (disabled || conditionChanged) settled = await settleRule(tx, current, `rule ${disabled ? 'disabled' : 'changed'} by ${actor}`);
        await audit(tx, auditOf(by, 'rule.update', `rule ${id} "${row!.name}"`, patch));
        return toRule(row!);
      });
      rules.set(id, rule);
      if (disabled || conditionChanged) forgetRule(id);
      await publishIds(settled);
      if (settled.length > 0) deps.onQueued();
      return rule;
    });
  }

  function deleteRule(id: number, by: Actor): Promise<void> {
    const actor = actorName(by.principal);
    return serialize(async () => {
      const current = rules.get(id);
      if (!current) throw notFound(`rule ${id}`);
      let settled: number[] = [];
      await db.transaction(async (tx) => {
        settled = await settleRule(tx, current, `rule deleted by ${actor}`);
        await tx.delete(alertRules).where(eq(alertRules.id, id));
        await audit(tx, auditOf(by, 'rule.delete', `rule ${id} "${current.name}"`));
      });
      rules.delete(id);
      forgetRule(id);
      activeSilences = activeSilences.filter((s) => s.ruleId !== id); // the database dropped them with the rule
      await publishIds(settled);
      if (settled.length > 0) deps.onQueued();
    });
  }

  function listOpen(f: AlertFilter): Alert[] {
    return [...open.values()]
      .filter(
        (a) =>
          (f.state === 'open' || a.state === f.state) &&
          (!f.level || a.level === f.level) &&
          (!f.host || a.host === f.host) &&
          (f.ruleId === undefined || a.ruleId === f.ruleId) &&
          (f.fromMs === undefined || a.startedAt >= f.fromMs) &&
          (f.toMs === undefined || a.startedAt <= f.toMs),
      )
      .sort((a, b) => b.startedAt - a.startedAt || b.id - a.id)
      .slice(0, f.limit)
      .map((a) => decorate(a));
  }

  // ---- silences ---------------------------------------------------------------
  function republishOpen() {
    for (const alert of open.values()) publish(alert);
  }

  function createSilence(input: { ruleId: number | null; host: string | null; minutes: number; reason: string | null }, by: Actor): Promise<Silence> {
    return serialize(async () => {
      if (input.ruleId !== null && !rules.has(input.ruleId)) throw new ServiceError(422, 'invalid_value', `rule ${input.ruleId} does not exist`);
      const now = Date.now();
      const silence = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(silences)
          .values({ ruleId: input.ruleId, host: input.host, startsAt: new Date(now), endsAt: new Date(now + input.minutes * 60_000), reason: input.reason, createdBy: actorName(by.principal) })
          .returning();
        await audit(tx, auditOf(by, 'silence.create', `silence ${row!.id}`, input));
        return toSilence(row!);
      });
      activeSilences = [...activeSilences, silence];
      republishOpen();
      return silence;
    });
  }

  function deleteSilence(id: number, by: Actor): Promise<void> {
    return serialize(async () => {
      await db.transaction(async (tx) => {
        const removed = await tx.delete(silences).where(eq(silences.id, id)).returning({ id: silences.id });
        if (removed.length === 0) throw notFound(`silence ${id}`);
        await audit(tx, auditOf(by, 'silence.delete', `silence ${id}`));
      });
      activeSilences = activeSilences.filter((s) => s.id !== id);
      republishOpen();
    });
  }

  return {
    acknowledge,
    unacknowledge,
    resolve,
    createRule,
    updateRule,
    deleteRule,
    createSilence,
    deleteSilence,
    rules: () => [...rules.values()],
    rule: (id: number) => rules.get(id),
    /** Open alerts, most severe and newest first: for snapshots (synchronous, from memory). */
    openAlerts: () => [...open.values()].map((a) => decorate(a)).sort(compareAlerts),
    silences: () => activeSilences.filter((s) => s.endsAt > Date.now()),
    isSilenced: (alert: Pick<Alert, 'ruleId' | 'host'>, now = Date.now()) => activeSilences.some((s) => silenceCovers(s, alert, now)),
    /** Open alerts come from memory (they answer during a database outage); past ones from the database. */
    list: async (filter: AlertFilter) => {
      if (filter.state === 'open' || filter.state === 'firing' || filter.state === 'acknowledged') return listOpen(filter);
      return (await listAlerts(db, filter)).map((a) => decorate(a));
    },
    detail: async (id: number): Promise<AlertDetail> => {
      const detail = await loadAlertDetail(db, id);
      if (!detail) throw notFound(`alert ${id}`);
      return { ...detail, silenced: decorate(detail).silenced };
    },
    /** Re-reads an alert after its deliveries changed and pushes it. */
    refresh: (id: number) => serialize(() => publishIds([id])),
    /** Another node changed an alert: take its state (no database read; the node pushes it to its viewers). */
    applyRemote(alert: Alert): Alert {
      if (alert.state === 'resolved') {
        for (const [key, a] of open) if (a.id === alert.id) open.delete(key);
      } else if (alert.ruleId !== null) open.set(keyOf(alert.ruleId, alert.host), alert);
      return alert;
    },
    /** Another node changed rules or silences. */
    reloadConfig: () => serialize(loadConfig),
    /** This node became the leader: evaluate from the stored state, as the previous leader left it. */
    reloadState: () => serialize(loadState),
    /** Waits for every queued change (tests, shutdown). */
    idle: () => serialize(async () => {}),
    close() {
      unsubscribe();
      return serialize(async () => {});
    },
  };
}
