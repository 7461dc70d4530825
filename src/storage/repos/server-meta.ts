// The server_meta table: facts about the server a database belongs to.
import { eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { ServerNameMismatchError } from "../errors.ts";
import { serverMeta } from "../schema/server.ts";

const SERVER_NAME = "server_name";

/**
 * Records `serverName` on the first start; on later starts refuses (ServerNameMismatchError)
 * a database created for another server_name, since every stored ID embeds it (as Synapse does).
 */
export async function checkServerName(db: Db, serverName: string): Promise<void> {
  // Insert-if-absent, then read: two servers starting at once agree on the first writer.
  await db.insert(serverMeta).values({ key: SERVER_NAME, value: serverName }).onConflictDoNothing();
  const [row] = await db.select({ value: serverMeta.value }).from(serverMeta).where(eq(serverMeta.key, SERVER_NAME));
  if (row?.value !== serverName) {
    throw new ServerNameMismatchError(typeof row?.value === "string" ? row.value : JSON.stringify(row?.value), serverName);
  }
}
