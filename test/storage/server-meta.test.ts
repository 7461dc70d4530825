import { afterAll, beforeAll, expect, test } from "bun:test";
import { ServerNameMismatchError } from "../../src/storage/errors.ts";
import { checkServerName } from "../../src/storage/repos/server-meta.ts";
import { serverMeta } from "../../src/storage/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let database: TestDatabase;
beforeAll(async () => (database = await createTestDatabase()));
afterAll(() => database.close());

test("records server_name on the first start, accepts it later, refuses another", async () => {
  await checkServerName(database.db, "a.example");
  expect(await database.db.select().from(serverMeta)).toEqual([{ key: "server_name", value: "a.example" }]);
  await checkServerName(database.db, "a.example");
  const error = await checkServerName(database.db, "b.example").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServerNameMismatchError);
  expect((error as Error).message).toBe(
    'this database belongs to server_name "a.example" but the configuration says "b.example"; ' +
      "a server_name cannot change once users and rooms exist: restore the old server_name or use a new database",
  );
  expect(await database.db.select().from(serverMeta)).toEqual([{ key: "server_name", value: "a.example" }]);
});
