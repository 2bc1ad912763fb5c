CREATE TABLE "derived_metrics" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"label" text,
	"unit" text DEFAULT '' NOT NULL,
	"numerator" jsonb NOT NULL,
	"denominator" jsonb NOT NULL,
	"factor" double precision DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "derived_metrics_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "scrape_targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"host" text NOT NULL,
	"interval_seconds" integer DEFAULT 5 NOT NULL,
	"series_limit" integer DEFAULT 500 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_scrape_at" timestamp (3) with time zone,
	"last_duration_ms" integer,
	"last_error" text,
	"series" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "scrape_targets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
