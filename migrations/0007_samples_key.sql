DROP INDEX "samples_series_idx";--> statement-breakpoint
ALTER TABLE "samples" ADD CONSTRAINT "samples_pk" PRIMARY KEY("host_id","metric_id","ts");--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "retired_at" timestamp (3) with time zone;