//! The demo's jobs, run natively exactly as the page's worker runs them (JSON in, JSON out).

use usm_sim::experiment::Event;
use usm_web::job::{
    DEMO_SETS, DeviceChoice, KNOBS, Reply, Request, Simulated, build_config, demo_sets,
    first_look_sets, page_sets, run_json, value_of,
};

fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Seconds since the first call, as the page's clock gives them.
fn clock() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

/// Runs a request through JSON both ways, as the worker does; returns the progress replies
/// and the last.
fn through_json(request: &Request) -> (Vec<Reply>, Reply) {
    let text = serde_json::to_string(request).unwrap();
    let mut seen = Vec::new();
    let last = run_json(
        &text,
        &mut |r| {
            let echoed: Reply = serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap();
            seen.push(echoed);
        },
        &clock,
    );
    let last: Reply = serde_json::from_str(&serde_json::to_string(&last).unwrap()).unwrap();
    (seen, last)
}

/// Simulates `preset` with `pairs` set, through JSON; returns the progress and the result.
fn simulated(preset: &str, pairs: &[(&str, &str)]) -> (Vec<Reply>, Box<Simulated>) {
    let cfg = build_config(preset, &sets(pairs)).unwrap();
    let (seen, last) = through_json(&Request::Simulate {
        config: Box::new(cfg),
    });
    let Reply::Simulated(s) = last else {
        panic!("expected a simulation, got {last:?}");
    };
    (seen, s)
}

#[test]
fn demo_defaults_are_a_valid_experiment() {
    let cfg = build_config("experiment", &sets(&DEMO_SETS)).unwrap();
    assert_eq!(cfg.scenario.population.users, 10_000);
    assert_eq!(cfg.replicates, 1);
    for (name, _) in usm_sim::scenario::PRESETS {
        build_config(name, &sets(&DEMO_SETS)).unwrap_or_else(|e| panic!("preset {name}: {e}"));
    }
}

#[test]
fn every_knob_reads_back_into_the_same_experiment() {
    // The page fills its knobs with `value_of` and sends them back through `set`: for every
    // preset that must give the experiment it started from.
    for (name, _) in usm_sim::scenario::PRESETS {
        let cfg = build_config(name, &sets(&DEMO_SETS)).unwrap();
        let mut back = sets(&DEMO_SETS);
        for k in KNOBS {
            let v =
                value_of(&cfg, k.key).unwrap_or_else(|| panic!("{name}: no value for {}", k.key));
            back.push((k.key.to_string(), v));
        }
        assert_eq!(build_config(name, &back).unwrap(), cfg, "preset {name}");
    }
    let cfg = build_config("experiment", &[]).unwrap();
    assert_eq!(value_of(&cfg, "population.users").as_deref(), Some("80000"));
    assert_eq!(
        value_of(&cfg, "scenario.population.users").as_deref(),
        Some("80000")
    );
    assert_eq!(value_of(&cfg, "replicates").as_deref(), Some("12"));
    assert_eq!(value_of(&cfg, "population.nothing"), None);
}

#[test]
fn a_bad_knob_is_named() {
    let e = build_config("experiment", &sets(&[("population.users", "0")])).unwrap_err();
    assert!(e.to_string().contains("population.users"), "{e}");
    let e = build_config("experiment", &sets(&[("survey.rate", "two")])).unwrap_err();
    assert!(e.to_string().contains("survey.rate"), "{e}");
    let e = build_config("experiment", &sets(&[("willingness.speed", "1")])).unwrap_err();
    assert!(e.to_string().contains("willingness.speed"), "{e}");
    let e = build_config("no-such-preset", &[]).unwrap_err();
    assert!(e.to_string().contains("no-such-preset"), "{e}");
}

#[test]
fn an_unreadable_request_fails_with_a_reason() {
    let last = run_json("{\"kind\": \"dance\"}", &mut |_| {}, &clock);
    match last {
        Reply::Failed { error } => assert!(error.contains("dance"), "{error}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_simulation_reports_progress_and_the_response_bias() {
    let (seen, s) = simulated(
        "strong-response-bias",
        &[
            ("population.users", "3000"),
            ("population.days", "4"),
            ("survey.rate", "0.02"),
            ("ab.users", "1000"),
        ],
    );
    assert!(s.exposures > 0);
    assert_eq!(s.rates.len(), 3);
    assert!(s.chart.starts_with("<svg"));
    assert!(s.summary.contains("exposures"));
    // The simulate stage ends at its total: 4 days of 3000 users.
    let total = seen
        .iter()
        .find_map(|r| match r {
            Reply::Event(Event::Stage { name, total }) if name.starts_with("simulate") => {
                Some(*total)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(total, 12_000);
    let Some(Reply::Event(Event::Progress { pos, .. })) = seen.last() else {
        panic!("no progress: {seen:?}");
    };
    assert_eq!(*pos, total);
    // Willingness tracks sensitivity in this preset: answered surveys overstate "don't like".
    let dislike = &s.rates[0];
    assert!(dislike.answers > 100, "{dislike:?}");
    assert!(
        dislike.observed.unwrap() > dislike.truth_shown.unwrap(),
        "{dislike:?}"
    );
}

#[test]
fn a_simulation_without_answers_says_so_rather_than_fail() {
    // Surveys so rare that none is shown: no observed rate exists, and the reply still
    // crosses JSON.
    let (_, s) = simulated(
        "experiment",
        &[
            ("population.users", "500"),
            ("survey.rate", "0.0000001"),
            ("ab.users", "100"),
        ],
    );
    assert!(s.exposures > 0);
    for r in &s.rates {
        assert_eq!(
            (r.answers, r.observed, r.truth_shown),
            (0, None, None),
            "{r:?}"
        );
        assert!(r.truth > 0.0, "{r:?}");
    }
}

#[test]
fn an_experiment_returns_the_report_files_the_cli_writes() {
    let cfg = build_config(
        "experiment",
        &sets(&[
            ("population.users", "3000"),
            ("replicates", "1"),
            ("pseudo_rows", "20000"),
            ("train.epochs", "2"),
            ("submit_train.epochs", "1"),
            ("ab.users", "1000"),
            ("ab.days", "2"),
        ]),
    )
    .unwrap();
    let (seen, last) = through_json(&Request::Experiment {
        config: Box::new(cfg.clone()),
        device: DeviceChoice::Cpu,
    });
    let Reply::Finished(f) = last else {
        panic!("expected results, got {last:?}");
    };
    assert!(seen.iter().any(
        |r| matches!(r, Reply::Event(Event::Stage { name, .. }) if name.starts_with("train"))
    ));
    assert!(!f.claims.is_empty());
    let names: Vec<&str> = f.files.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "report.html",
        "results.json",
        "scenario.toml",
        "experiment.toml",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".svg")), "{names:?}");
    let json = &f.files.iter().find(|(n, _)| n == "results.json").unwrap().1;
    // Read as JSON, not as `Results`: an interval that is undefined (NaN) is written as null.
    let res: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(res["config"], serde_json::to_value(&cfg).unwrap());
    assert_eq!(res["claims"], serde_json::to_value(&f.claims).unwrap());
    assert!(f.text.contains("claims"));
    // What trained, and how fast: every epoch's rows of all seven networks, over their time
    // (the logistic regression beside them is not a network on the device, and not counted).
    assert_eq!(f.device, "CPU (burn flex)");
    let epochs_rows: u64 = res["training"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| *name != "logistic_regression")
        .map(|(_, t)| t["samples_seen"].as_u64().unwrap())
        .sum();
    assert!(res["training"]["logistic_regression"].is_object());
    assert_eq!(f.training.samples, epochs_rows);
    assert!(
        f.training.seconds > 0.0 && f.training.seconds < f.seconds,
        "{:?}",
        f.training
    );
}

#[test]
fn the_first_look_is_a_complete_experiment_at_its_own_size() {
    // The page's defaults, as its knobs hold them, then the first look's sizes.
    let base = build_config("experiment", &demo_sets()).unwrap();
    let values: Vec<String> = KNOBS
        .iter()
        .map(|k| value_of(&base, k.key).unwrap())
        .collect();
    let cfg = build_config("experiment", &first_look_sets(page_sets(&values, true))).unwrap();
    assert_eq!(cfg.scenario.population.users, 3000);
    assert_eq!(
        (cfg.replicates, cfg.ab.users, cfg.pseudo_rows),
        (1, 1200, 8000)
    );
    // Dense surveys and small batches, so that its models learn from what it collects.
    assert_eq!(cfg.scenario.survey.rate, 0.3);
    assert_eq!(
        (cfg.train.batch_size, cfg.submit_train.batch_size),
        (64, 256)
    );
    let (_, last) = through_json(&Request::Experiment {
        config: Box::new(cfg),
        device: DeviceChoice::Auto,
    });
    let Reply::Finished(f) = last else {
        panic!("expected results, got {last:?}");
    };
    // Rates, the four variants and the claims: a complete result.
    let json = &f.files.iter().find(|(n, _)| n == "results.json").unwrap().1;
    let res: serde_json::Value = serde_json::from_str(json).unwrap();
    for v in [
        "baseline",
        "response_debias",
        "distillation",
        "distillation_response_debias",
    ] {
        assert!(
            res["variants"][v]["heads"]["dislike"]["uauc"].is_number(),
            "{v}"
        );
    }
    assert!(res["rates"]["dislike"]["rate_debiased"].is_number());
    assert!(f.claims.len() >= 10, "{:?}", f.claims);
}

#[test]
fn the_first_look_says_what_it_sets() {
    // Each count it sets is in the words the page shows, so the two cannot drift apart.
    for s in &usm_web::job::FIRST_LOOK {
        if s.value.parse::<u32>().is_ok_and(|n| n > 1) {
            assert!(
                s.why.contains(s.value),
                "{}: {} / {}",
                s.key,
                s.value,
                s.why
            );
        }
    }
    let text = usm_web::job::first_look_text(false, "10000");
    assert!(
        text.contains("3000 users") && text.contains("(10000 users"),
        "{text}"
    );
}

#[test]
fn a_scenario_knob_takes_its_help_and_bounds_from_the_field() {
    use usm_sim::scenario::{Check, Scenario};
    for k in &KNOBS {
        let field = Scenario::field(k.key);
        // A knob with its own help is an experiment key; one without is a scenario field.
        assert_eq!(k.help.is_none(), field.is_some(), "{}", k.key);
        assert!(!k.help().is_empty(), "{}", k.key);
        let Some(f) = field else { continue };
        assert!(
            f.text().starts_with(k.help().trim_end_matches('.')),
            "{}",
            k.key
        );
        // The slider never offers a value the field refuses.
        let (lo, hi, _) = k.slider;
        let ok = |v: f64| match f.check {
            Check::Num(_, _) | Check::Int(_, _) => {
                let mut s = Scenario::default();
                s.set(&format!("{}={v}", k.key)).is_ok() && f.check_in(&s).is_ok()
            }
            Check::AboveUpTo(a, b) => v > a && v <= b,
            _ => true,
        };
        assert!(
            ok(lo) && ok(hi),
            "{}: slider {lo}..{hi} against {}",
            k.key,
            f.check.describe()
        );
    }
}
