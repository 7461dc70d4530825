//! Runs the fixture cases shared with the TypeScript tests (tests/fixtures/canonical_json.json).

use myelin_core::canonical_json::canonical_json_op;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/canonical_json.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

fn cases<'a>(fixture: &'a Value, group: &str) -> Vec<(&'a str, &'a str, Option<&'a str>)> {
    let list = fixture[group].as_array().unwrap_or_else(|| panic!("fixture has no {group}"));
    assert!(!list.is_empty());
    list.iter()
        .map(|case| (case["name"].as_str().unwrap(), case["input"].as_str().unwrap(), case["expected"].as_str()))
        .collect()
}

#[test]
fn valid_inputs_give_the_expected_bytes() {
    let fixture = fixture();
    for (name, input, expected) in cases(&fixture, "valid") {
        let output = canonical_json_op(input.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(String::from_utf8(output).unwrap(), expected.unwrap(), "{name}");
    }
}

#[test]
fn canonical_output_is_a_fixed_point() {
    let fixture = fixture();
    for (name, _, expected) in cases(&fixture, "valid") {
        let expected = expected.unwrap();
        assert_eq!(canonical_json_op(expected.as_bytes()).unwrap(), expected.as_bytes(), "{name}");
    }
}

#[test]
fn invalid_and_malformed_inputs_are_errors() {
    let fixture = fixture();
    for group in ["invalid", "malformed"] {
        for (name, input, _) in cases(&fixture, group) {
            assert!(canonical_json_op(input.as_bytes()).is_err(), "{group}: {name} was accepted");
        }
    }
}
