/**
 * Every environment variable glasswatch reads, parsed and validated in one
 * place (see ../CONTRACT.md). Nothing else in the server reads process.env.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isTimeZone } from '../shared/reports.ts';

const int = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));
const optionalText = z.string().trim().min(1).optional().catch(undefined);

const envSchema = z.object({
  PORT: int(0, 65_535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  COLLECT_INTERVAL_MS: int(250, 3_600_000).default(1000),
  RETENTION_DAYS: int(1, 3650).default(30),
  SMTP_URL: optionalText,
  ALERT_EMAIL_FROM: optionalText,
  ALERT_EMAIL_TO: optionalText,
  ADMIN_PASSWORD: optionalText,
  PUBLIC_URL: z.string().trim().url().optional(),
  REDIS_URL: optionalText,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  API_RATE_PER_ADDRESS: int(1, 1_000_000).default(50),
  REPORT_TIME: z
    .string()
    .trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day, HH:MM (00:00–23:59)')
    .default('07:00'),
  REPORT_EMAIL_TO: optionalText,
  // The process's own time zone variable; a leading ':' (glibc's "read this file") is dropped.
  TZ: z
    .string()
    .trim()
    .transform((tz) => tz.replace(/^:/, ''))
    .refine(isTimeZone, 'is not a time zone known to Intl (e.g. Europe/Berlin, UTC)')
    .optional(),
  TELEGRAM_BOT_TOKEN: optionalText,
  TELEGRAM_API_URL: z.string().trim().url().default('https://api.telegram.org'),
  PAGERDUTY_EVENTS_URL: z.string().trim().url().default('https://events.pagerduty.com/v2/enqueue'),
  SMS_GATEWAY_URL: z.string().trim().url().optional(),
  SMS_BODY_TEMPLATE: z.string().min(1).refine((t) => t.includes('{{to}}') && t.includes('{{text}}'), 'must contain {{to}} and {{text}}').optional(),
  SMS_GATEWAY_AUTH: optionalText,
  NODE_NAME: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, ".", "_", ":" or "-" (at most 64)').optional(),
});

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const shownHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    collectIntervalMs: e.COLLECT_INTERVAL_MS,
    retentionDays: e.RETENTION_DAYS,
    smtp: { url: e.SMTP_URL, from: e.ALERT_EMAIL_FROM, to: e.ALERT_EMAIL_TO },
    /** Settings of the notification channels that need the server's (not the rule's) configuration. */
    channels: {
      telegram: { botToken: e.TELEGRAM_BOT_TOKEN, apiUrl: e.TELEGRAM_API_URL },
      pagerduty: { eventsUrl: e.PAGERDUTY_EVENTS_URL },
      sms: { url: e.SMS_GATEWAY_URL, template: e.SMS_BODY_TEMPLATE, auth: e.SMS_GATEWAY_AUTH },
    },
    adminPassword: e.ADMIN_PASSWORD,
    publicUrl: (e.PUBLIC_URL ?? `http://${shownHost}:${e.PORT}`).replace(/\/$/, ''),
    redisUrl: e.REDIS_URL,
    /** This server node's name in a cluster (default hostname:port). */
    nodeName: e.NODE_NAME ?? `${os.hostname()}:${e.PORT}`,
    /** Sustained API requests per second one client address may make (bursts of 4× that). */
    apiRatePerAddress: e.API_RATE_PER_ADDRESS,
    logLevel: e.LOG_LEVEL,
    /** Readable lines or JSON; default: readable in a terminal, JSON otherwise. */
    logFormat: e.LOG_FORMAT,
    reports: {
      /** Local time of day the previous day's report is emailed. */
      time: { hour: Number(e.REPORT_TIME.slice(0, 2)), minute: Number(e.REPORT_TIME.slice(3)) },
      emailTo: e.REPORT_EMAIL_TO ?? e.ALERT_EMAIL_TO,
      /** Days are local days here: TZ, else the process's zone. */
      timeZone: e.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
  };
}
