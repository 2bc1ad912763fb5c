import type { Component } from 'svelte';
import type { Role } from '$shared/auth.ts';
import { PAGES, type PagePath } from '$shared/routes.ts';
import type { IconName } from '../lib/icons.ts';
import { currentPath } from '../lib/session.svelte.ts';
import Alerts from './Alerts.svelte';
import Dashboard from './Dashboard.svelte';
import Login from './Login.svelte';
import Metrics from './Metrics.svelte';

export interface PageProps {
  title: string;
}

/** A page kept out of the first download: loaded when first opened. */
export interface LazyPage {
  load: () => Promise<{ default: Component<PageProps> }>;
}

export interface Route {
  path: PagePath;
  title: string;
  icon: IconName;
  /** Shown in the header's nav (pages that exist). */
  nav: boolean;
  /** In the nav only for this role and above (the page itself says what it needs). */
  role?: Role;
  /** Drawn alone, without the app's header and footer (the login page). */
  bare?: boolean;
  page: Component<PageProps> | LazyPage;
}

export const ROUTES: readonly Route[] = [
  { path: PAGES.dashboard, title: 'Dashboard', icon: 'dashboard', nav: true, page: Dashboard },
  { path: PAGES.metrics, title: 'Metrics', icon: 'history', nav: true, page: Metrics },
  { path: PAGES.alerts, title: 'Alerts', icon: 'bell', nav: true, page: Alerts },
  { path: PAGES.reports, title: 'Reports', icon: 'scroll', nav: true, page: { load: () => import('./Reports.svelte') } },
  { path: PAGES.rules, title: 'Rules', icon: 'sliders', nav: true, page: { load: () => import('./Rules.svelte') } },
  { path: PAGES.admin, title: 'Admin', icon: 'users', nav: true, role: 'admin', page: { load: () => import('./Admin.svelte') } },
  { path: PAGES.login, title: 'Log in', icon: 'user', nav: false, bare: true, page: Login },
  // The wall screen: alone on the screen, loaded only by wall screens.
  { path: PAGES.kiosk, title: 'Kiosk', icon: 'server', nav: false, bare: true, page: { load: () => import('./Kiosk.svelte') } },
];

export function routeFor(path: string): Route | undefined {
  const clean = currentPath(path);
  return ROUTES.find((r) => r.path === clean);
}
