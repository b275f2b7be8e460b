//! What a replicate measures: the values every stage writes and the aggregation reads, each keyed
//! by a typed name ([`super::names`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use usm_core::train::TrainReport;

use super::names::{AbKey, Arm, GapId, Metric, ModelId, Variant, VariantPair};
use crate::heads::HeadDef;
use crate::summary::RunStats;

/// Metric → value (`None` where undefined, e.g. a head without positives).
pub type MetricMap = BTreeMap<Metric, Option<f64>>;

/// A calibration curve: bins by predicted probability over evaluation exposures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Mean prediction per bin.
    #[serde(deserialize_with = "null_as_nan::list")]
    pub predicted: Vec<f64>,
    /// Mean true probability per bin.
    #[serde(deserialize_with = "null_as_nan::list")]
    pub truth: Vec<f64>,
}

/// A gap ([`GapId`]) in one replicate: its value and standard error over the evaluation users.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The difference.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub value: f64,
    /// Its standard error over users (paired: the same users score both models).
    #[serde(deserialize_with = "null_as_nan::number")]
    pub se: f64,
}

/// One arm's estimate of a metric and the treatment's relative change against control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbMetric {
    /// Control value.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub control: f64,
    /// Treatment value.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub treatment: f64,
    /// treatment / control - 1.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub rel_change: f64,
    /// 95% interval of the relative change (paired bootstrap over users).
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci95: [f64; 2],
    /// The standard error of the relative change over users: the bootstrap draws' standard
    /// deviation.
    #[serde(deserialize_with = "null_as_nan::number")]
    pub se: f64,
}

/// JSON has no NaN: serde_json writes an undefined number (an interval too few resamples
/// defined, a rate of no answers) as `null`. These read it back as NaN, so that a
/// `results.json` loads as it was written.
pub mod null_as_nan {
    use serde::{Deserialize, Deserializer};

    /// A number, `null` as NaN.
    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    /// Two numbers, each `null` as NaN.
    pub fn pair<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let v = <[Option<f64>; 2]>::deserialize(d)?;
        Ok(v.map(|x| x.unwrap_or(f64::NAN)))
    }

    /// A list of numbers, each `null` as NaN.
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// One replicate's A/B test: treatment → metric → estimate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AbResult {
    /// Users in the test.
    pub users: u32,
    /// Days of the test.
    pub days: u32,
    /// Exposures per arm.
    pub exposures: BTreeMap<Arm, u64>,
    /// treatment → metric → estimate.
    pub treatments: BTreeMap<Variant, BTreeMap<AbKey, AbMetric>>,
    /// Model against model, as the paper's A/B tests compare them: the first arm's change
    /// against the second's (same users, same dice), with its paired bootstrap.
    #[serde(default)]
    pub pairs: BTreeMap<VariantPair, BTreeMap<AbKey, AbMetric>>,
}

/// Row counts of one replicate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataCounts {
    /// Training-period survey shows.
    pub train_shows: usize,
    /// Of which submitted.
    pub train_submits: usize,
    /// Training-period panel answers.
    pub train_panel: usize,
    /// Pseudo-label stream rows.
    pub pseudo_rows: usize,
    /// Pseudo-label cells kept by Eq. 8 (over heads).
    pub pseudo_cells_kept: usize,
    /// Evaluation-period survey shows.
    pub eval_shows: usize,
    /// Of which submitted.
    pub eval_submits: usize,
    /// Evaluation-period exposures of evaluation users.
    pub eval_exposures: usize,
}

/// Everything one replicate measured; serialised whole in a shard's part (`experiment::shard`),
/// so that replicates run apart aggregate as if run together.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Replicate {
    /// Seed of the replicate.
    pub seed: u64,
    /// variant → head → metric.
    pub variants: BTreeMap<Variant, BTreeMap<HeadDef, MetricMap>>,
    /// head → rate estimate.
    pub rates: BTreeMap<HeadDef, MetricMap>,
    /// Submit model quality.
    pub submit: MetricMap,
    /// head → teacher metrics.
    pub teacher: BTreeMap<HeadDef, MetricMap>,
    /// head → oracle metrics of the true probabilities.
    pub reference: BTreeMap<HeadDef, MetricMap>,
    /// variant → head → calibration curve over evaluation exposures.
    pub curves: BTreeMap<Variant, BTreeMap<HeadDef, Curve>>,
    /// The claims' model-against-model differences, with standard errors over users.
    pub gaps: BTreeMap<GapId, Estimate>,
    /// The A/B test.
    pub ab: Option<AbResult>,
    /// Simulation totals.
    pub stats: RunStats,
    /// Row counts.
    pub data: DataCounts,
    /// Each model's training.
    pub training: BTreeMap<ModelId, TrainReport>,
}
