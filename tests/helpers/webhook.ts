/**
 * A real HTTP receiver for webhook notifications (node:http on 127.0.0.1,
 * port 0 at first). It records every request it answered and the status it
 * gave; it can answer errors for a while, or go down and come back on the
 * same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
  raw: string;
  /** The status this receiver answered with. */
  status: number;
  receivedAt: number;
}

export interface TestWebhookReceiver {
  /** `http://127.0.0.1:<port>`; append any path. */
  url: string;
  port: number;
  requests: ReceivedHook[];
  /** Requests that were answered 2xx. */
  delivered(): ReceivedHook[];
  /** The status every request gets from now on (default 200). */
  answerWith(status: number): void;
  /** Connections refused from now on; `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<TestWebhookReceiver> {
  const requests: ReceivedHook[] = [];
  let status = 200;
  let server: Server | undefined;
  let port = 0;

  async function listen() {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          json = undefined;
        }
        const answered = status;
        requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, json, raw, status: answered, receivedAt: Date.now() });
        res.writeHead(answered, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answered < 300 ? { ok: true } : { ok: false, error: 'test receiver is failing' }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  }

  async function stopServer() {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    answerWith(next) {
      status = next;
    },
    stop: stopServer,
    start: listen,
    close: stopServer,
  };
}
