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
        "exposures/day=0/part-0.parquet",
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

/// The repository's `tests/data` folder.
fn data(name: &str) -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/").to_string() + name
}

/// `usm fit` sizes small enough for a test.
const FIT_QUICK: [&str; 8] = [
    "--set",
    "train.epochs=2",
    "--set",
    "submit_train.epochs=2",
    "--set",
    "pseudo_rows=5000",
    "--seed",
    "3",
];

#[test]
fn validate_and_fit_read_the_simulators_partitioned_logs() {
    let sim = temp("fit-sim");
    let (code, _, err) = usm(&[
        "simulate",
        "--scenario",
        "paper",
        "--set",
        "population.users=1500",
        "--set",
        "population.days=3",
        "--set",
        "survey.rate=0.05",
        "--set",
        "panel.rate=0.01",
        "--no-oracle",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let logs = sim.join("exposures");
    for d in 0..3 {
        assert!(
            logs.join(format!("day={d}/part-0.parquet")).is_file(),
            "day {d}"
        );
    }
    let (code, out, err) = usm(&["validate", "--logs", logs.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("no problems found") && out.contains("3 file(s)"),
        "{out}"
    );
    let fit = temp("fit-out");
    let mut args = vec![
        "fit",
        "--logs",
        logs.to_str().unwrap(),
        "--set",
        "eval_days=1",
        "--out",
        fit.to_str().unwrap(),
    ];
    args.extend(FIT_QUICK);
    let (code, out, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Against the random slice"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fit.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["logs"]["format"], "log");
    assert_eq!(json["logs"]["oracle"], false);
    assert!(json["variants"]["baseline"]["heads"]["dislike"]["random_auc"].is_number());
    assert!(fit.join("report.html").is_file() && !fit.join("scenario.toml").exists());
    // Seeded: the same command gives the same results.json, the wall-clock seconds aside.
    let again = temp("fit-again");
    let out_flag = args.iter().position(|a| *a == "--out").unwrap() + 1;
    args[out_flag] = again.to_str().unwrap();
    let (code, _, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let read = |d: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("results.json")).unwrap())
                .unwrap();
        v.as_object_mut().unwrap().remove("seconds");
        v
    };
    assert!(read(&fit) == read(&again), "two runs of one command differ");
    let _ = std::fs::remove_dir_all(again);
    let _ = std::fs::remove_dir_all(sim);
    let _ = std::fs::remove_dir_all(fit);
}

#[test]
fn validate_lists_every_problem_and_fit_refuses_the_logs() {
    let sim = temp("bad-sim");
    let (code, _, err) = usm(&[
        "simulate",
        "--scenario",
        "paper",
        "--set",
        "population.users=100",
        "--set",
        "population.days=2",
        "--set",
        "survey.rate=0.05",
        "--format",
        "csv",
        "--no-oracle",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let path = sim.join("exposures.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let col = |name: &str| lines[0].split(',').position(|h| h == name).unwrap();
    let (age, frac) = (col("user_age"), col("watch_fraction"));
    for (row, c, v) in [(4, age, "old"), (9, frac, "NaN")] {
        let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
        cells[c] = v.into();
        lines[row] = cells.join(",");
    }
    std::fs::write(&path, lines.join("\r\n")).unwrap();
    let (code, out, _) = usm(&["validate", "--logs", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("2 problem(s)")
            && out.contains("repaired: CRLF line endings, read as LF, in 1 file(s)")
            && out.contains("row 4, column `user_age`")
            && out.contains("row 9, column `watch_fraction`"),
        "{out}"
    );
    let fit = temp("bad-fit");
    let (code, _, err) = usm(&[
        "fit",
        "--logs",
        path.to_str().unwrap(),
        "--out",
        fit.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("2 problem(s)") && err.contains("row 4"),
        "{err}"
    );
    no_partial_files(&fit);
    let _ = std::fs::remove_dir_all(sim);
}

#[test]
fn fit_reads_the_ratings_example_sparse_and_dense() {
    let (code, out, err) = usm(&[
        "validate",
        "--logs",
        &data("ratings"),
        "--format",
        "ratings",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("180 self-selected ratings"), "{out}");
    let fit = temp("fit-ratings");
    let d = data("ratings");
    let mut args = vec![
        "fit",
        "--logs",
        &d,
        "--format",
        "ratings",
        "--rating-threshold",
        "4",
        "--out",
        fit.to_str().unwrap(),
    ];
    args.extend(FIT_QUICK);
    let (code, out, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fit.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["logs"]["format"], "ratings");
    let rates = &json["rates"]["dislike"];
    assert!(
        rates["random_rate"].is_number() && rates["rate_naive"].is_number(),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&fit);
    // The same ratings as dense matrices (0: missing) read alike.
    let dense = temp("dense");
    std::fs::create_dir_all(&dense).unwrap();
    for f in ["train.csv", "test.csv"] {
        let text = std::fs::read_to_string(format!("{}/{f}", data("ratings"))).unwrap();
        let mut m = vec![vec![0u32; 30]; 40];
        for l in text.lines().skip(1) {
            let v: Vec<usize> = l.split(',').map(|x| x.parse().unwrap()).collect();
            m[v[0]][v[1]] = v[2] as u32;
        }
        let body: Vec<String> = m
            .iter()
            .map(|r| r.iter().map(u32::to_string).collect::<Vec<_>>().join(" "))
            .collect();
        std::fs::write(dense.join(f), body.join("\n")).unwrap();
    }
    let (code, out, err) = usm(&[
        "validate",
        "--logs",
        dense.to_str().unwrap(),
        "--format",
        "ratings-dense",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("180 self-selected ratings") && out.contains("160 random"),
        "{out}"
    );
    // A random pair that repeats a self-selected one is kept in both and counted; dropped
    // from the random ratings on request; or refused, naming both rows.
    let train = std::fs::read_to_string(format!("{}/train.csv", data("ratings"))).unwrap();
    let first = train.lines().nth(1).unwrap().to_string();
    let overlap = temp("overlap");
    std::fs::create_dir_all(&overlap).unwrap();
    std::fs::write(overlap.join("train.csv"), &train).unwrap();
    let test = std::fs::read_to_string(format!("{}/test.csv", data("ratings"))).unwrap();
    std::fs::write(overlap.join("test.csv"), format!("{test}{first}\n")).unwrap();
    let validate = |extra: &[&str]| {
        let mut args = vec![
            "validate",
            "--logs",
            overlap.to_str().unwrap(),
            "--format",
            "ratings",
        ];
        args.extend(extra);
        usm(&args)
    };
    let (code, out, err) = validate(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("161 random test ratings")
            && out.contains("1 random test pair(s) of 161 (0.6%) repeat a self-selected pair")
            && out.contains("kept in both"),
        "{out}"
    );
    let (code, out, err) = validate(&["--ratings-overlap", "drop-from-test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("160 random test ratings") && out.contains("dropped from the random"),
        "{out}"
    );
    let (code, out, _) = validate(&["--ratings-overlap", "error"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("row 161") && out.contains("also rated in") && out.contains("row 1"),
        "{out}"
    );
    // Every random rating a repeat, all dropped: named, not an empty random slice.
    std::fs::write(
        overlap.join("test.csv"),
        format!("user,item,rating\n{first}\n"),
    )
    .unwrap();
    let (code, out, _) = validate(&["--ratings-overlap", "drop-from-test"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("dropped them all"), "{out}");
    // A rating outside the declared scale names its file, row and column.
    std::fs::write(overlap.join("test.csv"), format!("{test}39,29,7\n")).unwrap();
    let (code, out, _) = validate(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("test.csv, row 161, column `rating`: 7 is outside the declared scale 1..5"),
        "{out}"
    );
    let (code, out, err) = validate(&["--rating-scale", "1,10"]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = std::fs::remove_dir_all(dense);
    let _ = std::fs::remove_dir_all(overlap);
}

/// The simulated twin of a published missing-not-at-random data set: answer-dependent
/// willingness, so that the self-selected ratings over-state dislikes. The naive-Bayes
/// propensity's Eq. 13 lands on the random slice's rate (its difference within that
/// difference's 95% interval) and closes at least 80% of the naive rate's gap to it, where the
/// naive rate is outside the random slice's interval.
#[test]
fn the_ratings_twin_recovers_the_random_slice() {
    let twin = temp("ratings-twin");
    let (code, out, err) = usm(&[
        "simulate",
        "--scenario",
        "answer-dependent",
        "--set",
        "population.users=10000",
        "--set",
        "survey.rate=0.02",
        "--set",
        "panel.rate=0.002",
        "--format",
        "ratings",
        "--out",
        twin.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for f in [
        "train.csv",
        "test.csv",
        "user_features.csv",
        "item_features.csv",
    ] {
        assert!(twin.join(f).is_file(), "{f}: {out}");
    }
    let fit = temp("ratings-twin-fit");
    let mut args = vec![
        "fit",
        "--logs",
        twin.to_str().unwrap(),
        "--format",
        "ratings",
        "--out",
        fit.to_str().unwrap(),
    ];
    args.extend(FIT_QUICK);
    let (code, out, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fit.join("results.json")).unwrap()).unwrap();
    let rates = &json["rates"]["dislike"];
    let get = |k: &str| {
        rates["values"][k]
            .as_f64()
            .or(rates[k].as_f64())
            .unwrap_or_else(|| panic!("{k}: {rates}"))
    };
    let (random, rse) = (get("random_rate"), get("random_rate_se"));
    let (naive, nb, nbse) = (
        get("rate_naive"),
        get("rate_ipw_naive_bayes"),
        get("rate_ipw_naive_bayes_se"),
    );
    assert!((naive - random).abs() > 1.96 * rse, "{rates}");
    assert!(
        (nb - random).abs() <= 1.96 * (nbse * nbse + rse * rse).sqrt(),
        "naive Bayes {nb} ± {nbse} against the random slice {random} ± {rse}"
    );
    assert!(
        (nb - random).abs() <= 0.2 * (naive - random).abs(),
        "naive Bayes {nb} closes under 80% of the gap from {naive} to {random}"
    );
    assert!(out.contains("Eq. 13, naive Bayes"), "{out}");
    let _ = std::fs::remove_dir_all(twin);
    let _ = std::fs::remove_dir_all(fit);
}

#[test]
fn fit_reads_the_open_bandit_sample() {
    let fit = temp("fit-obd");
    let d = data("obd");
    let mut args = vec![
        "fit",
        "--logs",
        &d,
        "--format",
        "obd",
        // The first 2,000 rounds span 2 days.
        "--set",
        "eval_days=1",
        "--out",
        fit.to_str().unwrap(),
    ];
    args.extend(FIT_QUICK);
    let (code, out, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fit.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["logs"]["format"], "obd");
    assert!(
        json["submit_model"]["corr_with_logged_propensity"].is_number(),
        "{out}"
    );
    let rates = &json["rates"]["dislike"];
    for k in [
        "rate_naive",
        "rate_debiased",
        "rate_debiased_logged_propensity",
        "random_rate",
    ] {
        assert!(rates[k].is_number(), "{k}: {out}");
    }
    let _ = std::fs::remove_dir_all(fit);
}

/// A run small enough for a test, with the A/B test: 3 replicates.
const RUN_SMALL: [&str; 16] = [
    "--replicates",
    "3",
    "--set",
    "population.users=3000",
    "--set",
    "pseudo_rows=20000",
    "--set",
    "train.epochs=2",
    "--set",
    "submit_train.epochs=1",
    "--set",
    "ab.users=1000",
    "--set",
    "ab.days=2",
    "--seed",
    "5",
];

/// `results.json` without its seconds.
fn results_without_seconds(dir: &std::path::Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("seconds");
    v
}

/// Three replicates as three shards, pooled, are the run of three on one machine (seconds
/// aside); a missing shard, a part of another run and a file that is not a part are each a
/// named error that writes nothing.
#[test]
fn shards_pool_into_the_run_of_one_machine() {
    let whole = temp("pool-whole");
    let mut args = vec!["run", "--out", whole.to_str().unwrap()];
    args.extend(RUN_SMALL);
    let (code, _, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let parts = temp("pool-parts");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let mut args = vec!["run", "--shard", &shard, "--out", parts.to_str().unwrap()];
        args.extend(RUN_SMALL);
        let (code, _, err) = usm(&args);
        assert_eq!(code, 0, "{err}");
        assert!(parts.join(format!("part-{i}-of-3.json")).is_file(), "{err}");
    }
    let pooled = temp("pool-pooled");
    let (code, out, err) = usm(&[
        "pool",
        parts.to_str().unwrap(),
        "--out",
        pooled.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("claims"), "{out}");
    assert_eq!(
        results_without_seconds(&pooled),
        results_without_seconds(&whole)
    );
    assert_eq!(
        std::fs::read_to_string(pooled.join("table-claims.csv")).unwrap(),
        std::fs::read_to_string(whole.join("table-claims.csv")).unwrap()
    );
    // A shard missing: named, nothing written.
    let failed = temp("pool-failed");
    let one = parts.join("part-1-of-3.json");
    let two = parts.join("part-2-of-3.json");
    let (code, _, err) = usm(&[
        "pool",
        one.to_str().unwrap(),
        two.to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("1 of the run's 3 replicates are missing (2): run shard(s) 3/3"),
        "{err}"
    );
    no_partial_files(&failed);
    // A part of another run (another seed): named.
    let other = temp("pool-other");
    let mut args = vec!["run", "--shard", "3/3", "--out", other.to_str().unwrap()];
    args.extend(RUN_SMALL);
    *args.last_mut().unwrap() = "6";
    let (code, _, err) = usm(&args);
    assert_eq!(code, 0, "{err}");
    let three = other.join("part-3-of-3.json");
    let (code, _, err) = usm(&[
        "pool",
        one.to_str().unwrap(),
        two.to_str().unwrap(),
        three.to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("part-3-of-3.json") && err.contains("configuration differs"),
        "{err}"
    );
    no_partial_files(&failed);
    // Not a part, and a bad shard.
    let (code, _, err) = usm(&[
        "pool",
        whole.join("results.json").to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("not a part"), "{err}");
    no_partial_files(&failed);
    let (code, _, err) = usm(&["run", "--shard", "4/3", "--out", failed.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("shard") && err.contains("4/3"), "{err}");
    for d in [whole, parts, pooled, other] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A sweep of 2 points × 2 replicates as 3 shards, pooled, is the sweep of one machine: the
/// same table and each point's `results.json` (seconds aside).
#[test]
fn sweep_shards_pool_into_the_sweep_of_one_machine() {
    let sweep = |extra: &[&str], out: &std::path::Path| {
        let mut args = vec![
            "sweep",
            "--param",
            "willingness.spread",
            "--values",
            "0.5,1.5",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(&RUN_SMALL[2..]);
        args.extend(["--replicates", "2"]);
        args.extend(extra);
        usm(&args)
    };
    let whole = temp("sweep-whole");
    let (code, _, err) = sweep(&[], &whole);
    assert_eq!(code, 0, "{err}");
    let parts = temp("sweep-parts");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let (code, _, err) = sweep(&["--shard", &shard], &parts);
        assert_eq!(code, 0, "{err}");
    }
    let pooled = temp("sweep-pooled");
    let (code, _, err) = usm(&[
        "pool",
        parts.to_str().unwrap(),
        "--out",
        pooled.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(pooled.join("sweep.csv")).unwrap(),
        std::fs::read_to_string(whole.join("sweep.csv")).unwrap()
    );
    for point in ["point-0.5", "point-1.5"] {
        assert_eq!(
            results_without_seconds(&pooled.join(point)),
            results_without_seconds(&whole.join(point)),
            "{point}"
        );
    }
    // A shard missing: named.
    let failed = temp("sweep-failed");
    let (code, _, err) = usm(&[
        "pool",
        parts.join("sweep-part-1-of-3.json").to_str().unwrap(),
        parts.join("sweep-part-3-of-3.json").to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("1 of the sweep's 4 runs are missing: run shard(s) 2/3"),
        "{err}"
    );
    no_partial_files(&failed);
    for d in [whole, parts, pooled] {
        let _ = std::fs::remove_dir_all(d);
    }
}
