//! The experiments: the paper end to end in simulation, as a library the CLI and the browser
//! share. One replicate runs its stages in the order the data flows:
//!
//! - [`collect`]: simulate once, keep the rows the experiment needs;
//! - [`submit`]: the survey-submit model and its propensities (section 3.2.2), beside the
//!   [`ceiling`], the best propensity computable from the logs;
//! - [`variants`]: baseline, response debias, distillation (Eq. 7–9), the panel variant;
//! - [`evaluate`]: Tables 1–3 and the oracle metrics, and the [`gaps`] the claims compare
//!   (model against model, with standard errors over users);
//! - [`rates`]: Eq. 2, Eq. 13, Eq. 5 and the doubly robust rate;
//! - [`ab`]: the closed-loop A/B test (Eq. 3);
//!
//! then [`results`] aggregates replicates and [`claims`] checks the paper's claims. [`event`] is how every stage reports progress, and
//! [`names`] the typed names (variants, metrics) they write and read.

pub mod ab;
pub mod candidates;
pub mod ceiling;
pub mod claims;
pub mod collect;
pub mod config;
pub mod evaluate;
pub mod event;
pub mod gaps;
pub mod import;
pub mod measured;
pub mod names;
pub mod rates;
pub mod replicate;
pub mod results;
pub mod shard;
pub mod split;
pub mod stats;
pub mod submit;
pub mod variants;
pub mod world;

use burn::prelude::Device;

pub use config::{AbConfig, Experiment, ExperimentConfig};
pub use event::Event;
pub use import::fit;
pub use measured::Replicate;
pub use names::{AbKey, Metric, Variant};
pub use replicate::{run_replicate, run_replicate_async, run_world, run_world_async};
pub use results::{Claim, Results};
pub use world::LogSource;

use crate::error::Result;

/// The replicates aggregated into [`Results`] and the paper's claims checked on them.
pub fn conclude(exp: &Experiment, reps: &[Replicate], seconds: Vec<f64>) -> Results {
    let mut res = results::aggregate_replicates(exp, reps, seconds);
    res.claims = claims::check_claims(&res);
    res
}

/// The parts of every shard of a run ([`shard::gather`], each with where it was read) pooled
/// into the run's results: the same as [`run_experiment`] running every replicate, seconds aside.
pub fn pool(parts: &[(String, shard::Part)]) -> Result<Results> {
    let (exp, reps, seconds) = shard::gather(parts)?;
    Ok(conclude(&exp, &reps, seconds))
}

/// Runs every replicate and aggregates them. `clock` returns seconds (pass
/// `std::time::Instant`-based code natively; the browser has no such clock here). Blocks until
/// the end: for devices that read back synchronously (flex, native wgpu); each replicate is
/// [`run_replicate_async`] driven to completion here.
///
/// Where [`replicates_at_once`] says so (on the CPU, with a thread pool of more than one), the
/// replicates run side by side, which keeps every core busy through the stages that use one
/// (evaluation, the A/B test's feed). The results are those of one after the other: each
/// replicate draws from its own seeds, and models start from weights drawn under a lock
/// (tested). `report` then hears the first replicate's events only, with its stages' names
/// saying so: one bar for work that runs N at a time.
pub fn run_experiment(
    exp: &Experiment,
    device: &Device,
    report: &mut (dyn FnMut(Event) + Send),
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<Results> {
    let all: Vec<usize> = (0..exp.replicates).collect();
    let (reps, seconds) = run_replicates(exp, &all, device, report, clock)?;
    Ok(conclude(exp, &reps, seconds))
}

/// One shard's replicates of the run ([`shard::Shard::replicates`]), as the part `usm pool`
/// combines with the others'; run as [`run_experiment`] runs them.
pub fn run_shard(
    exp: &Experiment,
    shard: shard::Shard,
    device: &Device,
    report: &mut (dyn FnMut(Event) + Send),
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<shard::Part> {
    let which = shard.replicates(exp.replicates);
    let (reps, seconds) = run_replicates(exp, &which, device, report, clock)?;
    Ok(shard::Part {
        format: shard::PART_FORMAT.into(),
        config: exp.config().clone(),
        shard,
        replicates: which
            .into_iter()
            .zip(reps.into_iter().zip(seconds))
            .map(|(index, (measured, seconds))| shard::PartReplicate {
                index,
                seconds,
                measured,
            })
            .collect(),
    })
}

/// The replicates `which` of the run, with each one's seconds: side by side where
/// [`replicates_at_once`] says so, else one after the other.
fn run_replicates(
    exp: &Experiment,
    which: &[usize],
    device: &Device,
    report: &mut (dyn FnMut(Event) + Send),
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<(Vec<Replicate>, Vec<f64>)> {
    #[cfg(feature = "parallel")]
    if replicates_at_once(exp, device) > 1 && which.len() > 1 {
        return side_by_side(exp, which, device, report, clock);
    }
    usm_core::block_on(one_after_another(exp, which, device, report, clock))
}

/// The replicates `which`, each in turn, with its seconds.
async fn one_after_another(
    exp: &Experiment,
    which: &[usize],
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<(Vec<Replicate>, Vec<f64>)> {
    let (mut reps, mut seconds) = (Vec::with_capacity(which.len()), Vec::new());
    for &r in which {
        let t0 = clock();
        reps.push(run_replicate_async(exp, r, device, report).await?);
        seconds.push(clock() - t0);
    }
    Ok((reps, seconds))
}

/// How many replicates [`run_experiment`] runs at once: all of them on the CPU (`flex`) when
/// rayon's pool has more than one thread (`RAYON_NUM_THREADS`), else one. On a GPU, and in the
/// browser, one after the other.
pub fn replicates_at_once(exp: &Experiment, device: &Device) -> usize {
    #[cfg(feature = "parallel")]
    if *device == Device::flex() && rayon::current_num_threads() > 1 {
        return exp.replicates.max(1);
    }
    let _ = (exp, device);
    1
}

#[cfg(feature = "parallel")]
fn side_by_side(
    exp: &Experiment,
    which: &[usize],
    device: &Device,
    report: &mut (dyn FnMut(Event) + Send),
    clock: &(dyn Fn() -> f64 + Sync),
) -> Result<(Vec<Replicate>, Vec<f64>)> {
    use rayon::prelude::*;
    let n = which.len();
    let report = std::sync::Mutex::new(report);
    let done = which
        .par_iter()
        .map(|&r| {
            let t0 = clock();
            let mut note = |e: Event| {
                if r != which[0] {
                    return;
                }
                let e = match e {
                    Event::Stage { name, total } => Event::Stage {
                        name: format!("{name}, {n} replicates side by side"),
                        total,
                    },
                    e => e,
                };
                (*report.lock().unwrap_or_else(|p| p.into_inner()))(e)
            };
            let rep = usm_core::block_on(run_replicate_async(exp, r, device, &mut note))?;
            Ok((rep, clock() - t0))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(done.into_iter().unzip())
}

/// Every replicate in turn, without a synchronous read of any tensor: what the browser runs over
/// WebGPU, and what [`run_experiment`] runs where replicates go one at a time.
pub async fn run_experiment_async(
    exp: &Experiment,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    let all: Vec<usize> = (0..exp.replicates).collect();
    let (reps, seconds) = one_after_another(exp, &all, device, report, clock).await?;
    Ok(conclude(exp, &reps, seconds))
}
