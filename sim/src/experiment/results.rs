//! Aggregating replicates into `results.json` (schema: `docs/results-schema.md`); the claims
//! ([`super::claims`]) are checked on what this writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::{Experiment, ExperimentConfig};
use super::measured::{
    AbMetric, AbResult, Curve, DataCounts, Estimate, MetricMap, Replicate, null_as_nan,
};
use super::names::{AbKey, ClaimId, GapId, Metric, ModelId, Variant, VariantPair};
use super::stats::{Interval, mean_ci};
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
    /// Relative change of the treatment against control: the mean over replicates.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub rel_change: f64,
    /// 95% interval. With two or more replicates, the t interval of the replicates' changes
    /// (across worlds); with one, the paired bootstrap's over its users (in this world).
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci95: [f64; 2],
    /// Control value (mean over replicates).
    #[serde(deserialize_with = "null_as_nan::number")]
    pub control: f64,
    /// Treatment value (mean over replicates).
    #[serde(deserialize_with = "null_as_nan::number")]
    pub treatment: f64,
    /// Each replicate's change and its standard error over users (the bootstrap's).
    #[serde(default)]
    pub replicates: Vec<AbReplicate>,
}

/// One replicate's A/B estimate of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbReplicate {
    /// Its relative change.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub rel_change: f64,
    /// Its standard error over the replicate's users.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub se: f64,
}

/// What a run says of a claim. A claim states a direction (up, down, away from zero) or a
/// nearness (within its margin of zero); each verdict reads the claim's intervals: the 95%
/// interval for a direction, the 90% one (two one-sided 5% tests, TOST) for an equivalence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The 95% interval lies on the claim's side of zero (for a nearness: the 90% interval lies
    /// inside the margin).
    Holds,
    /// The 95% interval lies on the other side of zero (for a nearness: outside the margin).
    Fails,
    /// The 90% interval lies inside the margin: the effect is too small to matter, decided.
    NoEffect,
    /// The 95% interval includes zero, and the one-sided 95% bound is under half the paper's
    /// effect: whatever the effect is here, it is smaller than the paper's.
    SmallerThanPaper,
    /// None of these: the run cannot decide at this size.
    Inconclusive,
    /// There is no interval (nothing measured, or a comparison across replicates with one).
    NoInterval,
}

impl Verdict {
    /// The word in reports: `HOLDS`, `FAILS`, `NO EFFECT`, ...
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Holds => "HOLDS",
            Verdict::Fails => "FAILS",
            Verdict::NoEffect => "NO EFFECT",
            Verdict::SmallerThanPaper => "SMALLER THAN THE PAPER'S",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::NoInterval => "NO INTERVAL",
        }
    }

    /// The class in HTML: `holds`, `fails`, `no-effect`, ...
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::NoEffect => "no-effect",
            Verdict::SmallerThanPaper => "smaller-than-paper",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NoInterval => "no-interval",
        }
    }

    /// Whether the run decided the claim: every verdict but inconclusive and no interval.
    pub fn decided(self) -> bool {
        !matches!(self, Verdict::Inconclusive | Verdict::NoInterval)
    }
}

/// Which question a verdict answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Across worlds: does the claim hold in this regime? Two or more replicates, each a fresh
    /// world and fresh training; the interval is over them.
    AcrossWorlds,
    /// In this world: did it hold here, for these users and these trained models? One replicate;
    /// the interval is over its users, and says nothing of another draw of the world.
    InThisWorld,
}

/// A claim of the paper and whether this run supports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id.
    pub id: ClaimId,
    /// The claim in words.
    pub statement: String,
    /// Where the paper makes it (or `beyond the paper`).
    pub source: String,
    /// A fidelity check of the pipeline (the student learns its teacher), not a finding.
    #[serde(default)]
    pub check: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Which question the verdict answers (`null` without an interval).
    pub scope: Option<Scope>,
    /// The numbers behind the verdict: each part's estimate and intervals.
    pub evidence: String,
    /// The equivalence margin: a difference inside it is no effect (in the claim's unit).
    pub margin: f64,
    /// The paper's own effect, in the claim's unit and direction, where it reports one.
    pub paper_effect: Option<f64>,
    /// What theory predicts in this regime, where this is a preset as shipped and theory says.
    pub predicted: Option<Verdict>,
    /// Where the run is inconclusive across worlds: about how many replicates would decide it at
    /// the difference and spread measured, and the 95% range of that count (the spread is
    /// itself estimated from the few replicates run).
    pub replicates_needed: Option<Needed>,
}

/// How many replicates would decide an undecided claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needed {
    /// At the spread measured; `null`: more than 1,000.
    pub estimate: Option<usize>,
    /// At the low end of the spread's 95% interval.
    pub low: Option<usize>,
    /// At its high end; `null`: more than 1,000.
    pub high: Option<usize>,
}

impl Claim {
    /// Whether the verdict is the one theory predicts, where it predicts one.
    pub fn as_predicted(&self) -> Option<bool> {
        self.predicted.map(|p| p == self.verdict)
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

/// Each A/B metric of each arm (or pair of arms) that `arms` picks, over the replicates' tests.
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
            // Across worlds, the t interval of the replicates' changes; in one world, its users'.
            let changes: Vec<Option<f64>> = vals
                .iter()
                .map(|v| Some(v.rel_change).filter(|x| x.is_finite()))
                .collect();
            let (rel_change, ci95) = match Interval::of_values(&changes) {
                Some(iv) => (iv.mean, iv.ci95()),
                None => (first_m.rel_change, first_m.ci95),
            };
            let n = vals.len() as f64;
            out.insert(
                *m,
                AbOut {
                    rel_change,
                    ci95,
                    control: vals.iter().map(|v| v.control).sum::<f64>() / n,
                    treatment: vals.iter().map(|v| v.treatment).sum::<f64>() / n,
                    replicates: vals
                        .iter()
                        .map(|v| AbReplicate {
                            rel_change: v.rel_change,
                            se: v.se,
                        })
                        .collect(),
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
