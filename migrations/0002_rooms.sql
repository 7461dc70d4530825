CREATE SEQUENCE "public"."event_stream_ordering" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."receipts_stream_position" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."presence_stream_position" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."push_rules_stream_position" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."device_list_stream_position" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."to_device_stream_position" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "current_state" (
	"room_id" text NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text NOT NULL,
	"membership" text,
	CONSTRAINT "current_state_room_id_type_state_key_pk" PRIMARY KEY("room_id","type","state_key")
);
--> statement-breakpoint
CREATE TABLE "event_transactions" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"txn_id" text NOT NULL,
	"endpoint" text NOT NULL,
	"request_hash" text NOT NULL,
	"event_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "event_transactions_user_id_device_id_endpoint_txn_id_pk" PRIMARY KEY("user_id","device_id","endpoint","txn_id")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"stream_ordering" bigint DEFAULT nextval('event_stream_ordering') NOT NULL,
	"depth" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text,
	"sender" text NOT NULL,
	"origin_server_ts" bigint NOT NULL,
	"json" text NOT NULL,
	"membership" text,
	"state_snapshot" bigint,
	"replaces_state" text,
	"redacted_by" text,
	"relates_to" text,
	"rel_type" text,
	"rejected_reason" text,
	"sender_device" text,
	"txn_id" text,
	"outlier" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "forgotten_rooms" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	CONSTRAINT "forgotten_rooms_user_id_room_id_pk" PRIMARY KEY("user_id","room_id")
);
--> statement-breakpoint
CREATE TABLE "room_forward_extremities" (
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "room_forward_extremities_room_id_event_id_pk" PRIMARY KEY("room_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "room_memberships" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"sender" text NOT NULL,
	"membership" text NOT NULL,
	"stream_ordering" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_stats" (
	"room_id" text PRIMARY KEY NOT NULL,
	"name" text,
	"topic" text,
	"avatar_url" text,
	"canonical_alias" text,
	"join_rule" text,
	"history_visibility" text,
	"guest_access" text,
	"room_type" text,
	"encryption" text,
	"joined_members" integer DEFAULT 0 NOT NULL,
	"invited_members" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"room_version" text NOT NULL,
	"creator" text NOT NULL,
	"is_public" boolean DEFAULT false NOT NULL,
	"created_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "state_snapshot_entries" (
	"snapshot_id" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text,
	CONSTRAINT "state_snapshot_entries_snapshot_id_type_state_key_pk" PRIMARY KEY("snapshot_id","type","state_key")
);
--> statement-breakpoint
CREATE TABLE "state_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "state_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"room_id" text NOT NULL,
	"parent" bigint,
	"position" integer NOT NULL,
	"base" bigint
);
--> statement-breakpoint
CREATE TABLE "room_aliases" (
	"alias" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"room_id" text NOT NULL,
	"receipt_type" text NOT NULL,
	"user_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"event_id" text NOT NULL,
	"data" jsonb NOT NULL,
	"stream_position" bigint DEFAULT nextval('receipts_stream_position') NOT NULL,
	CONSTRAINT "receipts_room_id_receipt_type_user_id_thread_id_pk" PRIMARY KEY("room_id","receipt_type","user_id","thread_id")
);
--> statement-breakpoint
CREATE TABLE "content_reports" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "content_reports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"room_id" text,
	"event_id" text,
	"target_user_id" text,
	"reporter" text NOT NULL,
	"reason" text,
	"score" integer,
	"received_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_search" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"key" text NOT NULL,
	"vector" "tsvector" NOT NULL,
	"stream_ordering" bigint NOT NULL,
	"origin_server_ts" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "presence" (
	"user_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"status_msg" text,
	"last_active_ts" bigint NOT NULL,
	"currently_active" boolean NOT NULL,
	"stream_position" bigint DEFAULT nextval('presence_stream_position') NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_push_actions" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	"stream_ordering" bigint NOT NULL,
	"thread_id" text NOT NULL,
	"highlight" boolean NOT NULL,
	"actions" jsonb NOT NULL,
	"ts" bigint NOT NULL,
	CONSTRAINT "event_push_actions_user_id_room_id_stream_ordering_pk" PRIMARY KEY("user_id","room_id","stream_ordering")
);
--> statement-breakpoint
CREATE TABLE "push_rules" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"priority" integer NOT NULL,
	"rule" jsonb NOT NULL,
	CONSTRAINT "push_rules_user_id_kind_rule_id_pk" PRIMARY KEY("user_id","kind","rule_id")
);
--> statement-breakpoint
CREATE TABLE "push_rules_positions" (
	"user_id" text PRIMARY KEY NOT NULL,
	"stream_position" bigint DEFAULT nextval('push_rules_stream_position') NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sent_read_markers" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"stream_ordering" bigint NOT NULL,
	CONSTRAINT "sent_read_markers_user_id_room_id_thread_id_pk" PRIMARY KEY("user_id","room_id","thread_id")
);
--> statement-breakpoint
CREATE TABLE "device_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"keys" jsonb NOT NULL,
	CONSTRAINT "device_keys_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "device_list_changes" (
	"position" bigint PRIMARY KEY DEFAULT nextval('device_list_stream_position') NOT NULL,
	"user_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fallback_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key" jsonb NOT NULL,
	"used" boolean DEFAULT false NOT NULL,
	CONSTRAINT "fallback_keys_user_id_device_id_algorithm_pk" PRIMARY KEY("user_id","device_id","algorithm")
);
--> statement-breakpoint
CREATE TABLE "one_time_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key" jsonb NOT NULL,
	CONSTRAINT "one_time_keys_user_id_device_id_algorithm_key_id_pk" PRIMARY KEY("user_id","device_id","algorithm","key_id")
);
--> statement-breakpoint
CREATE TABLE "dehydrated_devices" (
	"user_id" text PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"device_data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_inbox" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"stream_position" bigint DEFAULT nextval('to_device_stream_position') NOT NULL,
	"sender" text NOT NULL,
	"type" text NOT NULL,
	"content" jsonb NOT NULL,
	CONSTRAINT "device_inbox_user_id_device_id_stream_position_pk" PRIMARY KEY("user_id","device_id","stream_position")
);
--> statement-breakpoint
CREATE TABLE "to_device_transactions" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"txn_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "to_device_transactions_user_id_device_id_txn_id_pk" PRIMARY KEY("user_id","device_id","txn_id")
);
--> statement-breakpoint
CREATE TABLE "cross_signing_keys" (
	"user_id" text NOT NULL,
	"usage" text NOT NULL,
	"public_key" text NOT NULL,
	"key" jsonb NOT NULL,
	"updated_ts" bigint NOT NULL,
	CONSTRAINT "cross_signing_keys_user_id_usage_pk" PRIMARY KEY("user_id","usage")
);
--> statement-breakpoint
CREATE TABLE "cross_signing_signatures" (
	"signer_user_id" text NOT NULL,
	"signer_key_id" text NOT NULL,
	"target_user_id" text NOT NULL,
	"target_key_id" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "cross_signing_signatures_target_user_id_target_key_id_signer_user_id_signer_key_id_pk" PRIMARY KEY("target_user_id","target_key_id","signer_user_id","signer_key_id")
);
--> statement-breakpoint
CREATE TABLE "key_backup_sessions" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"room_id" text NOT NULL,
	"session_id" text NOT NULL,
	"first_message_index" integer NOT NULL,
	"forwarded_count" integer NOT NULL,
	"is_verified" boolean NOT NULL,
	"session_data" jsonb NOT NULL,
	CONSTRAINT "key_backup_sessions_user_id_version_room_id_session_id_pk" PRIMARY KEY("user_id","version","room_id","session_id")
);
--> statement-breakpoint
CREATE TABLE "key_backup_versions" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"algorithm" text NOT NULL,
	"auth_data" jsonb NOT NULL,
	"etag" bigint DEFAULT 0 NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL,
	CONSTRAINT "key_backup_versions_user_id_version_pk" PRIMARY KEY("user_id","version")
);
--> statement-breakpoint
ALTER TABLE "push_rules" ADD CONSTRAINT "push_rules_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_rules_positions" ADD CONSTRAINT "push_rules_positions_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_keys" ADD CONSTRAINT "device_keys_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dehydrated_devices" ADD CONSTRAINT "dehydrated_devices_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dehydrated_devices" ADD CONSTRAINT "dehydrated_devices_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_inbox" ADD CONSTRAINT "device_inbox_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "to_device_transactions" ADD CONSTRAINT "to_device_transactions_user_id_device_id_devices_user_id_device_id_fk" FOREIGN KEY ("user_id","device_id") REFERENCES "public"."devices"("user_id","device_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cross_signing_keys" ADD CONSTRAINT "cross_signing_keys_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_backup_versions" ADD CONSTRAINT "key_backup_versions_user_id_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "current_state_members" ON "current_state" USING btree ("state_key","membership") WHERE type = 'm.room.member';--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream_ordering" ON "events" USING btree ("stream_ordering");--> statement-breakpoint
CREATE INDEX "events_room_stream" ON "events" USING btree ("room_id","stream_ordering");--> statement-breakpoint
CREATE INDEX "events_room_ts" ON "events" USING btree ("room_id","origin_server_ts");--> statement-breakpoint
CREATE INDEX "events_relates_to" ON "events" USING btree ("relates_to","rel_type","stream_ordering") WHERE relates_to is not null;--> statement-breakpoint
CREATE INDEX "events_room_threads" ON "events" USING btree ("room_id","relates_to","stream_ordering") WHERE rel_type = 'm.thread';--> statement-breakpoint
CREATE INDEX "room_memberships_user" ON "room_memberships" USING btree ("user_id","room_id","stream_ordering");--> statement-breakpoint
CREATE INDEX "room_memberships_room" ON "room_memberships" USING btree ("room_id","stream_ordering");--> statement-breakpoint
CREATE INDEX "state_snapshots_room" ON "state_snapshots" USING btree ("room_id");--> statement-breakpoint
CREATE INDEX "room_aliases_room" ON "room_aliases" USING btree ("room_id");--> statement-breakpoint
CREATE INDEX "receipts_stream" ON "receipts" USING btree ("stream_position");--> statement-breakpoint
CREATE INDEX "event_search_vector" ON "event_search" USING gin ("vector");--> statement-breakpoint
CREATE INDEX "event_search_room" ON "event_search" USING btree ("room_id","stream_ordering");--> statement-breakpoint
CREATE INDEX "presence_stream" ON "presence" USING btree ("stream_position");--> statement-breakpoint
CREATE INDEX "presence_not_offline" ON "presence" USING btree ("user_id") WHERE state <> 'offline';--> statement-breakpoint
CREATE INDEX "device_list_changes_user" ON "device_list_changes" USING btree ("user_id","position");--> statement-breakpoint
CREATE INDEX "cross_signing_signatures_signer" ON "cross_signing_signatures" USING btree ("signer_user_id");