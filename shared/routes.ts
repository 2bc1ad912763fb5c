/**
 * Every path of glasswatch, once: the HTTP API (server routers register
 * these, the client calls them) and the pages (the server answers them with
 * the client, the client routes them). A renamed route breaks the build on
 * both sides instead of a request at run time.
 */

export const API = {
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/auth/me',

  hosts: '/api/hosts',
  metricsCatalog: '/api/metrics/catalog',
  metricsCurrent: '/api/metrics/current',
  metricsHistory: '/api/metrics/history',

  alerts: '/api/alerts',
  alert: '/api/alerts/:id',
  alertAck: '/api/alerts/:id/ack',
  alertUnack: '/api/alerts/:id/unack',
  alertResolve: '/api/alerts/:id/resolve',
  rules: '/api/rules',
  rule: '/api/rules/:id',
  silences: '/api/silences',
  silence: '/api/silences/:id',
  channels: '/api/channels',

  users: '/api/users',
  user: '/api/users/:id',
  displays: '/api/displays',
  display: '/api/displays/:id',
  audit: '/api/audit',

  agents: '/api/agents',
  agent: '/api/agents/:id',
  targets: '/api/targets',
  target: '/api/targets/:id',
  derived: '/api/derived',
  derivedOne: '/api/derived/:id',
  appPanels: '/api/settings/app-panels',
  appPanel: '/api/settings/app-panels/:host',
  ingest: '/api/ingest',

  reports: '/api/reports',
  reportsCsv: '/api/reports.csv',
  reportDeliveries: '/api/reports/deliveries',
  reportSend: '/api/reports/send',

  cluster: '/api/cluster',
} as const;

export type ApiRoute = (typeof API)[keyof typeof API];

/** An API call, not a page or an asset: every API path starts with /api/. */
export const isApiPath = (path: string): boolean => path.startsWith('/api/');

/** Outside /api: probes, Prometheus, the agent download. */
export const PUBLIC = {
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
  agentDownload: '/downloads/glasswatch-agent.mjs',
} as const;

/** Pages the client routes (and the server answers with the client's index.html). */
export const PAGES = {
  dashboard: '/',
  alerts: '/alerts',
  metrics: '/metrics',
  reports: '/reports',
  rules: '/rules',
  admin: '/admin',
  kiosk: '/kiosk',
  login: '/login',
} as const;
export type PagePath = (typeof PAGES)[keyof typeof PAGES];
export const PAGE_PATHS: readonly PagePath[] = Object.values(PAGES);

type ParamsOf<R extends string> = R extends `${string}:${infer P}/${infer Rest}` ? P | ParamsOf<`/${Rest}`> : R extends `${string}:${infer P}` ? P : never;

/** A route with its `:params` filled (and encoded): `routeTo(API.alertAck, { id: 7 })` → `/api/alerts/7/ack`. */
export function routeTo<R extends string>(route: R, params: Record<ParamsOf<R>, string | number>): string {
  return route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String((params as Record<string, string | number>)[name])));
}
