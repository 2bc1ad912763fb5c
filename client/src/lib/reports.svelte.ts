import { addDays, daysBetween, isDay, localDayOf, REPORT_MAX_DAYS, type Report, type ReportDeliveriesResponse, type ReportDelivery, type ReportSendResponse } from '$shared/reports.ts';
import { API } from '$shared/routes.ts';
import { errorMessage, getJson, sendJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

export type ReportMode = 'day' | 'range';

/** This browser's time zone: the best guess of the server's until a report says which it is. */
const LOCAL_TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * The reports page's selection (a day or a range of days, a host or the
 * whole fleet), its last answer and that day's report emails. Fetched when
 * the selection changes or on request — never on a timer.
 */
export class ReportView extends LoadState {
  mode = $state<ReportMode>('day');
  day = $state(addDays(localDayOf(Date.now(), LOCAL_TZ), -1));
  from = $state(addDays(localDayOf(Date.now(), LOCAL_TZ), -7));
  to = $state(addDays(localDayOf(Date.now(), LOCAL_TZ), -1));
  /** null: every host. */
  host = $state<string | null>(null);
  report = $state.raw<Report | null>(null);
  deliveries = $state.raw<ReportDelivery[]>([]);
  deliveriesError = $state<string | null>(null);

  /** The server's time zone once a report named it; this browser's before. */
  tz = $derived(this.report?.tz ?? LOCAL_TZ);

  /** Days as the API takes them: `{day}` or `{from, to}`. */
  range = $derived<Record<string, string>>(this.mode === 'day' ? { day: this.day } : { from: this.from, to: this.to });

  /** What is wrong with the selection before anything is asked (the server checks again: 422). */
  problem = $derived.by((): string | null => {
    const days = this.mode === 'day' ? [this.day] : [this.from, this.to];
    const bad = days.find((d) => !isDay(d));
    if (bad !== undefined) return bad === '' ? 'Pick a day' : `“${bad}” is not a day`;
    const today = this.today();
    if (this.mode === 'day') return this.day > today ? `${this.day} has not begun yet` : null;
    if (this.from > this.to) return 'The first day comes after the last';
    const n = daysBetween(this.from, this.to) + 1;
    if (n > REPORT_MAX_DAYS) return `A report covers at most ${REPORT_MAX_DAYS} days; this is ${n}`;
    return this.to > today ? `${this.to} has not begun yet` : null;
  });

  /** Today in the report's time zone. */
  today(nowMs = Date.now()): string {
    return localDayOf(nowMs, this.tz);
  }

  /** Takes `?day=` or `?from=&to=`, and `host=`, from a page URL (the links reports and emails carry). */
  readQuery(search: string): void {
    const q = new URLSearchParams(search);
    const [day, from, to] = [q.get('day'), q.get('from'), q.get('to')];
    if (from && to) {
      this.mode = 'range';
      this.from = from;
      this.to = to;
    } else if (day) {
      this.mode = 'day';
      this.day = day;
    }
    this.host = q.get('host') || null;
  }

  toQuery(): string {
    const q = new URLSearchParams(this.range);
    if (this.host) q.set('host', this.host);
    return `?${q}`;
  }

  /** The CSV of the same selection (a download). */
  csvHref = $derived(`${API.reportsCsv}?${new URLSearchParams({ ...this.range, ...(this.host ? { host: this.host } : {}) })}`);

  load(): Promise<void> {
    if (this.problem) return Promise.resolve(this.fail(this.problem));
    return this.track('loading the report', async (signal) => {
      const report = await getJson<Report>(API.reports, { ...this.range, host: this.host ?? undefined }, signal);
      if (signal.aborted) return;
      this.report = report;
      if (report.from === report.to) void this.loadDeliveries(report.from);
      else this.deliveries = [];
    });
  }

  /** The report emails of one day (read with the report, again on request). */
  async loadDeliveries(day: string): Promise<void> {
    try {
      const { deliveries } = await getJson<ReportDeliveriesResponse>(API.reportDeliveries, { day });
      if (this.report?.from === day) this.deliveries = deliveries;
      this.deliveriesError = null;
    } catch (err) {
      this.deliveriesError = errorMessage(err, 'loading the report emails');
    }
  }

  /** "Send now" (admin): the day's report is emailed through the outbox; answers its delivery. Throws ApiError. */
  async send(day: string): Promise<ReportDelivery> {
    const answer = await sendJson<ReportSendResponse>('POST', API.reportSend, { day });
    if (this.report?.from === day) this.deliveries = [answer.delivery, ...this.deliveries.filter((d) => d.id !== answer.delivery.id)];
    return answer.delivery;
  }
}
