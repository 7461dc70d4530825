CREATE TABLE "remote_server_keys" (
	"server_name" text NOT NULL,
	"key_id" text NOT NULL,
	"verify_key" text NOT NULL,
	"valid_until_ts" bigint NOT NULL,
	"expired" boolean NOT NULL,
	"fetched_ts" bigint NOT NULL,
	"from_server" text NOT NULL,
	"key_json" text NOT NULL,
	CONSTRAINT "remote_server_keys_server_name_key_id_pk" PRIMARY KEY("server_name","key_id")
);
