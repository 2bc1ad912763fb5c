CREATE TABLE "cluster_leader" (
	"id" smallint PRIMARY KEY NOT NULL,
	"epoch" integer NOT NULL,
	"node" text NOT NULL,
	"since" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_nodes" (
	"name" text PRIMARY KEY NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"last_seen" timestamp (3) with time zone NOT NULL,
	"viewers" integer DEFAULT 0 NOT NULL,
	"agents" integer DEFAULT 0 NOT NULL
);
