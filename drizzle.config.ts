// drizzle-kit generates migrations/ from the schema (`bun run db:generate --name <what>`);
// Myelin applies them with its own migrator (src/storage/migrate.ts), never with drizzle-kit.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/storage/schema/index.ts",
  out: "./migrations",
});
