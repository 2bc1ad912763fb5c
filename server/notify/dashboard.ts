import type { Notifier } from './notifier.ts';

/**
 * The dashboard channel: every alert change is already pushed to every
 * viewer over Socket.IO the moment it is stored, so there is nothing more to
 * send; the delivery records that the dashboards were told.
 */
export function createDashboardNotifier(): Notifier {
  return { kind: 'dashboard', notConfigured: () => null, send: async () => {} };
}
