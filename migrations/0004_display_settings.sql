ALTER TABLE "display_tokens" ADD COLUMN "views" jsonb DEFAULT '["overview"]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "display_tokens" ADD COLUMN "rotate_seconds" integer;--> statement-breakpoint
ALTER TABLE "display_tokens" ADD COLUMN "sound" boolean DEFAULT false NOT NULL;