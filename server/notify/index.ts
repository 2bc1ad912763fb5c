/** The notifier registry: a channel kind without a notifier does not compile. */
import type { ChannelKind } from '../../shared/alerts.ts';
import { createDashboardNotifier } from './dashboard.ts';
import { createEmailNotifier, type EmailSettings } from './email.ts';
import type { Notifier } from './notifier.ts';
import { createWebhookNotifier } from './webhook.ts';

export function createNotifiers(email: EmailSettings) {
  return {
    dashboard: createDashboardNotifier(),
    email: createEmailNotifier(email),
    webhook: createWebhookNotifier(),
  } satisfies Record<ChannelKind, Notifier>;
}
