//! Small scenarios and helpers shared by the tests.

use usm_sim::prelude::*;

/// A small checked scenario from a preset, with overrides.
pub fn small(preset: &str, sets: &[&str]) -> ValidScenario {
    let mut s = Scenario::preset(preset).expect("preset");
    for a in sets {
        s.set(a).expect("override");
    }
    s.check().expect("valid")
}

/// Every exposure of a run, in order.
pub fn simulate(s: &ValidScenario, opts: RunOptions) -> (Vec<ExposureRecord>, RunStats) {
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

/// A fresh temporary folder under the target directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("usm-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The regular (not panel) survey shows of head `h`'s survey.
pub fn shows_of<'a>(
    rows: &'a [ExposureRecord],
    h: &usm_sim::heads::HeadDef,
) -> Vec<&'a ExposureRecord> {
    rows.iter()
        .filter(|r| r.survey == h.survey() && !r.panel)
        .collect()
}

/// The mean true probability of head `h` over `rows` (simulator truth).
pub fn mean_truth(rows: &[&ExposureRecord], h: &usm_sim::heads::HeadDef) -> f64 {
    rows.iter()
        .map(|r| h.truth(&r.oracle.expect("simulated rows have an oracle")) as f64)
        .sum::<f64>()
        / rows.len().max(1) as f64
}
