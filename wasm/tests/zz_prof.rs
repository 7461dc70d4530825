use myelin_core::state_res::op::resolve_state_op;
#[test]
fn prof() {
    let bytes = std::fs::read("/tmp/storm-request.json").unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let parse = t.elapsed();
        drop(v);
        let t = std::time::Instant::now();
        let out = resolve_state_op(&bytes).unwrap();
        eprintln!("parse {:?} op {:?} out {}", parse, t.elapsed(), out.len());
    }
}
