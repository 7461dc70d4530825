// GET /.well-known/matrix/support from the `support` config section.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { testServices } from "../helpers/services.ts";
import { jsonCaller } from "../helpers/user-data.ts";

const get = (overrides: Record<string, string>) => jsonCaller(createApp(testServices(overrides), ["client"]))("GET", "/.well-known/matrix/support");

describe("GET /.well-known/matrix/support", () => {
  test("serves the configured contacts and support page", async () => {
    const contacts = [{ role: "m.role.admin", matrix_id: "@admin:test.local" }, { role: "m.role.security", email_address: "security@test.local" }];
    const res = await get({ SUPPORT__CONTACTS: JSON.stringify(contacts), SUPPORT__SUPPORT_PAGE: "https://test.local/help" });
    expect(res).toEqual({ status: 200, body: { contacts, support_page: "https://test.local/help" } });
  });

  test("a support page alone, without contacts", async () => {
    expect(await get({ SUPPORT__SUPPORT_PAGE: "https://test.local/help" })).toEqual({ status: 200, body: { support_page: "https://test.local/help" } });
  });

  test("contacts without a matrix_id or email_address are left out", async () => {
    const res = await get({ SUPPORT__CONTACTS: JSON.stringify([{ role: "m.role.admin" }, { role: "m.role.admin", email_address: "a@test.local" }]) });
    expect(res.body).toEqual({ contacts: [{ role: "m.role.admin", email_address: "a@test.local" }] });
  });

  test("404 M_NOT_FOUND when nothing is configured", async () => {
    const res = await get({});
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  });

  test("404 when the only contact cannot be reached", async () => {
    expect((await get({ SUPPORT__CONTACTS: JSON.stringify([{ role: "m.role.admin" }]) })).status).toBe(404);
  });
});
