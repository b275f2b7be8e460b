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
pub mod names;
pub mod rates;
pub mod replicate;
pub mod results;
pub mod submit;
pub mod variants;

use burn::prelude::Device;

pub use config::{AbConfig, Experiment, ExperimentConfig};
pub use event::Event;
pub use import::{LogSource, fit};
pub use names::{AbKey, Metric, Variant};
pub use replicate::{Replicate, run_replicate, run_replicate_async, run_world, run_world_async};
pub use results::{Claim, Results, aggregate_replicates};

use crate::error::Result;

/// Runs every replicate in turn and aggregates them. `clock` returns seconds (pass
/// `std::time::Instant`-based code natively; the browser has no such clock here). Blocks until
/// the end: for devices that read back synchronously (flex, native wgpu). It is
/// [`run_experiment_async`], driven to completion here.
pub fn run_experiment(
    exp: &Experiment,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    usm_core::block_on(run_experiment_async(exp, device, report, clock))
}

/// [`run_experiment`] without a synchronous read of any tensor: what the browser runs over
/// WebGPU, and what `usm run` runs on every device.
pub async fn run_experiment_async(
    exp: &Experiment,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    let mut reps = Vec::with_capacity(exp.replicates);
    let mut seconds = Vec::new();
    for r in 0..exp.replicates {
        let t0 = clock();
        reps.push(run_replicate_async(exp, r, device, report).await?);
        seconds.push(clock() - t0);
    }
    Ok(aggregate_replicates(exp, &reps, seconds))
}
