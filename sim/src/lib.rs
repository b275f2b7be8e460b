//! # usm-sim
//!
//! A seeded simulator of a short-video feed with in-feed surveys, whose response bias and
//! exposure bias are knobs and whose truth is known for every exposure; and the experiments that
//! join it with `usm-core`'s models.
//!
//! ```no_run
//! use usm_sim::prelude::*;
//!
//! let mut s = Scenario::preset("paper")?;
//! s.set("survey.rate=0.01")?;
//! let s = s.check()?;
//! let pop = Population::draw(&s);
//! let mut rows = Vec::new();
//! let stats = run(&s, &pop, None, RunOptions::default(), &mut |b: &[ExposureRecord]| {
//!     rows.extend_from_slice(b);
//!     Ok(())
//! }, &mut |_| {})?;
//! println!("{}", stats.summary());
//! # Ok::<(), usm_sim::error::SimError>(())
//! ```
//!
//! Data flows one way: [`scenario`] → [`population`] → [`runner`] (the [`story`] of each
//! exposure) → [`records`] (the log schema) → datasets → models → metrics → report.

pub mod datasets;
pub mod dist;
pub mod error;
pub mod experiment;
pub mod heads;
pub mod logs;
pub mod output;
pub mod population;
pub mod records;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod story;
pub mod summary;
pub mod svg;
pub mod sweep;

/// The types most programs need.
pub mod prelude {
    pub use crate::error::{Result, SimError};
    pub use crate::population::Population;
    pub use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
    pub use crate::runner::{Candidate, RankHook, RunOptions, RunProgress, Sink, run};
    pub use crate::scenario::{Scenario, ValidScenario};
    pub use crate::summary::RunStats;
}
