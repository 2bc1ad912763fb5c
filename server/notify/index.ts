/**
 * The notifier registry: one line per channel kind of shared/channels.ts.
 * A kind without a notifier here does not compile (nor one with a notifier
 * but no table entry): adding a channel is its table entry, its file in this
 * folder and its line below.
 */
import type { ChannelKind } from '../../shared/channels.ts';
import { createDashboardNotifier } from './dashboard.ts';
import { createEmailNotifier, type EmailSettings } from './email.ts';
import type { Notifier } from './notifier.ts';
import { createPagerDutyNotifier, type PagerDutySettings } from './pagerduty.ts';
import { createSlackNotifier } from './slack.ts';
import { createSmsNotifier, type SmsSettings } from './sms.ts';
import { createTeamsNotifier } from './teams.ts';
import { createTelegramNotifier, type TelegramSettings } from './telegram.ts';
import { createWebhookNotifier } from './webhook.ts';

export interface NotifierSettings {
  email: EmailSettings;
  telegram: TelegramSettings;
  pagerduty: PagerDutySettings;
  sms: SmsSettings;
}

export function createNotifiers(settings: NotifierSettings) {
  return {
    dashboard: createDashboardNotifier(),
    email: createEmailNotifier(settings.email),
    webhook: createWebhookNotifier(),
    slack: createSlackNotifier(),
    teams: createTeamsNotifier(),
    telegram: createTelegramNotifier(settings.telegram),
    pagerduty: createPagerDutyNotifier(settings.pagerduty),
    sms: createSmsNotifier(settings.sms),
  } satisfies Record<ChannelKind, Notifier>;
}
