// `myelin register-user` and `myelin registration-token` as operators run them, then the
// accounts they made used over real HTTP.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { listenerEnv, runMyelin, spawnMyelin, tempFolder } from "../helpers/process.ts";

const dir = tempFolder();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { MYELIN_DATA_DIRECTORY: dir, MYELIN_SERVER_NAME: "cli.test", MYELIN_ENABLE_REGISTRATION: "true", MYELIN_REGISTRATION_REQUIRES_TOKEN: "true" };

test("register-user and registration-token, then log in and register with them", async () => {
  const admin = await runMyelin(["register-user", "Root", "--password", "pw-root", "--admin"], env);
  expect(admin.stderr).toBe("");
  expect(admin.code).toBe(0);
  expect(admin.stdout).toContain("registered @root:cli.test (admin)");
  const generated = await runMyelin(["register-user", "bob"], env);
  const password = /password: (\S+)/.exec(generated.stdout)?.[1];
  expect(password).toBeDefined();
  const taken = await runMyelin(["register-user", "root", "--password", "x"], env);
  expect(taken.code).toBe(1);
  expect(taken.stderr).toContain("User ID already taken");
  expect((await runMyelin(["register-user", "Bad Name"], env)).code).toBe(1);

  expect((await runMyelin(["registration-token", "create", "invite1", "--uses", "1", "--expiry", "1d"], env)).stdout.trim()).toBe("invite1");
  const made = (await runMyelin(["registration-token", "create"], env)).stdout.trim();
  expect(made).toMatch(/^[A-Za-z0-9_-]{16}$/);
  const list = (await runMyelin(["registration-token", "list"], env)).stdout;
  expect(list).toContain("invite1\tuses_allowed=1\tpending=0\tcompleted=0");
  expect(list).toContain(`${made}\tuses_allowed=unlimited`);
  expect((await runMyelin(["registration-token", "delete", made], env)).code).toBe(0);
  expect((await runMyelin(["registration-token", "list"], env)).stdout).not.toContain(made);
  expect((await runMyelin(["registration-token", "delete", made], env)).code).toBe(1);

  const server = spawnMyelin(["serve"], { ...env, MYELIN_LISTENERS: listenerEnv(["client"]) });
  try {
    const [url] = await server.urls();
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    for (const [user, pw] of [["root", "pw-root"], ["bob", password!]]) {
      const res = await post("/_matrix/client/v3/login", { type: "m.login.password", identifier: { type: "m.id.user", user }, password: pw });
      expect(res.status).toBe(200);
    }
    const registered = await post("/_matrix/client/v3/register", { username: "carol", password: "x", auth: { type: "m.login.registration_token", token: "invite1" } });
    expect(registered.status).toBe(200);
    expect(((await registered.json()) as { user_id: string }).user_id).toBe("@carol:cli.test");
  } finally {
    expect(await server.stop()).toBe(0);
  }
  expect((await runMyelin(["registration-token", "list"], env)).stdout).toContain("invite1\tuses_allowed=1\tpending=0\tcompleted=1");
});
