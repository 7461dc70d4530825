CREATE TABLE "local_media" (
	"media_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"content_type" text,
	"upload_name" text,
	"size" bigint,
	"sha256" text,
	"created_ts" bigint NOT NULL,
	"uploaded_ts" bigint,
	"unused_expires_at" bigint,
	"last_access_ts" bigint,
	"authenticated" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "local_media_thumbnails" (
	"media_id" text NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"method" text NOT NULL,
	"content_type" text NOT NULL,
	"size" bigint NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "local_media_thumbnails_media_id_width_height_method_content_type_pk" PRIMARY KEY("media_id","width","height","method","content_type")
);
--> statement-breakpoint
ALTER TABLE "local_media_thumbnails" ADD CONSTRAINT "local_media_thumbnails_media_id_local_media_media_id_fk" FOREIGN KEY ("media_id") REFERENCES "public"."local_media"("media_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "local_media_pending" ON "local_media" USING btree ("user_id","unused_expires_at") WHERE uploaded_ts IS NULL;