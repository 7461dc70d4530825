//! How each room version numbers its authorization rules. The lists differ only by rules
//! that come and go with a flag, so the numbers are counted from the flags:
//!
//! - v1, v2: 1 create, 2 auth events, 3 m.federate, 4 aliases, 5 member, 6 sender joined,
//!   7 third-party invite, 8 required level, 9 `@` state key, 10 power levels, 11 redaction,
//!   12 allow (https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules);
//! - v3-v5: the same without 11 (redactions are checked on receipt), so 11 allow;
//! - v6-v11: without the aliases rule: 4 member ... 9 power levels, 10 allow;
//! - v12: a new 2 (room id from the create event) shifts the rest by one: 5 member,
//!   10 power levels, 11 allow.
//!
//! Inside the member rule, v8 adds 2 (join_authorised_via_users_server signature), shifting
//! the memberships by one; v7 adds `knock` after `ban`. Inside the join rule, v8 adds
//! `restricted` before `public`. Inside the power levels rule, v10 adds two type checks at
//! the top and v12 one creator check after the users check.

use crate::room_versions::RoomVersionRules;

/// Top-level rule numbers for one room version (None: the version has no such rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbers {
    pub create: u8,
    /// v12: "If the event's room_id is not an event ID for an accepted m.room.create event".
    pub room_id: Option<u8>,
    pub auth_events: u8,
    pub federate: u8,
    pub aliases: Option<u8>,
    pub member: u8,
    pub sender_joined: u8,
    pub third_party_invite: u8,
    pub required_level: u8,
    pub user_state_key: u8,
    pub power_levels: u8,
    pub redaction: Option<u8>,
    pub otherwise: u8,
    /// Member sub-rules.
    pub member_join: u8,
    pub member_invite: u8,
    pub member_leave: u8,
    pub member_ban: u8,
    pub member_knock: Option<u8>,
    pub member_unknown: u8,
    /// Join sub-rules after `invite`: restricted (v8+), public, otherwise.
    pub join_restricted: Option<u8>,
    pub join_public: u8,
    pub join_otherwise: u8,
    /// Power level sub-rules.
    pub pl_named_integers: Option<u8>,
    pub pl_maps_integers: Option<u8>,
    pub pl_users: u8,
    pub pl_creators: Option<u8>,
    pub pl_no_previous: u8,
    pub pl_named: u8,
    pub pl_maps_current: u8,
    pub pl_maps_new: u8,
    pub pl_users_current: u8,
    pub pl_users_new: u8,
    pub pl_otherwise: u8,
}

struct Counter(u8);

impl Counter {
    fn next(&mut self) -> u8 {
        self.0 += 1;
        self.0
    }
    fn next_if(&mut self, present: bool) -> Option<u8> {
        if present {
            Some(self.next())
        } else {
            None
        }
    }
}

impl Numbers {
    pub fn of(rules: &RoomVersionRules) -> Numbers {
        let mut top = Counter(0);
        let create = top.next();
        let room_id = top.next_if(rules.room_id_from_create_event);
        let auth_events = top.next();
        let federate = top.next();
        let aliases = top.next_if(rules.special_case_aliases_auth);
        let member = top.next();
        let sender_joined = top.next();
        let third_party_invite = top.next();
        let required_level = top.next();
        let user_state_key = top.next();
        let power_levels = top.next();
        let redaction = top.next_if(rules.redaction_auth_in_rules);
        let otherwise = top.next();

        // Member: 1 is the state_key/membership check, 2 (v8+) the signature check.
        let mut m = Counter(1);
        m.next_if(rules.restricted_join_rule);
        let member_join = m.next();
        let member_invite = m.next();
        let member_leave = m.next();
        let member_ban = m.next();
        let member_knock = m.next_if(rules.knocking);
        let member_unknown = m.next();

        // Join: 1 creator, 2 sender, 3 banned, 4 invite.
        let mut j = Counter(4);
        let join_restricted = j.next_if(rules.restricted_join_rule);
        let join_public = j.next();
        let join_otherwise = j.next();

        let mut p = Counter(0);
        let pl_named_integers = p.next_if(rules.integer_power_levels);
        let pl_maps_integers = p.next_if(rules.integer_power_levels);
        let pl_users = p.next();
        let pl_creators = p.next_if(rules.privileged_creators);
        let pl_no_previous = p.next();
        let pl_named = p.next();
        let pl_maps_current = p.next();
        let pl_maps_new = p.next();
        let pl_users_current = p.next();
        let pl_users_new = p.next();
        let pl_otherwise = p.next();

        Numbers {
            create,
            room_id,
            auth_events,
            federate,
            aliases,
            member,
            sender_joined,
            third_party_invite,
            required_level,
            user_state_key,
            power_levels,
            redaction,
            otherwise,
            member_join,
            member_invite,
            member_leave,
            member_ban,
            member_knock,
            member_unknown,
            join_restricted,
            join_public,
            join_otherwise,
            pl_named_integers,
            pl_maps_integers,
            pl_users,
            pl_creators,
            pl_no_previous,
            pl_named,
            pl_maps_current,
            pl_maps_new,
            pl_users_current,
            pl_users_new,
            pl_otherwise,
        }
    }
}
