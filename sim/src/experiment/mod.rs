//! The experiments: the paper end to end in simulation, as a library the CLI and the browser
//! share.

pub mod ab;
pub mod collect;
pub mod config;
pub mod pipeline;
pub mod results;

use burn::prelude::Device;

pub use config::{AbConfig, ExperimentConfig};
pub use pipeline::{Event, Replicate, VARIANTS, run_replicate};
pub use results::{Claim, Results, aggregate_replicates};

use crate::error::Result;

/// Runs every replicate in turn and aggregates them. `clock` returns seconds (pass
/// `std::time::Instant`-based code natively; the browser has no such clock here).
pub fn run_experiment(
    cfg: &ExperimentConfig,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    cfg.validate()?;
    let mut reps = Vec::with_capacity(cfg.replicates);
    let mut seconds = Vec::new();
    for r in 0..cfg.replicates {
        let t0 = clock();
        reps.push(run_replicate(cfg, r, device, report)?);
        seconds.push(clock() - t0);
    }
    Ok(aggregate_replicates(cfg, &reps, seconds))
}
