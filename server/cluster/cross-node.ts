/**
 * What server nodes tell each other, over the Socket.IO adapter's
 * server-side events (PostgreSQL LISTEN/NOTIFY, or Redis Streams with
 * REDIS_URL): the samples each node took in (so every node's recent window
 * and viewers have every host, and the leader evaluates them all), alert
 * changes (so every node's open alerts match), "something changed, reload
 * it", and revocations (so a revoked session or token is cut on every node).
 * A node never receives its own messages. Without an adapter (one node)
 * sending does nothing.
 */
import type { Server } from 'socket.io';
import type { Alert } from '../../shared/alerts.ts';
import type { MetricInfo } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { Revocation } from '../auth/service.ts';
import { createLogger } from '../lib/log.ts';

const log = createLogger('cluster');

/** Configuration another node changed: reload it from the database. */
export type Changed = 'rules' | 'silences' | 'derived' | 'targets' | 'agents' | 'displays' | 'panels' | 'hosts' | 'outbox';

export interface CrossNodeEvents {
  'gw:samples': (msg: { samples: MetricsEvent[]; fresh: boolean }) => void;
  'gw:alert': (alert: Alert) => void;
  'gw:catalog': (added: MetricInfo[]) => void;
  'gw:changed': (what: Changed) => void;
  'gw:revoke': (r: Revocation | { kind: 'agent'; agentId: number }) => void;
}

export interface CrossNodeHandlers {
  samples(msg: { samples: MetricsEvent[]; fresh: boolean }): void;
  alert(alert: Alert): void;
  catalog(added: MetricInfo[]): void;
  changed(what: Changed): void;
  revoke(r: Revocation | { kind: 'agent'; agentId: number }): void;
}

export interface CrossNode {
  samples(msg: { samples: readonly MetricsEvent[]; fresh: boolean }): void;
  alert(alert: Alert): void;
  catalog(added: MetricInfo[]): void;
  changed(what: Changed): void;
  revoke(r: Revocation | { kind: 'agent'; agentId: number }): void;
}

export function createCrossNode(io: Server, handlers: CrossNodeHandlers): CrossNode {
  const server = io as unknown as {
    serverSideEmit<E extends keyof CrossNodeEvents>(event: E, ...args: Parameters<CrossNodeEvents[E]>): boolean;
    on<E extends keyof CrossNodeEvents>(event: E, listener: CrossNodeEvents[E]): void;
  };
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        log.error(`handling "${name}" from another node failed`, err);
      }
    };
  server.on('gw:samples', guard('samples', handlers.samples));
  server.on('gw:alert', guard('alert', handlers.alert));
  server.on('gw:catalog', guard('catalog', handlers.catalog));
  server.on('gw:changed', guard('changed', handlers.changed));
  server.on('gw:revoke', guard('revoke', handlers.revoke));
  const send = <E extends keyof CrossNodeEvents>(event: E, ...args: Parameters<CrossNodeEvents[E]>) => {
    try {
      server.serverSideEmit(event, ...args);
    } catch (err) {
      log.warn(`telling the other nodes "${event}" failed`, err);
    }
  };
  return {
    samples: (msg) => send('gw:samples', { samples: [...msg.samples], fresh: msg.fresh }),
    alert: (alert) => send('gw:alert', alert),
    catalog: (added) => send('gw:catalog', added),
    changed: (what) => send('gw:changed', what),
    revoke: (r) => send('gw:revoke', r),
  };
}
