//! Aggregating replicates into `results.json` (schema: `docs/results-schema.md`) and checking
//! the paper's claims against them, honestly: a claim that fails is reported as failing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ab::AbResult;
use super::claims::check_claims;
use super::config::{Experiment, ExperimentConfig};
use super::evaluate::Curve;
use super::names::{AbKey, Metric, Variant};
use super::replicate::{DataCounts, MetricMap, Replicate};
use crate::heads::HeadDef;
use crate::summary::RunStats;

/// Metric means with their 95% intervals (present when there are two or more replicates).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// metric → mean over replicates (`null` where undefined).
    #[serde(flatten)]
    pub values: BTreeMap<Metric, Option<f64>>,
    /// metric → 95% t-interval of the mean over replicates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci95: BTreeMap<Metric, [f64; 2]>,
    /// metric → the value of each replicate, when there are two or more.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replicates: BTreeMap<Metric, Vec<Option<f64>>>,
}

impl Metrics {
    /// A value, if defined.
    pub fn get(&self, k: Metric) -> Option<f64> {
        self.values.get(&k).copied().flatten()
    }

    /// The value of each replicate, or the mean alone when there is one replicate.
    pub fn series(&self, k: Metric) -> Vec<Option<f64>> {
        self.replicates
            .get(&k)
            .cloned()
            .unwrap_or_else(|| vec![self.get(k)])
    }
}

/// One variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantOut {
    /// head → metrics.
    pub heads: BTreeMap<HeadDef, Metrics>,
}

/// One A/B metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbOut {
    /// Relative change of the treatment against control.
    pub rel_change: f64,
    /// 95% interval: a paired bootstrap over users within each replicate; with several
    /// replicates, their estimates pooled by random effects (DerSimonian–Laird).
    pub ci95: [f64; 2],
    /// Control value (mean over replicates).
    pub control: f64,
    /// Treatment value (mean over replicates).
    pub treatment: f64,
}

/// What a run says of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The 95% interval of the difference lies on the claim's side of zero.
    Holds,
    /// It lies on the other side (or at zero).
    Fails,
    /// It straddles zero.
    Inconclusive,
    /// There is no interval (one replicate, or nothing measured): the run cannot decide.
    NoInterval,
}

impl Verdict {
    /// The word in reports: `HOLDS`, `FAILS`, `INCONCLUSIVE`, `NO INTERVAL`.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Holds => "HOLDS",
            Verdict::Fails => "FAILS",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::NoInterval => "NO INTERVAL",
        }
    }

    /// The class in HTML: `holds`, `fails`, `inconclusive`, `no-interval`.
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NoInterval => "no-interval",
        }
    }

    /// `Some(true)` for holds, `Some(false)` for fails, `None` otherwise.
    pub fn holds(self) -> Option<bool> {
        match self {
            Verdict::Holds => Some(true),
            Verdict::Fails => Some(false),
            Verdict::Inconclusive | Verdict::NoInterval => None,
        }
    }
}

/// A claim of the paper and whether this run supports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Short id.
    pub id: String,
    /// The claim in words.
    pub statement: String,
    /// The verdict.
    pub verdict: Verdict,
    /// `true` holds, `false` fails, `null` otherwise (inconclusive or no interval): `verdict`
    /// as a boolean, kept for readers of earlier `results.json`.
    pub holds: Option<bool>,
    /// The numbers behind the verdict.
    pub evidence: String,
    /// The smallest effect this run could detect (95% two-sided, 80% power) for the part of
    /// the claim nearest to undecided, in the unit of its evidence; `null` without an interval.
    #[serde(default)]
    pub detectable: Option<f64>,
    /// Where that part is inconclusive or has no interval: about how many replicates would
    /// decide it at the effect measured (`null` where decided, or never at that effect).
    #[serde(default)]
    pub replicates_needed: Option<usize>,
}

impl Claim {
    /// A claim with its verdict and power from `parts` (each a part's verdict and power).
    pub fn new(
        id: &str,
        statement: &str,
        verdict: Verdict,
        evidence: String,
        power: Option<(Option<f64>, Option<usize>)>,
    ) -> Claim {
        let (detectable, replicates_needed) = power.unwrap_or((None, None));
        Claim {
            id: id.into(),
            statement: statement.into(),
            verdict,
            holds: verdict.holds(),
            evidence,
            detectable,
            replicates_needed: replicates_needed.filter(|_| verdict.holds().is_none()),
        }
    }
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
    pub variants: BTreeMap<Variant, VariantOut>,
    /// head → rate estimates.
    pub rates: BTreeMap<HeadDef, Metrics>,
    /// Submit model quality.
    pub submit_model: Metrics,
    /// head → teacher metrics.
    pub teacher: BTreeMap<HeadDef, Metrics>,
    /// treatment → metric → relative change.
    pub ab: BTreeMap<Variant, BTreeMap<AbKey, AbOut>>,
    /// Model against model (`response_debias_vs_baseline`, ...) → metric → relative change of
    /// the first arm against the second, pooled like `ab`.
    #[serde(default)]
    pub ab_pairs: BTreeMap<String, BTreeMap<AbKey, AbOut>>,
    /// gap id (`experiment::gaps`) → per replicate, the model-against-model difference a claim
    /// reads and its standard error over the evaluation users (`null` where undefined).
    #[serde(default)]
    pub comparisons: BTreeMap<String, Vec<Option<super::gaps::Estimate>>>,
    /// The paper's claims, checked.
    pub claims: Vec<Claim>,
    /// Row counts per replicate.
    pub data: Vec<DataCounts>,
    /// Simulation totals of the first replicate.
    pub simulation: RunStats,
    /// Calibration curves of the first replicate: variant → head → curve.
    pub curves: BTreeMap<Variant, BTreeMap<HeadDef, Curve>>,
    /// A/B details of the first replicate (exposures per arm, users, days).
    pub ab_detail: Option<AbResult>,
    /// Wall-clock seconds of each replicate (native runs only).
    pub seconds: Vec<f64>,
    /// head → the same oracle metrics scored with the true probabilities: the ceiling no model
    /// can pass, because answers are draws.
    pub reference: BTreeMap<HeadDef, Metrics>,
    /// Training of each model in the first replicate: epochs, losses, early stopping.
    pub training: BTreeMap<String, usm_core::train::TrainReport>,
    /// `usm fit`: the logs the results come from (the scenario in `config` is then unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<super::import::LogSource>,
}

impl Results {
    /// A result with nothing measured, for tests to fill by hand.
    #[cfg(test)]
    pub(crate) fn empty(config: ExperimentConfig, seeds: Vec<u64>) -> Results {
        Results {
            usm_version: "test".into(),
            config,
            seeds,
            variants: BTreeMap::new(),
            rates: BTreeMap::new(),
            submit_model: Metrics::default(),
            teacher: BTreeMap::new(),
            ab: BTreeMap::new(),
            ab_pairs: BTreeMap::new(),
            comparisons: BTreeMap::new(),
            claims: Vec::new(),
            data: Vec::new(),
            simulation: RunStats::default(),
            curves: BTreeMap::new(),
            ab_detail: None,
            seconds: Vec::new(),
            reference: BTreeMap::new(),
            training: BTreeMap::new(),
            logs: None,
        }
    }

    /// The survey heads, in `config.heads` order.
    pub fn heads(&self) -> Vec<HeadDef> {
        self.config
            .heads
            .iter()
            .filter_map(|h| HeadDef::parse(h).ok())
            .collect()
    }
}

/// Each A/B metric of each arm (or pair of arms) that `arms` picks, pooled over the replicates'
/// tests.
fn pool_ab<K: Ord + Clone>(
    abs: &[&AbResult],
    arms: impl Fn(&AbResult) -> &BTreeMap<K, BTreeMap<AbKey, super::ab::AbMetric>>,
) -> BTreeMap<K, BTreeMap<AbKey, AbOut>> {
    let mut ab = BTreeMap::new();
    let Some(first) = abs.first() else {
        return ab;
    };
    for (t, metrics) in arms(first) {
        let mut out = BTreeMap::new();
        for (m, first_m) in metrics {
            let vals: Vec<&super::ab::AbMetric> = abs
                .iter()
                .filter_map(|a| arms(a).get(t).and_then(|x| x.get(m)))
                .collect();
            let est: Vec<(f64, [f64; 2])> = vals.iter().map(|v| (v.rel_change, v.ci95)).collect();
            let (rel_change, ci95) =
                pool_random_effects(&est).unwrap_or((first_m.rel_change, first_m.ci95));
            let n = vals.len() as f64;
            out.insert(
                *m,
                AbOut {
                    rel_change,
                    ci95,
                    control: vals.iter().map(|v| v.control).sum::<f64>() / n,
                    treatment: vals.iter().map(|v| v.treatment).sum::<f64>() / n,
                },
            );
        }
        ab.insert(t.clone(), out);
    }
    ab
}

/// A t quantile from its table for 1 to 30 degrees of freedom, the normal's beyond; NaN at 0.
fn t_quantile(table: &[f64; 30], normal: f64, df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => table[df - 1],
        _ => normal,
    }
}

/// The 80% t quantile (for 80% power).
pub fn t80(df: usize) -> f64 {
    const T: [f64; 30] = [
        1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879, 0.876, 0.873, 0.870,
        0.868, 0.866, 0.865, 0.863, 0.862, 0.861, 0.860, 0.859, 0.858, 0.858, 0.857, 0.856, 0.856,
        0.855, 0.855, 0.854, 0.854,
    ];
    t_quantile(&T, 0.842, df)
}

/// Two-sided 95% t quantile.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    t_quantile(&T, 1.96, df)
}

/// Pools independent estimates with 95% intervals (one A/B test per replicate) by
/// DerSimonian–Laird random effects: inverse-variance weights, widened by the spread between
/// replicates beyond what their own intervals explain. One estimate passes through unchanged.
pub fn pool_random_effects(est: &[(f64, [f64; 2])]) -> Option<(f64, [f64; 2])> {
    let ok: Vec<(f64, f64)> = est
        .iter()
        .filter(|(y, ci)| y.is_finite() && ci[0].is_finite() && ci[1].is_finite())
        .map(|(y, ci)| (*y, ((ci[1] - ci[0]) / (2.0 * 1.96)).max(1e-12).powi(2)))
        .collect();
    match ok.len() {
        0 => None,
        1 => est.iter().find(|(y, _)| y.is_finite()).copied(),
        k => {
            let w: Vec<f64> = ok.iter().map(|(_, v)| 1.0 / v).collect();
            let sw: f64 = w.iter().sum();
            let fixed = ok.iter().zip(&w).map(|((y, _), w)| w * y).sum::<f64>() / sw;
            let q: f64 = ok
                .iter()
                .zip(&w)
                .map(|((y, _), w)| w * (y - fixed).powi(2))
                .sum();
            let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
            let tau2 = ((q - (k as f64 - 1.0)) / c).max(0.0);
            let ws: Vec<f64> = ok.iter().map(|(_, v)| 1.0 / (v + tau2)).collect();
            let sws: f64 = ws.iter().sum();
            let mu = ok.iter().zip(&ws).map(|((y, _), w)| w * y).sum::<f64>() / sws;
            let se = (1.0 / sws).sqrt();
            Some((mu, [mu - 1.96 * se, mu + 1.96 * se]))
        }
    }
}

/// Count, mean and sample standard deviation (two or more values) of the defined, finite values.
pub fn summary(values: &[Option<f64>]) -> (usize, Option<f64>, Option<f64>) {
    let v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let n = v.len();
    if n == 0 {
        return (0, None, None);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n >= 2)
        .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt());
    (n, Some(mean), sd)
}

/// Mean and 95% t-interval of the defined values.
pub fn mean_ci(values: &[Option<f64>]) -> (Option<f64>, Option<[f64; 2]>) {
    let (n, mean, sd) = summary(values);
    let ci = mean.zip(sd).map(|(m, sd)| {
        let half = t975(n - 1) * sd / (n as f64).sqrt();
        [m - half, m + half]
    });
    (mean, ci)
}

fn aggregate(maps: &[&MetricMap]) -> Metrics {
    let mut keys: Vec<Metric> = maps.iter().flat_map(|m| m.keys().copied()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Metrics::default();
    for k in keys {
        let vals: Vec<Option<f64>> = maps.iter().map(|m| m.get(&k).copied().flatten()).collect();
        let (mean, ci) = mean_ci(&vals);
        out.values.insert(k, mean);
        if let Some(ci) = ci {
            out.ci95.insert(k, ci);
        }
        if vals.len() >= 2 {
            out.replicates.insert(k, vals);
        }
    }
    out
}

/// Aggregates replicates and checks the claims.
pub fn aggregate_replicates(exp: &Experiment, reps: &[Replicate], seconds: Vec<f64>) -> Results {
    let heads = exp.heads();
    let mut variants = BTreeMap::new();
    for v in Variant::ALL {
        if !reps.iter().any(|r| r.variants.contains_key(&v)) {
            continue;
        }
        let mut per_head = BTreeMap::new();
        for h in heads {
            let maps: Vec<&MetricMap> = reps
                .iter()
                .filter_map(|r| r.variants.get(&v).and_then(|m| m.get(h)))
                .collect();
            per_head.insert(*h, aggregate(&maps));
        }
        variants.insert(v, VariantOut { heads: per_head });
    }
    let per_head = |f: &dyn Fn(&Replicate) -> &BTreeMap<HeadDef, MetricMap>| {
        heads
            .iter()
            .filter_map(|h| {
                let maps: Vec<&MetricMap> = reps.iter().filter_map(|r| f(r).get(h)).collect();
                (!maps.is_empty()).then(|| (*h, aggregate(&maps)))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let rates = per_head(&|r| &r.rates);
    let teacher = per_head(&|r| &r.teacher);
    let reference = per_head(&|r| &r.reference);
    let submit_model = aggregate(&reps.iter().map(|r| &r.submit).collect::<Vec<_>>());
    let abs: Vec<&AbResult> = reps.iter().filter_map(|r| r.ab.as_ref()).collect();
    let ab = pool_ab(&abs, |a| &a.treatments);
    let ab_pairs = pool_ab(&abs, |a| &a.pairs);
    let mut ids: Vec<&String> = reps.iter().flat_map(|r| r.gaps.keys()).collect();
    ids.sort();
    ids.dedup();
    let comparisons = ids
        .into_iter()
        .map(|id| {
            (
                id.clone(),
                reps.iter().map(|r| r.gaps.get(id).copied()).collect(),
            )
        })
        .collect();
    let mut res = Results {
        usm_version: env!("CARGO_PKG_VERSION").to_string(),
        config: exp.config().clone(),
        seeds: reps.iter().map(|r| r.seed).collect(),
        variants,
        rates,
        submit_model,
        teacher,
        ab,
        ab_pairs,
        comparisons,
        claims: Vec::new(),
        data: reps.iter().map(|r| r.data.clone()).collect(),
        simulation: reps.first().map(|r| r.stats.clone()).unwrap_or_default(),
        curves: reps.first().map(|r| r.curves.clone()).unwrap_or_default(),
        ab_detail: reps.first().and_then(|r| r.ab.clone()),
        seconds,
        reference,
        training: reps.first().map(|r| r.training.clone()).unwrap_or_default(),
        logs: None,
    };
    res.claims = check_claims(&res);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_effects_pooling() {
        // Two agreeing estimates with equal intervals: the mean, and an interval sqrt(2) tighter.
        let (m, ci) = pool_random_effects(&[(0.1, [0.0, 0.2]), (0.1, [0.0, 0.2])]).unwrap();
        assert!((m - 0.1).abs() < 1e-12);
        assert!(((ci[1] - ci[0]) - 0.2 / 2f64.sqrt()).abs() < 1e-9);
        // Disagreeing estimates widen the interval beyond either one's.
        let (m, ci) = pool_random_effects(&[(-0.5, [-0.52, -0.48]), (0.5, [0.48, 0.52])]).unwrap();
        assert!(m.abs() < 1e-9 && ci[0] < -0.5 && ci[1] > 0.5);
        assert_eq!(
            pool_random_effects(&[(0.3, [0.1, 0.5])]),
            Some((0.3, [0.1, 0.5]))
        );
    }

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
