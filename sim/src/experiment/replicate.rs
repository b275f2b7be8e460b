//! One replicate of the experiment, as the list of its stages in the order the data flows:
//! simulate → split the rows → fit the submit model → train the variants → evaluate → estimate
//! the rates → A/B test. Each stage is a module; this one only runs them.

use std::collections::BTreeMap;

use burn::prelude::Device;

use super::ab::run_ab;
use super::candidates::unshown;
use super::collect::collect;
use super::config::Experiment;
use super::evaluate::evaluate;
use super::event::Event;
use super::measured::{DataCounts, Replicate};
use super::names::ModelId;
use super::rates::estimate_rates;
use super::split::split;
use super::submit::fit_submit_model;
use super::variants::train_variants;
use super::world::{SimWorld, World};
use crate::error::Result;
use crate::population::Population;

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
        (&evaluation.show_preds, &evaluation.panel_preds),
        trained.panel.as_ref(),
    );
    let ab = match &world.sim {
        Some(sim) if exp.ab.enabled => {
            Some(run_ab(&split, sim, &submit.model, &trained.models, report).await?)
        }
        _ => None,
    };
    let mut training = BTreeMap::from([(ModelId::Submit, submit.report)]);
    training.extend(trained.training);
    let data = &world.data;
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
        stats: data.stats.clone(),
        data: DataCounts {
            train_shows: data.train_shows.len(),
            train_submits: split.train.submits.len(),
            train_panel: data.train_panel.len(),
            pseudo_rows: data.pseudo.len(),
            pseudo_cells_kept: trained.pseudo_cells_kept,
            eval_shows: data.eval_shows.len(),
            eval_submits: split.eval.submits.len(),
            eval_exposures: data.eval_exposures.len(),
        },
        training,
    })
}

/// Draws the replicate's population and simulates it, keeping the experiment's rows and
/// drawing the candidates the feed left unshown for the evaluation users.
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
    let sim = SimWorld { scenario, pop };
    let exposures: Vec<_> = data.eval_exposures.iter().collect();
    let unshown = unshown(&sim, &exposures, exp.eval_unshown_per_request);
    Ok(World {
        seed: sim.scenario.seed,
        sim: Some(sim),
        oracle: true,
        data,
        unshown,
        logged_propensity: Default::default(),
    })
}
