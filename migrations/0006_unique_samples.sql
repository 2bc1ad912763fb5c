-- A custom migration (`drizzle-kit generate --custom`), run once:
-- 1. Before the next migration makes (host, metric, ts) the key of `samples`, drop any sample stored
--    twice under one key (earlier versions had no such key); keep one of each.
DELETE FROM "samples" a USING "samples" b
  WHERE a.ctid < b.ctid AND a.host_id = b.host_id AND a.metric_id = b.metric_id AND a.ts = b.ts;--> statement-breakpoint
-- 2. The default "Host down" rule (host.up is computed by the server for every host, every tick).
--    Created once: an admin who deletes it keeps it deleted.
INSERT INTO "alert_rules" ("name", "metric", "host", "operator", "threshold", "level", "for_seconds", "clear_margin", "enabled", "channels", "repeat_seconds") VALUES
  ('Host down', 'host.up', NULL, '<', 1, 'CRITICAL', 0, 0, true, '["dashboard","email"]', 1800);
