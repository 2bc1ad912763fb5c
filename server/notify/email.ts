import nodemailer from 'nodemailer';
import { details, headline, type Notifier } from './notifier.ts';

export interface EmailSettings {
  url?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Email through nodemailer to ALERT_EMAIL_TO, via SMTP_URL. */
export function createEmailNotifier(settings: EmailSettings): Notifier {
  // Every step of an SMTP conversation has a deadline: a server that accepts and never answers is let go.
  const transport = settings.url ? nodemailer.createTransport({ url: settings.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 } as never) : undefined;
  return {
    kind: 'email',
    notConfigured() {
      const missing = [!settings.url && 'SMTP_URL', !settings.from && 'ALERT_EMAIL_FROM', !settings.to && 'ALERT_EMAIL_TO'].filter(Boolean);
      return missing.length ? `email is not configured (set ${missing.join(', ')})` : null;
    },
    async send(n, signal) {
      if (!transport) throw new Error('email is not configured');
      signal.throwIfAborted();
      await transport.sendMail({ from: settings.from, to: settings.to, subject: `${headline(n)} — glasswatch`, text: details(n) });
    },
  };
}
