//! The directions the paper's story depends on, pinned on small seeded scenarios. Where a
//! correction is expected to fail (answer-dependent response), the test pins the failure.

use usm_sim::datasets::survey_index;
use usm_sim::experiment::names::{ClaimId, GapId};
use usm_sim::experiment::variants::panel_ratios;
use usm_sim::experiment::{AbKey, ExperimentConfig, Metric, Variant, run_experiment};
use usm_sim::heads::HeadDef;
use usm_sim::prelude::*;

use crate::common::{mean_truth, shows_of, simulate, small};

/// True rate among shows, naive rate among submits, Eq. 13 with the true marginal propensity.
fn rates(rows: &[ExposureRecord], h: &HeadDef) -> (f64, f64, f64) {
    let shows = shows_of(rows, h);
    let truth = mean_truth(&shows, h);
    let subs: Vec<&&ExposureRecord> = shows.iter().filter(|r| r.submitted).collect();
    let naive =
        subs.iter().filter(|r| h.label(r.answer, r.reasons)).count() as f64 / subs.len() as f64;
    let k = survey_index(h.survey()).unwrap();
    let (mut num, mut den) = (0.0, 0.0);
    for r in &subs {
        let w = 1.0 / r.oracle.unwrap().p_submit[k] as f64;
        den += w;
        if h.label(r.answer, r.reasons) {
            num += w;
        }
    }
    (truth, naive, num / den)
}

const SIM: [&str; 4] = [
    "population.users=20000",
    "population.days=4",
    "survey.rate=0.03",
    "survey.cap_per_day=3",
];

#[test]
fn no_bias_means_the_naive_rate_is_the_truth() {
    let s = small("no-bias", &SIM);
    let (rows, stats) = simulate(&s, RunOptions::default());
    assert_eq!(stats.shows, stats.submits, "everyone answers");
    for r in rows.iter().filter(|r| r.survey != SurveyKind::None) {
        let o = r.oracle.unwrap();
        let latent = if r.survey == SurveyKind::Satisfaction {
            o.latent_satisfaction
        } else {
            o.latent_inappropriate
        };
        assert_eq!(r.answer, latent);
    }
    let (t, n, _) = rates(&rows, &HeadDef::Dislike);
    assert!((n - t).abs() / t < 0.05, "true {t}, naive {n}");
}

#[test]
fn response_bias_inflates_the_naive_rate_and_true_propensities_fix_it() {
    // Four populations pooled: with weights past 100, one run's Eq. 13 lands within about
    // ±0.015 of the truth (seeds 1-5), as far as a third of the naive bias, and now and then a
    // single heavy weight moves it further (seed 6: +0.10).
    let rows: Vec<ExposureRecord> = (1..=4)
        .flat_map(|seed| {
            let s = small("strong-response-bias", &SIM)
                .with(|s| s.seed = seed)
                .unwrap();
            simulate(&s, RunOptions::default()).0
        })
        .collect();
    for h in [HeadDef::Dislike, HeadDef::Inappropriate] {
        let (t, n, _) = rates(&rows, &h);
        // Sensitive users answer more readily, so the naive rate is too high.
        assert!(n > t * 1.15, "{}: true {t}, naive {n}", h.name());
    }
    // Response depends only on the user here, so inverse true propensities remove the bias on the
    // common head. (On rare heads this spread makes weights past 100, and a handful of reluctant
    // answerers decide Eq. 13: unbiased, but too noisy to pin at this size.)
    let (t, n, d) = rates(&rows, &HeadDef::Dislike);
    assert!(
        (d - t).abs() < (n - t).abs() / 3.0,
        "dislike: true {t}, naive {n}, Eq.13 {d}"
    );
    let max_weight = rows
        .iter()
        .filter(|r| r.submitted && !r.panel)
        .map(|r| 1.0 / r.oracle.unwrap().p_submit[survey_index(r.survey).unwrap()] as f64)
        .fold(0.0, f64::max);
    assert!(max_weight > 100.0, "{max_weight}");
}

#[test]
fn answer_dependent_response_defeats_feature_propensities_but_not_the_panel() {
    let s = small(
        "answer-dependent",
        &[SIM[0], SIM[1], SIM[2], SIM[3], "panel.rate=0.01"],
    );
    let (rows, _) = simulate(&s, RunOptions::default());
    let shows: Vec<ExposureRecord> = rows
        .iter()
        .filter(|r| r.survey != SurveyKind::None && !r.panel)
        .cloned()
        .collect();
    let panel: Vec<ExposureRecord> = rows.iter().filter(|r| r.panel).cloned().collect();
    let ratios = panel_ratios(&shows, &panel);
    for h in [HeadDef::Dislike, HeadDef::Inappropriate] {
        let (t, n, d) = rates(&rows, &h);
        // Even the true feature-level propensity leaves the bias: response depends on the answer.
        assert!(
            d > t * 1.15,
            "{}: true {t}, Eq.13 with true propensity {d}",
            h.name()
        );
        // Naive Bayes over answers with the panel's answer distribution gets much closer.
        let k = survey_index(h.survey()).unwrap();
        let (mut num, mut den) = (0.0, 0.0);
        for r in shows
            .iter()
            .filter(|r| r.submitted && r.survey == h.survey())
        {
            let p = r.oracle.unwrap().p_submit[k] as f64 * ratios[&(r.survey, r.answer)];
            den += 1.0 / p;
            if h.label(r.answer, r.reasons) {
                num += 1.0 / p;
            }
        }
        let nb = num / den;
        assert!(
            (nb - t).abs() < (d - t).abs() / 2.0,
            "{}: true {t}, naive {n}, Eq.13 {d}, with panel {nb}",
            h.name()
        );
    }
}

#[test]
fn a_small_experiment_keeps_the_papers_directions() {
    let mut cfg = ExperimentConfig::default();
    for a in [
        "population.users=30000",
        "replicates=1",
        "ab.users=3000",
        "ab.days=2",
        "pseudo_rows=60000",
        "train.epochs=5",
    ] {
        cfg.set(a).unwrap();
    }
    let exp = cfg.check().unwrap();
    let res = run_experiment(&exp, &burn::prelude::Device::flex(), &mut |_| {}, &|| 0.0).unwrap();
    let v = |variant: Variant, head: HeadDef, k: Metric| {
        res.variants[&variant].heads[&head].get(k).unwrap()
    };
    let heads = [HeadDef::Dislike, HeadDef::Inappropriate, HeadDef::SEXUAL];
    // results.json carries what docs/results-schema.md promises.
    let json = serde_json::to_value(&res).unwrap();
    for variant in [
        "baseline",
        "response_debias",
        "distillation",
        "distillation_response_debias",
    ] {
        for head in ["dislike", "inappropriate", "sexual"] {
            for k in [
                "labeled_auc",
                "labeled_calibration",
                "oracle_auc_shown",
                "oracle_calibration_shown",
                "oracle_auc_exposed",
                "uauc",
            ] {
                assert!(
                    json["variants"][variant]["heads"][head][k].is_number(),
                    "{variant}/{head}/{k}"
                );
            }
        }
    }
    for head in ["dislike", "inappropriate", "sexual"] {
        for k in ["rate_true", "rate_naive", "rate_debiased"] {
            assert!(json["rates"][head][k].is_number(), "rates/{head}/{k}");
        }
    }
    // The teacher sees what happened after the exposure: it beats the baseline on labels. Pinned
    // on the common heads: at this size the sexual head has 25 positive answers in the whole
    // run (seed 42), under ten among the 2,700 evaluation submits, so its label AUC is mostly
    // noise (teacher ahead at seeds 1, 2, 3 and 43 by 0.06 to 0.17, behind at 42: 0.586
    // against 0.612).
    for head in [HeadDef::Dislike, HeadDef::Inappropriate] {
        let teacher = res.teacher[&head].get(Metric::LABELED_AUC).unwrap();
        let baseline = v(Variant::Baseline, head, Metric::LABELED_AUC);
        assert!(
            teacher > baseline,
            "teacher on {head}: {teacher} vs baseline {baseline}"
        );
    }
    // The dislike rate is inflated by who answers, and Eq. 13 moves it toward the truth.
    let r = &res.rates[&HeadDef::Dislike];
    let (t, n, d) = (
        r.get(Metric::RATE_TRUE).unwrap(),
        r.get(Metric::RATE_NAIVE).unwrap(),
        r.get(Metric::RATE_DEBIASED).unwrap(),
    );
    assert!(
        n > t * 1.1 && (d - t).abs() < (n - t).abs(),
        "true {t}, naive {n}, Eq.13 {d}"
    );
    // Distillation improves the paper's UAUC, averaged over heads as the claim is.
    let mean_uauc = |variant: Variant| {
        heads
            .iter()
            .map(|h| v(variant, *h, Metric::UAUC))
            .sum::<f64>()
            / 3.0
    };
    let (d, b) = (
        mean_uauc(Variant::Distillation),
        mean_uauc(Variant::Baseline),
    );
    assert!(d > b, "{d} vs {b}");
    // The claims' gap is that difference, with a standard error over the evaluation users; every
    // gap without the panel is there, and with one replicate its claim has no interval.
    let gap = res.comparisons[&GapId::DistillationUauc][0].unwrap();
    assert!((gap.value - (d - b)).abs() < 1e-12, "{gap:?} vs {}", d - b);
    assert!(gap.se > 0.0 && gap.se < 0.05, "{gap:?}");
    for g in usm_sim::experiment::gaps::GAPS {
        // (A band of the rare sexual head may lack a class at this size.)
        if !g.id.name().contains("band") {
            assert_eq!(
                res.comparisons.contains_key(&g.id),
                !g.id.name().starts_with("panel"),
                "{}",
                g.id
            );
        }
    }
    // One replicate: the gap's claim is decided in this world, by its users' interval.
    let c = res
        .claims
        .iter()
        .find(|c| c.id == ClaimId::DistillationImprovesUauc)
        .unwrap();
    assert_eq!(
        c.scope,
        Some(usm_sim::experiment::results::Scope::InThisWorld),
        "{c:?}"
    );
    assert!(
        c.verdict.decided() || c.evidence.contains("in this world"),
        "{c:?}"
    );
    // Ranking with any variant lowers true bad exposures, with an interval below zero.
    for (t, metrics) in &res.ab {
        let m = &metrics[&AbKey::TrueRate(HeadDef::Dislike)];
        assert!(m.ci95[1] < 0.0, "{t}: {m:?}");
        assert!(metrics[&AbKey::Retention].rel_change > -0.01, "{t}");
    }
    assert_eq!(
        res.claims
            .iter()
            .filter(|c| c.id == ClaimId::AbLowersTrueRates)
            .count(),
        1
    );
}

#[test]
fn with_a_panel_the_doubly_robust_rate_corrects_what_eq13_cannot() {
    // Answering depends on the answer itself, and willingness follows sensitivity too: Eq. 13
    // on feature-level propensities stays far off; the panel's answer-dependent propensities,
    // conditional on the features, bring the doubly robust rate near the truth.
    let mut cfg = ExperimentConfig {
        scenario: Scenario::preset("answer-dependent").unwrap(),
        ..ExperimentConfig::default()
    };
    for a in [
        "population.users=20000",
        "replicates=1",
        "ab.enabled=false",
        "pseudo_rows=30000",
        "train.epochs=4",
    ] {
        cfg.set(a).unwrap();
    }
    let exp = cfg.check().unwrap();
    let res = run_experiment(&exp, &burn::prelude::Device::flex(), &mut |_| {}, &|| 0.0).unwrap();
    for h in [HeadDef::Dislike, HeadDef::Inappropriate] {
        let r = &res.rates[&h];
        let (t, eq13, dr) = (
            r.get(Metric::RATE_TRUE).unwrap(),
            r.get(Metric::RATE_DEBIASED).unwrap(),
            r.get(Metric::RATE_DR).unwrap(),
        );
        assert!(
            (dr - t).abs() < (eq13 - t).abs() / 3.0,
            "{h}: true {t}, Eq. 13 {eq13}, doubly robust {dr}"
        );
    }
}
