//! What an experiment runs: the scenario plus models, training, corrections and the A/B test.

use serde::{Deserialize, Serialize};
use usm_core::debias::{DistillConfig, IpwConfig};
use usm_core::net::ArchConfig;
use usm_core::train::{LossNorm, TrainConfig};

use crate::error::{Result, SimError};
use crate::heads::{HeadDef, parse_heads};
use crate::scenario::{Scenario, ValidScenario, set_by_path};

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
}

impl Default for AbConfig {
    fn default() -> Self {
        AbConfig {
            enabled: true,
            users: 8_000,
            days: 3,
            weights: vec![-2.0, -8.0, -8.0],
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
    /// Recalled candidates the feed leaves unshown, per request of the evaluation users, on
    /// which every model is scored against the truth (what Eq. 3 ranks; 0 to 100, 0: none).
    pub eval_unshown_per_request: usize,
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
            eval_unshown_per_request: 4,
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
            // Enough worlds for most claims to be decided across them in a few minutes on 2
            // cores (docs/results-schema.md#verdicts).
            replicates: 12,
            ab: AbConfig::default(),
        }
    }
}

/// An experiment whose every field has been checked: the only form the pipeline runs on, so no
/// stage checks again or trusts its caller. Made by [`ExperimentConfig::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    config: ExperimentConfig,
    heads: Vec<HeadDef>,
    valid: ValidScenario,
}

impl Experiment {
    /// The configuration, as checked.
    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    /// The survey heads, parsed, in `heads` order.
    pub fn heads(&self) -> &[HeadDef] {
        &self.heads
    }

    /// The scenario, checked.
    pub fn valid_scenario(&self) -> &ValidScenario {
        &self.valid
    }

    /// The configuration, to change and check again.
    pub fn into_config(self) -> ExperimentConfig {
        self.config
    }
}

impl std::ops::Deref for Experiment {
    type Target = ExperimentConfig;

    fn deref(&self) -> &ExperimentConfig {
        &self.config
    }
}

impl TryFrom<ExperimentConfig> for Experiment {
    type Error = SimError;

    fn try_from(config: ExperimentConfig) -> Result<Experiment> {
        config.check()
    }
}

impl ExperimentConfig {
    /// Checks every field, the scenario's included, and returns the checked experiment. An error
    /// names the field (`submit_train.epochs`, `ab.weights`), its value and what is allowed.
    pub fn check(self) -> Result<Experiment> {
        self.validate()?;
        let heads = parse_heads(&self.heads)?;
        let valid = self.scenario.clone().check()?;
        Ok(Experiment {
            config: self,
            heads,
            valid,
        })
    }

    /// `usm run [--config FILE] [--scenario NAME] --set KEY=VALUE ...`, as one library call
    /// that the CLI and the page share: `base`, its scenario replaced by `scenario` where one is
    /// given, then each assignment in order (experiment keys, or scenario keys with or without
    /// `scenario.`), then every field checked.
    pub fn resolve(
        mut base: ExperimentConfig,
        scenario: Option<Scenario>,
        assignments: &[String],
    ) -> Result<Experiment> {
        if let Some(s) = scenario {
            base.scenario = s;
        }
        for a in assignments {
            base.set(a)?;
        }
        base.check()
    }

    /// Checks every field, the scenario's included; [`ExperimentConfig::check`] keeps the result.
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
        if self.eval_unshown_per_request > 100 {
            return Err(SimError::field(
                "eval_unshown_per_request",
                self.eval_unshown_per_request,
                "0..=100",
            ));
        }
        self.arch.validate()?;
        self.train.validate_at("train")?;
        self.submit_train.validate_at("submit_train")?;
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
    /// does not start with an experiment field is taken as a scenario key (`survey.rate=0.01`);
    /// an error for an unknown key names it as an experiment or scenario key.
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
        let own_keys: Vec<String> = toml::Value::try_from(&*self)
            .ok()
            .and_then(|v| v.as_table().map(|t| t.keys().cloned().collect()))
            .unwrap_or_default();
        if !own_keys.iter().any(|k| k == first) {
            return self.scenario.set(assignment).map_err(|e| match e {
                // Neither an experiment nor a scenario key: say both lists.
                SimError::UnknownKey { key, known } if !key.contains('.') => SimError::UnknownKey {
                    key,
                    known: format!(
                        "experiment keys {}; scenario keys {known}",
                        own_keys.join(", ")
                    ),
                },
                e => e,
            });
        }
        *self = set_by_path(self, assignment)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_replaces_the_scenario_then_applies_assignments_in_order() {
        let s = Scenario::preset("paper").unwrap();
        let e = ExperimentConfig::resolve(
            ExperimentConfig::default(),
            Some(s),
            &[
                "survey.rate=0.02".into(),
                "replicates=2".into(),
                "survey.rate=0.03".into(),
            ],
        )
        .unwrap();
        assert_eq!(e.scenario.name, "paper");
        assert_eq!((e.scenario.survey.rate, e.replicates), (0.03, 2));
        assert_eq!(e.heads().len(), 3);
        let err =
            ExperimentConfig::resolve(ExperimentConfig::default(), None, &["replicates=0".into()])
                .unwrap_err()
                .to_string();
        assert!(err.contains("replicates"), "{err}");
    }

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
        let e = c.set("replicate=3").unwrap_err().to_string();
        assert!(
            e.contains("`replicate`") && e.contains("experiment keys") && e.contains("replicates"),
            "{e}"
        );
        c.ab.weights = vec![1.0];
        assert!(c.validate().unwrap_err().to_string().contains("ab.weights"));
        let mut c = ExperimentConfig::default();
        c.submit_train.epochs = 0;
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("`submit_train.epochs`"), "{e}");
        let mut c = ExperimentConfig::default();
        c.train.learning_rate = -1.0;
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("`train.learning_rate`"), "{e}");
        let mut c = ExperimentConfig::default();
        c.distill.tau_n = 0.9;
        assert!(c.validate().unwrap_err().to_string().contains("tau_n"));
    }
}
