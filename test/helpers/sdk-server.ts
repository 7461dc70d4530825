// A real `myelin serve` for matrix-js-sdk tests, started before the file's tests and stopped
// (cleanly, exit code 0) after them, with open registration and quiet SDK logs. Clients made
// through it are stopped first.
import { afterAll, beforeAll, expect } from "bun:test";
import { rmSync } from "node:fs";
import { createClient, type MatrixClient } from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { listenerEnv, type RunningProcess, spawnMyelin, tempFolder } from "./process.ts";

export const SDK_PASSWORD = "correct horse battery";

export interface SdkServer {
  readonly baseUrl: string;
  /** A client on a new device: registered (m.login.dummy), or logged in with SDK_PASSWORD. Stopped after the tests. */
  client(username: string, how?: "register" | "login"): Promise<MatrixClient>;
}

export function sdkServer(serverName: string): SdkServer {
  const dir = tempFolder();
  let server: RunningProcess | undefined;
  let baseUrl = "";
  const clients: MatrixClient[] = [];

  beforeAll(async () => {
    (logger as unknown as { setLevel(level: string): void }).setLevel("silent");
    server = spawnMyelin(["serve"], {
      MYELIN_DATA_DIRECTORY: dir,
      MYELIN_SERVER_NAME: serverName,
      MYELIN_LISTENERS: listenerEnv(["client"]),
      MYELIN_ENABLE_REGISTRATION: "true",
      MYELIN_RC_EXEMPT_LOOPBACK: "true",
    });
    [baseUrl] = (await server.urls()) as [string];
  });

  afterAll(async () => {
    for (const client of clients) client.stopClient();
    if (server) expect(await server.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    get baseUrl() {
      return baseUrl;
    },
    async client(username, how = "register") {
      const anonymous = createClient({ baseUrl });
      const session =
        how === "register"
          ? await anonymous.registerRequest({ username, password: SDK_PASSWORD, auth: { type: "m.login.dummy" } })
          : await anonymous.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: username }, password: SDK_PASSWORD });
      const client = createClient({ baseUrl, userId: session.user_id, accessToken: session.access_token!, deviceId: session.device_id });
      clients.push(client);
      return client;
    },
  };
}
