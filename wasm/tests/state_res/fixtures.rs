//! The golden cases of tests/fixtures/state-res/{ruma,tuwunel,myelin}/cases.json, every one in
//! every mode its folder's README describes: `batches` (all at once, file by file, replay along
//! the DAG), `state_sets`, and `auth_check`.

use std::path::Path;

use myelin_core::event_auth::{check, StateLookup};
use myelin_core::pdu::Pdu;
use myelin_core::room_versions::{rules_for, RoomVersionRules};
use myelin_core::state_res::StateMap;
use serde_json::Value;

use crate::support::{self, difference, expected_state, fixtures_root, read_json, Room};

struct Case<'a> {
    folder: &'a Path,
    type_field: &'a str,
    spec: &'a Value,
}

impl Case<'_> {
    fn name(&self) -> String {
        format!("{}/{}", self.folder.file_name().unwrap().to_string_lossy(), self.spec["name"].as_str().unwrap())
    }

    fn files(&self, key: &str) -> Vec<Value> {
        self.spec[key].as_array().map(|list| list.iter().map(|f| read_json(&self.folder.join(f.as_str().unwrap()))).collect()).unwrap_or_default()
    }

    fn room(&self) -> Room {
        Room::new(self.files("pdus").into_iter().map(|file| file.as_array().unwrap().clone()).collect())
    }

    fn rules(&self, room: &Room) -> &'static RoomVersionRules {
        let version = self.spec["room_version"].as_str().unwrap();
        let first = &room.files[0][0];
        assert_eq!(first["type"], "m.room.create", "{}: the first event is the create event", self.name());
        assert_eq!(first["content"]["room_version"], version, "{}: room_version", self.name());
        let rules = rules_for(version).unwrap();
        let algorithm = match rules.state_resolution {
            myelin_core::room_versions::StateResolution::V1 => "v1",
            myelin_core::room_versions::StateResolution::V2 => "v2.0",
            myelin_core::room_versions::StateResolution::V2_1 => "v2.1",
        };
        if let Some(stated) = self.spec["state_res"].as_str() {
            assert_eq!(stated, algorithm, "{}: state_res", self.name());
        }
        rules
    }

    fn expected(&self) -> StateMap {
        expected_state(&read_json(&self.folder.join(self.spec["expected"].as_str().unwrap())), self.type_field)
    }
}

/// Runs one case in each of its modes; returns the failures (mode: difference).
fn run(case: &Case) -> Vec<String> {
    let room = case.room();
    let rules = case.rules(&room);
    let mut failures = Vec::new();
    let mut compare = |mode: &str, actual: StateMap| {
        let expected = case.expected();
        if actual != expected {
            failures.push(format!("{} [{mode}]:\n{}", case.name(), difference(&expected, &actual)));
        }
    };
    match case.spec["mode"].as_str().unwrap() {
        "batches" => {
            compare("all at once", support::all_at_once(rules, &room));
            compare("file by file", support::file_by_file(rules, &room));
            compare("replay", support::replay(rules, &room));
        }
        "state_sets" => {
            let sets: Vec<Vec<String>> = case
                .files("state_sets")
                .iter()
                .map(|set| set.as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect())
                .collect();
            compare("state sets", support::state_sets(rules, &room, &sets));
            let mut reversed = sets.clone();
            reversed.reverse();
            compare("state sets, reversed", support::state_sets(rules, &room, &reversed));
        }
        "auth_check" => failures.extend(run_auth_check(case, rules, &room)),
        other => failures.push(format!("{}: unknown mode {other}", case.name())),
    }
    failures
}

struct ListedState(Vec<Pdu>);

impl StateLookup for ListedState {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu> {
        self.0.iter().find(|pdu| pdu.kind == kind && pdu.state_key.as_deref() == Some(state_key))
    }
}

fn run_auth_check(case: &Case, rules: &RoomVersionRules, room: &Room) -> Vec<String> {
    let pdu = |id: &str| Pdu::from_json(room.event(id), None).unwrap();
    let event = pdu(case.spec["event"].as_str().unwrap());
    let mut failures = Vec::new();
    for (i, expectation) in case.spec["checks"].as_array().unwrap().iter().enumerate() {
        let state = ListedState(expectation["state"].as_array().unwrap().iter().map(|id| pdu(id.as_str().unwrap())).collect());
        let outcome = check(rules, &event, &state, &|_| true);
        let expected_allow = expectation["expected"] == "allow";
        if outcome.is_ok() != expected_allow {
            failures.push(format!("{} check {i} ({}): got {:?}", case.name(), expectation["note"], outcome));
        }
    }
    failures
}

fn folder_cases(folder: &str) -> (usize, Vec<String>) {
    let folder = fixtures_root().join(folder);
    let cases = read_json(&folder.join("cases.json"));
    let type_field = cases["expected_type_field"].as_str().unwrap_or("type");
    let list = cases["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for spec in list {
        failures.extend(run(&Case { folder: &folder, type_field, spec }));
    }
    (list.len(), failures)
}

fn assert_folder(folder: &str, expected_cases: usize) {
    let (count, failures) = folder_cases(folder);
    assert_eq!(count, expected_cases, "{folder}/cases.json lists {count} cases");
    assert!(failures.is_empty(), "{} failing:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ruma_cases_pass_in_every_mode() {
    assert_folder("ruma", 13);
}

#[test]
fn tuwunel_cases_pass_in_every_mode() {
    assert_folder("tuwunel", 7);
}

#[test]
fn myelin_cases_pass_in_every_mode() {
    let (count, failures) = folder_cases("myelin");
    assert!(count >= 10, "myelin/cases.json lists {count} cases");
    assert!(failures.is_empty(), "{} failing:\n{}", failures.len(), failures.join("\n"));
}

/// The copies here must match the project's shared fixtures, where a checkout has them (CI's
/// clean clone may not: then there is nothing to compare).
#[test]
fn copied_fixtures_match_the_shared_ones() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/state-res");
    if !shared.is_dir() {
        return;
    }
    let mut compared = 0;
    let mut stack = vec![shared.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&shared).unwrap();
            let copy = fixtures_root().join(relative);
            assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&copy).unwrap_or_default(), "{} differs", relative.display());
            compared += 1;
        }
    }
    assert!(compared >= 60, "compared {compared} files");
}
