import { headline, post, targetOf, type Notifier } from './notifier.ts';

export interface SmsSettings {
  /** SMS_GATEWAY_URL: the gateway's HTTP endpoint. */
  url?: string | undefined;
  /** SMS_BODY_TEMPLATE: the request body with {{to}} and {{text}} (default DEFAULT_SMS_TEMPLATE). */
  template?: string | undefined;
  /** SMS_GATEWAY_AUTH: sent as the Authorization header when set (e.g. "Bearer …" or "Basic …"). */
  auth?: string | undefined;
}

export const DEFAULT_SMS_TEMPLATE = '{"to":"{{to}}","text":"{{text}}"}';

/**
 * Fills the template: in a JSON template the values are JSON-escaped (the
 * template's own quotes stay), in any other (a form body) URL-encoded.
 */
export function fillSmsTemplate(template: string, values: { to: string; text: string }): { body: string; json: boolean } {
  const json = template.trimStart().startsWith('{') || template.trimStart().startsWith('[');
  const escape = (v: string) => (json ? JSON.stringify(v).slice(1, -1) : encodeURIComponent(v));
  return { body: template.replace(/\{\{(to|text)\}\}/g, (_, key: 'to' | 'text') => escape(values[key])), json };
}

/** A text message through an HTTP SMS gateway (`sms:+4915…`): the headline, short enough for one message. */
export function createSmsNotifier(settings: SmsSettings): Notifier {
  return {
    kind: 'sms',
    notConfigured: () => (settings.url ? null : 'SMS is not configured (set SMS_GATEWAY_URL)'),
    async send(n, signal) {
      if (!settings.url) throw new Error('SMS is not configured');
      const text = `glasswatch: ${headline(n)}`.slice(0, 160);
      const { body, json } = fillSmsTemplate(settings.template ?? DEFAULT_SMS_TEMPLATE, { to: targetOf(n), text });
      await post(settings.url, json ? JSON.parse(body) : body, signal, {
        ...(json ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...(settings.auth ? { authorization: settings.auth } : {}),
      });
    },
  };
}
