//! # usm-core
//!
//! The models, losses, training loop and metrics of "USM: Unbiased Survey Modeling for Limiting
//! Negative User Experiences in Recommendation Systems", on burn 0.22. Nothing here knows about
//! the simulator: it works on [`data::Features`] and [`data::Labels`] that could as well come
//! from real logs.
//!
//! ```no_run
//! use usm_core::prelude::*;
//!
//! let device = Device::flex();
//! let vocab = Vocab { users: 1000, items: 500, authors: 50 };
//! let cfg = SurveyModelConfig::new(vec!["dislike".into()], vocab, 4);
//! let mut model = SurveyModel::new(&cfg, &device)?;
//! # let (x, y): (Features, Labels) = todo!();
//! let report = model.fit(&x, &y, None, &TrainConfig::default(), &mut |_| {})?;
//! let p = model.predict(&x)?;
//! let auc = metrics::auc(&p.column(0), &y.column(0).0.iter().map(|&v| v > 0.5).collect::<Vec<_>>())?;
//! # Ok::<(), usm_core::error::CoreError>(())
//! ```
//!
//! - [`models`]: [`models::SurveyModel`] (LHUC + SE + heads), [`models::TeacherModel`] (also
//!   reads posterior behaviour), [`models::SubmitModel`] (P(submit | shown)).
//! - [`debias`]: inverse propensity weights and pseudo-label distillation.
//! - [`metrics`]: AUC, weighted AUC, calibration, regAUC, UAUC, survey rates, Eq. 13, bands.
//! - [`influence`]: each user's influence on a metric, for paired standard errors over users.
//! - [`rng`]: the portable generator every seeded thing in usm uses.

mod cpu;
pub mod data;
pub mod debias;
pub mod error;
pub mod exec;
pub mod influence;
pub mod logistic;
pub mod loss;
pub mod metrics;
pub mod models;
pub mod net;
pub mod rng;
mod scorer;
pub mod tables;
pub mod train;

pub use exec::block_on;
pub use scorer::{ModelKind, ScorerSpec};

/// The types most programs need.
pub mod prelude {
    pub use crate::data::{Features, Labels, Posterior, Vocab};
    pub use crate::debias::{DistillConfig, IpwConfig};
    pub use crate::error::{CoreError, Result};
    pub use crate::metrics;
    pub use crate::models::{
        Predictions, SubmitModel, SubmitModelConfig, SurveyModel, SurveyModelConfig, TeacherConfig,
        TeacherModel,
    };
    pub use crate::net::ArchConfig;
    pub use crate::train::{LossNorm, TrainConfig, TrainEvent, TrainReport};
    pub use burn::prelude::Device;
}
