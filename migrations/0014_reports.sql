CREATE TABLE "reports" (
	"id" serial PRIMARY KEY NOT NULL,
	"day" date NOT NULL,
	"tz" text NOT NULL,
	"generated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"scheduled_at" timestamp (3) with time zone,
	"report" jsonb NOT NULL,
	CONSTRAINT "reports_day_unique" UNIQUE("day")
);
--> statement-breakpoint
ALTER TABLE "notification_outbox" ALTER COLUMN "alert_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD COLUMN "report_id" integer;--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD COLUMN "recipient" text;--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD CONSTRAINT "notification_outbox_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_outbox_report_idx" ON "notification_outbox" USING btree ("report_id");--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD CONSTRAINT "notification_outbox_one_subject" CHECK ((alert_id IS NULL) <> (report_id IS NULL));