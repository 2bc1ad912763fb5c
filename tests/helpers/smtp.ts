/**
 * A real SMTP server for tests (the `smtp-server` package) on 127.0.0.1,
 * port 0 at first. It keeps every message it accepted, decoded enough to
 * read: headers (RFC 2047 words decoded) and the text body (quoted-printable
 * or base64 undone). It can go down and come back on the same port, or stay
 * up and refuse mail with a temporary error, to test retries.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Header names lower-cased, values unfolded and decoded. */
  headers: Record<string, string>;
  subject: string;
  text: string;
  receivedAt: number;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL is set to. */
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Connections refused from now on (the port stays reserved for `start`). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** While set, MAIL FROM is answered with this SMTP code (e.g. 451) and nothing is accepted. */
  rejectWith(code: number | null): void;
  /** How many transactions were refused by `rejectWith`. */
  rejected: number;
  close(): Promise<void>;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, enc: string, text: string) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    });
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Parses a single-part text message as nodemailer writes it. */
export function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let text = body;
  if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
  else if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { headers, text: text.replace(/\r\n/g, '\n') };
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let rejectCode: number | null = null;
  let server: SMTPServer | undefined;
  let port = 0;

  const options: SMTPServerOptions = {
    // smtp-server's built-in certificate has expired: no STARTTLS (see STACK-NOTES.md).
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 200,
    onMailFrom(_address, _session, callback) {
      if (rejectCode === null) return callback();
      handle.rejected++;
      const err = Object.assign(new Error('mailbox temporarily unavailable (test)'), { responseCode: rejectCode });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { headers, text } = parseMail(Buffer.concat(chunks).toString('utf8'));
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          headers,
          subject: headers.subject ?? '',
          text,
          receivedAt: Date.now(),
        });
        callback();
      });
    },
  };

  async function listen() {
    const s = new SMTPServer(options);
    s.on('error', () => {}); // a client that hangs up mid-session is not a test failure
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  }

  async function stopServer() {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  const handle: TestSmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    rejected: 0,
    stop: stopServer,
    start: listen,
    rejectWith(code) {
      rejectCode = code;
    },
    close: stopServer,
  };
  return handle;
}
