CREATE TABLE "blocked_rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"blocked_ts" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "locked" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "suspended" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "local_media" ADD COLUMN "quarantined_by" text;--> statement-breakpoint
ALTER TABLE "local_media" ADD COLUMN "safe_from_quarantine" boolean DEFAULT false NOT NULL;