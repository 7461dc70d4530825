// Every table, for drizzle-kit (drizzle.config.ts) and for the typed `db` (storage/db.ts).
export * from "./server.ts";
export * from "./accounts.ts";
export * from "./profiles.ts";
export * from "./account-data.ts";
export * from "./filters.ts";
export * from "./erased-users.ts";
export * from "./rooms.ts";
export * from "./room-state.ts";
export * from "./room-directory.ts";
export * from "./receipts.ts";
export * from "./reports.ts";
export * from "./search.ts";
export * from "./presence.ts";
export * from "./push.ts";
