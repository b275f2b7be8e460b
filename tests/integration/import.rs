//! `usm fit` on logs: the simulator's own logs, written as a platform would (no oracle), go
//! through the whole pipeline; the random slice takes the oracle's place; the same command gives
//! the same results.

use usm_sim::experiment::{Experiment, ExperimentConfig, Metric, Results, Variant, fit};
use usm_sim::heads::HeadDef;
use usm_sim::logs::set::files;
use usm_sim::logs::{Format, PartitionedWriter};
use usm_sim::prelude::*;

use crate::common::{simulate, small, temp_dir};

/// A small experiment for imported logs: the last day evaluates.
fn experiment() -> Experiment {
    let mut cfg = ExperimentConfig::default();
    for a in [
        "ab.enabled=false",
        "replicates=1",
        "eval_days=1",
        "pseudo_rows=20000",
        "train.epochs=2",
        "submit_train.epochs=2",
    ] {
        cfg.set(a).unwrap();
    }
    cfg.check().unwrap()
}

/// Simulated logs with a random slice, as a day-partitioned Parquet set.
fn logs(name: &str, oracle: bool) -> std::path::PathBuf {
    let s = small(
        "experiment",
        &[
            "population.users=4000",
            "population.days=3",
            "survey.rate=0.03",
            "panel.rate=0.01",
        ],
    );
    let (rows, _) = simulate(&s, RunOptions::default());
    let dir = temp_dir(name);
    let mut w = PartitionedWriter::create(&dir, Format::Parquet, oracle).unwrap();
    w.write(&rows).unwrap();
    w.finish().unwrap();
    dir
}

fn fitted(dir: &std::path::Path) -> Results {
    let set = files(dir).unwrap();
    fit(
        &set,
        &experiment(),
        &burn::prelude::Device::flex(),
        &mut |_| {},
        &|| 0.0,
    )
    .unwrap()
}

#[test]
fn fit_on_platform_logs_uses_the_random_slice_in_the_oracles_place() {
    let dir = logs("fit-no-oracle", false);
    let res = fitted(&dir);
    let src = res.logs.as_ref().expect("the source is recorded");
    assert_eq!((src.files, src.days, src.eval_from), (3, [0, 2], 2));
    assert!(!src.oracle && src.random_slice[0] > 0 && src.random_slice[1] > 0);
    assert!(res.ab.is_empty() && res.reference.is_empty());
    for v in [
        Variant::Baseline,
        Variant::ResponseDebias,
        Variant::Distillation,
    ] {
        for h in [HeadDef::Dislike, HeadDef::Inappropriate] {
            let m = &res.variants[&v].heads[&h];
            for k in [
                Metric::LABELED_AUC,
                Metric::RANDOM_AUC,
                Metric::RANDOM_CALIBRATION,
                Metric::RANDOM_LOGLOSS,
            ] {
                assert!(m.get(k).is_some_and(f64::is_finite), "{v}/{h}/{k:?}");
            }
            // Nothing against a truth the logs do not have.
            assert!(m.get(Metric::ORACLE_AUC_SHOWN).is_none(), "{v}/{h}");
        }
    }
    let rates = &res.rates[&HeadDef::Dislike];
    for k in [
        Metric::RATE_NAIVE,
        Metric::RATE_DEBIASED,
        Metric::RANDOM_RATE,
        Metric::RATE_DR,
        Metric::RATE_IPW_PANEL,
    ] {
        assert!(rates.get(k).is_some(), "{k:?}");
    }
    assert!(rates.get(Metric::RATE_TRUE).is_none());
    assert!(res.submit_model.get(Metric::AUC).is_some());
    assert!(
        res.submit_model
            .get(Metric::CORR_WITH_TRUE_PROPENSITY)
            .is_none()
    );
    let text = usm_sim::report::text(&res);
    assert!(
        text.contains("Against the random slice") && !text.contains("Against the oracle"),
        "{text}"
    );
    assert!(usm_sim::report::html(&res).contains("logs <code>"));
    // Only the claims that need no truth are checked, and none quotes a missing value.
    assert!(!res.claims.is_empty());
    for c in &res.claims {
        assert!(!c.evidence.contains("NaN"), "{}: {}", c.id, c.evidence);
    }
    // Seeded: the same command gives the same results; `sim/tests/cli.rs` checks it in separate
    // processes (here other tests train models in the same process at the same time).
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fit_on_logs_with_the_oracle_scores_against_the_truth_too() {
    let dir = logs("fit-oracle", true);
    let res = fitted(&dir);
    assert!(res.logs.as_ref().unwrap().oracle);
    let m = &res.variants[&Variant::ResponseDebias].heads[&HeadDef::Dislike];
    assert!(m.get(Metric::ORACLE_AUC_SHOWN).is_some());
    assert!(
        res.rates[&HeadDef::Dislike]
            .get(Metric::RATE_TRUE)
            .is_some()
    );
    // The ceiling propensity needs the simulator's population, which logs do not carry.
    assert!(
        res.submit_model
            .get(Metric::AUC_CEILING_PROPENSITY)
            .is_none()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fit_refuses_an_evaluation_period_that_leaves_no_training_day() {
    let dir = logs("fit-days", false);
    let set = files(&dir).unwrap();
    let mut cfg = experiment().into_config();
    cfg.set("eval_days=3").unwrap();
    let e = fit(
        &set,
        &cfg.check().unwrap(),
        &burn::prelude::Device::flex(),
        &mut |_| {},
        &|| 0.0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("eval_days") && e.contains("days 0..=2"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
