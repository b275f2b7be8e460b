//! What an experiment runs: the scenario plus models, training, corrections and the A/B test.

use serde::{Deserialize, Serialize};
use usm_core::debias::{DistillConfig, IpwConfig};
use usm_core::net::ArchConfig;
use usm_core::train::{LossNorm, TrainConfig};

use crate::datasets::parse_heads;
use crate::error::{Result, SimError};
use crate::scenario::{Scenario, set_by_path};

/// The closed-loop A/B test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbConfig {
    /// Run it.
    pub enabled: bool,
    /// Users in the test (the first ones of the population).
    pub users: u32,
    /// Days the test runs.
    pub days: u32,
    /// Eq. 3 weight of each head's prediction in the ranking score, in `heads` order.
    /// Negative: rank likely issues lower.
    pub weights: Vec<f64>,
    /// Bootstrap resamples of users for the confidence intervals.
    pub bootstrap: usize,
}

impl Default for AbConfig {
    fn default() -> Self {
        AbConfig {
            enabled: true,
            users: 8_000,
            days: 3,
            weights: vec![-2.0, -8.0, -8.0],
            bootstrap: 200,
        }
    }
}

/// A whole experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentConfig {
    /// The population, feed and surveys.
    pub scenario: Scenario,
    /// Survey model heads: `dislike`, `inappropriate`, or issue names such as `sexual`.
    pub heads: Vec<String>,
    /// The last days of the scenario are the evaluation period; models train on the rest.
    pub eval_days: u32,
    /// Share of users whose every exposure in the evaluation period is kept (UAUC, oracle
    /// metrics over all exposures).
    pub eval_user_share: f64,
    /// About how many exposures of the training period are sampled, uniformly, as the
    /// pseudo-label stream (Fig. 4).
    pub pseudo_rows: usize,
    /// Network widths of every model.
    pub arch: ArchConfig,
    /// Training of the survey models, teachers and students.
    pub train: TrainConfig,
    /// Training of the survey-submit model.
    pub submit_train: TrainConfig,
    /// Inverse propensity weights.
    pub ipw: IpwConfig,
    /// Pseudo-label distillation.
    pub distill: DistillConfig,
    /// Independent replicates (seed, seed+1, ...), for confidence intervals.
    pub replicates: usize,
    /// The closed-loop A/B test.
    pub ab: AbConfig,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig {
            scenario: Scenario::preset("experiment").expect("the experiment preset exists"),
            heads: vec!["dislike".into(), "inappropriate".into(), "sexual".into()],
            eval_days: 3,
            eval_user_share: 0.1,
            pseudo_rows: 150_000,
            arch: ArchConfig {
                embedding_dim: 16,
                hidden: vec![128, 64, 32],
                head_hidden: vec![32, 16],
                se_reduction: 4,
            },
            train: TrainConfig {
                epochs: 8,
                batch_size: 512,
                learning_rate: 2e-3,
                embedding_learning_rate: 1e-3,
                patience: 1,
                loss_norm: LossNorm::SelfNormalized,
                ..TrainConfig::default()
            },
            submit_train: TrainConfig {
                epochs: 4,
                batch_size: 1024,
                learning_rate: 2e-3,
                embedding_learning_rate: 1e-3,
                patience: 1,
                ..TrainConfig::default()
            },
            ipw: IpwConfig::default(),
            distill: DistillConfig::default(),
            replicates: 3,
            ab: AbConfig::default(),
        }
    }
}

impl ExperimentConfig {
    /// Checks every field, the scenario's included.
    pub fn validate(&self) -> Result<()> {
        self.scenario.validate()?;
        parse_heads(&self.heads)?;
        let days = self.scenario.population.days;
        if self.eval_days == 0 || self.eval_days >= days {
            return Err(SimError::field(
                "eval_days",
                self.eval_days,
                &format!("1..={} (fewer than population.days = {days})", days - 1),
            ));
        }
        if !(self.eval_user_share > 0.0 && self.eval_user_share <= 1.0) {
            return Err(SimError::field(
                "eval_user_share",
                self.eval_user_share,
                "(0, 1]",
            ));
        }
        if self.pseudo_rows == 0 {
            return Err(SimError::field("pseudo_rows", 0, "at least 1"));
        }
        self.arch.validate()?;
        self.train
            .validate()
            .map_err(|e| SimError::Experiment(format!("train: {e}")))?;
        self.submit_train
            .validate()
            .map_err(|e| SimError::Experiment(format!("submit_train: {e}")))?;
        self.ipw.validate()?;
        self.distill.validate()?;
        if self.replicates == 0 || self.replicates > 1000 {
            return Err(SimError::field("replicates", self.replicates, "1..=1000"));
        }
        let ab = &self.ab;
        if ab.enabled {
            if ab.users == 0 || ab.users > self.scenario.population.users {
                return Err(SimError::field(
                    "ab.users",
                    ab.users,
                    &format!("1..={} (population.users)", self.scenario.population.users),
                ));
            }
            if ab.days == 0 || ab.days > 1000 {
                return Err(SimError::field("ab.days", ab.days, "1..=1000"));
            }
            if ab.weights.len() != self.heads.len() {
                return Err(SimError::field(
                    "ab.weights",
                    format!("{:?}", ab.weights),
                    &format!("one weight per head ({} heads)", self.heads.len()),
                ));
            }
            if let Some(w) = ab.weights.iter().find(|w| !w.is_finite()) {
                return Err(SimError::field("ab.weights", w, "finite numbers"));
            }
            if ab.bootstrap < 20 {
                return Err(SimError::field("ab.bootstrap", ab.bootstrap, "at least 20"));
            }
        }
        Ok(())
    }

    /// Reads an experiment from TOML.
    pub fn from_toml(text: &str, origin: &str) -> Result<ExperimentConfig> {
        toml::from_str(text).map_err(|e| SimError::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// The experiment as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("an experiment always serialises")
    }

    /// Sets a field by dotted path: `scenario.survey.rate=0.01`, `train.epochs=3`. A key that
    /// does not start with an experiment field is taken as a scenario key (`survey.rate=0.01`).
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let key = assignment
            .split_once('=')
            .map(|(k, _)| k.trim())
            .unwrap_or(assignment);
        let first = key.split('.').next().unwrap_or("");
        if first == "scenario" {
            return self
                .scenario
                .set(assignment.trim_start().trim_start_matches("scenario."));
        }
        let own = toml::Value::try_from(&*self)
            .ok()
            .and_then(|v| v.as_table().map(|t| t.contains_key(first)))
            .unwrap_or(false);
        if !own {
            return self.scenario.set(assignment);
        }
        *self = set_by_path(self, assignment)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_validates_and_set_reaches_both_levels() {
        let mut c = ExperimentConfig::default();
        c.validate().unwrap();
        c.set("train.epochs=3").unwrap();
        assert_eq!(c.train.epochs, 3);
        c.set("survey.rate=0.02").unwrap();
        assert_eq!(c.scenario.survey.rate, 0.02);
        c.set("scenario.willingness.spread=0.5").unwrap();
        assert_eq!(c.scenario.willingness.spread, 0.5);
        assert!(
            c.set("train.epoch=3")
                .unwrap_err()
                .to_string()
                .contains("train.epoch")
        );
        c.ab.weights = vec![1.0];
        assert!(c.validate().unwrap_err().to_string().contains("ab.weights"));
        let mut c = ExperimentConfig::default();
        c.distill.tau_n = 0.9;
        assert!(c.validate().unwrap_err().to_string().contains("tau_n"));
    }
}
