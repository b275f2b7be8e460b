//! The paper's claims, checked against aggregated results, honestly: a claim that fails is
//! reported as failing. Each comparison is paired by replicate; with two or more replicates a
//! claim holds or fails only when the 95% interval of the difference excludes zero, and is
//! inconclusive otherwise.

use super::names::{AbKey, Metric, Variant};
use super::results::{Claim, Metrics, Results, mean_ci};

/// A paired comparison across replicates: per replicate a difference, then its mean and
/// t-interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    /// Mean of the differences.
    pub mean: Option<f64>,
    /// Its 95% t-interval (two or more replicates).
    pub ci: Option<[f64; 2]>,
    /// Replicates with a difference.
    pub n: usize,
}

impl Paired {
    /// The comparison of per-replicate differences.
    pub fn of(values: Vec<Option<f64>>) -> Paired {
        let n = values.iter().flatten().count();
        let (mean, ci) = mean_ci(&values);
        Paired { mean, ci, n }
    }

    /// `Some(true)` when the mean is above zero and, with two or more replicates, the interval
    /// excludes zero; `Some(false)` when it is at or below zero likewise; `None` when the interval
    /// straddles zero (inconclusive) or nothing was measured.
    pub fn verdict(&self) -> Option<bool> {
        let m = self.mean?;
        match self.ci {
            Some([lo, _]) if lo > 0.0 => Some(true),
            Some([_, hi]) if hi <= 0.0 => Some(false),
            Some(_) => None,
            None => Some(m > 0.0),
        }
    }

    /// The mean and interval in words, times `scale`.
    pub fn show(&self, scale: f64, unit: &str) -> String {
        match (self.mean, self.ci) {
            (Some(m), Some([a, b])) => format!(
                "{:+.4}{unit} [{:+.4}, {:+.4}] over {} replicates",
                m * scale,
                a * scale,
                b * scale,
                self.n
            ),
            (Some(m), None) => format!("{:+.4}{unit} (one replicate, no interval)", m * scale),
            _ => "n/a".into(),
        }
    }
}

/// Per-replicate values of a metric, or `None`s when there is no such metrics block.
fn series(m: Option<&Metrics>, k: Metric, reps: usize) -> Vec<Option<f64>> {
    match m {
        Some(m) => m.series(k),
        None => vec![None; reps.max(1)],
    }
}

/// Element by element, where both are defined.
pub fn zip_with(
    a: &[Option<f64>],
    b: &[Option<f64>],
    f: impl Fn(f64, f64) -> f64,
) -> Vec<Option<f64>> {
    a.iter()
        .zip(b)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Some(f(*x, *y)),
            _ => None,
        })
        .collect()
}

/// Mean over heads of a per-replicate series; `None` in a replicate where a head lacks it.
fn over_heads(
    res: &Results,
    variant: Variant,
    k: Metric,
    f: impl Fn(f64) -> f64,
) -> Vec<Option<f64>> {
    let reps = res.seeds.len();
    let Some(v) = res.variants.get(&variant) else {
        return vec![None; reps];
    };
    let per: Vec<Vec<Option<f64>>> = v.heads.values().map(|m| series(Some(m), k, reps)).collect();
    (0..per.first().map_or(0, |p| p.len()))
        .map(|r| {
            let xs: Vec<f64> = per.iter().filter_map(|p| p[r]).map(&f).collect();
            (xs.len() == per.len() && !xs.is_empty())
                .then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        })
        .collect()
}

/// Per replicate: the head-averaged `metric` (through `f`) of variant `a` minus that of `b`.
fn variant_gap(
    res: &Results,
    (a, b): (Variant, Variant),
    metric: Metric,
    f: fn(f64) -> f64,
) -> Vec<Option<f64>> {
    zip_with(
        &over_heads(res, a, metric, f),
        &over_heads(res, b, metric, f),
        |x, y| x - y,
    )
}

/// A claim over several parts: fails if any part fails, holds if all hold, else inconclusive.
pub fn all_of(verdicts: &[Option<bool>]) -> Option<bool> {
    if verdicts.is_empty() {
        return None;
    }
    if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.iter().all(|v| *v == Some(true)) {
        Some(true)
    } else {
        None
    }
}

/// Whether a relative change with interval `ci` is a decrease (`Some(true)`), an increase
/// (`Some(false)`) or neither.
pub fn lowered(ci: [f64; 2]) -> Option<bool> {
    if ci[1] < 0.0 {
        Some(true)
    } else if ci[0] > 0.0 {
        Some(false)
    } else {
        None
    }
}

/// Checks the paper's claims (and the panel extension) against aggregated results.
pub fn check_claims(res: &Results) -> Vec<Claim> {
    let why_ad = answer_dependence_note(res);
    let [biased, toward] = rate_claims(res, &why_ad);
    let mut claims = vec![biased, toward];
    claims.extend(response_debias_claims(res, &why_ad));
    claims.extend(distillation_claims(res));
    claims.extend(ab_claim(res));
    claims.extend(panel_claims(res));
    claims
}

/// Why the corrections cannot remove the bias when answering depends on the answer.
fn answer_dependence_note(res: &Results) -> String {
    let ad = res.config.scenario.willingness.answer_dependence;
    if ad != 0.0 {
        format!(
            " Response here depends on the answer itself (willingness.answer_dependence = {ad}): a submit model that sees only user and item features cannot learn that, so inverse propensity weights from it cannot remove the bias; `rate_debiased_true_propensity` shows that even the true feature-level propensity does not."
        )
    } else {
        String::new()
    }
}

/// Claims 1 and 2: the naive rate is biased, and Eq. 13 moves it toward the truth.
fn rate_claims(res: &Results, why_ad: &str) -> [Claim; 2] {
    let reps = res.seeds.len();
    let (mut v1, mut v2, mut ev1, mut ev2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (h, m) in &res.rates {
        let t = series(Some(m), Metric::RATE_TRUE, reps);
        let n = series(Some(m), Metric::RATE_NAIVE, reps);
        let d = series(Some(m), Metric::RATE_DEBIASED, reps);
        let bias = Paired::of(zip_with(&n, &t, |n, t| ((n - t) / t).abs()));
        let gain = Paired::of(zip_with(
            &zip_with(&n, &t, |n, t| (n - t).abs()),
            &zip_with(&d, &t, |d, t| (d - t).abs()),
            |a, b| a - b,
        ));
        // Biased: the naive rate's relative error exceeds 5% (with an interval, all of it does).
        let b = Paired::of(zip_with(&n, &t, |n, t| ((n - t) / t).abs() - 0.05));
        v1.push(b.verdict());
        v2.push(gain.verdict());
        ev1.push(format!(
            "{h}: true {:.4}, naive {:.4}, relative error {}",
            m.get(Metric::RATE_TRUE).unwrap_or(f64::NAN),
            m.get(Metric::RATE_NAIVE).unwrap_or(f64::NAN),
            bias.show(100.0, "%")
        ));
        ev2.push(format!(
            "{h}: |naive - true| - |Eq.13 - true| = {}",
            gain.show(1.0, "")
        ));
    }
    [
        Claim {
            id: "naive_rate_biased".into(),
            statement: "The naive survey issue rate (Eq. 2) is off the true rate by more than 5% for some head".into(),
            holds: if v1.contains(&Some(true)) {
                Some(true)
            } else {
                all_of(&v1)
            },
            evidence: ev1.join("; "),
        },
        Claim {
            id: "eq13_moves_toward_truth".into(),
            statement: "The debiased rate (Eq. 13) is closer to the true rate than the naive rate, for every head".into(),
            holds: all_of(&v2),
            evidence: ev2.join("; ") + why_ad,
        },
    ]
}

/// Claims 3 to 5: response debias against the baseline, over all shows and by willingness.
fn response_debias_claims(res: &Results, why_ad: &str) -> [Claim; 3] {
    let pair = (Variant::ResponseDebias, Variant::Baseline);
    let gain_auc = Paired::of(variant_gap(res, pair, Metric::ORACLE_REGAUC_SHOWN, |x| x));
    let gain_cal = Paired::of(variant_gap(
        res,
        (Variant::Baseline, Variant::ResponseDebias),
        Metric::ORACLE_CALIBRATION_SHOWN,
        f64::abs,
    ));
    let rel = variant_gap(res, pair, Metric::ORACLE_REGAUC_RELUCTANT, |x| x);
    let wil = variant_gap(res, pair, Metric::ORACLE_REGAUC_WILLING, |x| x);
    let most = Paired::of(zip_with(&rel, &wil, |r, w| r - w));
    [
        Claim {
            id: "response_debias_improves_oracle_auc".into(),
            statement: "Response debias ranks all survey shows (answerers and non-answerers) better than the baseline".into(),
            holds: gain_auc.verdict(),
            evidence: format!("mean regAUC against the true probability over all shows, response debias minus baseline: {}.{why_ad}", gain_auc.show(1.0, "")),
        },
        Claim {
            id: "response_debias_improves_oracle_calibration".into(),
            statement: "Response debias is better calibrated against the truth over all survey shows".into(),
            holds: gain_cal.verdict(),
            evidence: format!(
                "mean |calibration| over shows, baseline minus response debias: {}.{why_ad}",
                gain_cal.show(1.0, "")
            ),
        },
        Claim {
            id: "response_debias_most_for_reluctant".into(),
            statement: "Response debias improves ranking against the truth more for reluctant answerers (lowest quarter of submit score) than for the rest, as in Table 2".into(),
            holds: most.verdict(),
            evidence: format!("regAUC gain against the truth, reluctant quarter {}; the rest {}; difference {}", Paired::of(rel.clone()).show(1.0, ""), Paired::of(wil.clone()).show(1.0, ""), most.show(1.0, "")),
        },
    ]
}

/// Claims 6 and 7: distillation's UAUC (Table 3).
fn distillation_claims(res: &Results) -> [Claim; 2] {
    let d_uauc = Paired::of(variant_gap(
        res,
        (Variant::Distillation, Variant::Baseline),
        Metric::UAUC,
        |x| x,
    ));
    let mut vs = Vec::new();
    let mut ev = Vec::new();
    for other in [
        Variant::Baseline,
        Variant::ResponseDebias,
        Variant::Distillation,
    ] {
        let p = Paired::of(variant_gap(
            res,
            (Variant::DistillationResponseDebias, other),
            Metric::UAUC,
            |x| x,
        ));
        vs.push(p.verdict());
        ev.push(format!("vs {other}: {}", p.show(1.0, "")));
    }
    [
        Claim {
            id: "distillation_improves_uauc".into(),
            statement:
                "Pseudo-label distillation improves Nfb/Pfb UAUC over the baseline (Table 3)".into(),
            holds: d_uauc.verdict(),
            evidence: format!(
                "mean UAUC over heads, distillation minus baseline: {}",
                d_uauc.show(1.0, "")
            ),
        },
        Claim {
            id: "combination_best".into(),
            statement:
                "Distillation + response debias has the best UAUC of the four variants (Table 3)"
                    .into(),
            holds: all_of(&vs),
            evidence: format!(
                "mean UAUC over heads, distillation + response debias minus: {}",
                ev.join("; ")
            ),
        },
    ]
}

/// Claim 8: ranking by the model (Eq. 3) lowers the true rate of every issue in the A/B test.
fn ab_claim(res: &Results) -> Option<Claim> {
    let t = res
        .ab
        .get(&Variant::DistillationResponseDebias)
        .or_else(|| res.ab.values().next())?;
    let mut vs = Vec::new();
    let mut ev = Vec::new();
    for (m, v) in t.iter().filter(|(m, _)| matches!(m, AbKey::TrueRate(_))) {
        vs.push(lowered(v.ci95));
        ev.push(format!(
            "{m} {:+.2}% [{:+.2}%, {:+.2}%]",
            100.0 * v.rel_change,
            100.0 * v.ci95[0],
            100.0 * v.ci95[1]
        ));
    }
    Some(Claim {
        id: "ab_lowers_true_bad_exposures".into(),
        statement: "Ranking with the survey model (Eq. 3, distillation + response debias) lowers the true rate of every issue against control".into(),
        holds: all_of(&vs),
        evidence: ev.join("; "),
    })
}

/// Beyond the paper, with a panel: the doubly robust rate, and the panel-weighted model.
fn panel_claims(res: &Results) -> Vec<Claim> {
    let reps = res.seeds.len();
    let with_dr: Vec<_> = res
        .rates
        .iter()
        .filter(|(_, m)| m.get(Metric::RATE_DR).is_some())
        .collect();
    if with_dr.is_empty() {
        return Vec::new();
    }
    let mut vs = Vec::new();
    let mut ev = Vec::new();
    for (h, m) in with_dr {
        let t = series(Some(m), Metric::RATE_TRUE, reps);
        let d = series(Some(m), Metric::RATE_DEBIASED, reps);
        let dr = series(Some(m), Metric::RATE_DR, reps);
        let p = Paired::of(zip_with(
            &zip_with(&d, &t, |d, t| (d - t).abs()),
            &zip_with(&dr, &t, |x, t| (x - t).abs()),
            |a, b| a - b,
        ));
        vs.push(p.verdict());
        ev.push(format!(
            "{h}: true {:.4}, Eq. 13 {:.4}, doubly robust {:.4}; |Eq.13 - true| - |DR - true| = {}",
            m.get(Metric::RATE_TRUE).unwrap_or(f64::NAN),
            m.get(Metric::RATE_DEBIASED).unwrap_or(f64::NAN),
            m.get(Metric::RATE_DR).unwrap_or(f64::NAN),
            p.show(1.0, "")
        ));
    }
    let p = Paired::of(variant_gap(
        res,
        (Variant::PanelDebias, Variant::ResponseDebias),
        Metric::ORACLE_REGAUC_SHOWN,
        |x| x,
    ));
    let c = Paired::of(variant_gap(
        res,
        (Variant::ResponseDebias, Variant::PanelDebias),
        Metric::ORACLE_CALIBRATION_SHOWN,
        f64::abs,
    ));
    vec![
        Claim {
            id: "panel_dr_closer_than_eq13".into(),
            statement: "With a panel, the doubly robust rate (answer-dependent propensities) is closer to the truth than Eq. 13, for every head".into(),
            holds: all_of(&vs),
            evidence: ev.join("; "),
        },
        Claim {
            id: "panel_variant_better_calibrated".into(),
            statement: "The panel-weighted model is better calibrated against the truth over all shows than the response-debias model".into(),
            holds: c.verdict(),
            evidence: format!("mean |calibration|, response debias minus panel debias: {}; regAUC against the truth over shows, panel minus response debias: {}", c.show(1.0, ""), p.show(1.0, "")),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_verdicts_hand_values() {
        // 0.1, 0.2, 0.3: mean 0.2, sd 0.1, half-width t(2) 4.303 * 0.1 / sqrt(3) = 0.2484.
        let p = Paired::of(vec![Some(0.1), Some(0.2), Some(0.3)]);
        let [lo, hi] = p.ci.unwrap();
        assert!((p.mean.unwrap() - 0.2).abs() < 1e-12);
        assert!((hi - lo - 2.0 * 4.303 * 0.1 / 3f64.sqrt()).abs() < 1e-9);
        // The interval reaches below zero: inconclusive.
        assert_eq!(p.verdict(), None);
        // 1.0, 1.1, 1.2: the interval [0.85, 1.35] excludes zero from above: holds.
        assert_eq!(
            Paired::of(vec![Some(1.0), Some(1.1), Some(1.2)]).verdict(),
            Some(true)
        );
        // Entirely at or below zero: fails.
        assert_eq!(
            Paired::of(vec![Some(-1.0), Some(-1.1), Some(-1.2)]).verdict(),
            Some(false)
        );
        // One replicate: the sign alone (no interval), as the results say.
        let one = Paired::of(vec![Some(-0.01)]);
        assert_eq!((one.verdict(), one.ci), (Some(false), None));
        assert!(one.show(1.0, "").contains("no interval"));
        // Nothing measured: no verdict. A missing replicate is skipped, not zero.
        assert_eq!(Paired::of(vec![None, None]).verdict(), None);
        let gap = Paired::of(vec![Some(1.0), None, Some(1.2)]);
        assert_eq!(
            (gap.n, gap.mean.map(|m| (m * 10.0).round())),
            (2, Some(11.0))
        );
    }

    #[test]
    fn combinators_hand_values() {
        assert_eq!(all_of(&[Some(true), Some(true)]), Some(true));
        assert_eq!(all_of(&[Some(true), None]), None);
        assert_eq!(all_of(&[None, Some(false)]), Some(false));
        assert_eq!(all_of(&[]), None);
        assert_eq!(lowered([-0.2, -0.01]), Some(true));
        assert_eq!(lowered([0.01, 0.2]), Some(false));
        assert_eq!(lowered([-0.1, 0.1]), None);
        assert_eq!(
            zip_with(
                &[Some(3.0), None, Some(1.0)],
                &[Some(1.0), Some(2.0), None],
                |a, b| a - b
            ),
            vec![Some(2.0), None, None]
        );
    }
}
