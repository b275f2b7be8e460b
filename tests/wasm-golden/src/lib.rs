//! The simulator's golden digest: a small seeded scenario run to its CSV log (oracle columns
//! included) in memory, hashed with FNV-1a together with its counts.
//!
//! The same function runs natively (the test below) and as a wasm32 module that
//! `tests/wasm-golden/run.mjs` loads in Node.js (`.ci/run` builds and runs it), so the two
//! agree with [`GOLDEN`] only if the simulator writes the same bytes on both targets.

use usm_sim::logs::CsvRows;
use usm_sim::prelude::*;

/// The scenario: the paper preset, shrunk, with surveys and a panel frequent enough to show up.
pub const SETS: &[&str] = &[
    "population.users=300",
    "population.items=400",
    "population.authors=40",
    "population.days=3",
    "survey.rate=0.05",
    "panel.rate=0.01",
];

/// The digest of that scenario's log. Changing any draw, its order or the schema changes it:
/// do so deliberately, and update it here.
pub const GOLDEN: u64 = 6284141672110266850;

/// Runs the scenario and hashes its CSV bytes and counts.
pub fn digest() -> Result<u64> {
    let mut s = Scenario::preset("paper")?;
    for a in SETS {
        s.set(a)?;
    }
    let s = s.check()?;
    let pop = Population::draw(&s);
    let mut csv = CsvRows::new(true);
    let mut bytes = Vec::new();
    let in_memory = |e: std::io::Error| SimError::io("<memory>", e);
    csv.header(&mut bytes).map_err(in_memory)?;
    let stats = run(
        &s,
        &pop,
        None,
        RunOptions::default(),
        &mut |b: &[ExposureRecord]| csv.write(&mut bytes, b).map_err(in_memory),
        &mut |_| {},
    )?;
    let counts = format!(
        "exposures {} shows {:?} submits {:?}\n",
        stats.exposures, stats.shows, stats.submits
    );
    bytes.extend_from_slice(counts.as_bytes());
    Ok(fnv1a(&bytes))
}

/// FNV-1a over bytes.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The digest computed in this build, or 0 when the run failed.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn usm_golden_digest() -> u64 {
    digest().unwrap_or(0)
}

/// [`GOLDEN`], as compiled into this build.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn usm_golden_expected() -> u64 {
    GOLDEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_digest_is_the_golden_one() {
        let d = digest().expect("run");
        assert_eq!(
            d, GOLDEN,
            "digest {d} (update GOLDEN only for a deliberate change)"
        );
    }
}
