//! Runs the push fixtures shared with the TypeScript tests (tests/fixtures/push/, and
//! test/engine/push.test.ts for the other side): every evaluation case with the rules sent
//! along and again with them prepared, the default rules, and merged rule sets.

use myelin_core::push::{default_rules_op, effective_rules_op, evaluate_op, prepare_op};
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> Value {
    let text = match name {
        "conditions" => include_str!("fixtures/push/conditions.json"),
        "evaluate" => include_str!("fixtures/push/evaluate.json"),
        "defaults" => include_str!("fixtures/push/defaults.json"),
        "effective" => include_str!("fixtures/push/effective.json"),
        _ => unreachable!(),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

fn call(op: fn(&[u8]) -> Result<Vec<u8>, String>, input: &[u8]) -> Value {
    serde_json::from_slice(&op(input).unwrap_or_else(|e| panic!("{e}"))).unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Stored rules sent with the call.
    Inline,
    /// Stored rules prepared first, then named by id.
    Prepared,
}

struct User<'a> {
    user_id: &'a str,
    display_name: Option<&'a str>,
    rules: Option<&'a Value>,
}

/// Evaluates `event` for `users` and gives each one's outcome in the fixtures' shape.
fn evaluate(event: &Value, context: &Value, users: &[User], mode: Mode) -> Vec<Value> {
    let registry = "fixtures";
    let mut rule_sets = Vec::new();
    let mut user_rules = Vec::new();
    for user in users {
        user_rules.push(match (user.rules, mode) {
            (None, _) => json!(-1),
            (Some(rules), Mode::Inline) => {
                rule_sets.push(rules.clone());
                json!(-1 - rule_sets.len() as i64)
            }
            (Some(rules), Mode::Prepared) => {
                let input = json!({"registry": registry, "create": true, "rule_sets": [rules]});
                call(prepare_op, input.to_string().as_bytes())["ids"][0].clone()
            }
        });
    }
    let mut input = json!({
        "event": event,
        "member_count": context.get("member_count").cloned().unwrap_or(json!(5)),
        "sender_power_level": context.get("sender_power_level").cloned().unwrap_or(json!(0)),
        "notification_levels": context.get("notification_levels").cloned().unwrap_or(json!({"room": 50})),
        "legacy_mention_rules": context.get("legacy_mention_rules").cloned().unwrap_or(json!(false)),
        "registry": registry,
        "rule_sets": rule_sets,
        "user_count": users.len(),
        "user_rules": user_rules,
        "display_names": users.iter().map(|user| user.display_name).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    input.push(0);
    input.extend_from_slice(users.iter().map(|user| user.user_id).collect::<Vec<_>>().join("\n").as_bytes());
    let output = call(evaluate_op, &input);
    output["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| match result.as_i64().unwrap() {
            -1 => json!({"rule": null, "reason": "no_rule"}),
            -2 => json!({"rule": null, "reason": "own_event"}),
            index => {
                let outcome = &output["outcomes"][index as usize];
                let mut shown: Map<String, Value> = output["actions"][outcome[2].as_u64().unwrap() as usize].as_object().unwrap().clone();
                shown.insert("rule".into(), json!(format!("{}:{}", outcome[0].as_str().unwrap(), outcome[1].as_str().unwrap())));
                Value::Object(shown)
            }
        })
        .collect()
}

#[test]
fn conditions() {
    let fixture = fixture("conditions");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 100);
    for mode in [Mode::Inline, Mode::Prepared] {
        for case in cases {
            let rules = json!({"override": [{"rule_id": "probe", "conditions": [case["condition"]], "actions": ["notify"]}]});
            let user = &case["user"];
            let user = User {
                user_id: user["user_id"].as_str().unwrap_or("@alice:example.org"),
                display_name: if user.get("display_name").is_some() { user["display_name"].as_str() } else { Some("Alice") },
                rules: Some(&rules),
            };
            let outcome = &evaluate(&case["event"], &case["context"], &[user], mode)[0];
            let matched = outcome["rule"] == "override:probe";
            assert_eq!(matched, case["expected"].as_bool().unwrap(), "{mode:?}: {}", case["name"]);
        }
    }
}

#[test]
fn evaluations() {
    let fixture = fixture("evaluate");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 40);
    for mode in [Mode::Inline, Mode::Prepared] {
        for case in cases {
            let users: Vec<User> = case["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| User { user_id: user["user_id"].as_str().unwrap(), display_name: user["display_name"].as_str(), rules: user.get("rules") })
                .collect();
            let outcomes = evaluate(&case["event"], &case["context"], &users, mode);
            for (user, outcome) in case["users"].as_array().unwrap().iter().zip(outcomes) {
                assert_eq!(outcome, user["expected"], "{mode:?}: {}: {}", case["name"], user["user_id"]);
            }
        }
    }
}

#[test]
fn default_rules() {
    let fixture = fixture("defaults");
    let user_id = fixture["user_id"].as_str().unwrap();
    let rules = call(default_rules_op, json!({"user_id": user_id}).to_string().as_bytes());
    assert_eq!(rules, fixture["rules"]);
    let legacy = call(default_rules_op, json!({"user_id": user_id, "legacy_mention_rules": true}).to_string().as_bytes());
    assert_eq!(legacy, fixture["with_legacy"]);
}

#[test]
fn effective_rules() {
    let fixture = fixture("effective");
    let user_id = fixture["user_id"].as_str().unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let merged = call(effective_rules_op, json!({"user_id": user_id, "rules": case["stored"]}).to_string().as_bytes());
        assert_eq!(merged, case["expected"], "{}", case["name"]);
    }
}
