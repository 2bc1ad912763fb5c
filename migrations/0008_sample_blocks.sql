CREATE TABLE "sample_blocks" (
	"host_id" smallint NOT NULL,
	"metric_id" smallint NOT NULL,
	"start" timestamp (3) with time zone NOT NULL,
	"n" integer NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"sum" double precision NOT NULL,
	"warn_seconds" real,
	"crit_seconds" real,
	"data" "bytea",
	CONSTRAINT "sample_blocks_pk" PRIMARY KEY("host_id","metric_id","start")
);
--> statement-breakpoint
ALTER TABLE "samples" ALTER COLUMN "value" SET DATA TYPE double precision;--> statement-breakpoint
ALTER TABLE "samples_1h" ALTER COLUMN "min" SET DATA TYPE double precision;--> statement-breakpoint
ALTER TABLE "samples_1h" ALTER COLUMN "max" SET DATA TYPE double precision;--> statement-breakpoint
ALTER TABLE "samples_1h" ADD COLUMN "warn_seconds" real;--> statement-breakpoint
ALTER TABLE "samples_1h" ADD COLUMN "crit_seconds" real;--> statement-breakpoint
CREATE INDEX "sample_blocks_start_brin" ON "sample_blocks" USING brin ("start");