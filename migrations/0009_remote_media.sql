CREATE TABLE "remote_media" (
	"server_name" text NOT NULL,
	"media_id" text NOT NULL,
	"filesystem_id" text NOT NULL,
	"content_type" text NOT NULL,
	"upload_name" text,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"fetched_ts" bigint NOT NULL,
	"authenticated" boolean NOT NULL,
	"quarantined_by" text,
	CONSTRAINT "remote_media_server_name_media_id_pk" PRIMARY KEY("server_name","media_id")
);
--> statement-breakpoint
CREATE TABLE "remote_media_thumbnails" (
	"server_name" text NOT NULL,
	"media_id" text NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"method" text NOT NULL,
	"filesystem_id" text NOT NULL,
	"content_type" text NOT NULL,
	"size" bigint NOT NULL,
	"fetched_ts" bigint NOT NULL,
	CONSTRAINT "remote_media_thumbnails_server_name_media_id_width_height_method_pk" PRIMARY KEY("server_name","media_id","width","height","method")
);
