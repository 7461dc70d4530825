//! Order independence: the resolution must not depend on the order of the state sets, of the
//! auth chains, or of the events in the store. Checked on every fixture case and on generated
//! rooms (random forks of random actions, in room versions 1, 10, 11 and 12).

use std::collections::{BTreeMap, HashSet};

use myelin_core::room_versions::rules_for;
use myelin_core::state_res::{resolve, EventStore, StateMap};
use serde_json::{json, Value};

use crate::support::{fixtures_root, id_of, read_json, Room};

/// xorshift64*: small, seedable, good enough to shuffle.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Resolves `sets` once as given and `rounds` times shuffled; all answers must agree.
fn assert_order_independent(version: &str, room: &Room, sets: &[StateMap], label: &str, rounds: u64) {
    let rules = rules_for(version).unwrap();
    let chains: Vec<HashSet<String>> = sets.iter().map(|set| room.auth_chain_of_state(set)).collect();
    let reference = resolve(rules, sets, &chains, &room.store());
    for seed in 0..rounds {
        let mut rng = Rng::new(seed + 1);
        let mut order: Vec<usize> = (0..sets.len()).collect();
        rng.shuffle(&mut order);
        let shuffled_sets: Vec<StateMap> = order.iter().map(|&i| sets[i].clone()).collect();
        let mut shuffled_chains: Vec<HashSet<String>> = order.iter().map(|&i| chains[i].clone()).collect();
        // The auth difference does not depend on which chain goes with which set either.
        rng.shuffle(&mut shuffled_chains);
        let mut events: Vec<&Value> = room.all().collect();
        rng.shuffle(&mut events);
        let store: EventStore = Room::store_of(events);
        let answer = resolve(rules, &shuffled_sets, &shuffled_chains, &store);
        assert_eq!(answer, reference, "{label}: seed {seed} changed the answer");
    }
}

#[test]
fn fixture_cases_do_not_depend_on_input_order() {
    let mut checked = 0;
    for folder in ["ruma", "tuwunel", "myelin"] {
        let folder = fixtures_root().join(folder);
        for spec in read_json(&folder.join("cases.json"))["cases"].as_array().unwrap() {
            let files: Vec<Vec<Value>> = spec["pdus"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| read_json(&folder.join(f.as_str().unwrap())).as_array().unwrap().clone())
                .collect();
            let room = Room::new(files);
            let version = spec["room_version"].as_str().unwrap();
            let name = spec["name"].as_str().unwrap();
            let sets: Vec<StateMap> = match spec["mode"].as_str().unwrap() {
                "state_sets" => spec["state_sets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        let ids: Vec<String> = read_json(&folder.join(f.as_str().unwrap()))
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|id| id.as_str().unwrap().to_string())
                            .collect();
                        room.state_of(&ids)
                    })
                    .collect(),
                // All at once: every event its own state set.
                "batches" => room.all().map(|event| room.state_of(&[id_of(event).to_string()])).collect(),
                _ => continue,
            };
            assert_order_independent(version, &room, &sets, name, 8);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} fixture cases checked");
}

/// A generated room: a bootstrap, then forks of random actions by random users, each event
/// citing the auth events its branch's state gives it. Many events are not allowed, which is
/// the point: resolution must order and reject them the same way whatever the input order.
struct Generator {
    rng: Rng,
    version: &'static str,
    events: Vec<Value>,
    count: usize,
}

const USERS: [&str; 6] =
    ["@alice:example.com", "@bob:example.com", "@charlie:example.com", "@dave:example.com", "@ella:example.com", "@zara:example.com"];

impl Generator {
    fn v12(&self) -> bool {
        self.version == "12"
    }

    fn room_id(&self) -> &'static str {
        if self.v12() {
            "!create"
        } else {
            "!room:example.com"
        }
    }

    /// Adds an event to the branch whose state is `state` and head `head`.
    fn add(&mut self, state: &mut StateMap, head: &mut String, depth: i64, kind: &str, sender: &str, state_key: &str, content: Value) {
        self.count += 1;
        let id = if kind == "m.room.create" { "$create".to_string() } else { format!("$e{}:example.com", self.count) };
        let mut auth = Vec::new();
        let mut cite = |key: (&str, &str)| {
            if let Some(id) = state.get(&(key.0.to_string(), key.1.to_string())) {
                if !auth.contains(id) {
                    auth.push(id.clone());
                }
            }
        };
        if !self.v12() {
            cite(("m.room.create", ""));
        }
        cite(("m.room.power_levels", ""));
        cite(("m.room.member", sender));
        if kind == "m.room.member" {
            cite(("m.room.member", state_key));
            if matches!(content["membership"].as_str(), Some("join") | Some("invite")) {
                cite(("m.room.join_rules", ""));
            }
        }
        let mut event = json!({
            "event_id": id, "room_id": self.room_id(), "sender": sender, "type": kind, "state_key": state_key,
            "content": content, "origin_server_ts": self.rng.below(6), "depth": depth,
            "prev_events": if head.is_empty() { vec![] } else { vec![head.clone()] }, "auth_events": auth,
        });
        if kind == "m.room.create" && self.v12() {
            event.as_object_mut().unwrap().remove("room_id");
        }
        self.events.push(event);
        state.insert((kind.to_string(), state_key.to_string()), id.clone());
        *head = id;
    }

    fn random_action(&mut self, state: &mut StateMap, head: &mut String, depth: i64) {
        let sender = USERS[self.rng.below(USERS.len())];
        let target = USERS[1 + self.rng.below(USERS.len() - 1)];
        match self.rng.below(7) {
            0 => {
                let topic = format!("topic {}", self.rng.below(100));
                self.add(state, head, depth, "m.room.topic", sender, "", json!({ "topic": topic }));
            }
            1 => {
                let mut users = serde_json::Map::new();
                if !self.v12() {
                    users.insert(USERS[0].into(), json!(100));
                }
                for user in &USERS[1..] {
                    if self.rng.below(2) == 0 {
                        users.insert((*user).into(), json!([0, 50, 75, 100][self.rng.below(4)]));
                    }
                }
                self.add(state, head, depth, "m.room.power_levels", sender, "", json!({ "users": users }));
            }
            2 => self.add(state, head, depth, "m.room.member", sender, sender, json!({"membership": "join"})),
            3 => self.add(state, head, depth, "m.room.member", sender, sender, json!({"membership": "leave"})),
            4 => {
                let membership = ["ban", "leave", "invite"][self.rng.below(3)];
                self.add(state, head, depth, "m.room.member", sender, target, json!({ "membership": membership }));
            }
            5 => {
                let rule = ["public", "invite", "knock"][self.rng.below(3)];
                self.add(state, head, depth, "m.room.join_rules", sender, "", json!({ "join_rule": rule }));
            }
            _ => self.add(state, head, depth, "m.room.name", sender, "", json!({"name": "a name"})),
        }
    }

    /// The room's events and the state sets of its branches (plus one stale prefix state).
    fn room(seed: u64, version: &'static str) -> (Vec<Value>, Vec<StateMap>) {
        let mut generator = Generator { rng: Rng::new(seed), version, events: Vec::new(), count: 0 };
        let (mut state, mut head) = (StateMap::new(), String::new());
        let alice = USERS[0];
        let mut create = json!({ "room_version": version });
        if version == "1" || version == "10" {
            create["creator"] = json!(alice);
        }
        generator.add(&mut state, &mut head, 1, "m.room.create", alice, "", create);
        generator.add(&mut state, &mut head, 2, "m.room.member", alice, alice, json!({"membership": "join"}));
        let users = if version == "12" { json!({"@bob:example.com": 50}) } else { json!({ alice: 100, "@bob:example.com": 50 }) };
        generator.add(&mut state, &mut head, 3, "m.room.power_levels", alice, "", json!({ "users": users }));
        generator.add(&mut state, &mut head, 4, "m.room.join_rules", alice, "", json!({"join_rule": "public"}));
        for (i, user) in USERS[1..4].iter().enumerate() {
            generator.add(&mut state, &mut head, 5 + i as i64, "m.room.member", user, user, json!({"membership": "join"}));
        }
        let mut sets = Vec::new();
        let branches = 2 + generator.rng.below(3);
        for branch in 0..branches {
            let (mut branch_state, mut branch_head) = (state.clone(), head.clone());
            let steps = 1 + generator.rng.below(6);
            for step in 0..steps {
                generator.random_action(&mut branch_state, &mut branch_head, 8 + step as i64);
                if branch == 0 && step == 0 && steps > 1 {
                    sets.push(branch_state.clone()); // a stale state set, as partial syncs give
                }
            }
            sets.push(branch_state);
        }
        (generator.events, sets)
    }
}

#[test]
fn generated_rooms_do_not_depend_on_input_order() {
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in 0..60u64 {
        for version in ["1", "10", "11", "12"] {
            let (events, sets) = Generator::room(seed * 7 + 3, version);
            let room = Room::new(vec![events]);
            assert_order_independent(version, &room, &sets, &format!("seed {seed}, room version {version}"), 4);
            *outcomes.entry(version).or_default() += 1;
        }
    }
    assert_eq!(outcomes.values().sum::<usize>(), 240);
}
