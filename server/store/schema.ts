/**
 * Every table of glasswatch. Migrations in ../../migrations are generated
 * from this file by drizzle-kit (`npm run db:generate`); never edit them.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial, customType, doublePrecision, index, integer, pgTable, primaryKey, real, smallint, smallserial, text,
  timestamp,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const tsCol = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Monitored hosts: the server's own and, later, agents. */
export const hosts = pgTable('hosts', {
  id: smallserial('id').primaryKey(),
  name: text('name').notNull().unique(),
  lastSeen: tsCol('last_seen'),
  createdAt: tsCol('created_at').notNull().defaultNow(),
});

/** Metric names ↔ small ids, so a sample row stores two bytes, not a string. */
export const metrics = pgTable('metrics', {
  id: smallserial('id').primaryKey(),
  name: text('name').notNull().unique(),
});

/**
 * Full-detail samples, one narrow row per (tick, host, metric). No null
 * values: a missing sample is a gap. Kept RETENTION_DAYS.
 */
export const samples = pgTable(
  'samples',
  {
    ts: tsCol('ts').notNull(),
    hostId: smallint('host_id').notNull(),
    metricId: smallint('metric_id').notNull(),
    value: real('value').notNull(),
  },
  (t) => [
    index('samples_series_idx').on(t.hostId, t.metricId, t.ts),
    // Retention deletes by time: a BRIN index is tiny and enough for that.
    index('samples_ts_brin').using('brin', t.ts),
  ],
);

/** min/avg/max/count per bucket, computed from the finer tier. */
function rollupTable(name: string) {
  return pgTable(
    name,
    {
      ts: tsCol('ts').notNull(),
      hostId: smallint('host_id').notNull(),
      metricId: smallint('metric_id').notNull(),
      min: real('min').notNull(),
      avg: doublePrecision('avg').notNull(),
      max: real('max').notNull(),
      count: integer('count').notNull(),
    },
    (t) => [primaryKey({ name: `${name}_pk`, columns: [t.hostId, t.metricId, t.ts] })],
  );
}

export const samples1m = rollupTable('samples_1m');
export const samples1h = rollupTable('samples_1h');

/** Used by @socket.io/postgres-adapter when several server nodes share PostgreSQL. */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial('id', { mode: 'number' }).unique(),
  createdAt: tsCol('created_at').default(sql`now()`),
  payload: bytea('payload'),
});

export type Host = typeof hosts.$inferSelect;
export type SampleRow = typeof samples.$inferInsert;
