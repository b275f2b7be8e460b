//! Aggregating replicates into `results.json` (schema: `docs/results-schema.md`); the claims
//! ([`super::claims`]) are checked on what this writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::{Experiment, ExperimentConfig};
use super::measured::{
    AbMetric, AbResult, Curve, DataCounts, Estimate, MetricMap, Replicate, null_as_nan,
};
use super::names::{AbKey, GapId, Metric, ModelId, Variant, VariantPair};
use super::stats::{mean_ci, pool_random_effects};
use super::world::LogSource;
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
    #[serde(deserialize_with = "null_as_nan::number")]
    pub rel_change: f64,
    /// 95% interval: a paired bootstrap over users within each replicate; with several
    /// replicates, their estimates pooled by random effects (DerSimonian–Laird).
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci95: [f64; 2],
    /// Control value (mean over replicates).
    #[serde(deserialize_with = "null_as_nan::number")]
    pub control: f64,
    /// Treatment value (mean over replicates).
    #[serde(deserialize_with = "null_as_nan::number")]
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
    pub ab_pairs: BTreeMap<VariantPair, BTreeMap<AbKey, AbOut>>,
    /// gap (`experiment::gaps`) → per replicate, the model-against-model difference a claim
    /// reads and its standard error over the evaluation users (`null` where undefined).
    #[serde(default)]
    pub comparisons: BTreeMap<GapId, Vec<Option<Estimate>>>,
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
    pub training: BTreeMap<ModelId, usm_core::train::TrainReport>,
    /// `usm fit`: the logs the results come from (the scenario in `config` is then unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogSource>,
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
    arms: impl Fn(&AbResult) -> &BTreeMap<K, BTreeMap<AbKey, AbMetric>>,
) -> BTreeMap<K, BTreeMap<AbKey, AbOut>> {
    let mut ab = BTreeMap::new();
    let Some(first) = abs.first() else {
        return ab;
    };
    for (t, metrics) in arms(first) {
        let mut out = BTreeMap::new();
        for (m, first_m) in metrics {
            let vals: Vec<&AbMetric> = abs
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

/// Aggregates replicates, its claims not yet checked ([`super::claims::check_claims`]).
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
    let mut ids: Vec<GapId> = reps.iter().flat_map(|r| r.gaps.keys().copied()).collect();
    ids.sort();
    ids.dedup();
    let comparisons = ids
        .into_iter()
        .map(|id| (id, reps.iter().map(|r| r.gaps.get(&id).copied()).collect()))
        .collect();
    Results {
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
    }
}
