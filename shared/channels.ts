/**
 * Notification channels, once: what each kind is called, how its target is
 * written after `kind:` and checked, whether that target is a secret, and
 * what the server needs to send through it. The rule editor builds its form
 * from this table; the server keys its notifiers by the same kinds
 * (server/notify/index.ts `satisfies Record<ChannelKind, …>`), so a kind
 * without a notifier, a label or a form does not compile.
 *
 * A rule's channel is a string: `dashboard`, `email`, or `kind:target`
 * (`webhook:https://…`, `slack:https://hooks.slack.com/…`,
 * `telegram:-100123456`, `pagerduty:<routing key>`, `sms:+4915112345678`).
 */

export interface ChannelTarget {
  /** What the target is, for the form: "Webhook URL", "Chat id". */
  label: string;
  placeholder: string;
  /** Why the text is not a valid target, or null. */
  check(target: string): string | null;
  /** Shown only to admins (it lets anyone send to the channel): viewers see it masked. */
  secret: boolean;
}

export interface ChannelDescriptor {
  label: string;
  /** An icon name of the client's set (client/src/lib/icons.ts). */
  icon: string;
  /** One line for the rule editor. */
  help: string;
  /** null: the channel has no target (`dashboard`, `email`). */
  target: ChannelTarget | null;
}

function httpsUrl(hosts?: RegExp) {
  return (s: string): string | null => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return 'must be a URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
    if (hosts && !hosts.test(url.hostname)) return `must be a URL of ${hosts.source.replace(/\\|\^|\$/g, '')}`;
    return null;
  };
}

export const CHANNELS = {
  dashboard: { label: 'Dashboard', icon: 'dashboard', help: 'Shown on every screen (always on)', target: null },
  email: { label: 'Email', icon: 'mail', help: 'To ALERT_EMAIL_TO through SMTP_URL', target: null },
  webhook: {
    label: 'Webhook',
    icon: 'link',
    help: 'A JSON POST with a Slack-compatible "text" and the whole alert',
    target: { label: 'Webhook URL', placeholder: 'https://hooks.example.com/glasswatch', check: httpsUrl(), secret: true },
  },
  slack: {
    label: 'Slack',
    icon: 'message',
    help: 'A Slack incoming webhook (Apps → Incoming Webhooks)',
    target: { label: 'Incoming webhook URL', placeholder: 'https://hooks.slack.com/services/T…/B…/…', check: httpsUrl(), secret: true },
  },
  teams: {
    label: 'Microsoft Teams',
    icon: 'message',
    help: 'A Teams incoming webhook (Workflows → "Post to a channel when a webhook request is received")',
    target: { label: 'Webhook URL', placeholder: 'https://….webhook.office.com/…', check: httpsUrl(), secret: true },
  },
  telegram: {
    label: 'Telegram',
    icon: 'message',
    help: 'A chat of the bot in TELEGRAM_BOT_TOKEN',
    target: {
      label: 'Chat id',
      placeholder: '-1001234567890 or @ops_channel',
      check: (s) => (/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/.test(s) ? null : 'must be a numeric chat id or an @channel name'),
      secret: false,
    },
  },
  pagerduty: {
    label: 'PagerDuty',
    icon: 'siren',
    help: 'An Events API v2 integration: triggers, and resolves when the alert does',
    target: {
      label: 'Integration (routing) key',
      placeholder: '32 characters from the service integration',
      check: (s) => (/^[A-Za-z0-9]{20,64}$/.test(s) ? null : 'must be the 32-character integration key'),
      secret: true,
    },
  },
  sms: {
    label: 'SMS',
    icon: 'phone',
    help: 'Through the HTTP SMS gateway in SMS_GATEWAY_URL',
    target: {
      label: 'Phone number',
      placeholder: '+4915112345678',
      check: (s) => (/^\+[1-9]\d{6,14}$/.test(s) ? null : 'must be a phone number in international form, e.g. +4915112345678'),
      secret: false,
    },
  },
} as const satisfies Record<string, ChannelDescriptor>;

export type ChannelKind = keyof typeof CHANNELS;
export const CHANNEL_KINDS = Object.keys(CHANNELS) as ChannelKind[];
type TargetKind = { [K in ChannelKind]: (typeof CHANNELS)[K]['target'] extends null ? never : K }[ChannelKind];
export type Channel = Exclude<ChannelKind, TargetKind> | `${TargetKind}:${string}`;

const isKind = (k: string): k is ChannelKind => Object.hasOwn(CHANNELS, k);

/** The kind of a channel string (it was validated when the rule was stored). */
export function channelKind(channel: Channel): ChannelKind {
  const colon = channel.indexOf(':');
  return (colon === -1 ? channel : channel.slice(0, colon)) as ChannelKind;
}

/** The target of a `kind:target` channel ('' for dashboard/email). */
export function channelTarget(channel: Channel): string {
  const colon = channel.indexOf(':');
  return colon === -1 ? '' : channel.slice(colon + 1);
}

/** Checks a channel string; the reason when it is not one. */
export function checkChannel(channel: string): string | null {
  const colon = channel.indexOf(':');
  const kind = colon === -1 ? channel : channel.slice(0, colon);
  if (!isKind(kind)) return `unknown channel "${kind.slice(0, 40)}": one of ${CHANNEL_KINDS.join(', ')}`;
  const def: ChannelDescriptor = CHANNELS[kind];
  if (!def.target) return colon === -1 ? null : `"${kind}" takes no target`;
  if (colon === -1) return `${def.label} needs a target: ${kind}:<${def.target.label.toLowerCase()}>`;
  const problem = def.target.check(channel.slice(colon + 1));
  return problem && `${def.label} ${def.target.label.toLowerCase()} ${problem}`;
}

/** A channel as someone who may not send through it sees it: secret targets masked. */
export function maskChannel(channel: Channel): string {
  const kind = channelKind(channel);
  const def: ChannelDescriptor = CHANNELS[kind];
  if (!def.target?.secret) return channel;
  const target = channelTarget(channel);
  let shown: string;
  try {
    shown = `${new URL(target).host}/…`;
  } catch {
    shown = `…${target.slice(-4)}`;
  }
  return `${kind}:${shown}`;
}
