-- A custom migration (`drizzle-kit generate --custom`), run once, between creating sample_blocks
-- and dropping samples_1m:
-- 1. Samples were float4 until now: give each stored value back the short decimal it was written as
--    (12.3, not 12.300000190734863), so the block codec stores it as a decimal, exactly.
UPDATE "samples" SET "value" = "value"::real::text::double precision;--> statement-breakpoint
UPDATE "samples_1h" SET "min" = "min"::real::text::double precision, "max" = "max"::real::text::double precision;--> statement-breakpoint
-- 2. Minutes whose raw samples are gone survive as aggregate-only blocks (data NULL); minutes that
--    still have raw samples are sealed from those by the server (server/store/blocks.ts).
INSERT INTO "sample_blocks" ("host_id", "metric_id", "start", "n", "min", "max", "sum")
SELECT m.host_id, m.metric_id, m.ts, m.count, m.min::text::double precision, m.max::text::double precision, m.avg * m.count
FROM "samples_1m" m
WHERE NOT EXISTS (
  SELECT 1 FROM "samples" s
  WHERE s.host_id = m.host_id AND s.metric_id = m.metric_id AND s.ts >= m.ts AND s.ts < m.ts + interval '1 minute'
);
