//! Value stability of the report, as rand pins its values: a fixed `results.json` (a simulated
//! run with a panel and the A/B test, and a `usm fit` on ratings without the truth) loads and
//! writes back byte for byte, and renders the same text report (`report.txt`, committed, so a
//! change shows as a diff) and the same files (`digests.txt`: each file's length and FNV-1a
//! digest). A change to the report's rendering updates them on purpose:
//! `USM_BLESS=1 cargo test --release --test integration report`, with the reason in the commit.

use std::fmt::Write as _;
use std::path::PathBuf;

use usm_sim::experiment::Results;

const FIXTURES: [&str; 2] = ["answer-dependent", "ratings"];

fn folder(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/report")
        .join(name)
}

/// FNV-1a, 64 bits.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn a_fixed_results_json_renders_the_same_report() {
    let bless = std::env::var_os("USM_BLESS").is_some();
    let mut stale = Vec::new();
    for name in FIXTURES {
        let dir = folder(name);
        let json = std::fs::read_to_string(dir.join("results.json")).expect("the fixture");
        let res: Results = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{name}/results.json does not load: {e}"));
        let back = serde_json::to_string_pretty(&res).unwrap();
        if let Some((i, (a, b))) = json
            .lines()
            .zip(back.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            panic!(
                "{name}: results.json writes back otherwise at line {}: `{a}` became `{b}`",
                i + 1
            );
        }
        assert_eq!(
            back.len(),
            json.len(),
            "{name}: results.json writes back longer or shorter"
        );
        let text = usm_sim::report::text(&res);
        let mut digests = String::new();
        for (file, body) in usm_sim::report::files(&res) {
            let _ = writeln!(
                digests,
                "{file} {} {:016x}",
                body.len(),
                fnv(body.as_bytes())
            );
        }
        for (file, now) in [("report.txt", &text), ("digests.txt", &digests)] {
            let path = dir.join(file);
            if bless {
                std::fs::write(&path, now).expect("writing a golden file");
            } else if std::fs::read_to_string(&path).ok().as_ref() != Some(now) {
                stale.push(format!("{name}/{file}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the report renders differently from its golden files ({}): if that is meant, run \
         `USM_BLESS=1 cargo test --release --test integration report` and commit the diff",
        stale.join(", ")
    );
}

#[test]
fn fnv_hand_values() {
    // The published FNV-1a 64 test vectors.
    assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv(b"foobar"), 0x8594_4171_f739_67e8);
}
