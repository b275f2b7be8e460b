//! One replicate of the experiment, as a list of its stages: simulate → split the rows →
//! fit the submit model → train the variants → evaluate → estimate the rates → A/B test.

use std::collections::BTreeMap;

use burn::prelude::Device;
use usm_core::data::Labels;
use usm_core::train::{TrainConfig, TrainReport};

use super::ab::{AbResult, run_ab};
use super::candidates::unshown;
use super::collect::{Collected, collect};
use super::config::Experiment;
use super::evaluate::{Curve, EvalSets, evaluate};
use super::event::Event;
use super::names::{Metric, Variant};
use super::rates::estimate_rates;
use super::submit::fit_submit_model;
use super::variants::train_variants;
use crate::datasets::{FeatureSpec, survey_labels};
use crate::error::{Result, SimError};
use crate::heads::HeadDef;
use crate::population::Population;
use crate::records::ExposureRecord;
use crate::scenario::ValidScenario;

/// Metric → value (`None` where undefined, e.g. a head without positives).
pub type MetricMap = BTreeMap<Metric, Option<f64>>;

/// Row counts of one replicate.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Everything one replicate measured.
#[derive(Clone, Debug, Default)]
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
    /// gap id → the claims' model-against-model differences, with standard errors over users.
    pub gaps: BTreeMap<String, super::gaps::Estimate>,
    /// The A/B test.
    pub ab: Option<AbResult>,
    /// Simulation totals.
    pub stats: crate::summary::RunStats,
    /// Row counts.
    pub data: DataCounts,
    /// model name → training report.
    pub training: BTreeMap<String, TrainReport>,
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
    /// exposure id → the propensity the logging policy recorded for it, where the logs carry
    /// one (the Open Bandit Dataset); empty otherwise. Evaluation reads it, as it reads the
    /// oracle: how far the fitted propensity tracks it, and Eq. 13 with it.
    pub logged_propensity: std::collections::HashMap<u64, f64>,
}

/// A simulated world's scenario and population.
pub struct SimWorld {
    /// The scenario, its seed shifted by the replicate.
    pub scenario: ValidScenario,
    /// Users, videos, authors.
    pub pop: Population,
}

/// The rows every stage after the simulation reads, split by period and by answer.
pub struct Split<'a> {
    /// The checked experiment.
    pub exp: &'a Experiment,
    /// The replicate's world.
    pub world: &'a World,
    /// How rows become features.
    pub spec: FeatureSpec,
    /// The replicate's seed (training seeds derive from it).
    pub seed: u64,
    /// Submitted training-period shows.
    pub train_submits: Vec<&'a ExposureRecord>,
    /// Their labels, one column per head.
    pub train_labels: Labels,
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

/// Runs one replicate: `r` shifts the scenario's seed and every training seed. Blocks until
/// it ends: for devices that read back synchronously (flex, native wgpu); see
/// [`run_replicate_async`].
pub fn run_replicate(
    exp: &Experiment,
    r: usize,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Replicate> {
    usm_core::block_on(run_replicate_async(exp, r, device, report))
}

/// [`run_replicate`] without a synchronous read of any tensor: the one path on every device,
/// and the only one WebGPU in a browser can take.
pub async fn run_replicate_async(
    exp: &Experiment,
    r: usize,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Replicate> {
    let world = simulate(exp, r, report)?;
    run_world_async(exp, &world, device, report).await
}

/// Runs every stage after the rows are collected, on a simulated or an imported world. Blocks,
/// as [`run_replicate`] does.
pub fn run_world(
    exp: &Experiment,
    world: &World,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Replicate> {
    usm_core::block_on(run_world_async(exp, world, device, report))
}

/// [`run_world`], asynchronously.
pub async fn run_world_async(
    exp: &Experiment,
    world: &World,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Replicate> {
    let split = split(exp, world)?;
    let submit = fit_submit_model(&split, device, report).await?;
    let trained = train_variants(&split, &submit, device, report).await?;
    let evaluation = evaluate(&split, &trained, &submit, report).await?;
    let rates = estimate_rates(
        &split,
        &submit,
        &evaluation.show_preds,
        trained.panel.as_ref(),
    );
    let ab = match &world.sim {
        Some(sim) if exp.ab.enabled => {
            Some(run_ab(&split, sim, &submit.model, &trained.models, report).await?)
        }
        _ => None,
    };
    let mut training = BTreeMap::from([("submit".to_string(), submit.report)]);
    training.extend(trained.training);
    Ok(Replicate {
        seed: split.seed,
        variants: evaluation.variants,
        rates,
        submit: submit.metrics,
        teacher: trained.teacher,
        reference: evaluation.reference,
        curves: evaluation.curves,
        gaps: evaluation.gaps,
        ab,
        stats: world.data.stats.clone(),
        data: DataCounts {
            train_shows: world.data.train_shows.len(),
            train_submits: split.train_submits.len(),
            train_panel: world.data.train_panel.len(),
            pseudo_rows: world.data.pseudo.len(),
            pseudo_cells_kept: trained.pseudo_cells_kept,
            eval_shows: world.data.eval_shows.len(),
            eval_submits: split.eval.submits.len(),
            eval_exposures: world.data.eval_exposures.len(),
        },
        training,
    })
}

/// Draws the replicate's population and simulates it, keeping the experiment's rows.
fn simulate(exp: &Experiment, r: usize, report: &mut dyn FnMut(Event)) -> Result<World> {
    let scenario = exp
        .valid_scenario()
        .with(|s| s.seed = s.seed.wrapping_add(r as u64))?;
    let pop = Population::draw(&scenario);
    let days = scenario.population.days as u64;
    let users = scenario.population.users as u64;
    report(Event::Stage {
        name: format!("simulate (replicate {}, seed {})", r + 1, scenario.seed),
        total: days * users,
    });
    let data = collect(
        &scenario,
        &pop,
        exp.eval_days,
        exp.eval_user_share,
        exp.pseudo_rows,
        &mut |p| {
            report(Event::Progress {
                pos: p.day as u64 * users + p.users_done as u64,
                msg: format!("{} exposures", p.exposures),
            })
        },
    )?;
    Ok(World {
        seed: scenario.seed,
        sim: Some(SimWorld { scenario, pop }),
        oracle: true,
        data,
        logged_propensity: Default::default(),
    })
}

/// Splits the kept rows for the stages, and refuses a run with too little to train or evaluate on.
fn split<'a>(exp: &'a Experiment, world: &'a World) -> Result<Split<'a>> {
    let data = &world.data;
    let train_submits: Vec<&ExposureRecord> =
        data.train_shows.iter().filter(|r| r.submitted).collect();
    let eval_submits: Vec<&ExposureRecord> =
        data.eval_shows.iter().filter(|r| r.submitted).collect();
    if data.train_shows.is_empty() || train_submits.is_empty() {
        return Err(SimError::Experiment(format!(
            "the training period has {} survey shows and {} submits: too few to train on; raise survey.rate or population.users",
            data.train_shows.len(),
            train_submits.len()
        )));
    }
    if eval_submits.is_empty() || data.eval_exposures.is_empty() {
        return Err(SimError::Experiment("the evaluation period has no submits or no exposures: raise eval_days, survey.rate or eval_user_share".into()));
    }
    let train_labels = survey_labels(exp.heads(), train_submits.iter().copied());
    check_heads(exp.heads(), &train_labels, train_submits.len())?;
    Ok(Split {
        exp,
        world,
        spec: data.spec,
        seed: world.seed,
        train_submits,
        train_labels,
        eval: EvalSets {
            submits: eval_submits,
            shows: data.eval_shows.iter().collect(),
            exposures: data.eval_exposures.iter().collect(),
            unshown: world
                .sim
                .as_ref()
                .map(|sim| {
                    unshown(
                        sim,
                        &data.eval_exposures.iter().collect::<Vec<_>>(),
                        exp.eval_unshown_per_request,
                    )
                })
                .unwrap_or_default(),
            panel: data.eval_panel.iter().collect(),
        },
    })
}

/// Every head needs a positive training answer.
fn check_heads(heads: &[HeadDef], labels: &Labels, n_submits: usize) -> Result<()> {
    for (k, h) in heads.iter().enumerate() {
        let (n, pos) = labels.head_counts(k);
        if pos == 0 {
            return Err(SimError::Experiment(format!(
                "head `{h}` has no positive answer among {n} training answers ({n_submits} submits in all): \
                 raise survey.rate or population.users, or drop the head"
            )));
        }
    }
    Ok(())
}
