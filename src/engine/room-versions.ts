// The room version table from the Rust core (wasm/src/room_versions.rs): one source of truth
// for both sides. https://spec.matrix.org/v1.19/rooms/
import type { WasmCore } from "./wasm-module.ts";

export interface RoomVersionRules {
  id: string;
  stability: "stable" | "unstable";
  event_id_format: "server_local" | "base64" | "url_safe_base64";
  state_resolution: "v1" | "v2" | "v2.1";
  enforce_key_validity: boolean;
  special_case_aliases_auth: boolean;
  strict_canonical_json: boolean;
  limit_notifications_power_levels: boolean;
  redaction_auth_in_rules: boolean;
  knocking: boolean;
  restricted_join_rule: boolean;
  knock_restricted_join_rule: boolean;
  integer_power_levels: boolean;
  redaction_keeps_aliases: boolean;
  redaction_keeps_join_rules_allow: boolean;
  redaction_keeps_join_authorised_via: boolean;
  redaction_rules_v11: boolean;
  creator_is_create_sender: boolean;
  room_id_from_create_event: boolean;
  privileged_creators: boolean;
}

export function readRoomVersions(core: WasmCore): ReadonlyMap<string, RoomVersionRules> {
  const table = JSON.parse(new TextDecoder().decode(core.call("room_versions", new Uint8Array(0)))) as RoomVersionRules[];
  return new Map(table.map((rules) => [rules.id, Object.freeze(rules)]));
}
