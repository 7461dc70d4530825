//! Table-driven tests of every rule across room versions 1 to 12: each case builds a room,
//! sends one event, and says per version whether it is allowed or which rule rejects it. The
//! expected rule is named through `Numbers` (the version's numbering), and `numbering_*`
//! pins `Numbers` to the literal numbers of the spec's lists.

use super::*;
use crate::room_versions::{rules_for, ROOM_VERSIONS};
use serde_json::{json, Value};

const ALICE: &str = "@alice:example.org";
const BOB: &str = "@bob:example.org";
const CAROL: &str = "@carol:example.org";
const DAVE: &str = "@dave:example.org";
const EVE: &str = "@eve:other.org";

/// A third-party invite signed by the key below (made with Bun's node:crypto, seed 32 x 0x07).
const TPI_PUBLIC_KEY: &str = "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw";
const TPI_SIGNATURE: &str =
    "6JTMlmla9M4VDIsm4NCCOgSPRG9EoB7SmLaGWmAy+W+rhRwf1C6nA3VVzF7fp//iuw+8mxQsv7VdtvZhdaX+BA";

/// A room in one version: its current state and the servers that signed the next event.
struct Room {
    rules: &'static RoomVersionRules,
    state: Vec<Pdu>,
    signed: Vec<&'static str>,
    counter: u32,
}

impl Room {
    /// Only the create event.
    fn bare(rules: &'static RoomVersionRules) -> Room {
        let mut room = Room { rules, state: Vec::new(), signed: vec!["example.org"], counter: 0 };
        let create = room.create_event(json!({}));
        room.state.push(create);
        room
    }

    /// create; alice joined; power levels (alice 100 before v12, bob 50); public join rule;
    /// bob and carol joined.
    fn standard(rules: &'static RoomVersionRules) -> Room {
        let mut room = Room::bare(rules);
        room.member(ALICE, "join");
        room.power_levels(json!({"users": {BOB: 50}}));
        room.set(ALICE, JOIN_RULES, "", json!({"join_rule": "public"}));
        room.member(BOB, "join");
        room.member(CAROL, "join");
        room
    }

    fn room_id(&self) -> String {
        if self.rules.room_id_from_create_event {
            "!create".into()
        } else {
            "!room:example.org".into()
        }
    }

    /// A create event for this version with `extra` merged into its content.
    fn create_event(&self, extra: Value) -> Pdu {
        let mut content = json!({"room_version": self.rules.id});
        if !self.rules.creator_is_create_sender {
            content["creator"] = json!(ALICE);
        }
        for (key, value) in extra.as_object().unwrap() {
            content[key] = value.clone();
        }
        let mut event = json!({"event_id": "$create", "sender": ALICE, "type": CREATE, "state_key": "",
            "content": content, "prev_events": [], "auth_events": [], "depth": 1});
        if !self.rules.room_id_from_create_event {
            event["room_id"] = json!(self.room_id());
        }
        Pdu::from_json(&event, None).unwrap()
    }

    fn pdu(&mut self, sender: &str, kind: &str, state_key: Option<&str>, content: Value) -> Pdu {
        self.counter += 1;
        let mut event = json!({"event_id": format!("${}:example.org", self.counter), "room_id": self.room_id(),
            "sender": sender, "type": kind, "content": content, "prev_events": ["$prev:example.org"],
            "auth_events": [], "depth": 10});
        if let Some(key) = state_key {
            event["state_key"] = json!(key);
        }
        Pdu::from_json(&event, None).unwrap()
    }

    fn state_event(&mut self, sender: &str, kind: &str, state_key: &str, content: Value) -> Pdu {
        self.pdu(sender, kind, Some(state_key), content)
    }

    fn put(&mut self, event: Pdu) {
        self.state.retain(|e| !(e.kind == event.kind && e.state_key == event.state_key));
        self.state.push(event);
    }

    fn set(&mut self, sender: &str, kind: &str, state_key: &str, content: Value) {
        let event = self.state_event(sender, kind, state_key, content);
        self.put(event);
    }

    fn member(&mut self, user: &str, membership: &str) {
        self.set(user, MEMBER, user, json!({"membership": membership}));
    }

    /// Sets the power levels; before v12 alice is added at 100 unless `users` names her.
    fn power_levels(&mut self, mut content: Value) {
        if !self.rules.privileged_creators {
            let users = content.as_object_mut().unwrap().entry("users").or_insert_with(|| json!({}));
            users.as_object_mut().unwrap().entry(ALICE).or_insert(json!(100));
        }
        self.set(ALICE, POWER_LEVELS, "", content);
    }

    fn join_rule(&mut self, rule: &str) {
        self.set(ALICE, JOIN_RULES, "", json!({"join_rule": rule}));
    }

    fn membership_event(&mut self, sender: &str, target: &str, content: Value) -> Pdu {
        self.state_event(sender, MEMBER, target, content)
    }

    fn check(&self, event: &Pdu) -> Result<(), Rejection> {
        let signed = self.signed.clone();
        check(self.rules, event, &self.state, &move |server| signed.contains(&server))
    }
}

type Expect = fn(&RoomVersionRules, &Numbers) -> Option<Vec<u8>>;

struct Case {
    name: &'static str,
    applies: fn(&RoomVersionRules) -> bool,
    run: fn(&'static RoomVersionRules) -> (Room, Pdu),
    expect: Expect,
}

fn all(_: &RoomVersionRules) -> bool {
    true
}
fn allow(_: &RoomVersionRules, _: &Numbers) -> Option<Vec<u8>> {
    None
}

fn rule_text(parts: &[u8]) -> String {
    parts.iter().map(u8::to_string).collect::<Vec<_>>().join(".")
}

fn run_cases(cases: &[Case]) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        for rules in ROOM_VERSIONS.iter().filter(|rules| (case.applies)(rules)) {
            let n = Numbers::of(rules);
            let (room, event) = (case.run)(rules);
            let outcome = room.check(&event);
            let expected = (case.expect)(rules, &n).map(|parts| rule_text(&parts));
            let actual = outcome.as_ref().err().map(|rejection| rejection.rule.clone());
            checked += 1;
            if expected != actual {
                failures.push(format!("{} (v{}): expected {:?}, got {:?}", case.name, rules.id, expected, outcome));
            }
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
}

fn join(room: &mut Room, user: &str) -> Pdu {
    room.membership_event(user, user, json!({"membership": "join"}))
}

// ---------------------------------------------------------------------------------------
// Numbering against the spec's literal lists.

#[test]
fn numbering_matches_the_spec_lists() {
    let text = |version: &str| {
        let n = Numbers::of(rules_for(version).unwrap());
        vec![
            n.create.to_string(),
            n.room_id.map_or("-".into(), |r| r.to_string()),
            n.auth_events.to_string(),
            n.federate.to_string(),
            n.aliases.map_or("-".into(), |r| r.to_string()),
            rule_text(&[n.member, n.member_join, n.join_public]),
            rule_text(&[n.member, n.member_invite]),
            rule_text(&[n.member, n.member_leave]),
            rule_text(&[n.member, n.member_ban]),
            n.member_knock.map_or("-".into(), |k| rule_text(&[n.member, k])),
            rule_text(&[n.member, n.member_unknown]),
            n.sender_joined.to_string(),
            n.third_party_invite.to_string(),
            n.required_level.to_string(),
            n.user_state_key.to_string(),
            rule_text(&[n.power_levels, n.pl_users]),
            rule_text(&[n.power_levels, n.pl_users_new]),
            rule_text(&[n.power_levels, n.pl_otherwise]),
            n.redaction.map_or("-".into(), |r| r.to_string()),
            n.otherwise.to_string(),
        ]
        .join(" ")
    };
    // Read off the lists in rooms/fragments/v1-auth-rules.md, v3-auth-rules.md, rooms/v6.md,
    // v7.md, fragments/v8-auth-rules.md, v10.md, v11.md and v12.md.
    let v1 = "1 - 2 3 4 5.2.5 5.3 5.4 5.5 - 5.6 6 7 8 9 10.1 10.7 10.8 11 12";
    let v3 = "1 - 2 3 4 5.2.5 5.3 5.4 5.5 - 5.6 6 7 8 9 10.1 10.7 10.8 - 11";
    let v6 = "1 - 2 3 - 4.2.5 4.3 4.4 4.5 - 4.6 5 6 7 8 9.1 9.7 9.8 - 10";
    let v7 = "1 - 2 3 - 4.2.5 4.3 4.4 4.5 4.6 4.7 5 6 7 8 9.1 9.7 9.8 - 10";
    let v8 = "1 - 2 3 - 4.3.6 4.4 4.5 4.6 4.7 4.8 5 6 7 8 9.1 9.7 9.8 - 10";
    let v10 = "1 - 2 3 - 4.3.6 4.4 4.5 4.6 4.7 4.8 5 6 7 8 9.3 9.9 9.10 - 10";
    let v12 = "1 2 3 4 - 5.3.6 5.4 5.5 5.6 5.7 5.8 6 7 8 9 10.3 10.10 10.11 - 11";
    for (versions, expected) in
        [(&["1", "2"][..], v1), (&["3", "4", "5"], v3), (&["6"], v6), (&["7"], v7), (&["8", "9"], v8), (&["10", "11"], v10), (&["12"], v12)]
    {
        for version in versions {
            assert_eq!(text(version), expected, "room version {version}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rule 1: m.room.create, and v12's rule 2.

fn create_case(rules: &'static RoomVersionRules, extra: Value, edit: fn(&mut Value)) -> (Room, Pdu) {
    let room = Room { rules, state: Vec::new(), signed: vec![], counter: 0 };
    let create = room.create_event(extra);
    let mut value = json!({"event_id": create.event_id, "sender": create.sender, "type": CREATE, "state_key": "",
        "content": Value::Object(create.content.clone()), "prev_events": [], "auth_events": []});
    if let Some(room_id) = create.room_id {
        value["room_id"] = json!(room_id);
    }
    edit(&mut value);
    (room, Pdu::from_json(&value, None).unwrap())
}

#[test]
fn rule_create() {
    run_cases(&[
        Case { name: "a plain create event", applies: all, run: |r| create_case(r, json!({}), |_| {}), expect: allow },
        Case {
            name: "create with prev_events",
            applies: all,
            run: |r| create_case(r, json!({}), |v| v["prev_events"] = json!(["$x"])),
            expect: |_, n| Some(vec![n.create, 1]),
        },
        Case {
            name: "create whose room id is on another server",
            applies: |r| !r.room_id_from_create_event,
            run: |r| create_case(r, json!({}), |v| v["room_id"] = json!("!room:other.org")),
            expect: |_, n| Some(vec![n.create, 2]),
        },
        Case {
            name: "v12 create with a room_id",
            applies: |r| r.room_id_from_create_event,
            run: |r| create_case(r, json!({}), |v| v["room_id"] = json!("!create")),
            expect: |_, n| Some(vec![n.create, 2]),
        },
        Case {
            name: "create with an unknown room_version",
            applies: all,
            run: |r| create_case(r, json!({"room_version": "99"}), |_| {}),
            expect: |_, n| Some(vec![n.create, 3]),
        },
        Case {
            name: "create with a non-string room_version",
            applies: all,
            run: |r| create_case(r, json!({"room_version": 10}), |_| {}),
            expect: |_, n| Some(vec![n.create, 3]),
        },
        Case {
            name: "create without room_version (means v1)",
            applies: all,
            run: |r| create_case(r, json!({}), |v| {
                v["content"].as_object_mut().unwrap().remove("room_version");
            }),
            expect: allow,
        },
        Case {
            name: "create without creator",
            applies: all,
            run: |r| create_case(r, json!({}), |v| {
                v["content"].as_object_mut().unwrap().remove("creator");
            }),
            expect: |r, n| if r.creator_is_create_sender { None } else { Some(vec![n.create, 4]) },
        },
        Case {
            name: "additional_creators with valid user ids",
            applies: all,
            run: |r| create_case(r, json!({"additional_creators": [BOB, "@Historical!:example.org"]}), |_| {}),
            expect: allow,
        },
        Case {
            name: "additional_creators holding a non-user id",
            applies: all,
            run: |r| create_case(r, json!({"additional_creators": [BOB, "bob"]}), |_| {}),
            expect: |r, n| r.privileged_creators.then(|| vec![n.create, 4]),
        },
        Case {
            name: "additional_creators holding a number",
            applies: all,
            run: |r| create_case(r, json!({"additional_creators": [1]}), |_| {}),
            expect: |r, n| r.privileged_creators.then(|| vec![n.create, 4]),
        },
        Case {
            name: "additional_creators not an array",
            applies: all,
            run: |r| create_case(r, json!({"additional_creators": BOB}), |_| {}),
            expect: |r, n| r.privileged_creators.then(|| vec![n.create, 4]),
        },
    ]);
}

#[test]
fn rule_room_id_and_missing_create() {
    run_cases(&[
        Case {
            name: "event in a room whose create event is not in the state",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.state.retain(|e| e.kind != CREATE);
                let event = room.pdu(ALICE, "m.room.message", None, json!({}));
                (room, event)
            },
            expect: |_, n| Some(match n.room_id {
                Some(rule) => vec![rule],
                None => vec![n.auth_events, 4],
            }),
        },
        Case {
            name: "v12 event whose room id is not the create event's",
            applies: |r| r.room_id_from_create_event,
            run: |r| {
                let mut room = Room::standard(r);
                let mut event = room.pdu(ALICE, "m.room.message", None, json!({}));
                event.room_id = Some("!other".into());
                (room, event)
            },
            expect: |_, n| Some(vec![n.room_id.unwrap()]),
        },
        Case {
            name: "v12 event in the create event's room",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.pdu(ALICE, "m.room.message", None, json!({}));
                (room, event)
            },
            expect: allow,
        },
    ]);
}

// ---------------------------------------------------------------------------------------
// Rule 3: m.federate; rule 4 (v1-v5): m.room.aliases.

#[test]
fn rule_federate_and_aliases() {
    run_cases(&[
        Case {
            name: "a remote user joins a room that does not federate",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let create = room.create_event(json!({"m.federate": false}));
                room.put(create);
                let event = join(&mut room, EVE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.federate]),
        },
        Case {
            name: "a local user joins a room that does not federate",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let create = room.create_event(json!({"m.federate": false}));
                room.put(create);
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "a remote user joins a federating room",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let create = room.create_event(json!({"m.federate": true}));
                room.put(create);
                let event = join(&mut room, EVE);
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "aliases for the sender's own server, sender not joined",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(EVE, ALIASES, "other.org", json!({"aliases": ["#a:other.org"]}));
                (room, event)
            },
            expect: |r, n| if r.special_case_aliases_auth { None } else { Some(vec![n.sender_joined]) },
        },
        Case {
            name: "aliases for another server",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(BOB, ALIASES, "other.org", json!({"aliases": []}));
                (room, event)
            },
            // From v6 this is a plain state event: bob (50) meets state_default (50).
            expect: |r, n| r.special_case_aliases_auth.then(|| vec![n.aliases.unwrap(), 2]),
        },
        Case {
            name: "aliases without a state key",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.pdu(CAROL, ALIASES, None, json!({"aliases": []}));
                (room, event)
            },
            expect: |r, n| r.special_case_aliases_auth.then(|| vec![n.aliases.unwrap(), 1]),
        },
    ]);
}

// ---------------------------------------------------------------------------------------
// The member rule.

#[test]
fn rule_member_shape_and_signature() {
    run_cases(&[
        Case {
            name: "member event without membership",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.membership_event(DAVE, DAVE, json!({"displayname": "d"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, 1]),
        },
        Case {
            name: "member event without state key",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.pdu(DAVE, MEMBER, None, json!({"membership": "join"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, 1]),
        },
        Case {
            name: "unknown membership",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.membership_event(CAROL, CAROL, json!({"membership": "dance"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_unknown]),
        },
        Case {
            name: "non-string membership",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.membership_event(CAROL, CAROL, json!({"membership": 1}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_unknown]),
        },
        Case {
            name: "join_authorised_via_users_server without that server's signature",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.signed = vec!["other.org"];
                let event = room.membership_event(EVE, EVE, json!({"membership": "join", "join_authorised_via_users_server": ALICE}));
                (room, event)
            },
            // Before v8 the key means nothing: a public room lets eve in.
            expect: |r, n| r.restricted_join_rule.then(|| vec![n.member, 2, 1]),
        },
        Case {
            name: "join_authorised_via_users_server not a user id",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.membership_event(DAVE, DAVE, json!({"membership": "join", "join_authorised_via_users_server": 5}));
                (room, event)
            },
            expect: |r, n| r.restricted_join_rule.then(|| vec![n.member, 2, 1]),
        },
        Case {
            name: "join_authorised_via_users_server signed by its server",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.signed = vec!["other.org", "example.org"];
                let event = room.membership_event(EVE, EVE, json!({"membership": "join", "join_authorised_via_users_server": ALICE}));
                (room, event)
            },
            expect: allow,
        },
    ]);
}

fn invited_room(rules: &'static RoomVersionRules, join_rule: &str, dave: Option<&str>) -> Room {
    let mut room = Room::standard(rules);
    room.join_rule(join_rule);
    if let Some(membership) = dave {
        room.member(DAVE, membership);
    }
    room
}

#[test]
fn rule_member_join() {
    run_cases(&[
        Case {
            name: "the creator's first join after the create event",
            applies: all,
            run: |r| {
                let mut room = Room::bare(r);
                let mut event = join(&mut room, ALICE);
                event.prev_events = vec!["$create".into()];
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "someone else's first join after the create event",
            applies: all,
            run: |r| {
                let mut room = Room::bare(r);
                let mut event = join(&mut room, BOB);
                event.prev_events = vec!["$create".into()];
                (room, event)
            },
            // No join rules event: the join rule is invite.
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "the creator's join after another event",
            applies: all,
            run: |r| {
                let mut room = Room::bare(r);
                let event = join(&mut room, ALICE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "v12: an additional creator is not the creator of rule .1",
            applies: |r| r.privileged_creators,
            run: |r| {
                let mut room = Room::bare(r);
                let create = room.create_event(json!({"additional_creators": [BOB]}));
                room.put(create);
                let mut event = join(&mut room, BOB);
                event.prev_events = vec!["$create".into()];
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "joining someone else",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.membership_event(ALICE, DAVE, json!({"membership": "join"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, 2]),
        },
        Case {
            name: "a banned user joins a public room",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "public", Some("ban"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, 3]),
        },
        Case {
            name: "public join",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "invited user joins an invite room",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "invite", Some("invite"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "joined user re-joins an invite room (profile change)",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "invite", Some("join"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "uninvited user joins an invite room",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "invite", Some("leave"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "invited user joins a knock room",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "knock", Some("invite"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: |r, n| (!r.knocking).then(|| vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "a knocking user joins a knock room",
            applies: |r| r.knocking,
            run: |r| {
                let mut room = invited_room(r, "knock", Some("knock"));
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "unknown join rule",
            applies: all,
            run: |r| {
                let mut room = invited_room(r, "private", None);
                let event = join(&mut room, DAVE);
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_join, n.join_otherwise]),
        },
    ]);
}

fn restricted_join(rules: &'static RoomVersionRules, join_rule: &str, dave: Option<&str>, via: Option<&str>) -> (Room, Pdu) {
    let mut room = invited_room(rules, join_rule, dave);
    room.signed = vec!["example.org"];
    let mut content = json!({"membership": "join"});
    if let Some(via) = via {
        content["join_authorised_via_users_server"] = json!(via);
    }
    let event = room.membership_event(DAVE, DAVE, content);
    (room, event)
}

fn restricted_reject(r: &RoomVersionRules, n: &Numbers) -> Option<Vec<u8>> {
    Some(match n.join_restricted {
        Some(rule) => vec![n.member, n.member_join, rule, 2],
        None => vec![n.member, n.member_join, n.join_otherwise],
    })
    .filter(|_| r.id != "")
}

fn restricted_allow(r: &RoomVersionRules, n: &Numbers) -> Option<Vec<u8>> {
    (!r.restricted_join_rule).then(|| vec![n.member, n.member_join, n.join_otherwise])
}

fn knock_restricted_allow(r: &RoomVersionRules, n: &Numbers) -> Option<Vec<u8>> {
    (!r.knock_restricted_join_rule).then(|| vec![n.member, n.member_join, n.join_otherwise])
}

fn knock_restricted_reject(r: &RoomVersionRules, n: &Numbers) -> Option<Vec<u8>> {
    Some(if r.knock_restricted_join_rule {
        vec![n.member, n.member_join, n.join_restricted.unwrap(), 2]
    } else {
        vec![n.member, n.member_join, n.join_otherwise]
    })
}

#[test]
fn rule_member_restricted_joins() {
    run_cases(&[
        Case {
            name: "restricted: authorised by a joined user who may invite",
            applies: all,
            run: |r| restricted_join(r, "restricted", None, Some(BOB)),
            expect: restricted_allow,
        },
        Case {
            name: "restricted: invited user needs no authoriser",
            applies: all,
            run: |r| restricted_join(r, "restricted", Some("invite"), None),
            expect: |r, n| (!r.restricted_join_rule).then(|| vec![n.member, n.member_join, n.join_otherwise]),
        },
        Case {
            name: "restricted: no authoriser",
            applies: all,
            run: |r| restricted_join(r, "restricted", None, None),
            expect: restricted_reject,
        },
        Case {
            name: "restricted: authoriser is not joined",
            applies: all,
            run: |r| {
                let (mut room, event) = restricted_join(r, "restricted", None, Some(BOB));
                room.member(BOB, "leave");
                (room, event)
            },
            expect: restricted_reject,
        },
        Case {
            name: "restricted: authoriser below the invite level",
            applies: all,
            run: |r| {
                let (mut room, event) = restricted_join(r, "restricted", None, Some(CAROL));
                room.power_levels(json!({"users": {BOB: 50}, "invite": 10}));
                (room, event)
            },
            expect: restricted_reject,
        },
        Case {
            name: "knock_restricted: authorised join",
            applies: all,
            run: |r| restricted_join(r, "knock_restricted", None, Some(BOB)),
            expect: knock_restricted_allow,
        },
        Case {
            name: "knock_restricted: invited join",
            applies: all,
            run: |r| restricted_join(r, "knock_restricted", Some("invite"), None),
            expect: knock_restricted_allow,
        },
        Case {
            name: "knock_restricted: unauthorised join",
            applies: all,
            run: |r| restricted_join(r, "knock_restricted", None, None),
            expect: knock_restricted_reject,
        },
        Case {
            name: "v12: a creator authorises with infinite power",
            applies: all,
            run: |r| {
                let (mut room, event) = restricted_join(r, "restricted", None, Some(ALICE));
                room.power_levels(json!({"users": {BOB: 50}, "invite": 1000}));
                (room, event)
            },
            expect: |r, n| match (r.restricted_join_rule, r.privileged_creators) {
                (false, _) => Some(vec![n.member, n.member_join, n.join_otherwise]),
                (true, false) => Some(vec![n.member, n.member_join, n.join_restricted.unwrap(), 2]),
                (true, true) => None,
            },
        },
    ]);
}

fn invite(rules: &'static RoomVersionRules, sender: &'static str, target_state: Option<&str>) -> (Room, Pdu) {
    let mut room = invited_room(rules, "invite", target_state);
    let event = room.membership_event(sender, DAVE, json!({"membership": "invite"}));
    (room, event)
}

#[test]
fn rule_member_invite() {
    run_cases(&[
        Case { name: "a member invites", applies: all, run: |r| invite(r, CAROL, None), expect: allow },
        Case {
            name: "a non-member invites",
            applies: all,
            run: |r| {
                let (mut room, event) = invite(r, CAROL, None);
                room.member(CAROL, "leave");
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_invite, 2]),
        },
        Case {
            name: "inviting a joined user",
            applies: all,
            run: |r| invite(r, CAROL, Some("join")),
            expect: |_, n| Some(vec![n.member, n.member_invite, 3]),
        },
        Case {
            name: "inviting a banned user",
            applies: all,
            run: |r| invite(r, ALICE, Some("ban")),
            expect: |_, n| Some(vec![n.member, n.member_invite, 3]),
        },
        Case {
            name: "re-inviting an invited user",
            applies: all,
            run: |r| invite(r, CAROL, Some("invite")),
            expect: allow,
        },
        Case {
            name: "inviting below the invite level",
            applies: all,
            run: |r| {
                let (mut room, event) = invite(r, CAROL, None);
                room.power_levels(json!({"users": {BOB: 50}, "invite": 50}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_invite, 5]),
        },
        Case {
            name: "inviting at the invite level",
            applies: all,
            run: |r| {
                let (mut room, event) = invite(r, BOB, None);
                room.power_levels(json!({"users": {BOB: 50}, "invite": "50"}));
                (room, event)
            },
            // A stringy level is read as 50 before v10; from v10 it is not a level and the
            // default 0 applies: allowed either way.
            expect: allow,
        },
    ]);
}

/// bob invites dave through a third-party invite; `edit` changes the content or the room.
fn third_party(rules: &'static RoomVersionRules, edit: fn(&mut Room, &mut Value)) -> (Room, Pdu) {
    let mut room = invited_room(rules, "invite", None);
    room.set(BOB, THIRD_PARTY_INVITE, "tok", json!({"display_name": "d...", "key_validity_url": "https://id/v",
        "public_key": "AAAA", "public_keys": [{"public_key": TPI_PUBLIC_KEY, "key_validity_url": "https://id/v"}]}));
    let mut content = json!({"membership": "invite", "third_party_invite": {"display_name": "d...", "signed": {
        "mxid": DAVE, "sender": BOB, "token": "tok",
        "signatures": {"id.example.org": {"ed25519:0": TPI_SIGNATURE}}}}});
    edit(&mut room, &mut content);
    let event = room.membership_event(BOB, DAVE, content);
    (room, event)
}

fn tpi(sub: u8) -> Expect {
    match sub {
        1 => |_, n| Some(vec![n.member, n.member_invite, 1, 1]),
        2 => |_, n| Some(vec![n.member, n.member_invite, 1, 2]),
        3 => |_, n| Some(vec![n.member, n.member_invite, 1, 3]),
        4 => |_, n| Some(vec![n.member, n.member_invite, 1, 4]),
        5 => |_, n| Some(vec![n.member, n.member_invite, 1, 5]),
        6 => |_, n| Some(vec![n.member, n.member_invite, 1, 6]),
        _ => |_, n| Some(vec![n.member, n.member_invite, 1, 8]),
    }
}

#[test]
fn rule_member_third_party_invite() {
    run_cases(&[
        Case { name: "a validly signed third-party invite", applies: all, run: |r| third_party(r, |_, _| {}), expect: allow },
        Case {
            name: "the key only in public_key",
            applies: all,
            run: |r| third_party(r, |room, _| {
                room.set(BOB, THIRD_PARTY_INVITE, "tok", json!({"public_key": TPI_PUBLIC_KEY}));
            }),
            expect: allow,
        },
        Case {
            name: "a banned target",
            applies: all,
            run: |r| third_party(r, |room, _| room.member(DAVE, "ban")),
            expect: tpi(1),
        },
        Case {
            name: "no signed",
            applies: all,
            run: |r| third_party(r, |_, c| {
                c["third_party_invite"].as_object_mut().unwrap().remove("signed");
            }),
            expect: tpi(2),
        },
        Case {
            name: "no token",
            applies: all,
            run: |r| third_party(r, |_, c| {
                c["third_party_invite"]["signed"].as_object_mut().unwrap().remove("token");
            }),
            expect: tpi(3),
        },
        Case {
            name: "mxid is someone else",
            applies: all,
            run: |r| third_party(r, |_, c| c["third_party_invite"]["signed"]["mxid"] = json!(CAROL)),
            expect: tpi(4),
        },
        Case {
            name: "no m.room.third_party_invite for the token",
            applies: all,
            run: |r| third_party(r, |_, c| c["third_party_invite"]["signed"]["token"] = json!("other")),
            expect: tpi(5),
        },
        Case {
            name: "the invite event was sent by someone else",
            applies: all,
            run: |r| third_party(r, |room, _| {
                room.set(ALICE, THIRD_PARTY_INVITE, "tok", json!({"public_key": TPI_PUBLIC_KEY}));
            }),
            expect: tpi(6),
        },
        Case {
            name: "a signature over other content",
            applies: all,
            run: |r| third_party(r, |_, c| c["third_party_invite"]["signed"]["extra"] = json!(1)),
            expect: tpi(8),
        },
        Case {
            name: "a signature under a non-ed25519 key id",
            applies: all,
            run: |r| third_party(r, |_, c| {
                c["third_party_invite"]["signed"]["signatures"] = json!({"id.example.org": {"curve:0": TPI_SIGNATURE}});
            }),
            expect: tpi(8),
        },
        Case {
            name: "no public key matches",
            applies: all,
            run: |r| third_party(r, |room, _| {
                room.set(BOB, THIRD_PARTY_INVITE, "tok", json!({"public_key": "AAAA", "public_keys": [{"public_key": "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iA"}]}));
            }),
            expect: tpi(8),
        },
        Case {
            name: "a third-party invite skips the sender checks",
            applies: all,
            run: |r| third_party(r, |room, _| room.power_levels(json!({"users": {BOB: 50}, "invite": 100}))),
            expect: allow,
        },
    ]);
}

fn leave(rules: &'static RoomVersionRules, sender: &'static str, target: &'static str, target_state: &str) -> (Room, Pdu) {
    let mut room = Room::standard(rules);
    room.member(target, target_state);
    let event = room.membership_event(sender, target, json!({"membership": "leave"}));
    (room, event)
}

#[test]
fn rule_member_leave() {
    run_cases(&[
        Case { name: "a member leaves", applies: all, run: |r| leave(r, DAVE, DAVE, "join"), expect: allow },
        Case { name: "an invitee rejects", applies: all, run: |r| leave(r, DAVE, DAVE, "invite"), expect: allow },
        Case {
            name: "a knocker rescinds",
            applies: all,
            run: |r| leave(r, DAVE, DAVE, "knock"),
            expect: |r, n| (!r.knocking).then(|| vec![n.member, n.member_leave, 1]),
        },
        Case {
            name: "a left user leaves again",
            applies: all,
            run: |r| leave(r, DAVE, DAVE, "leave"),
            expect: |_, n| Some(vec![n.member, n.member_leave, 1]),
        },
        Case {
            name: "a banned user unbans themselves",
            applies: all,
            run: |r| leave(r, DAVE, DAVE, "ban"),
            expect: |_, n| Some(vec![n.member, n.member_leave, 1]),
        },
        Case {
            name: "a non-member kicks",
            applies: all,
            run: |r| {
                let (mut room, event) = leave(r, BOB, DAVE, "join");
                room.member(BOB, "leave");
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_leave, 2]),
        },
        Case {
            name: "unban below the ban level",
            applies: all,
            run: |r| {
                let (mut room, event) = leave(r, BOB, DAVE, "ban");
                room.power_levels(json!({"users": {BOB: 50}, "kick": 50, "ban": 60}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_leave, 3]),
        },
        Case { name: "unban at the ban and kick levels", applies: all, run: |r| leave(r, BOB, DAVE, "ban"), expect: allow },
        Case { name: "a moderator kicks a user", applies: all, run: |r| leave(r, BOB, CAROL, "join"), expect: allow },
        Case {
            name: "a user below the kick level kicks",
            applies: all,
            run: |r| leave(r, CAROL, DAVE, "join"),
            expect: |_, n| Some(vec![n.member, n.member_leave, 5]),
        },
        Case {
            name: "a moderator kicks an equal",
            applies: all,
            run: |r| {
                let (mut room, event) = leave(r, BOB, CAROL, "join");
                room.power_levels(json!({"users": {BOB: 50, CAROL: 50}}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_leave, 5]),
        },
        Case {
            name: "a moderator kicks the creator",
            applies: all,
            run: |r| leave(r, BOB, ALICE, "join"),
            expect: |_, n| Some(vec![n.member, n.member_leave, 5]),
        },
        Case {
            name: "v12: a creator kicks a user at the highest level",
            applies: all,
            run: |r| {
                let (mut room, event) = leave(r, ALICE, BOB, "join");
                room.power_levels(json!({"users": {BOB: 9007199254740991i64}}));
                (room, event)
            },
            expect: |r, n| (!r.privileged_creators).then(|| vec![n.member, n.member_leave, 5]),
        },
        Case {
            name: "v12: a creator cannot kick another creator",
            applies: |r| r.privileged_creators,
            run: |r| {
                let (mut room, event) = leave(r, ALICE, BOB, "join");
                let create = room.create_event(json!({"additional_creators": [BOB]}));
                room.put(create);
                room.power_levels(json!({}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_leave, 5]),
        },
    ]);
}

fn ban(rules: &'static RoomVersionRules, sender: &'static str, target: &'static str) -> (Room, Pdu) {
    let mut room = Room::standard(rules);
    let event = room.membership_event(sender, target, json!({"membership": "ban"}));
    (room, event)
}

#[test]
fn rule_member_ban() {
    run_cases(&[
        Case { name: "a moderator bans a user", applies: all, run: |r| ban(r, BOB, CAROL), expect: allow },
        Case { name: "a moderator bans a non-member", applies: all, run: |r| ban(r, BOB, DAVE), expect: allow },
        Case {
            name: "a non-member bans",
            applies: all,
            run: |r| ban(r, DAVE, CAROL),
            expect: |_, n| Some(vec![n.member, n.member_ban, 1]),
        },
        Case {
            name: "a user below the ban level bans",
            applies: all,
            run: |r| ban(r, CAROL, DAVE),
            expect: |_, n| Some(vec![n.member, n.member_ban, 3]),
        },
        Case {
            name: "a moderator bans the admin",
            applies: all,
            run: |r| ban(r, BOB, ALICE),
            expect: |_, n| Some(vec![n.member, n.member_ban, 3]),
        },
        Case { name: "the admin bans a moderator", applies: all, run: |r| ban(r, ALICE, BOB), expect: allow },
    ]);
}

fn knock(rules: &'static RoomVersionRules, join_rule: &str, dave: Option<&str>) -> (Room, Pdu) {
    let mut room = invited_room(rules, join_rule, dave);
    let event = room.membership_event(DAVE, DAVE, json!({"membership": "knock"}));
    (room, event)
}

#[test]
fn rule_member_knock() {
    run_cases(&[
        Case {
            name: "knock on a knock room",
            applies: all,
            run: |r| knock(r, "knock", None),
            expect: |r, n| (!r.knocking).then(|| vec![n.member, n.member_unknown]),
        },
        Case {
            name: "knock on a knock_restricted room",
            applies: all,
            run: |r| knock(r, "knock_restricted", Some("leave")),
            expect: |r, n| match (r.knocking, r.knock_restricted_join_rule) {
                (false, _) => Some(vec![n.member, n.member_unknown]),
                (true, false) => Some(vec![n.member, n.member_knock.unwrap(), 1]),
                (true, true) => None,
            },
        },
        Case {
            name: "knock on an invite room",
            applies: |r| r.knocking,
            run: |r| knock(r, "invite", None),
            expect: |_, n| Some(vec![n.member, n.member_knock.unwrap(), 1]),
        },
        Case {
            name: "knock for someone else",
            applies: |r| r.knocking,
            run: |r| {
                let mut room = invited_room(r, "knock", None);
                let event = room.membership_event(CAROL, DAVE, json!({"membership": "knock"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.member, n.member_knock.unwrap(), 2]),
        },
        Case {
            name: "a banned user knocks",
            applies: |r| r.knocking,
            run: |r| knock(r, "knock", Some("ban")),
            expect: |_, n| Some(vec![n.member, n.member_knock.unwrap(), 4]),
        },
        Case {
            name: "an invited user knocks",
            applies: |r| r.knocking,
            run: |r| knock(r, "knock", Some("invite")),
            expect: |_, n| Some(vec![n.member, n.member_knock.unwrap(), 4]),
        },
        Case { name: "a knocker knocks again", applies: |r| r.knocking, run: |r| knock(r, "knock", Some("knock")), expect: allow },
    ]);
}

// ---------------------------------------------------------------------------------------
// Sender joined, third-party invite events, required level, `@` state keys.

#[test]
fn rules_for_every_event() {
    run_cases(&[
        Case {
            name: "a member sends a message",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.pdu(CAROL, "m.room.message", None, json!({"body": "hi"}));
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "a non-member sends a message",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.pdu(DAVE, "m.room.message", None, json!({"body": "hi"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.sender_joined]),
        },
        Case {
            name: "an invited user sends a message",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.member(DAVE, "invite");
                let event = room.pdu(DAVE, "m.room.message", None, json!({"body": "hi"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.sender_joined]),
        },
        Case {
            name: "third-party invite event at the invite level",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.power_levels(json!({"users": {BOB: 50}, "invite": 50, "state_default": 100}));
                let event = room.state_event(BOB, THIRD_PARTY_INVITE, "tok", json!({"public_key": "k"}));
                (room, event)
            },
            // The required level (state_default 100) does not apply: the rule allows first.
            expect: allow,
        },
        Case {
            name: "third-party invite event below the invite level",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.power_levels(json!({"users": {BOB: 50}, "invite": 51}));
                let event = room.state_event(BOB, THIRD_PARTY_INVITE, "tok", json!({"public_key": "k"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.third_party_invite, 1]),
        },
        Case {
            name: "a topic below state_default",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(CAROL, "m.room.topic", "", json!({"topic": "t"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.required_level]),
        },
        Case {
            name: "a topic at state_default",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(BOB, "m.room.topic", "", json!({"topic": "t"}));
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "a message below an events entry",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.power_levels(json!({"users": {BOB: 50}, "events": {"m.room.message": 10}}));
                let event = room.pdu(CAROL, "m.room.message", None, json!({"body": "hi"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.required_level]),
        },
        Case {
            name: "a message below events_default",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.power_levels(json!({"users": {BOB: 50}, "events_default": 1, "users_default": 0}));
                let event = room.pdu(CAROL, "m.room.message", None, json!({"body": "hi"}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.required_level]),
        },
        Case {
            name: "a state event at users_default without a power levels event",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.state.retain(|e| e.kind != POWER_LEVELS);
                let event = room.state_event(CAROL, "m.room.topic", "", json!({"topic": "t"}));
                (room, event)
            },
            // No power levels: state_default is 0 then.
            expect: allow,
        },
        Case {
            name: "a state key naming another user",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(BOB, "org.example.status", CAROL, json!({}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.user_state_key]),
        },
        Case {
            name: "a state key naming the sender",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                let event = room.state_event(BOB, "org.example.status", BOB, json!({}));
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "v12: a creator sends anything",
            applies: all,
            run: |r| {
                let mut room = Room::standard(r);
                room.power_levels(json!({"users": {BOB: 50}, "events": {"m.room.tombstone": 150}}));
                let event = room.state_event(ALICE, "m.room.tombstone", "", json!({"replacement_room": "!new"}));
                (room, event)
            },
            expect: |r, n| (!r.privileged_creators).then(|| vec![n.required_level]),
        },
    ]);
}

// ---------------------------------------------------------------------------------------
// Power levels.

fn pl_change(rules: &'static RoomVersionRules, sender: &'static str, content: Value) -> (Room, Pdu) {
    let mut room = Room::standard(rules);
    let mut content = content;
    if !rules.privileged_creators {
        let users = content.as_object_mut().unwrap().entry("users").or_insert_with(|| json!({}));
        if let Some(users) = users.as_object_mut() {
            users.entry(ALICE).or_insert(json!(100));
        }
    }
    let event = room.state_event(sender, POWER_LEVELS, "", content);
    (room, event)
}

/// The standard room's bob at 75 instead of 50 (so he can edit power levels at 50 and up).
fn pl_change_bob75(rules: &'static RoomVersionRules, content: Value) -> (Room, Pdu) {
    let (mut room, event) = pl_change(rules, BOB, content);
    room.power_levels(json!({"users": {BOB: 75, CAROL: 10}, "events": {"m.room.name": 60, "m.room.power_levels": 50},
        "notifications": {"room": 60}}));
    (room, event)
}

#[test]
fn rule_power_levels_shapes() {
    run_cases(&[
        Case {
            name: "string levels",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: "50"}, "ban": " +50 ", "events": {"m.room.name": "060"}})),
            expect: |r, n| r.integer_power_levels.then(|| vec![n.power_levels, n.pl_named_integers.unwrap()]),
        },
        Case {
            name: "a string level in users",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: "50"}})),
            expect: |r, n| r.integer_power_levels.then(|| vec![n.power_levels, n.pl_users]),
        },
        Case {
            name: "a string level in events",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50}, "events": {"m.room.name": "50"}})),
            expect: |r, n| r.integer_power_levels.then(|| vec![n.power_levels, n.pl_maps_integers.unwrap()]),
        },
        Case {
            name: "a string level in notifications",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50}, "notifications": {"room": "50"}})),
            expect: |r, n| r.integer_power_levels.then(|| vec![n.power_levels, n.pl_maps_integers.unwrap()]),
        },
        Case {
            name: "events not an object",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50}, "events": [1]})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_maps_integers.unwrap_or(n.pl_users)]),
        },
        Case {
            name: "a float level",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50.57}})),
            expect: |r, n| r.strict_canonical_json.then(|| vec![n.power_levels, n.pl_users]),
        },
        Case {
            name: "a float in a named level",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50}, "kick": 5.114698E1})),
            expect: |r, n| r.strict_canonical_json.then(|| vec![n.power_levels, n.pl_named_integers.unwrap_or(n.pl_users)]),
        },
        Case {
            name: "a malformed string level",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: "5 0"}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_users]),
        },
        Case {
            name: "a named level that is no level at all",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {BOB: 50}, "ban": true})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_named_integers.unwrap_or(n.pl_users)]),
        },
        Case {
            name: "users key not a user id",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {"bob": 50}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_users]),
        },
        Case {
            name: "users not an object",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": [BOB]})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_users]),
        },
        Case {
            name: "v12: users lists the creator",
            applies: all,
            run: |r| pl_change(r, ALICE, json!({"users": {ALICE: 100, BOB: 50}})),
            expect: |r, n| r.privileged_creators.then(|| vec![n.power_levels, n.pl_creators.unwrap()]),
        },
        Case {
            name: "v12: users lists an additional creator",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change(r, ALICE, json!({"users": {BOB: 50}}));
                let create = room.create_event(json!({"additional_creators": [BOB]}));
                room.put(create);
                (room, event)
            },
            expect: |r, n| r.privileged_creators.then(|| vec![n.power_levels, n.pl_creators.unwrap()]),
        },
        Case {
            name: "the first power levels event may hold anything valid",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change(r, CAROL, json!({"users": {CAROL: 1000, BOB: 50}, "ban": 1000}));
                room.state.retain(|e| e.kind != POWER_LEVELS);
                (room, event)
            },
            expect: allow,
        },
    ]);
}

#[test]
fn rule_power_levels_changes() {
    run_cases(&[
        Case {
            name: "raise a named level to the sender's",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 10}, "ban": 75, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: allow,
        },
        Case {
            name: "raise a named level above the sender's",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 10}, "ban": 76, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_named, 2]),
        },
        Case {
            name: "change a named level that is above the sender's",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75}, "redact": 50}));
                room.power_levels(json!({"users": {BOB: 75}, "redact": 80}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.power_levels, n.pl_named, 1]),
        },
        Case {
            name: "the same named level written as a string",
            applies: |r| !r.integer_power_levels,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75}, "redact": "80"}));
                room.power_levels(json!({"users": {BOB: 75}, "redact": 80}));
                (room, event)
            },
            expect: allow,
        },
        Case {
            name: "change an events entry that is above the sender's",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75}, "events": {"m.room.name": 10}}));
                room.power_levels(json!({"users": {BOB: 75}, "events": {"m.room.name": 80}}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.power_levels, n.pl_maps_current, 1]),
        },
        Case {
            name: "remove an events entry that is above the sender's",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75}}));
                room.power_levels(json!({"users": {BOB: 75}, "events": {"m.room.name": 80}}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.power_levels, n.pl_maps_current, 1]),
        },
        Case {
            name: "add an events entry above the sender's",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 10}, "events": {"m.room.name": 60, "m.room.power_levels": 50, "m.room.topic": 100}, "notifications": {"room": 60}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_maps_new, 1]),
        },
        Case {
            name: "raise notifications above the sender's",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 10}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 100}})),
            // Before v6 notifications are not checked.
            expect: |r, n| r.limit_notifications_power_levels.then(|| vec![n.power_levels, n.pl_maps_new, 1]),
        },
        Case {
            name: "remove a notifications entry above the sender's",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75}}));
                room.power_levels(json!({"users": {BOB: 75}, "notifications": {"room": 80}}));
                (room, event)
            },
            expect: |r, n| r.limit_notifications_power_levels.then(|| vec![n.power_levels, n.pl_maps_current, 1]),
        },
        Case {
            name: "demote a user below the sender",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: allow,
        },
        Case {
            name: "demote a user at the sender's level",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 0}}));
                room.power_levels(json!({"users": {BOB: 75, CAROL: 75}}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.power_levels, n.pl_users_current, 1]),
        },
        Case {
            name: "demote oneself",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 10, CAROL: 10}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: allow,
        },
        Case {
            name: "promote a user to the sender's level",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 75}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: allow,
        },
        Case {
            name: "promote a user above the sender",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 75, CAROL: 76}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_users_new, 1]),
        },
        Case {
            name: "promote oneself",
            applies: all,
            run: |r| pl_change_bob75(r, json!({"users": {BOB: 76, CAROL: 10}, "events": {"m.room.name": 60, "m.room.power_levels": 50}, "notifications": {"room": 60}})),
            expect: |_, n| Some(vec![n.power_levels, n.pl_users_new, 1]),
        },
        Case {
            name: "v12: a creator sets any level",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change(r, ALICE, json!({"users": {BOB: 9007199254740991i64}, "ban": 9007199254740991i64}));
                room.power_levels(json!({"users": {BOB: 100}, "state_default": 100}));
                (room, event)
            },
            // Before v12 alice is at 100: she cannot raise `ban` above that.
            expect: |r, n| (!r.privileged_creators).then(|| vec![n.power_levels, n.pl_named, 2]),
        },
        Case {
            name: "v12: a creator changes a user at the creator's old level",
            applies: all,
            run: |r| {
                let (mut room, event) = pl_change(r, ALICE, json!({"users": {BOB: 0}}));
                room.power_levels(json!({"users": {BOB: 100}}));
                (room, event)
            },
            // Before v12 alice is at 100 and bob (100) is her equal: she cannot change him.
            expect: |r, n| (!r.privileged_creators).then(|| vec![n.power_levels, n.pl_users_current, 1]),
        },
    ]);
}

// ---------------------------------------------------------------------------------------
// Rule 11 (v1, v2): redactions.

fn redaction(rules: &'static RoomVersionRules, sender: &'static str, redacts: &str) -> (Room, Pdu) {
    let mut room = Room::standard(rules);
    let mut event = room.pdu(sender, REDACTION, None, json!({}));
    event.redacts = Some(redacts.into());
    (room, event)
}

#[test]
fn rule_redaction() {
    run_cases(&[
        Case {
            name: "a user redacts an event of their server",
            applies: all,
            run: |r| redaction(r, CAROL, "$x:example.org"),
            expect: allow,
        },
        Case {
            name: "a user redacts an event of another server",
            applies: all,
            run: |r| redaction(r, CAROL, "$x:other.org"),
            expect: |r, n| r.redaction_auth_in_rules.then(|| vec![n.redaction.unwrap(), 3]),
        },
        Case {
            name: "a moderator redacts an event of another server",
            applies: all,
            run: |r| redaction(r, BOB, "$x:other.org"),
            expect: allow,
        },
        Case {
            name: "a redaction below its events level",
            applies: all,
            run: |r| {
                let (mut room, event) = redaction(r, CAROL, "$x:example.org");
                room.power_levels(json!({"users": {BOB: 50}, "events": {REDACTION: 50}}));
                (room, event)
            },
            expect: |_, n| Some(vec![n.required_level]),
        },
    ]);
}

// ---------------------------------------------------------------------------------------
// Auth events selection and rule 2 (v12: 3).

#[test]
fn auth_types_follow_the_selection() {
    let v10 = rules_for("10").unwrap();
    let v12 = rules_for("12").unwrap();
    let v7 = rules_for("7").unwrap();
    let mut room = Room::standard(v10);
    let keys = |rules, event: &Pdu| -> Vec<String> {
        auth_types_for_event(rules, event).into_iter().map(|(k, s)| format!("{k}|{s}")).collect()
    };
    let message = room.pdu(BOB, "m.room.message", None, json!({}));
    assert_eq!(keys(v10, &message), ["m.room.create|", "m.room.power_levels|", "m.room.member|@bob:example.org"]);
    assert_eq!(keys(v12, &message), ["m.room.power_levels|", "m.room.member|@bob:example.org"]);
    let create = room.create_event(json!({}));
    assert!(keys(v10, &create).is_empty());
    let invite = room.membership_event(BOB, DAVE, json!({"membership": "invite", "third_party_invite": {"signed": {"token": "tok"}}}));
    assert_eq!(
        keys(v10, &invite),
        ["m.room.create|", "m.room.power_levels|", "m.room.member|@bob:example.org", "m.room.member|@dave:example.org",
            "m.room.join_rules|", "m.room.third_party_invite|tok"]
    );
    let join = room.membership_event(DAVE, DAVE, json!({"membership": "join", "join_authorised_via_users_server": BOB}));
    assert_eq!(
        keys(v10, &join),
        ["m.room.create|", "m.room.power_levels|", "m.room.member|@dave:example.org", "m.room.join_rules|", "m.room.member|@bob:example.org"]
    );
    // v7 has no restricted rooms: the authoriser's membership is not selected.
    assert_eq!(keys(v7, &join), ["m.room.create|", "m.room.power_levels|", "m.room.member|@dave:example.org", "m.room.join_rules|"]);
    let leave = room.membership_event(BOB, DAVE, json!({"membership": "leave"}));
    assert_eq!(
        keys(v10, &leave),
        ["m.room.create|", "m.room.power_levels|", "m.room.member|@bob:example.org", "m.room.member|@dave:example.org"]
    );
    let knock = room.membership_event(DAVE, DAVE, json!({"membership": "knock"}));
    assert_eq!(keys(v10, &knock), ["m.room.create|", "m.room.power_levels|", "m.room.member|@dave:example.org", "m.room.join_rules|"]);
}

#[test]
fn auth_events_list_rules() {
    for rules in ROOM_VERSIONS.iter() {
        let n = Numbers::of(rules);
        let rule = |sub: u8| Some(rule_text(&[n.auth_events, sub]));
        let mut room = Room::standard(rules);
        let create = room.state.iter().find(|e| e.kind == CREATE).unwrap().clone();
        let power = room.state.iter().find(|e| e.kind == POWER_LEVELS).unwrap().clone();
        let carol = room.state.iter().find(|e| e.state_key.as_deref() == Some(CAROL)).unwrap().clone();
        let join_rules = room.state.iter().find(|e| e.kind == JOIN_RULES).unwrap().clone();
        let message = room.pdu(CAROL, "m.room.message", None, json!({}));
        let outcome = |list: &[(&Pdu, bool)]| {
            let list: Vec<AuthEvent> = list.iter().map(|(pdu, rejected)| AuthEvent { pdu, rejected: *rejected }).collect();
            check_auth_events(rules, &message, &list).err().map(|rejection| rejection.rule)
        };
        let v12 = rules.room_id_from_create_event;
        let good: Vec<(&Pdu, bool)> =
            if v12 { vec![(&power, false), (&carol, false)] } else { vec![(&create, false), (&power, false), (&carol, false)] };
        assert_eq!(outcome(&good), None, "v{}", rules.id);
        let mut duplicate = good.clone();
        duplicate.push((&power, false));
        assert_eq!(outcome(&duplicate), rule(1), "v{}", rules.id);
        let mut unexpected = good.clone();
        unexpected.push((&join_rules, false));
        assert_eq!(outcome(&unexpected), rule(2), "v{}", rules.id);
        if v12 {
            let mut with_create = good.clone();
            with_create.push((&create, false));
            assert_eq!(outcome(&with_create), rule(2), "v12 lists the create event");
        }
        let mut rejected = good.clone();
        rejected[1].1 = true;
        assert_eq!(outcome(&rejected), rule(3), "v{}", rules.id);
        if !v12 {
            assert_eq!(outcome(&good[1..]), rule(4), "v{} without create", rules.id);
        }
        let mut elsewhere = power.clone();
        elsewhere.room_id = Some("!other:example.org".into());
        let mut other_room = good.clone();
        let index = other_room.len() - 2;
        other_room[index] = (&elsewhere, false);
        assert_eq!(outcome(&other_room), rule(if v12 { 4 } else { 5 }), "v{}", rules.id);
        // The create event's own (empty) list is not checked by this rule.
        let list = [AuthEvent { pdu: &power, rejected: true }];
        assert_eq!(check_auth_events(rules, &create, &list), Ok(()));
    }
}
