CREATE TABLE "agents" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_seen" timestamp (3) with time zone,
	"version" text,
	"platform" text,
	"clock_skew_ms" integer,
	CONSTRAINT "agents_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "kind" text DEFAULT 'server' NOT NULL;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "interval_ms" integer;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "kind" text DEFAULT 'gauge' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "builtin" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "label" text;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "unit" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "help" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "created_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "agents_live_name" ON "agents" USING btree ("name") WHERE revoked_at IS NULL;