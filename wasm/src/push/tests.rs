//! Every default rule firing and not firing, and the order of a user's rules, through the
//! bulk evaluation (`evaluate_op`, as the host calls it).

use super::evaluate_op;
use serde_json::{json, Value};

const ALICE: &str = "@alice:example.org";

/// The rule that wins for Alice: (kind:rule_id, actions), or None.
fn first_match(event: Value, members: u64, power: Value, legacy: bool, rules: Option<Value>) -> Option<(String, Value)> {
    let mut outcome = evaluate(event, members, power, legacy, rules, &[(ALICE, Some("Alice Liddell"))]);
    outcome.pop().unwrap()
}

fn evaluate(event: Value, members: u64, power: Value, legacy: bool, rules: Option<Value>, users: &[(&str, Option<&str>)]) -> Vec<Option<(String, Value)>> {
    let rule_sets: Vec<Value> = rules.into_iter().collect();
    let set = if rule_sets.is_empty() { -1 } else { -2 };
    let input = json!({
        "event": event,
        "member_count": members,
        "sender_power_level": power,
        "notification_levels": {"room": 50},
        "legacy_mention_rules": legacy,
        "rule_sets": rule_sets,
        "user_ids": users.iter().map(|(id, _)| *id).collect::<Vec<_>>().join("\n"),
        "user_count": users.len(),
        "user_rules": users.iter().map(|_| set).collect::<Vec<_>>(),
        "display_names": users.iter().map(|(_, name)| *name).collect::<Vec<_>>(),
    });
    decode(&run(input))
}

fn run(input: Value) -> Value {
    serde_json::from_slice(&evaluate_op(&wire(input)).unwrap()).unwrap()
}

/// `evaluate_op`'s input: the JSON without `user_ids`, a NUL, then the ids.
fn wire(mut input: Value) -> Vec<u8> {
    let ids = input.as_object_mut().and_then(|map| map.remove("user_ids")).unwrap_or(json!(""));
    let mut bytes = input.to_string().into_bytes();
    bytes.push(0);
    bytes.extend_from_slice(ids.as_str().unwrap().as_bytes());
    bytes
}

/// Per recipient: ("kind:rule_id", actions), or None.
fn decode(output: &Value) -> Vec<Option<(String, Value)>> {
    output["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            let index = result.as_i64().unwrap();
            if index < 0 {
                assert!(index == -1 || index == -2);
                return None;
            }
            let outcome = &output["outcomes"][index as usize];
            let actions = &output["actions"][outcome[2].as_u64().unwrap() as usize];
            Some((format!("{}:{}", outcome[0].as_str().unwrap(), outcome[1].as_str().unwrap()), actions["actions"].clone()))
        })
        .collect()
}

fn message(content: Value) -> Value {
    json!({"type": "m.room.message", "room_id": "!room:example.org", "sender": "@bob:example.org", "event_id": "$e", "content": content})
}

fn text(body: &str) -> Value {
    message(json!({"msgtype": "m.text", "body": body}))
}

fn state(event_type: &str, state_key: Option<&str>, content: Value) -> Value {
    let mut event = json!({"type": event_type, "room_id": "!room:example.org", "sender": "@bob:example.org", "content": content});
    if let Some(key) = state_key {
        event["state_key"] = json!(key);
    }
    event
}

struct Case {
    name: &'static str,
    event: Value,
    members: u64,
    power: Value,
    legacy: bool,
    rules: Option<Value>,
    expected: Option<&'static str>,
}

fn case(name: &'static str, event: Value, expected: Option<&'static str>) -> Case {
    Case { name, event, members: 5, power: json!(0), legacy: false, rules: None, expected }
}

fn default_rule_cases() -> Vec<Case> {
    let master_on = json!({"override": [{"rule_id": ".m.rule.master", "enabled": true, "actions": []}]});
    vec![
        Case { rules: Some(master_on), ..case("master, enabled by the user", text("hi"), Some("override:.m.rule.master")) },
        case("master is disabled by default", text("hi"), Some("underride:.m.rule.message")),
        case("suppress_notices", message(json!({"msgtype": "m.notice", "body": "bot"})), Some("override:.m.rule.suppress_notices")),
        case("suppress_notices: not for m.text", text("bot"), Some("underride:.m.rule.message")),
        case("invite_for_me", state("m.room.member", Some(ALICE), json!({"membership": "invite"})), Some("override:.m.rule.invite_for_me")),
        case("invite_for_me: someone else's invite", state("m.room.member", Some("@carol:example.org"), json!({"membership": "invite"})), Some("override:.m.rule.member_event")),
        case("invite_for_me: not an invite", state("m.room.member", Some(ALICE), json!({"membership": "ban"})), Some("override:.m.rule.member_event")),
        case("member_event", state("m.room.member", Some("@carol:example.org"), json!({"membership": "join"})), Some("override:.m.rule.member_event")),
        case("member_event: not a member event", state("m.room.name", Some(""), json!({"name": "x"})), None),
        case("is_user_mention", message(json!({"body": "hey", "m.mentions": {"user_ids": [ALICE]}})), Some("override:.m.rule.is_user_mention")),
        case("is_user_mention: someone else", message(json!({"body": "hey", "m.mentions": {"user_ids": ["@carol:example.org"]}})), Some("underride:.m.rule.message")),
        case("is_user_mention: ids are exact", message(json!({"body": "hey", "m.mentions": {"user_ids": ["@Alice:example.org"]}})), Some("underride:.m.rule.message")),
        case("is_user_mention: a dotted key, not nested m -> mentions", message(json!({"body": "hey", "m": {"mentions": {"user_ids": [ALICE]}}})), Some("underride:.m.rule.message")),
        Case { power: json!(50), ..case("is_room_mention", message(json!({"body": "all", "m.mentions": {"room": true}})), Some("override:.m.rule.is_room_mention")) },
        Case { power: json!(49), ..case("is_room_mention: sender below the level", message(json!({"body": "all", "m.mentions": {"room": true}})), Some("underride:.m.rule.message")) },
        Case { power: json!("infinite"), ..case("is_room_mention: a v12 creator", message(json!({"body": "all", "m.mentions": {"room": true}})), Some("override:.m.rule.is_room_mention")) },
        Case { power: json!(100), ..case("is_room_mention: room is not true", message(json!({"body": "all", "m.mentions": {"room": "true"}})), Some("underride:.m.rule.message")) },
        case("tombstone", state("m.room.tombstone", Some(""), json!({"replacement_room": "!new:example.org"})), Some("override:.m.rule.tombstone")),
        case("tombstone: not a state event", state("m.room.tombstone", None, json!({})), None),
        case("tombstone: another state key", state("m.room.tombstone", Some("x"), json!({})), None),
        case("reaction", json!({"type": "m.reaction", "sender": "@bob:example.org", "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$e", "key": "👍"}}}), Some("override:.m.rule.reaction")),
        case("reaction: other types", json!({"type": "m.reactions", "sender": "@bob:example.org", "content": {}}), None),
        case("room.server_acl", state("m.room.server_acl", Some(""), json!({"allow": ["*"]})), Some("override:.m.rule.room.server_acl")),
        case("room.server_acl: another state key", state("m.room.server_acl", Some("x"), json!({})), None),
        case("suppress_edits", message(json!({"body": "* fixed", "m.relates_to": {"rel_type": "m.replace", "event_id": "$e"}})), Some("override:.m.rule.suppress_edits")),
        case("suppress_edits: a thread reply is no edit", message(json!({"body": "reply", "m.relates_to": {"rel_type": "m.thread", "event_id": "$e"}})), Some("underride:.m.rule.message")),
        case("call", json!({"type": "m.call.invite", "sender": "@bob:example.org", "content": {}}), Some("underride:.m.rule.call")),
        case("call: not an invite", json!({"type": "m.call.answer", "sender": "@bob:example.org", "content": {}}), None),
        Case { members: 2, ..case("encrypted_room_one_to_one", json!({"type": "m.room.encrypted", "sender": "@bob:example.org", "content": {}}), Some("underride:.m.rule.encrypted_room_one_to_one")) },
        Case { members: 3, ..case("encrypted_room_one_to_one: three members", json!({"type": "m.room.encrypted", "sender": "@bob:example.org", "content": {}}), Some("underride:.m.rule.encrypted")) },
        Case { members: 2, ..case("room_one_to_one", text("hi"), Some("underride:.m.rule.room_one_to_one")) },
        Case { members: 1, ..case("room_one_to_one: one member", text("hi"), Some("underride:.m.rule.message")) },
        case("message", text("hi"), Some("underride:.m.rule.message")),
        case("message: type must match whole", json!({"type": "m.room.message.x", "sender": "@bob:example.org", "content": {"body": "hi"}}), None),
        case("encrypted", json!({"type": "m.room.encrypted", "sender": "@bob:example.org", "content": {}}), Some("underride:.m.rule.encrypted")),
        case("encrypted: other types", json!({"type": "m.room.encrypted2", "sender": "@bob:example.org", "content": {}}), None),
        // v1.17 removed the legacy mention rules: off unless the server opts in.
        case("legacy rules are off by default: display name", text("hi Alice Liddell"), Some("underride:.m.rule.message")),
        Case { power: json!(100), ..case("legacy rules are off by default: @room", text("@room hi"), Some("underride:.m.rule.message")) },
        case("legacy rules are off by default: localpart", text("alice?"), Some("underride:.m.rule.message")),
        Case { legacy: true, ..case("contains_display_name", text("hi Alice Liddell!"), Some("override:.m.rule.contains_display_name")) },
        Case { legacy: true, ..case("contains_display_name: not a whole word", text("hi xAlice Liddell"), Some("underride:.m.rule.message")) },
        Case { legacy: true, ..case("contains_display_name: off with m.mentions", message(json!({"body": "hi Alice Liddell", "m.mentions": {}})), Some("underride:.m.rule.message")) },
        Case { legacy: true, power: json!(50), ..case("roomnotif", text("@room meeting"), Some("override:.m.rule.roomnotif")) },
        Case { legacy: true, power: json!(0), ..case("roomnotif: sender below the level", text("@room meeting"), Some("underride:.m.rule.message")) },
        Case { legacy: true, power: json!(50), ..case("roomnotif: off with m.mentions", message(json!({"body": "@room", "m.mentions": {"room": false}})), Some("underride:.m.rule.message")) },
        Case { legacy: true, ..case("contains_user_name", text("ping ALICE."), Some("content:.m.rule.contains_user_name")) },
        Case { legacy: true, ..case("contains_user_name: inside a word", text("malice"), Some("underride:.m.rule.message")) },
        Case { legacy: true, ..case("contains_user_name: off with m.mentions", message(json!({"body": "alice", "m.mentions": {"user_ids": []}})), Some("underride:.m.rule.message")) },
    ]
}

#[test]
fn every_default_rule_fires_and_does_not() {
    let cases = default_rule_cases();
    for case in cases {
        let got = first_match(case.event, case.members, case.power, case.legacy, case.rules);
        assert_eq!(got.as_ref().map(|(id, _)| id.as_str()), case.expected, "{}", case.name);
    }
}

#[test]
fn default_rules_carry_the_spec_actions() {
    let highlight = json!(["notify", {"set_tweak": "sound", "value": "default"}, {"set_tweak": "highlight"}]);
    let mention = first_match(message(json!({"body": "x", "m.mentions": {"user_ids": [ALICE]}})), 5, json!(0), false, None).unwrap();
    assert_eq!(mention.1, highlight);
    let call = first_match(json!({"type": "m.call.invite", "content": {}}), 5, json!(0), false, None).unwrap();
    assert_eq!(call.1, json!(["notify", {"set_tweak": "sound", "value": "ring"}]));
    let message_ = first_match(text("x"), 5, json!(0), false, None).unwrap();
    assert_eq!(message_.1, json!(["notify"]));
    let notice = first_match(message(json!({"msgtype": "m.notice"})), 5, json!(0), false, None).unwrap();
    assert_eq!(notice.1, json!([]));
}

#[test]
fn the_sender_is_not_evaluated_and_others_get_their_own_rule() {
    let event = message(json!({"body": "hi", "m.mentions": {"user_ids": [ALICE, "@bob:example.org"]}}));
    let users = [(ALICE, None), ("@bob:example.org", None), ("@carol:example.org", None)];
    let got: Vec<Option<String>> = evaluate(event, 3, json!(0), false, None, &users).into_iter().map(|o| o.map(|(id, _)| id)).collect();
    assert_eq!(got, [Some("override:.m.rule.is_user_mention".to_string()), None, Some("underride:.m.rule.message".to_string())]);
}

#[test]
fn user_rules_come_before_defaults_of_their_kind_and_after_master() {
    let cake = json!({"rule_id": "cake", "pattern": "cake", "actions": ["notify", {"set_tweak": "sound", "value": "cake.wav"}]});
    let mute_room = json!({"rule_id": "!room:example.org", "actions": []});
    let loud_bob = json!({"rule_id": "@bob:example.org", "actions": ["notify", {"set_tweak": "highlight"}]});
    let all_messages = json!({"rule_id": "under", "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.room.message"}], "actions": ["notify", {"set_tweak": "sound", "value": "under"}]});
    let notice_override = json!({"rule_id": "over", "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "urgent"}], "actions": ["notify"]});
    let everything = json!({
        "override": [notice_override],
        "content": [cake],
        "room": [mute_room],
        "sender": [loud_bob],
        "underride": [all_messages],
    });
    let with = |rules: Value, event: Value| first_match(event, 5, json!(0), false, Some(rules)).map(|(id, _)| id);

    // A user override beats a default override (suppress_notices would otherwise win).
    assert_eq!(with(everything.clone(), message(json!({"msgtype": "m.notice", "body": "urgent"}))).as_deref(), Some("override:over"));
    // Content before room before sender before underride.
    assert_eq!(with(everything.clone(), text("cake please")).as_deref(), Some("content:cake"));
    assert_eq!(with(everything.clone(), text("pie please")).as_deref(), Some("room:!room:example.org"));
    let mut no_room = everything.clone();
    no_room["room"] = json!([]);
    assert_eq!(with(no_room.clone(), text("pie")).as_deref(), Some("sender:@bob:example.org"));
    no_room["sender"] = json!([]);
    assert_eq!(with(no_room.clone(), text("pie")).as_deref(), Some("underride:under"), "a user underride beats .m.rule.message");
    // Master, once enabled, beats even user overrides.
    let mut master = everything.clone();
    master["override"].as_array_mut().unwrap().push(json!({"rule_id": ".m.rule.master", "enabled": true, "actions": []}));
    assert_eq!(with(master, text("urgent")).as_deref(), Some("override:.m.rule.master"));
    // Default overrides still beat user content rules.
    assert_eq!(with(everything.clone(), message(json!({"msgtype": "m.notice", "body": "cake"}))).as_deref(), Some("override:.m.rule.suppress_notices"));
}

#[test]
fn user_changes_to_defaults_and_disabled_rules() {
    let rules = json!({
        "override": [{"rule_id": ".m.rule.suppress_notices", "enabled": false}],
        "content": [{"rule_id": "off", "pattern": "cake", "enabled": false, "actions": ["notify", {"set_tweak": "highlight"}]}],
        "underride": [{"rule_id": ".m.rule.message", "actions": ["notify", {"set_tweak": "sound", "value": "ping"}, "dont_notify"]}],
    });
    let (id, actions) = first_match(message(json!({"msgtype": "m.notice", "body": "cake"})), 5, json!(0), false, Some(rules)).unwrap();
    assert_eq!(id, "underride:.m.rule.message", "suppress_notices and the cake rule are disabled");
    assert_eq!(actions, json!(["notify", {"set_tweak": "sound", "value": "ping"}]), "the user's actions, historical ones stripped");
}

#[test]
fn a_rule_with_unknown_conditions_is_skipped() {
    let rules = json!({"override": [{"rule_id": "x", "conditions": [{"kind": "org.example.new"}], "actions": ["notify", {"set_tweak": "highlight"}]}]});
    assert_eq!(first_match(text("hi"), 5, json!(0), false, Some(rules)).unwrap().0, "underride:.m.rule.message");
    let rules = json!({"override": [{"rule_id": "x", "conditions": [], "actions": ["notify", {"set_tweak": "highlight"}]}]});
    assert_eq!(first_match(text("hi"), 5, json!(0), false, Some(rules)).unwrap().0, "override:x", "no conditions always matches");
}

#[test]
fn many_users_share_outcomes() {
    let ids: Vec<String> = (0..100).map(|i| format!("@u{i}:example.org")).collect();
    let output = run(json!({
        "event": message(json!({"body": "hi", "m.mentions": {"user_ids": ["@u7:example.org"]}})),
        "member_count": 100, "sender_power_level": 0,
        "user_ids": ids.join("\n"), "user_count": 100,
    }));
    assert_eq!(output["outcomes"].as_array().unwrap().len(), 2);
    assert_eq!(output["actions"].as_array().unwrap().len(), 2);
    let results = output["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    let outcome = |user: usize| &output["outcomes"][results[user].as_u64().unwrap() as usize];
    let actions = |user: usize| &output["actions"][outcome(user)[2].as_u64().unwrap() as usize];
    assert_eq!(outcome(7)[1], ".m.rule.is_user_mention");
    assert_eq!((actions(7)["highlight"].as_bool(), actions(7)["sound"].as_str()), (Some(true), Some("default")));
    assert_eq!(outcome(8)[1], ".m.rule.message");
    assert_eq!((actions(8)["notify"].as_bool(), actions(8)["highlight"].as_bool()), (Some(true), Some(false)));
    assert!((0..100).filter(|&u| u != 7).all(|u| results[u] == results[8]));
}

#[test]
fn rules_with_the_same_actions_share_them_in_the_output() {
    let ids = ["@a:x", "@b:x"];
    let a = json!({"content": [{"rule_id": "a", "pattern": "hi", "actions": ["notify"]}]});
    let output = run(json!({
        "event": text("hi"), "member_count": 3, "sender_power_level": 0,
        "rule_sets": [a], "user_ids": ids.join("\n"), "user_count": 2, "user_rules": [-2, -1],
    }));
    let outcomes = output["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2, "content:a and underride:.m.rule.message");
    assert_eq!(outcomes[0][2], outcomes[1][2], "both are [\"notify\"]");
}

#[test]
fn prepared_rule_sets_are_used_by_id_until_released() {
    use super::{prepare_op, release_op};
    let call = |op: fn(&[u8]) -> Result<Vec<u8>, String>, input: Value| -> Value { serde_json::from_slice(&op(input.to_string().as_bytes()).unwrap()).unwrap() };
    let registry = "tests-prepared";
    let cake = json!({"content": [{"rule_id": "cake", "pattern": "cake", "actions": ["notify", {"set_tweak": "highlight"}]}]});
    let named = json!({"override": [{"rule_id": "name", "conditions": [{"kind": "contains_display_name"}], "actions": ["notify"]}]});
    assert_eq!(call(prepare_op, json!({"registry": registry, "rule_sets": [cake]})), json!({"unknown_registry": true}), "not created yet");
    let prepared = call(prepare_op, json!({"registry": registry, "create": true, "rule_sets": [cake, named]}));
    assert_eq!(prepared["reads_display_name"], json!([false, true]));
    let (cake_id, named_id) = (prepared["ids"][0].clone(), prepared["ids"][1].clone());
    let inline = json!({"underride": [{"rule_id": "inline", "conditions": [], "actions": ["notify"]}]});
    let evaluate = |user_rules: Value, registry: &str| {
        run(json!({
            "event": text("cake for Alice"), "member_count": 3, "sender_power_level": 0, "registry": registry,
            "rule_sets": [inline], "user_ids": "@a:x\n@b:x\n@c:x\n@d:x", "user_count": 4, "user_rules": user_rules,
            "display_names": ["Alice", "Alice", "Alice", "Alice"],
        }))
    };
    let output = evaluate(json!([cake_id, named_id, -2, -1]), registry);
    let ids: Vec<Option<String>> = decode(&output).into_iter().map(|o| o.map(|(id, _)| id)).collect();
    assert_eq!(ids, ["content:cake", "override:name", "underride:inline", "underride:.m.rule.message"].map(|id| Some(id.to_string())));
    assert_eq!(evaluate(json!([cake_id, named_id, -2, -1]), "tests-other"), json!({"unknown_registry": true}));
    assert_eq!(evaluate(json!([-1, -1, -2, -1]), "tests-other")["results"].as_array().unwrap().len(), 4, "no prepared sets: no registry needed");
    call(release_op, json!({"registry": registry, "ids": [cake_id]}));
    assert!(evaluate_op(&wire(json!({
        "event": text("x"), "member_count": 3, "sender_power_level": 0, "registry": registry,
        "user_ids": "@a:x", "user_count": 1, "user_rules": [cake_id],
    }))).is_err(), "a released id is an error, not someone else's rules");
}

#[test]
fn recipients_are_lines_and_their_count_is_checked() {
    let output = run(json!({"event": text("x"), "member_count": 3, "sender_power_level": 0, "user_ids": "", "user_count": 0}));
    assert_eq!(output["results"], json!([]));
    let bad = json!({"event": text("x"), "member_count": 3, "sender_power_level": 0, "user_ids": "@a:x\n@b\n:x", "user_count": 2});
    assert!(evaluate_op(&wire(bad)).is_err());
    let no_nul = json!({"event": text("x"), "member_count": 3, "sender_power_level": 0, "user_count": 0});
    assert!(evaluate_op(no_nul.to_string().as_bytes()).is_err());
    let mut bad_utf8 = wire(json!({"event": text("x"), "member_count": 3, "sender_power_level": 0, "user_count": 1}));
    bad_utf8.push(0xff);
    assert!(evaluate_op(&bad_utf8).is_err());
}

#[test]
fn notification_levels_may_be_strings_in_old_rooms() {
    let event = message(json!({"body": "all", "m.mentions": {"room": true}}));
    let with_levels = |levels: Value, power: i64| {
        let input = json!({"event": event, "member_count": 3, "sender_power_level": power, "notification_levels": levels, "user_ids": ALICE, "user_count": 1});
        decode(&run(input))[0].as_ref().map(|(id, _)| id.clone())
    };
    assert_eq!(with_levels(json!({"room": "20"}), 20).as_deref(), Some("override:.m.rule.is_room_mention"));
    assert_eq!(with_levels(json!({"room": " 20 "}), 19).as_deref(), Some("underride:.m.rule.message"));
    assert_eq!(with_levels(json!({"room": "high"}), 50).as_deref(), Some("override:.m.rule.is_room_mention"), "unreadable: the default 50");
    assert_eq!(with_levels(json!({"room": "high"}), 49).as_deref(), Some("underride:.m.rule.message"));
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for input in [
        "",
        "[]",
        r#"{"member_count": 1, "sender_power_level": 0, "user_ids": "", "user_count": 0}"#,
        r#"{"event": {}, "sender_power_level": 0, "user_ids": "", "user_count": 0}"#,
        r#"{"event": {}, "member_count": -1, "sender_power_level": 0, "user_ids": "", "user_count": 0}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": "high", "user_ids": "", "user_count": 0}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 2}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 1, "user_rules": [-2]}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 1, "user_rules": [1.5]}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 1, "user_rules": [0], "registry": 7}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 1, "user_rules": []}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "@a:b", "user_count": 1, "display_names": [1]}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "", "user_count": 0, "rule_sets": {}}"#,
        r#"{"event": {}, "member_count": 1, "sender_power_level": 0, "user_ids": "", "user_count": 0, "legacy_mention_rules": 1}"#,
    ] {
        // Each input as JSON with its user ids (if any) after the NUL.
        let bytes = match serde_json::from_str::<Value>(input) {
            Ok(value) => wire(value),
            _ => input.as_bytes().to_vec(),
        };
        assert!(evaluate_op(&bytes).is_err(), "{input}");
    }
}
