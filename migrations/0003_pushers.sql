CREATE TABLE "pushers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text,
	"kind" text NOT NULL,
	"app_id" text NOT NULL,
	"pushkey" text NOT NULL,
	"app_display_name" text NOT NULL,
	"device_display_name" text NOT NULL,
	"profile_tag" text,
	"lang" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_ts" bigint NOT NULL,
	"last_success_ts" bigint,
	"failing_since" bigint,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "pushers_app_id_pushkey_user_id_key" UNIQUE("app_id","pushkey","user_id")
);
--> statement-breakpoint
ALTER TABLE "pushers" ADD CONSTRAINT "pushers_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pushers_user_id_device_id_idx" ON "pushers" USING btree ("user_id","device_id");