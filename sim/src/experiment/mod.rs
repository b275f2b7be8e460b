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
pub use replicate::{Replicate, run_replicate, run_world};
pub use results::{Claim, Results, aggregate_replicates};

use crate::error::Result;

/// Runs every replicate in turn and aggregates them. `clock` returns seconds (pass
/// `std::time::Instant`-based code natively; the browser has no such clock here).
pub fn run_experiment(
    exp: &Experiment,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    let mut reps = Vec::with_capacity(exp.replicates);
    let mut seconds = Vec::new();
    for r in 0..exp.replicates {
        let t0 = clock();
        reps.push(run_replicate(exp, r, device, report)?);
        seconds.push(clock() - t0);
    }
    Ok(aggregate_replicates(exp, &reps, seconds))
}
