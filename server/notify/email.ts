import type * as Nodemailer from 'nodemailer';
import { lazyPackage } from '../lib/lazy.ts';
import { details, headline, type Notifier } from './notifier.ts';

export interface EmailSettings {
  url?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Loaded when SMTP is configured (not before /healthz on a server that sends no email). */
const nodemailer = lazyPackage<typeof Nodemailer>('nodemailer');

/** Every step of an SMTP conversation has a deadline: a server that accepts and never answers is let go. */
function transportFor(url: string | undefined) {
  return url ? nodemailer().createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 } as never) : undefined;
}

/** Email through nodemailer to ALERT_EMAIL_TO, via SMTP_URL. */
export function createEmailNotifier(settings: EmailSettings): Notifier {
  const transport = transportFor(settings.url);
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

/** A composed message: an HTML body with its plain-text alternative. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Why no mail can be sent at all (such deliveries fail at once), or null. */
  notConfigured(): string | null;
  send(mail: Mail, signal: AbortSignal): Promise<void>;
}

/** Reports by email: the same SMTP_URL and sender as alerts; the recipient comes with each mail. */
export function createMailer(settings: Pick<EmailSettings, 'url' | 'from'>): Mailer {
  const transport = transportFor(settings.url);
  return {
    notConfigured() {
      const missing = [!settings.url && 'SMTP_URL', !settings.from && 'ALERT_EMAIL_FROM'].filter(Boolean);
      return missing.length ? `email is not configured (set ${missing.join(', ')})` : null;
    },
    async send(mail, signal) {
      if (!transport) throw new Error('email is not configured');
      signal.throwIfAborted();
      await transport.sendMail({ from: settings.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
  };
}
