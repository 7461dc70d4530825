// Every table, for drizzle-kit (drizzle.config.ts) and for the typed `db` (storage/db.ts).
export * from "./server.ts";
