//! Small scenarios and helpers shared by the tests.

use usm_sim::prelude::*;

/// A small validated scenario from a preset, with overrides.
pub fn small(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::preset(preset).expect("preset");
    for a in sets {
        s.set(a).expect("override");
    }
    s.validate().expect("valid");
    s
}

/// Every exposure of a run, in order.
pub fn simulate(s: &Scenario, opts: RunOptions) -> (Vec<ExposureRecord>, RunStats) {
    let pop = Population::draw(s);
    let mut rows = Vec::new();
    let stats = run(
        s,
        &pop,
        None,
        opts,
        &mut |b: &[ExposureRecord]| {
            rows.extend_from_slice(b);
            Ok(())
        },
        &mut |_| {},
    )
    .expect("run");
    (rows, stats)
}

/// FNV-1a, to pin bytes in a golden test.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// A fresh temporary folder under the target directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("usm-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
