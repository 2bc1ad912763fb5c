/**
 * Socket handlers for operator actions on alerts: validate the payload with
 * the shared schema, do the work through the alert service (which persists,
 * then broadcasts `alert` to every viewer), answer the acknowledgement.
 */
import { type Alert, type AlertAck } from '../../shared/alerts.ts';
import { alertActionSchema } from '../../shared/alert-schemas.ts';
import { hasRole } from '../../shared/auth.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Actor } from '../auth/service.ts';
import { ServiceError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import type { IoSocket } from './socket.ts';

const log = createLogger('realtime');

export function registerAlertHandlers(socket: IoSocket, alerts: AlertService) {
  const handle =
    (action: (id: number, by: Actor, note?: string) => Promise<Alert>) =>
    async (payload: unknown, callback: unknown) => {
      if (typeof callback !== 'function') return; // nothing to answer to: ignore
      const reply = callback as (r: AlertAck) => void;
      const { principal } = socket.data;
      if (!hasRole(principal.role, 'operator') || principal.kind !== 'user') {
        return reply({ ok: false, error: { code: 'forbidden', message: 'needs the operator role' } });
      }
      const parsed = alertActionSchema.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply({ ok: false, error: { code: 'bad_request', message: `${issue?.path.join('.') || 'payload'}: ${issue?.message}` } });
      }
      // Only work that may reach the database spends a token: a refusal above costs next to nothing.
      if (!socket.data.bucket.take()) return reply({ ok: false, error: { code: 'rate_limited', message: 'too many actions: slow down' } });
      try {
        const alert = await action(parsed.data.id, { principal, from: { address: socket.handshake.address } }, parsed.data.note);
        reply({ ok: true, alert });
      } catch (err) {
        if (err instanceof ServiceError) return reply({ ok: false, error: { code: err.code, message: err.message } });
        log.error('alert action failed', err);
        reply({ ok: false, error: { code: 'internal', message: 'internal server error' } });
      }
    };

  socket.on('alert:ack', handle((id, by, note) => alerts.acknowledge(id, by, note)));
  socket.on('alert:unack', handle((id, by) => alerts.unacknowledge(id, by)));
  socket.on('alert:resolve', handle((id, by, note) => alerts.resolve(id, by, note)));
}
