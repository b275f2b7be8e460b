//! Aggregating replicates into `results.json` (schema: `docs/results-schema.md`) and checking
//! the paper's claims against them, honestly: a claim that fails is reported as failing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ab::AbResult;
use super::config::ExperimentConfig;
use super::pipeline::{Curve, DataCounts, MetricMap, Replicate, VARIANTS};
use crate::summary::RunStats;

/// Metric means with their 95% intervals (present when there are two or more replicates).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// metric → mean over replicates (`null` where undefined).
    #[serde(flatten)]
    pub values: BTreeMap<String, Option<f64>>,
    /// metric → 95% t-interval of the mean over replicates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci95: BTreeMap<String, [f64; 2]>,
}

impl Metrics {
    /// A value, if defined.
    pub fn get(&self, k: &str) -> Option<f64> {
        self.values.get(k).copied().flatten()
    }
}

/// One variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantOut {
    /// head → metrics.
    pub heads: BTreeMap<String, Metrics>,
}

/// One A/B metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbOut {
    /// Relative change of the treatment against control.
    pub rel_change: f64,
    /// 95% interval: a paired bootstrap over users with one replicate, a t-interval over
    /// replicates with more.
    pub ci95: [f64; 2],
    /// Control value (mean over replicates).
    pub control: f64,
    /// Treatment value (mean over replicates).
    pub treatment: f64,
}

/// A claim of the paper and whether this run supports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Short id.
    pub id: String,
    /// The claim in words.
    pub statement: String,
    /// `true` holds, `false` fails, `null` could not be checked.
    pub holds: Option<bool>,
    /// The numbers behind the verdict.
    pub evidence: String,
}

/// Everything an experiment writes to `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// usm version.
    pub usm_version: String,
    /// The resolved experiment (scenario included).
    pub config: ExperimentConfig,
    /// Seeds of the replicates.
    pub seeds: Vec<u64>,
    /// variant → heads → metrics.
    pub variants: BTreeMap<String, VariantOut>,
    /// head → rate estimates.
    pub rates: BTreeMap<String, Metrics>,
    /// Submit model quality.
    pub submit_model: Metrics,
    /// head → teacher metrics.
    pub teacher: BTreeMap<String, Metrics>,
    /// treatment → metric → relative change.
    pub ab: BTreeMap<String, BTreeMap<String, AbOut>>,
    /// The paper's claims, checked.
    pub claims: Vec<Claim>,
    /// Row counts per replicate.
    pub data: Vec<DataCounts>,
    /// Simulation totals of the first replicate.
    pub simulation: RunStats,
    /// Calibration curves of the first replicate: variant → head → curve.
    pub curves: BTreeMap<String, BTreeMap<String, Curve>>,
    /// A/B details of the first replicate (exposures per arm, users, days).
    pub ab_detail: Option<AbResult>,
    /// Wall-clock seconds of each replicate (native runs only).
    pub seconds: Vec<f64>,
}

/// Two-sided 95% t quantile.
fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110,
        2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 { f64::NAN } else if df <= 30 { T[df - 1] } else { 1.96 }
}

/// Mean and 95% t-interval of the defined values.
pub fn mean_ci(values: &[Option<f64>]) -> (Option<f64>, Option<[f64; 2]>) {
    let v: Vec<f64> = values.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (None, None);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (Some(mean), None);
    }
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let half = t975(v.len() - 1) * sd / n.sqrt();
    (Some(mean), Some([mean - half, mean + half]))
}

fn aggregate(maps: &[&MetricMap]) -> Metrics {
    let mut keys: Vec<&String> = maps.iter().flat_map(|m| m.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Metrics::default();
    for k in keys {
        let vals: Vec<Option<f64>> = maps.iter().map(|m| m.get(k).copied().flatten()).collect();
        let (mean, ci) = mean_ci(&vals);
        out.values.insert(k.clone(), mean);
        if let Some(ci) = ci {
            out.ci95.insert(k.clone(), ci);
        }
    }
    out
}

/// Aggregates replicates and checks the claims.
pub fn aggregate_replicates(cfg: &ExperimentConfig, reps: &[Replicate], seconds: Vec<f64>) -> Results {
    let mut variants = BTreeMap::new();
    for v in VARIANTS {
        if !reps.iter().any(|r| r.variants.contains_key(v)) {
            continue;
        }
        let mut heads = BTreeMap::new();
        for h in &cfg.heads {
            let maps: Vec<&MetricMap> = reps.iter().filter_map(|r| r.variants.get(v).and_then(|m| m.get(h))).collect();
            heads.insert(h.clone(), aggregate(&maps));
        }
        variants.insert(v.to_string(), VariantOut { heads });
    }
    let per_head = |f: &dyn Fn(&Replicate) -> &BTreeMap<String, MetricMap>| {
        cfg.heads
            .iter()
            .map(|h| {
                let maps: Vec<&MetricMap> = reps.iter().filter_map(|r| f(r).get(h)).collect();
                (h.clone(), aggregate(&maps))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let rates = per_head(&|r| &r.rates);
    let teacher = per_head(&|r| &r.teacher);
    let submit_model = aggregate(&reps.iter().map(|r| &r.submit).collect::<Vec<_>>());
    let mut ab: BTreeMap<String, BTreeMap<String, AbOut>> = BTreeMap::new();
    let abs: Vec<&AbResult> = reps.iter().filter_map(|r| r.ab.as_ref()).collect();
    if let Some(first) = abs.first() {
        for (t, metrics) in &first.treatments {
            let mut out = BTreeMap::new();
            for (m, first_m) in metrics {
                let vals: Vec<&super::ab::AbMetric> = abs.iter().filter_map(|a| a.treatments.get(t).and_then(|x| x.get(m))).collect();
                let rel: Vec<Option<f64>> = vals.iter().map(|v| Some(v.rel_change)).collect();
                let (mean, ci) = mean_ci(&rel);
                let n = vals.len() as f64;
                out.insert(
                    m.clone(),
                    AbOut {
                        rel_change: mean.unwrap_or(first_m.rel_change),
                        ci95: if vals.len() >= 2 { ci.unwrap_or(first_m.ci95) } else { first_m.ci95 },
                        control: vals.iter().map(|v| v.control).sum::<f64>() / n,
                        treatment: vals.iter().map(|v| v.treatment).sum::<f64>() / n,
                    },
                );
            }
            ab.insert(t.clone(), out);
        }
    }
    let mut res = Results {
        usm_version: env!("CARGO_PKG_VERSION").to_string(),
        config: cfg.clone(),
        seeds: reps.iter().map(|r| r.seed).collect(),
        variants,
        rates,
        submit_model,
        teacher,
        ab,
        claims: Vec::new(),
        data: reps.iter().map(|r| r.data.clone()).collect(),
        simulation: reps.first().map(|r| r.stats.clone()).unwrap_or_default(),
        curves: reps.first().map(|r| r.curves.clone()).unwrap_or_default(),
        ab_detail: reps.first().and_then(|r| r.ab.clone()),
        seconds,
    };
    res.claims = check_claims(&res);
    res
}

fn fmt(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{v:.4}"))
}

fn mean_over_heads(res: &Results, variant: &str, metric: &str) -> Option<f64> {
    let v = res.variants.get(variant)?;
    let vals: Vec<f64> = v.heads.values().filter_map(|m| m.get(metric)).collect();
    (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
}

/// Checks the paper's claims (and the panel extension) against aggregated results.
pub fn check_claims(res: &Results) -> Vec<Claim> {
    let mut claims = Vec::new();
    let ad = res.config.scenario.willingness.answer_dependence;
    let why_ad = if ad != 0.0 {
        format!(
            " Response here depends on the answer itself (willingness.answer_dependence = {ad}): a submit model that sees only user and item features cannot learn that, so inverse propensity weights from it cannot remove the bias; `rate_debiased_true_propensity` shows that even the true feature-level propensity does not."
        )
    } else {
        String::new()
    };
    // 1 and 2: rates.
    let mut biased = Vec::new();
    let mut closer = Vec::new();
    let mut ev1 = Vec::new();
    let mut ev2 = Vec::new();
    for (h, m) in &res.rates {
        let (Some(t), Some(n), Some(d)) = (m.get("rate_true"), m.get("rate_naive"), m.get("rate_debiased")) else { continue };
        let rel = (n - t) / t;
        let significant = match (m.ci95.get("rate_naive"), m.ci95.get("rate_true")) {
            (Some(cn), Some(ct)) => cn[1] < ct[0] || cn[0] > ct[1],
            _ => rel.abs() > 0.10,
        };
        biased.push(significant);
        closer.push((d - t).abs() < (n - t).abs());
        ev1.push(format!("{h}: true {t:.4}, naive {n:.4} ({:+.1}%)", 100.0 * rel));
        ev2.push(format!("{h}: |debiased - true| = {:.4} vs |naive - true| = {:.4}", (d - t).abs(), (n - t).abs()));
    }
    claims.push(Claim {
        id: "naive_rate_biased".into(),
        statement: "The naive survey issue rate (Eq. 2) is biased by who answers".into(),
        holds: (!biased.is_empty()).then(|| biased.iter().any(|&b| b)),
        evidence: ev1.join("; ") + if res.seeds.len() < 2 { " (one replicate: 'biased' means off by more than 10%; use --replicates for intervals)" } else { "" },
    });
    claims.push(Claim {
        id: "eq13_moves_toward_truth".into(),
        statement: "The debiased rate (Eq. 13) is closer to the true rate than the naive rate, for every head".into(),
        holds: (!closer.is_empty()).then(|| closer.iter().all(|&c| c)),
        evidence: ev2.join("; ") + &why_ad,
    });
    // 3 and 4: response debias.
    let dauc = |metric: &str| -> Option<f64> { Some(mean_over_heads(res, "response_debias", metric)? - mean_over_heads(res, "baseline", metric)?) };
    let abs_cal = |variant: &str| -> Option<f64> {
        let v = res.variants.get(variant)?;
        let vals: Vec<f64> = v.heads.values().filter_map(|m| m.get("oracle_calibration_shown")).map(f64::abs).collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    };
    let (d_auc, cal_b, cal_r) = (dauc("oracle_auc_shown"), abs_cal("baseline"), abs_cal("response_debias"));
    claims.push(Claim {
        id: "response_debias_improves_oracle".into(),
        statement: "Response debias improves AUC and calibration against the truth over all survey shows (answerers and non-answerers)".into(),
        holds: match (d_auc, cal_b, cal_r) {
            (Some(d), Some(b), Some(r)) => Some(d > 0.0 && r < b),
            _ => None,
        },
        evidence: format!(
            "mean oracle AUC over shows, response debias minus baseline: {}; mean |calibration| baseline {} vs response debias {}.{}",
            fmt(d_auc),
            fmt(cal_b),
            fmt(cal_r),
            why_ad
        ),
    });
    let (rel, wil) = (dauc("oracle_auc_reluctant"), dauc("oracle_auc_willing"));
    claims.push(Claim {
        id: "response_debias_most_for_reluctant".into(),
        statement: "The gain from response debias is largest for reluctant answerers (lowest quarter of submit score), as in Table 2".into(),
        holds: match (rel, wil) {
            (Some(r), Some(w)) => Some(r > 0.0 && r >= w),
            _ => None,
        },
        evidence: format!("oracle AUC gain, reluctant quarter: {}; the other three quarters: {}", fmt(rel), fmt(wil)),
    });
    // 5 and 6: distillation.
    let u = |v: &str| mean_over_heads(res, v, "uauc");
    let (ub, ur, ud, udr) = (u("baseline"), u("response_debias"), u("distillation"), u("distillation_response_debias"));
    claims.push(Claim {
        id: "distillation_improves_uauc".into(),
        statement: "Pseudo-label distillation improves Nfb/Pfb UAUC over the baseline (Table 3)".into(),
        holds: match (ub, ud) {
            (Some(b), Some(d)) => Some(d > b),
            _ => None,
        },
        evidence: format!("mean UAUC over heads: baseline {}, distillation {}", fmt(ub), fmt(ud)),
    });
    let four = [("baseline", ub), ("response_debias", ur), ("distillation", ud), ("distillation_response_debias", udr)];
    let best = four.iter().filter_map(|(n, v)| v.map(|v| (n, v))).max_by(|a, b| a.1.total_cmp(&b.1));
    claims.push(Claim {
        id: "combination_best".into(),
        statement: "Distillation + response debias has the best UAUC of the four variants (Table 3)".into(),
        holds: best.map(|(n, _)| *n == "distillation_response_debias"),
        evidence: format!("mean UAUC: {}", four.iter().map(|(n, v)| format!("{n} {}", fmt(*v))).collect::<Vec<_>>().join(", ")),
    });
    // 7: A/B.
    if let Some(t) = res.ab.get("distillation_response_debias").or_else(|| res.ab.values().next()) {
        let mut ok = Vec::new();
        let mut ev = Vec::new();
        for (m, v) in t.iter().filter(|(m, _)| m.starts_with("true_rate_")) {
            ok.push(v.ci95[1] < 0.0);
            ev.push(format!("{m} {:+.2}% [{:+.2}%, {:+.2}%]", 100.0 * v.rel_change, 100.0 * v.ci95[0], 100.0 * v.ci95[1]));
        }
        claims.push(Claim {
            id: "ab_lowers_true_bad_exposures".into(),
            statement: "Ranking with the survey model (Eq. 3, distillation + response debias) lowers the true rate of every issue against control".into(),
            holds: (!ok.is_empty()).then(|| ok.iter().all(|&b| b)),
            evidence: ev.join("; "),
        });
    }
    // 8: the panel extension.
    let with_dr: Vec<(&String, &Metrics)> = res.rates.iter().filter(|(_, m)| m.get("rate_dr").is_some()).collect();
    if !with_dr.is_empty() {
        let mut ok = Vec::new();
        let mut ev = Vec::new();
        for (h, m) in with_dr {
            let (t, d, dr) = (m.get("rate_true").unwrap_or(f64::NAN), m.get("rate_debiased").unwrap_or(f64::NAN), m.get("rate_dr").unwrap_or(f64::NAN));
            ok.push((dr - t).abs() < (d - t).abs());
            ev.push(format!("{h}: true {t:.4}, Eq. 13 {d:.4}, doubly robust with panel {dr:.4}"));
        }
        claims.push(Claim {
            id: "panel_dr_closer_than_eq13".into(),
            statement: "With a panel, the doubly robust rate (answer-dependent propensities) is closer to the truth than Eq. 13".into(),
            holds: Some(ok.iter().all(|&b| b)),
            evidence: ev.join("; "),
        });
        let (p, r) = (mean_over_heads(res, "panel_debias", "oracle_auc_shown"), mean_over_heads(res, "response_debias", "oracle_auc_shown"));
        claims.push(Claim {
            id: "panel_variant_beats_response_debias".into(),
            statement: "The panel-weighted model ranks all shows better than the response-debias model".into(),
            holds: match (p, r) {
                (Some(p), Some(r)) => Some(p > r),
                _ => None,
            },
            evidence: format!("mean oracle AUC over shows: panel_debias {}, response_debias {}", fmt(p), fmt(r)),
        });
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_hand_value() {
        let (m, ci) = mean_ci(&[Some(1.0), Some(3.0), None]);
        assert_eq!(m, Some(2.0));
        let ci = ci.unwrap();
        // sd = sqrt(2), t(1) = 12.706, half = 12.706 * sqrt(2) / sqrt(2)
        assert!((ci[1] - 2.0 - 12.706).abs() < 1e-9);
        assert_eq!(mean_ci(&[None]), (None, None));
    }
}
