//! The types every stage of a replicate reads: the world (the rows kept and where they came
//! from), its split into training and evaluation sets (each encoded once), and the fits the
//! later stages take from the earlier ones. A stage imports these, never the stage that made them.

use std::collections::{BTreeMap, HashMap};

use usm_core::data::Labels;
use usm_core::logistic::LogisticModel;
use usm_core::models::{SubmitModel, SurveyModel};
use usm_core::train::{TrainConfig, TrainReport};

use super::config::Experiment;
use super::measured::MetricMap;
use super::names::{ModelId, Variant};
use crate::datasets::{Encoded, FeatureSpec};
use crate::heads::HeadDef;
use crate::population::Population;
use crate::records::{Answer, ExposureRecord, SurveyKind};
use crate::scenario::ValidScenario;
use crate::summary::RunStats;

/// The rows an experiment works on.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Regular survey shows of the training period (answered or not).
    pub train_shows: Vec<ExposureRecord>,
    /// Panel shows of the training period.
    pub train_panel: Vec<ExposureRecord>,
    /// Sampled exposures of the training period without a survey: the pseudo-label stream.
    pub pseudo: Vec<ExposureRecord>,
    /// Regular survey shows of the evaluation period.
    pub eval_shows: Vec<ExposureRecord>,
    /// Panel shows of the evaluation period.
    pub eval_panel: Vec<ExposureRecord>,
    /// Every evaluation-period exposure of the evaluation users.
    pub eval_exposures: Vec<ExposureRecord>,
    /// Totals of the run.
    pub stats: RunStats,
    /// How rows become features.
    pub spec: FeatureSpec,
}

impl Collected {
    /// Puts every list in exposure-id order: a log set's world, the same whichever reader (or
    /// engine) handed its rows over in whatever order.
    pub fn sort_by_exposure(&mut self) {
        for v in [
            &mut self.train_shows,
            &mut self.train_panel,
            &mut self.pseudo,
            &mut self.eval_shows,
            &mut self.eval_panel,
            &mut self.eval_exposures,
        ] {
            v.sort_by_key(|r| r.exposure_id);
        }
    }
}

/// A simulated world's scenario and population.
pub struct SimWorld {
    /// The scenario, its seed shifted by the replicate.
    pub scenario: ValidScenario,
    /// Users, videos, authors.
    pub pop: Population,
}

/// One replicate's world: the rows the experiment keeps, and where they came from.
pub struct World {
    /// The simulator's scenario (its seed shifted by the replicate) and population; `None` for
    /// imported logs, which have neither (no ceiling propensity, unshown candidates or A/B test).
    pub sim: Option<SimWorld>,
    /// The seed every training seed derives from.
    pub seed: u64,
    /// Every row has the oracle columns: simulated rows, or logs written with them. Without
    /// them, the metrics against the truth are left out.
    pub oracle: bool,
    /// The rows kept.
    pub data: Collected,
    /// Recalled candidates the feed left unshown, of the evaluation users' requests
    /// (`experiment::candidates`): simulated worlds only.
    pub unshown: Vec<ExposureRecord>,
    /// exposure id → the propensity the logging policy recorded for it, where the logs carry
    /// one (the Open Bandit Dataset); empty otherwise. Evaluation reads it, as it reads the
    /// oracle: how far the fitted propensity tracks it, and Eq. 13 with it.
    pub logged_propensity: HashMap<u64, f64>,
}

/// Where an imported world came from, for `results.json` and the report.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogSource {
    /// What was read: the path given, and its format.
    pub path: String,
    /// `log`, `ratings`, `ratings-dense` or `obd`.
    pub format: String,
    /// Files read.
    pub files: usize,
    /// Rows read.
    pub rows: u64,
    /// The first and last day, and the first day of the evaluation period.
    pub days: [u32; 2],
    /// The first evaluation day.
    pub eval_from: u32,
    /// The logs carry the simulator's oracle columns.
    pub oracle: bool,
    /// Random-slice (panel) answers: training period, evaluation period.
    pub random_slice: [u64; 2],
    /// What the format's reader did to the input, in words (repairs, mappings), if anything.
    pub notes: Vec<String>,
}

/// The rows every stage after the collection reads, split by period and by answer, each set
/// encoded once (made by `experiment::split`).
pub struct Split<'a> {
    /// The checked experiment.
    pub exp: &'a Experiment,
    /// The replicate's world.
    pub world: &'a World,
    /// How rows become features.
    pub spec: FeatureSpec,
    /// The replicate's seed (training seeds derive from it).
    pub seed: u64,
    /// The training period's rows.
    pub train: TrainSets<'a>,
    /// Every evaluation-period row the metrics read.
    pub eval: EvalSets<'a>,
}

impl Split<'_> {
    /// The training config `t` seeded for model `k` of this replicate.
    pub fn seeded(&self, t: &TrainConfig, k: u64) -> TrainConfig {
        TrainConfig {
            seed: t.seed.wrapping_add(self.seed.wrapping_mul(1000) + k),
            ..t.clone()
        }
    }

    /// The survey heads.
    pub fn heads(&self) -> &[HeadDef] {
        self.exp.heads()
    }
}

/// The training period's rows.
pub struct TrainSets<'a> {
    /// Every regular survey show, answered or not: what the submit model learns from.
    pub shows: Encoded<'a>,
    /// The submitted shows, in `shows` order: what the survey models learn from.
    pub submits: Encoded<'a>,
    /// Their labels, one column per head.
    pub labels: Labels,
    /// Sampled exposures without a survey: the pseudo-label stream.
    pub pseudo: Encoded<'a>,
    /// Panel answers.
    pub panel: Encoded<'a>,
}

/// The evaluation period's rows.
pub struct EvalSets<'a> {
    /// Submitted shows (in `shows` order).
    pub submits: Encoded<'a>,
    /// Every regular survey show, answered or not.
    pub shows: Encoded<'a>,
    /// Every exposure of the evaluation users.
    pub exposures: Encoded<'a>,
    /// Recalled candidates the feed left unshown, of the same users' requests.
    pub unshown: Encoded<'a>,
    /// The random slice: panel answers, which everyone asked gives.
    pub panel: Encoded<'a>,
}

/// The fitted submit model and the propensities it gives.
pub struct SubmitFit {
    /// The model.
    pub model: SubmitModel,
    /// P(submit | shown) of each submitted training show, in `TrainSets::submits` order.
    pub train_prop: Vec<f32>,
    /// Of each evaluation show, in `EvalSets::shows` order.
    pub show_prop: Vec<f32>,
    /// Of each evaluation submit, in `EvalSets::submits` order.
    pub submit_prop: Vec<f32>,
    /// The ceiling propensity (`experiment::ceiling`) of each evaluation show.
    pub ceiling_show_prop: Vec<f64>,
    /// Of each evaluation submit.
    pub ceiling_submit_prop: Vec<f64>,
    /// Its quality against what was submitted and against the true propensity.
    pub metrics: MetricMap,
    /// Its training.
    pub report: TrainReport,
}

/// Likelihood ratios `P(submit | answer) / P(submit)` per (survey, answer), from the random
/// slice's answer distribution against the submitted one (naive Bayes, Schnabel et al. 2016).
pub type MarginalRatios = BTreeMap<(SurveyKind, Answer), f64>;

/// Answer-dependent propensities from a panel, conditional on the features:
/// `P(submit | x, y) = P(submit | x) * P(y | x, submit) / P(y | x)` (Bayes' rule), as the
/// likelihood ratio that multiplies the submit model's `P(submit | x)` (`experiment::variants`).
pub struct PanelRatios {
    /// The ratio of each training submit's answer (`TrainSets::submits` order).
    pub train: Vec<f64>,
    /// Of each evaluation show's answer where submitted, else 1 (`EvalSets::shows` order).
    pub eval_shows: Vec<f64>,
    /// The ratios by the answer alone (naive Bayes), from the training period's submitted
    /// answers against its random slice: the propensity of a rating given its value that
    /// Schnabel et al. estimate on missing-not-at-random ratings.
    pub marginal: MarginalRatios,
}

/// A feature-level propensity `p` times the answer's likelihood ratio, clamped to `[clip, 1]`.
pub fn answer_propensity(p: f64, ratio: f64, clip: f64) -> f64 {
    (p * ratio).clamp(clip, 1.0)
}

/// The trained variants and what training them measured.
pub struct Trained {
    /// Each variant's model, in training order.
    pub models: Vec<(Variant, SurveyModel)>,
    /// A plain logistic regression on the same rows and features, scored beside them (not
    /// ranked in the A/B test): the baseline a team would compare a survey model with.
    pub logistic: LogisticModel,
    /// head → the (unweighted) teacher's metrics on evaluation submits.
    pub teacher: BTreeMap<HeadDef, MetricMap>,
    /// Pseudo-label cells Eq. 8 kept for the last student trained.
    pub pseudo_cells_kept: usize,
    /// The (unweighted) teacher's probabilities on every evaluation exposure (`exposures ×
    /// heads`): the pseudo labels a student learns to rank like (section 4.1.1's regAUC).
    pub teacher_exposed: Vec<f32>,
    /// The panel's answer-dependent ratios, where the scenario has a panel.
    pub panel: Option<PanelRatios>,
    /// Each model's training.
    pub training: BTreeMap<ModelId, TrainReport>,
}
