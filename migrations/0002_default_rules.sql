-- The default alert rules of the original specification, created once on the first start.
-- (A custom migration from `drizzle-kit generate --custom`: an admin who deletes them later keeps them deleted.)
INSERT INTO "alert_rules" ("name", "metric", "host", "operator", "threshold", "level", "for_seconds", "clear_margin", "enabled", "channels", "repeat_seconds") VALUES
  ('CPU usage high',         'cpu.usage_percent',     NULL, '>=',   70, 'WARNING',  30,  5, true, '["dashboard","email"]', NULL),
  ('CPU usage critical',     'cpu.usage_percent',     NULL, '>=',   85, 'CRITICAL', 30,  5, true, '["dashboard","email"]', 1800),
  ('Memory usage high',      'memory.usage_percent',  NULL, '>=',   75, 'WARNING',  30,  3, true, '["dashboard","email"]', NULL),
  ('Memory usage critical',  'memory.usage_percent',  NULL, '>=',   90, 'CRITICAL', 30,  3, true, '["dashboard","email"]', 1800),
  ('Disk usage high',        'disk.usage_percent',    NULL, '>=',   80, 'WARNING',   0,  2, true, '["dashboard","email"]', NULL),
  ('Disk usage critical',    'disk.usage_percent',    NULL, '>=',   95, 'CRITICAL',  0,  2, true, '["dashboard","email"]', 1800),
  ('DB response slow',       'db.query_ms',           NULL, '>=',  500, 'WARNING',  10, 50, true, '["dashboard","email"]', NULL),
  ('DB response critical',   'db.query_ms',           NULL, '>=', 1000, 'CRITICAL', 10, 50, true, '["dashboard","email"]', 1800),
  ('DB connections high',    'db.active_connections', NULL, '>=',   80, 'WARNING',  10,  5, true, '["dashboard","email"]', NULL),
  ('DB connections critical','db.active_connections', NULL, '>=',  100, 'CRITICAL', 10,  5, true, '["dashboard","email"]', 1800);
