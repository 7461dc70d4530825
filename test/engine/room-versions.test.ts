import { expect, test } from "bun:test";
import { loadEngine } from "../../src/engine/index.ts";

test("the room version table comes from the core: v1 to v12, flags where the spec starts them", async () => {
  const { roomVersions } = await loadEngine();
  expect([...roomVersions.keys()]).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
  const from = (flag: keyof typeof v1) => [...roomVersions.values()].find((rules) => rules[flag] === true)?.id;
  const v1 = roomVersions.get("1")!;
  expect(from("knocking")).toBe("7");
  expect(from("restricted_join_rule")).toBe("8");
  expect(from("knock_restricted_join_rule")).toBe("10");
  expect(from("privileged_creators")).toBe("12");
  expect(roomVersions.get("12")!.state_resolution).toBe("v2.1");
  expect(v1.event_id_format).toBe("server_local");
  expect([...roomVersions.values()].every((rules) => rules.stability === "stable")).toBe(true);
});
