CREATE TABLE "hosts" (
	"id" "smallserial" PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"last_seen" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hosts_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "metrics" (
	"id" "smallserial" PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "metrics_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "samples" (
	"ts" timestamp (3) with time zone NOT NULL,
	"host_id" smallint NOT NULL,
	"metric_id" smallint NOT NULL,
	"value" real NOT NULL
);
--> statement-breakpoint
CREATE TABLE "samples_1h" (
	"ts" timestamp (3) with time zone NOT NULL,
	"host_id" smallint NOT NULL,
	"metric_id" smallint NOT NULL,
	"min" real NOT NULL,
	"avg" double precision NOT NULL,
	"max" real NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "samples_1h_pk" PRIMARY KEY("host_id","metric_id","ts")
);
--> statement-breakpoint
CREATE TABLE "samples_1m" (
	"ts" timestamp (3) with time zone NOT NULL,
	"host_id" smallint NOT NULL,
	"metric_id" smallint NOT NULL,
	"min" real NOT NULL,
	"avg" double precision NOT NULL,
	"max" real NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "samples_1m_pk" PRIMARY KEY("host_id","metric_id","ts")
);
--> statement-breakpoint
CREATE TABLE "socket_io_attachments" (
	"id" bigserial NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now(),
	"payload" "bytea",
	CONSTRAINT "socket_io_attachments_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "samples_series_idx" ON "samples" USING btree ("host_id","metric_id","ts");--> statement-breakpoint
CREATE INDEX "samples_ts_brin" ON "samples" USING brin ("ts");