CREATE TABLE "appservice_streams" (
	"appservice_id" text PRIMARY KEY NOT NULL,
	"stream_position" bigint NOT NULL,
	"last_txn_id" bigint DEFAULT 0 NOT NULL,
	"pending_txn_id" bigint,
	"pending_body" jsonb,
	"pending_up_to" bigint
);
