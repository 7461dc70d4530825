// The `myelin` command as operators run it: help, version, generate-config, config errors,
// serve over real HTTP(S) with separate listeners, one process per data folder, SIGTERM.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import pkg from "../../package.json" with { type: "json" };
import { listenerEnv, runMyelin, spawnMyelin, tempFolder } from "../helpers/process.ts";
import { json } from "../helpers/services.ts";

const folders: string[] = [];
const folder = () => {
  const dir = tempFolder();
  folders.push(dir);
  return dir;
};
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("myelin command", () => {
  test("--version and --help", async () => {
    const version = await runMyelin(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`myelin ${pkg.version}`);
    const help = await runMyelin(["--help"]);
    expect(help.code).toBe(0);
    for (const word of ["serve", "generate-config", "migrate", "--config"]) expect(help.stdout).toContain(word);
  });

  test("an unknown command or flag exits 2 with usage", async () => {
    for (const args of [["frobnicate"], ["--frob"]]) {
      const result = await runMyelin(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("Usage:");
    }
  });

  test("generate-config writes every option with its default, and refuses to overwrite", async () => {
    const result = await runMyelin(["generate-config"]);
    expect(result.code).toBe(0);
    const config = parse(result.stdout);
    expect(config.server_name).toBe("localhost");
    expect(config.listeners[0].port).toBe(8008);
    expect(config.database.name).toBe("embedded");
    expect(result.stdout).toContain("# The domain of this homeserver");
    const path = join(folder(), "homeserver.yaml");
    expect((await runMyelin(["generate-config", "--output", path])).code).toBe(0);
    expect(existsSync(path)).toBe(true);
    const again = await runMyelin(["generate-config", "--output", path]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("not overwriting");
  });

  test("a bad config exits 1 with one line naming the key", async () => {
    const dir = folder();
    const cases: [string, RegExp][] = [
      ["listeners:\n  - port: eighty\n    resources: [{names: [client]}]\n", /listeners\[0\]\.port: expected integer/],
      ["server_name: example.org\nsurprise: 1\n", /surprise: unknown option/],
      ["server_name: 'not a name'\n", /server_name: .*not a valid server name/],
      ["listeners: [\n", /not valid YAML/],
      ["max_upload_size: lots\n", /max_upload_size: expected a size/],
      ["listeners:\n  - port: 8448\n    tls: true\n    resources: [{names: [federation]}]\n", /listeners\[0\]\.tls: needs tls_certificate_path/],
    ];
    for (const [yaml, message] of cases) {
      const path = join(dir, "bad.yaml");
      writeFileSync(path, yaml);
      const result = await runMyelin(["serve", "--config", path], { MYELIN_DATA_DIRECTORY: dir });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^myelin: config error: /);
      expect(lines[0]).toMatch(message);
    }
    const missing = await runMyelin(["serve", "--config", join(dir, "absent.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read config file");
    const env = await runMyelin(["serve"], { MYELIN_LISTENERS__0__PORT: "x", MYELIN_DATA_DIRECTORY: dir });
    expect(env.code).toBe(1);
  });
});

describe("myelin serve", () => {
  test("serves client and federation on separate ports, refuses a second process, stops on SIGTERM", async () => {
    const data = folder();
    const env = { MYELIN_DATA_DIRECTORY: data, MYELIN_SERVER_NAME: "cli.test", MYELIN_LISTENERS: listenerEnv(["client"], ["federation"]) };
    const server = spawnMyelin(["serve"], env);
    try {
      const [client, federation] = await server.urls();
      const versions = await fetch(`${client}/_matrix/client/versions`);
      expect(versions.status).toBe(200);
      expect((await fetch(`${federation}/_matrix/client/versions`)).status).toBe(404);
      const keys = await json(await fetch(`${federation}/_matrix/key/v2/server`));
      expect(keys.server_name).toBe("cli.test");
      expect((await fetch(`${client}/_matrix/key/v2/server`)).status).toBe(404);

      const second = await runMyelin(["serve"], env);
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toMatch(new RegExp(`^myelin: data folder ${data} is in use by another Myelin process \\(pid ${server.proc.pid}\\)$`));
      // the first one is unharmed
      expect((await fetch(`${client}/_matrix/client/versions`)).status).toBe(200);
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
    expect(server.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });

  test("after kill -9 of myelin serve, the next start on the same folder works with the same key", async () => {
    const data = folder();
    const env = { MYELIN_DATA_DIRECTORY: data, MYELIN_LISTENERS: listenerEnv(["federation"]) };
    const first = spawnMyelin(["serve"], env);
    const [url] = await first.urls();
    const key = await json(await fetch(`${url}/_matrix/key/v2/server`));
    expect(await first.stop("SIGKILL")).not.toBe(0);
    const second = spawnMyelin(["serve"], env);
    try {
      const [again] = await second.urls();
      const after = await json(await fetch(`${again}/_matrix/key/v2/server`));
      expect(after.verify_keys).toEqual(key.verify_keys);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  test("serves HTTPS with the configured certificate", async () => {
    const dir = folder();
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    const openssl = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", key, "-out", cert]);
    expect(openssl.exitCode).toBe(0);
    const server = spawnMyelin(["serve"], {
      MYELIN_DATA_DIRECTORY: join(dir, "data"),
      MYELIN_TLS_CERTIFICATE_PATH: cert,
      MYELIN_TLS_PRIVATE_KEY_PATH: key,
      MYELIN_LISTENERS: JSON.stringify([{ port: 0, bind_addresses: ["127.0.0.1"], tls: true, resources: [{ names: ["client", "federation"] }] }]),
    });
    try {
      const [url] = await server.urls();
      expect(url).toStartWith("https://");
      const res = await fetch(`${url}/_matrix/federation/v1/version`, { tls: { rejectUnauthorized: false } });
      expect(await json(res)).toMatchObject({ server: { name: "Myelin" } });
    } finally {
      await server.stop();
    }
  });

  test("a missing TLS file stops the start with one line", async () => {
    const dir = folder();
    const result = await runMyelin(["serve"], {
      MYELIN_DATA_DIRECTORY: dir,
      MYELIN_TLS_CERTIFICATE_PATH: join(dir, "nope.pem"),
      MYELIN_TLS_PRIVATE_KEY_PATH: join(dir, "nope.key"),
      MYELIN_LISTENERS: JSON.stringify([{ port: 0, tls: true, resources: [{ names: ["client"] }] }]),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nope.pem does not exist");
  });

  test("migrate applies migrations and exits", async () => {
    const result = await runMyelin(["migrate"], { MYELIN_DATA_DIRECTORY: folder() });
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
  });
});

test("SIGTERM lets a request in flight finish before the server stops", async () => {
  const server = spawnMyelin(["serve"], {
    MYELIN_DATA_DIRECTORY: folder(),
    MYELIN_ENABLE_REGISTRATION: "true",
    MYELIN_LISTENERS: listenerEnv(["client"]),
  });
  const [url] = await server.urls();
  // A body that arrives in two halves, with SIGTERM sent in between.
  let sendRest!: () => void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const text = new TextEncoder().encode(JSON.stringify({ username: "inflight", password: "correct horse" }));
      controller.enqueue(text.slice(0, 10));
      sendRest = () => {
        controller.enqueue(text.slice(10));
        controller.close();
      };
    },
  });
  const pending = fetch(`${url}/_matrix/client/v3/register`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  await Bun.sleep(200);
  server.proc.kill("SIGTERM");
  await server.waitFor(/"msg":"shutting down"/);
  sendRest();
  const res = await pending;
  expect(res.status).toBe(401); // the UIA challenge: the request was served in full
  expect((await json(res)).flows).toBeDefined();
  expect(await server.proc.exited).toBe(0);
  expect(server.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
});
