import type { Component } from 'svelte';
import type { IconName } from '../lib/icons.ts';
import Alerts from './Alerts.svelte';
import ComingSoon from './ComingSoon.svelte';
import Dashboard from './Dashboard.svelte';
import Metrics from './Metrics.svelte';
import Rules from './Rules.svelte';

export interface PageProps {
  title: string;
}

export interface Route {
  path: string;
  title: string;
  icon: IconName;
  /** Shown in the header's nav (pages that exist). */
  nav: boolean;
  page: Component<PageProps>;
}

export const ROUTES: readonly Route[] = [
  { path: '/', title: 'Dashboard', icon: 'dashboard', nav: true, page: Dashboard },
  { path: '/metrics', title: 'Metrics', icon: 'history', nav: true, page: Metrics },
  { path: '/alerts', title: 'Alerts', icon: 'bell', nav: true, page: Alerts },
  { path: '/reports', title: 'Reports', icon: 'info', nav: false, page: ComingSoon },
  { path: '/rules', title: 'Rules', icon: 'sliders', nav: true, page: Rules },
  { path: '/admin', title: 'Admin', icon: 'users', nav: false, page: ComingSoon },
  { path: '/kiosk', title: 'Kiosk', icon: 'server', nav: false, page: ComingSoon },
];

export function routeFor(path: string): Route | undefined {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return ROUTES.find((r) => r.path === clean);
}
