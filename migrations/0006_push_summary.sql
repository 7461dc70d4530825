CREATE TABLE "event_push_summary" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"notifications" integer NOT NULL,
	"highlights" integer NOT NULL,
	"stream_ordering" bigint NOT NULL,
	CONSTRAINT "event_push_summary_user_id_room_id_thread_id_pk" PRIMARY KEY("user_id","room_id","thread_id")
);
