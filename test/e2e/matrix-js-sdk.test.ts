// matrix-js-sdk, the reference client library, as the client of a real listening `myelin serve`:
// registration through the SDK's own user-interactive auth (m.login.dummy), a second device by
// password login, devices, profile, account data, token refresh (explicit, then automatic on an
// expired token), and logout of one device while the other keeps working. Only the SDK's public
// client API talks to the server; no raw fetch.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { type AccountDataEvents, createClient, HttpApiEvent, InteractiveAuth, MatrixError, type MatrixClient, type RegisterResponse } from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { listenerEnv, type RunningProcess, spawnMyelin, tempFolder } from "../helpers/process.ts";

/** Access tokens of sessions with refresh tokens live this long: short, so that one expires during the test. */
const REFRESHABLE_LIFETIME_MS = 2000;
const SERVER = "sdk.test";
const PASSWORD = "correct horse battery staple";

const dir = tempFolder();
let server: RunningProcess;
let baseUrl: string;

beforeAll(async () => {
  // The SDK logs every UIA step and refresh, and logs the token refusals this test provokes on purpose as errors.
  (logger as unknown as { setLevel(level: string): void }).setLevel("silent"); // a loglevel logger
  server = spawnMyelin(["serve"], {
    MYELIN_DATA_DIRECTORY: dir,
    MYELIN_SERVER_NAME: SERVER,
    MYELIN_LISTENERS: listenerEnv(["client"]),
    MYELIN_ENABLE_REGISTRATION: "true",
    MYELIN_REFRESHABLE_ACCESS_TOKEN_LIFETIME: `${REFRESHABLE_LIFETIME_MS}ms`,
  });
  [baseUrl] = (await server.urls()) as [string];
});

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

/** The MatrixError a promise rejects with (fails the test if it resolves or rejects otherwise). */
async function matrixError(promise: Promise<unknown>): Promise<MatrixError> {
  const outcome = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  if (!("rejected" in outcome)) throw new Error(`expected a MatrixError, got ${JSON.stringify(outcome.resolved)}`);
  expect(outcome.rejected).toBeInstanceOf(MatrixError);
  return outcome.rejected as MatrixError;
}

/** A client holding just an access token (no refresh support), to check whether the server takes it. */
const tokenOnly = (accessToken: string) => createClient({ baseUrl, accessToken });

test("matrix-js-sdk registers, logs in twice, manages devices, profile, account data, refreshes and logs out", async () => {
  const anonymous = createClient({ baseUrl });
  const userId = `@alice:${SERVER}`;

  // The server offers password login.
  const flows = await anonymous.loginFlows();
  expect(flows.flows.map((flow) => flow.type)).toContain("m.login.password");

  // ---- Registration, as the SDK drives user-interactive auth: first without auth, then the
  // dummy stage it picks by itself from the 401's flows, with the server's session.
  const submitted: (Record<string, unknown> | null)[] = [];
  const stagesShown: string[] = [];
  const registered = await new InteractiveAuth<RegisterResponse>({
    matrixClient: anonymous,
    doRequest: (auth) => {
      submitted.push(auth as Record<string, unknown> | null);
      return anonymous.registerRequest({ username: "Alice", password: PASSWORD, initial_device_display_name: "Alice laptop", auth: auth ?? undefined });
    },
    stateUpdated: (stage) => void stagesShown.push(stage), // only for stages needing a user; dummy is not one
    requestEmailToken: () => Promise.reject(new Error("no email stage expected")),
  }).attemptAuth();
  expect(submitted).toHaveLength(2);
  expect(submitted[0]).toBeNull();
  expect(submitted[1]).toEqual({ type: "m.login.dummy", session: expect.any(String) });
  expect((submitted[1]!.session as string).length).toBeGreaterThan(0);
  expect(stagesShown).toEqual([]);
  expect(registered.user_id).toBe(userId); // user ids are lowercased
  expect(registered.access_token).toEqual(expect.any(String));
  expect(registered.device_id).toEqual(expect.any(String));
  expect(registered.refresh_token).toBeUndefined(); // not asked for
  const laptopId = registered.device_id!;
  const laptop = createClient({ baseUrl, userId, deviceId: laptopId, accessToken: registered.access_token! });
  expect(await laptop.whoami()).toEqual({ user_id: userId, device_id: laptopId, is_guest: false });

  // The name is now taken, as the SDK sees it.
  expect(await anonymous.isUsernameAvailable("alice")).toBe(false);
  expect(await anonymous.isUsernameAvailable("bob")).toBe(true);

  // ---- Second device: password login asking for a refresh token.
  const login = await anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: "alice" },
    password: PASSWORD,
    initial_device_display_name: "Alice phone",
    refresh_token: true,
  });
  expect(login.user_id).toBe(userId);
  expect(login.device_id).not.toBe(laptopId);
  expect(login.refresh_token).toEqual(expect.any(String));
  expect(login.expires_in_ms).toBe(REFRESHABLE_LIFETIME_MS);
  const phoneId = login.device_id;
  expect(await tokenOnly(login.access_token).whoami()).toEqual({ user_id: userId, device_id: phoneId, is_guest: false });

  // A wrong password is refused, through the same SDK call.
  const wrong = await matrixError(anonymous.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "nope" }));
  expect(wrong.httpStatus).toBe(403);
  expect(wrong.errcode).toBe("M_FORBIDDEN");

  // ---- Devices: both listed with their initial names; rename one.
  const listed = (await laptop.getDevices()).devices;
  expect(listed.map((device) => device.device_id).sort()).toEqual([laptopId, phoneId].sort());
  const names = Object.fromEntries(listed.map((device) => [device.device_id, device.display_name]));
  expect(names).toEqual({ [laptopId]: "Alice laptop", [phoneId]: "Alice phone" });
  expect(await laptop.setDeviceDetails(phoneId, { display_name: "Alice's phone" })).toEqual({});
  expect(await laptop.getDevice(phoneId)).toMatchObject({ device_id: phoneId, display_name: "Alice's phone" });
  expect((await matrixError(laptop.getDevice("NOSUCHDEVICE"))).httpStatus).toBe(404);

  // ---- Profile.
  expect(await laptop.getProfileInfo(userId)).toEqual({});
  await laptop.setDisplayName("Alice Liddell");
  await laptop.setAvatarUrl("mxc://sdk.test/alice-avatar");
  expect(await laptop.getProfileInfo(userId)).toEqual({ displayname: "Alice Liddell", avatar_url: "mxc://sdk.test/alice-avatar" });
  expect(await laptop.getProfileInfo(userId, "displayname")).toEqual({ displayname: "Alice Liddell" });
  expect(await laptop.getProfileInfo(userId, "avatar_url")).toEqual({ avatar_url: "mxc://sdk.test/alice-avatar" });
  // Profiles are readable by anyone with an account: the other device sees them too.
  expect(await tokenOnly(login.access_token).getProfileInfo(userId, "displayname")).toEqual({ displayname: "Alice Liddell" });

  // ---- Global account data, through the request methods that need no sync loop.
  const settingsType = "org.example.sdk_settings" as keyof AccountDataEvents; // the SDK types only known event types
  const settings = { theme: "dark", sizes: [1, 2, 3], nested: { ok: true } };
  expect(await laptop.getAccountDataFromServer(settingsType)).toBeNull(); // M_NOT_FOUND, as the SDK expects
  expect(await laptop.setAccountDataRaw(settingsType, settings as never)).toEqual({});
  expect(await laptop.getAccountDataFromServer(settingsType)).toEqual(settings as never);
  await laptop.setAccountDataRaw(settingsType, { theme: "light" } as never);
  expect(await laptop.getAccountDataFromServer(settingsType)).toEqual({ theme: "light" } as never);

  // ---- Refresh, explicitly: new tokens; once the new access token is used, the old pair is gone.
  const rotated = await anonymous.refreshToken(login.refresh_token!);
  const rotatedAt = Date.now();
  expect(rotated.access_token).not.toBe(login.access_token);
  expect(rotated.refresh_token).toEqual(expect.any(String));
  expect(rotated.refresh_token).not.toBe(login.refresh_token);
  expect(rotated.expires_in_ms).toBe(REFRESHABLE_LIFETIME_MS);
  expect(await tokenOnly(rotated.access_token).whoami()).toEqual({ user_id: userId, device_id: phoneId, is_guest: false });
  const oldAccess = await matrixError(tokenOnly(login.access_token).whoami());
  expect([oldAccess.httpStatus, oldAccess.errcode]).toEqual([401, "M_UNKNOWN_TOKEN"]);
  const oldRefresh = await matrixError(anonymous.refreshToken(login.refresh_token!));
  expect([oldRefresh.httpStatus, oldRefresh.errcode]).toEqual([401, "M_UNKNOWN_TOKEN"]);

  // ---- Refresh, automatically: the SDK's token refresher, on a token that has expired.
  const refreshes: string[] = [];
  const phone: MatrixClient = createClient({
    baseUrl,
    userId,
    deviceId: phoneId,
    accessToken: rotated.access_token,
    refreshToken: rotated.refresh_token!,
    tokenRefreshFunction: async (refreshToken) => {
      refreshes.push(refreshToken);
      const fresh = await anonymous.refreshToken(refreshToken);
      return { accessToken: fresh.access_token, refreshToken: fresh.refresh_token, expiry: new Date(Date.now() + fresh.expires_in_ms!) };
    },
  });
  const loggedOutEvents: string[] = [];
  phone.on(HttpApiEvent.SessionLoggedOut, (error) => void loggedOutEvents.push(error.errcode ?? ""));
  // Waiting for the expiry is the point of this step: the only sleep in the test.
  await Bun.sleep(Math.max(0, rotatedAt + REFRESHABLE_LIFETIME_MS + 100 - Date.now()));
  const expired = await matrixError(tokenOnly(rotated.access_token).whoami());
  expect([expired.httpStatus, expired.errcode, expired.data.soft_logout]).toEqual([401, "M_UNKNOWN_TOKEN", true]);
  expect(await phone.whoami()).toEqual({ user_id: userId, device_id: phoneId, is_guest: false });
  expect(refreshes).toEqual([rotated.refresh_token!]);
  const refreshedAccess = phone.getAccessToken()!;
  expect(refreshedAccess).not.toBe(rotated.access_token);
  expect(phone.getRefreshToken()).not.toBe(rotated.refresh_token);
  expect(await tokenOnly(refreshedAccess).whoami()).toMatchObject({ device_id: phoneId });
  expect(loggedOutEvents).toEqual([]);

  // ---- Log out the phone: its tokens are refused (not soft: it is gone), the laptop still works.
  expect(await phone.logout()).toEqual({});
  const phoneAccess = phone.getAccessToken()!;
  const phoneRefresh = phone.getRefreshToken()!;
  const refused = await matrixError(tokenOnly(phoneAccess).whoami());
  expect([refused.httpStatus, refused.errcode, refused.data.soft_logout ?? false]).toEqual([401, "M_UNKNOWN_TOKEN", false]);
  const refusedRefresh = await matrixError(anonymous.refreshToken(phoneRefresh));
  expect([refusedRefresh.httpStatus, refusedRefresh.errcode]).toEqual([401, "M_UNKNOWN_TOKEN"]);
  // The SDK's own client for the phone tries its refresh token, fails, and reports the session logged out.
  const phoneAfter = await matrixError(phone.whoami());
  expect(phoneAfter.errcode).toBe("M_UNKNOWN_TOKEN");
  expect(loggedOutEvents).toEqual(["M_UNKNOWN_TOKEN"]);

  expect(await laptop.whoami()).toEqual({ user_id: userId, device_id: laptopId, is_guest: false });
  const remaining = (await laptop.getDevices()).devices;
  expect(remaining.map((device) => device.device_id)).toEqual([laptopId]);
  expect(await laptop.getProfileInfo(userId)).toEqual({ displayname: "Alice Liddell", avatar_url: "mxc://sdk.test/alice-avatar" });
});
