//! The `usm` binary as a user meets it: clear one-line errors, non-zero exits, and nothing
//! half-written in `--out` after a failure.

use std::path::PathBuf;
use std::process::Command;

fn usm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_usm"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("usm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn no_partial_files(out: &std::path::Path) {
    assert!(
        !out.exists(),
        "{} should not exist after a failure",
        out.display()
    );
    let parent = out.parent().unwrap();
    let stem = out.file_name().unwrap().to_string_lossy().to_string();
    for e in std::fs::read_dir(parent).unwrap().flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        assert!(
            !n.starts_with(&format!(".{stem}.partial")),
            "staging folder {n} left behind"
        );
    }
}

#[test]
fn unknown_keys_and_bad_values_are_one_clear_line() {
    let out = temp("badkey");
    let (code, _, err) = usm(&[
        "simulate",
        "--set",
        "survey.rat=0.1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("survey.rat") && err.contains("rate"), "{err}");
    no_partial_files(&out);
    let (code, _, err) = usm(&[
        "simulate",
        "--set",
        "survey.rate=2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("survey.rate") && err.contains("(0, 1]"),
        "{err}"
    );
    no_partial_files(&out);
    let (code, _, err) = usm(&[
        "run",
        "--set",
        "train.epochs=0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("train.epochs"), "{err}");
    no_partial_files(&out);
    let (code, _, err) = usm(&["run", "--scenario", "no-such-preset"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no-such-preset") && err.contains("paper"),
        "{err}"
    );
    let (code, _, _) = usm(&["run", "--replicates", "many"]);
    assert_ne!(code, 0);
}

#[test]
fn a_run_that_fails_midway_leaves_nothing_behind() {
    let out = temp("midway");
    // Far too few surveys to train on: the experiment stops after simulating.
    let (code, _, err) = usm(&[
        "run",
        "--set",
        "population.users=300",
        "--set",
        "survey.rate=0.00001",
        "--set",
        "ab.users=100",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("too few"), "{err}");
    no_partial_files(&out);
}

#[test]
fn simulate_writes_logs_and_a_summary() {
    let out = temp("sim");
    let (code, stdout, err) = usm(&[
        "simulate",
        "--scenario",
        "paper",
        "--set",
        "population.users=500",
        "--set",
        "population.days=2",
        "--set",
        "survey.rate=0.05",
        "--format",
        "both",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("exposures") && stdout.contains("observed (submits, Eq. 2)"),
        "{stdout}"
    );
    for f in [
        "exposures.csv",
        "exposures.parquet",
        "scenario.toml",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The scenario written beside the logs reproduces them.
    let (code, _, err) = usm(&[
        "scenario",
        "--scenario",
        out.join("scenario.toml").to_str().unwrap(),
        "--print",
    ]);
    assert_eq!(code, 0, "{err}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn presets_and_scenario_print() {
    let (code, stdout, _) = usm(&["presets"]);
    assert_eq!(code, 0);
    for p in [
        "paper",
        "no-bias",
        "strong-response-bias",
        "answer-dependent",
        "extreme-rarity",
        "experiment",
    ] {
        assert!(stdout.contains(p), "{p}");
    }
    let (code, stdout, _) = usm(&[
        "scenario",
        "--scenario",
        "answer-dependent",
        "--set",
        "seed=7",
        "--print",
    ]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("answer_dependence = 2.0") && stdout.contains("seed = 7"),
        "{stdout}"
    );
}

#[test]
fn bench_takes_scenario_overrides() {
    let (code, out, err) = usm(&[
        "bench",
        "--quick",
        "--only",
        "sim",
        "--set",
        "feed.candidates=12",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("top-8 of 12 candidates"), "{out}");
    // Repeated runs: a median and a range, each run checked equal to the first.
    let (code, out, err) = usm(&["bench", "--quick", "--only", "sim", "--repeat", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("median of 3 runs (range "), "{out}");
    let (code, _, err) = usm(&["bench", "--quick", "--only", "sim", "--repeat", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("--repeat"), "{err}");
    let (code, _, err) = usm(&["bench", "--quick", "--only", "sim", "--set", "feed.k=0"]);
    assert_ne!(code, 0);
    assert!(err.contains("feed.k"), "{err}");
}
