//! Room versions as a table of rule flags: https://spec.matrix.org/v1.19/rooms/
//!
//! Code asks a flag ("does this version know knocking?"), never a version number, so a new
//! version is one new row. The table is also exported to TypeScript (`room_versions` op) so
//! both sides read one source of truth.

/// How event ids are made: https://spec.matrix.org/v1.19/rooms/v1/#event-ids (v1, v2),
/// /rooms/v3/#event-ids (standard base64 of the reference hash), /rooms/v4/#event-ids (URL-safe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventIdFormat {
    /// `$localpart:server`, chosen by the sending server and carried in the PDU.
    ServerLocal,
    /// `$` + unpadded standard base64 of the reference hash.
    Base64,
    /// `$` + unpadded URL-safe base64 of the reference hash.
    UrlSafeBase64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateResolution {
    /// https://spec.matrix.org/v1.19/rooms/v1/#state-resolution
    V1,
    /// https://spec.matrix.org/v1.19/rooms/v2/#state-resolution
    V2,
    /// State resolution 2.1 (MSC4297): starts from the empty state and adds the conflicted subgraph.
    V2_1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stability {
    Stable,
    Unstable,
}

/// The rules of one room version. Field names say what the rule does; the comment says where
/// it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomVersionRules {
    pub id: &'static str,
    pub stability: Stability,
    pub event_id_format: EventIdFormat,
    pub state_resolution: StateResolution,
    /// v5+: a signature counts only if the key was valid (valid_until_ts) at origin_server_ts.
    pub enforce_key_validity: bool,
    /// v1-v5: m.room.aliases events have their own auth rule (state_key is the sender's domain).
    pub special_case_aliases_auth: bool,
    /// v6+: canonical JSON is enforced on receipt (integers in range, no floats).
    pub strict_canonical_json: bool,
    /// v6+: changes to `notifications` in power levels need the sender to hold that level.
    pub limit_notifications_power_levels: bool,
    /// v1-v2: auth rules v1 for redactions (sender domain checked in auth); v3+: handled on receipt.
    pub redaction_auth_in_rules: bool,
    /// v7+: the `knock` membership and join rule.
    pub knocking: bool,
    /// v8+: the `restricted` join rule (and `join_authorised_via_users_server`).
    pub restricted_join_rule: bool,
    /// v10+: the `knock_restricted` join rule.
    pub knock_restricted_join_rule: bool,
    /// v10+: power levels must be integers, not strings holding integers.
    pub integer_power_levels: bool,
    /// v1-v5: redaction keeps `aliases` in m.room.aliases content.
    pub redaction_keeps_aliases: bool,
    /// v8+: redaction keeps `allow` in m.room.join_rules content.
    pub redaction_keeps_join_rules_allow: bool,
    /// v9+: redaction keeps `join_authorised_via_users_server` in m.room.member content.
    pub redaction_keeps_join_authorised_via: bool,
    /// v11+: the redaction algorithm of v11 (create content kept whole, `invite` in power levels,
    /// `signed` of third-party invites, `redacts` in content; `origin`, `membership`,
    /// `prev_state` no longer kept at the top level).
    pub redaction_rules_v11: bool,
    /// v11+: the room's creator is the create event's `sender`; `content.creator` is gone.
    pub creator_is_create_sender: bool,
    /// v12+: the room id is the create event's id with `!` (MSC4291); the create event has no
    /// room_id and is never listed in `auth_events`.
    pub room_id_from_create_event: bool,
    /// v12+: creators (create sender and `additional_creators`) have infinite power (MSC4289).
    pub privileged_creators: bool,
}

const V1: RoomVersionRules = RoomVersionRules {
    id: "1",
    stability: Stability::Stable,
    event_id_format: EventIdFormat::ServerLocal,
    state_resolution: StateResolution::V1,
    enforce_key_validity: false,
    special_case_aliases_auth: true,
    strict_canonical_json: false,
    limit_notifications_power_levels: false,
    redaction_auth_in_rules: true,
    knocking: false,
    restricted_join_rule: false,
    knock_restricted_join_rule: false,
    integer_power_levels: false,
    redaction_keeps_aliases: true,
    redaction_keeps_join_rules_allow: false,
    redaction_keeps_join_authorised_via: false,
    redaction_rules_v11: false,
    creator_is_create_sender: false,
    room_id_from_create_event: false,
    privileged_creators: false,
};
const V2: RoomVersionRules = RoomVersionRules { id: "2", state_resolution: StateResolution::V2, ..V1 };
const V3: RoomVersionRules =
    RoomVersionRules { id: "3", event_id_format: EventIdFormat::Base64, redaction_auth_in_rules: false, ..V2 };
const V4: RoomVersionRules = RoomVersionRules { id: "4", event_id_format: EventIdFormat::UrlSafeBase64, ..V3 };
const V5: RoomVersionRules = RoomVersionRules { id: "5", enforce_key_validity: true, ..V4 };
const V6: RoomVersionRules = RoomVersionRules {
    id: "6",
    special_case_aliases_auth: false,
    strict_canonical_json: true,
    limit_notifications_power_levels: true,
    redaction_keeps_aliases: false,
    ..V5
};
const V7: RoomVersionRules = RoomVersionRules { id: "7", knocking: true, ..V6 };
const V8: RoomVersionRules =
    RoomVersionRules { id: "8", restricted_join_rule: true, redaction_keeps_join_rules_allow: true, ..V7 };
const V9: RoomVersionRules = RoomVersionRules { id: "9", redaction_keeps_join_authorised_via: true, ..V8 };
const V10: RoomVersionRules =
    RoomVersionRules { id: "10", knock_restricted_join_rule: true, integer_power_levels: true, ..V9 };
const V11: RoomVersionRules =
    RoomVersionRules { id: "11", redaction_rules_v11: true, creator_is_create_sender: true, ..V10 };
const V12: RoomVersionRules = RoomVersionRules {
    id: "12",
    state_resolution: StateResolution::V2_1,
    room_id_from_create_event: true,
    privileged_creators: true,
    ..V11
};

/// Every room version Myelin knows, in the spec's order.
pub const ROOM_VERSIONS: [RoomVersionRules; 12] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

/// The rules of a version id, or None for a version Myelin does not know.
pub fn rules_for(id: &str) -> Option<&'static RoomVersionRules> {
    ROOM_VERSIONS.iter().find(|rules| rules.id == id)
}

impl RoomVersionRules {
    fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        json!({
            "id": self.id,
            "stability": match self.stability { Stability::Stable => "stable", Stability::Unstable => "unstable" },
            "event_id_format": match self.event_id_format {
                EventIdFormat::ServerLocal => "server_local",
                EventIdFormat::Base64 => "base64",
                EventIdFormat::UrlSafeBase64 => "url_safe_base64",
            },
            "state_resolution": match self.state_resolution {
                StateResolution::V1 => "v1",
                StateResolution::V2 => "v2",
                StateResolution::V2_1 => "v2.1",
            },
            "enforce_key_validity": self.enforce_key_validity,
            "special_case_aliases_auth": self.special_case_aliases_auth,
            "strict_canonical_json": self.strict_canonical_json,
            "limit_notifications_power_levels": self.limit_notifications_power_levels,
            "redaction_auth_in_rules": self.redaction_auth_in_rules,
            "knocking": self.knocking,
            "restricted_join_rule": self.restricted_join_rule,
            "knock_restricted_join_rule": self.knock_restricted_join_rule,
            "integer_power_levels": self.integer_power_levels,
            "redaction_keeps_aliases": self.redaction_keeps_aliases,
            "redaction_keeps_join_rules_allow": self.redaction_keeps_join_rules_allow,
            "redaction_keeps_join_authorised_via": self.redaction_keeps_join_authorised_via,
            "redaction_rules_v11": self.redaction_rules_v11,
            "creator_is_create_sender": self.creator_is_create_sender,
            "room_id_from_create_event": self.room_id_from_create_event,
            "privileged_creators": self.privileged_creators,
        })
    }
}

/// The `room_versions` operation: the whole table as a JSON array (input ignored).
pub fn room_versions_op(_input: &[u8]) -> Result<Vec<u8>, String> {
    let table: Vec<serde_json::Value> = ROOM_VERSIONS.iter().map(RoomVersionRules::to_json).collect();
    serde_json::to_vec(&table).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_has_its_id_and_lookups_work() {
        for (i, rules) in ROOM_VERSIONS.iter().enumerate() {
            assert_eq!(rules.id, (i + 1).to_string());
            assert_eq!(rules_for(rules.id), Some(rules));
        }
        assert_eq!(rules_for("13"), None);
        assert_eq!(rules_for("org.example.custom"), None);
    }

    #[test]
    fn features_start_where_the_spec_says() {
        let first = |flag: fn(&RoomVersionRules) -> bool| ROOM_VERSIONS.iter().find(|r| flag(r)).map(|r| r.id);
        assert_eq!(first(|r| r.knocking), Some("7"));
        assert_eq!(first(|r| r.restricted_join_rule), Some("8"));
        assert_eq!(first(|r| r.knock_restricted_join_rule), Some("10"));
        assert_eq!(first(|r| r.integer_power_levels), Some("10"));
        assert_eq!(first(|r| r.privileged_creators), Some("12"));
        assert_eq!(first(|r| r.enforce_key_validity), Some("5"));
        assert_eq!(rules_for("1").unwrap().state_resolution, StateResolution::V1);
        assert_eq!(rules_for("11").unwrap().state_resolution, StateResolution::V2);
        assert_eq!(rules_for("12").unwrap().state_resolution, StateResolution::V2_1);
        assert_eq!(rules_for("3").unwrap().event_id_format, EventIdFormat::Base64);
        assert_eq!(rules_for("4").unwrap().event_id_format, EventIdFormat::UrlSafeBase64);
        assert!(rules_for("5").unwrap().special_case_aliases_auth);
        assert!(!rules_for("6").unwrap().special_case_aliases_auth);
    }
}
