//! What the flags resolve to: a scenario (a file or a preset, then `--set` and `--seed`) and the
//! experiment `usm run` and `usm fit` run.

use std::path::PathBuf;

use anyhow::{Context, Result};
use usm_sim::experiment::{Experiment, ExperimentConfig};
use usm_sim::prelude::*;
use usm_sim::scenario::ValidScenario;

use crate::args::{FitArgs, LogFormat, RunArgs, ScenarioArgs};

/// A scenario TOML file, or a preset by name.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    let path = PathBuf::from(name_or_path);
    if name_or_path.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading scenario file {}", path.display()))?;
        Ok(Scenario::from_toml(&text, &path.display().to_string())?)
    } else {
        Ok(Scenario::preset(name_or_path)?)
    }
}

pub fn resolve(args: &ScenarioArgs) -> Result<ValidScenario> {
    let mut s = load_scenario(&args.scenario)?;
    for a in &args.set {
        s.set(a)?;
    }
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    Ok(s.check()?)
}

/// The `--config` file's experiment, or the default one.
fn base_config(path: Option<&std::path::Path>) -> Result<ExperimentConfig> {
    let Some(path) = path else {
        return Ok(ExperimentConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading experiment file {}", path.display()))?;
    Ok(ExperimentConfig::from_toml(
        &text,
        &path.display().to_string(),
    )?)
}

/// The experiment `usm run` runs: the `--config` file (or the default experiment), its scenario
/// replaced by `--scenario` when one is named (always without `--config`), then every `--set`,
/// `--seed` and `--replicates` in that order, checked.
pub fn experiment_config(a: &RunArgs) -> Result<Experiment> {
    let base = base_config(a.config.as_deref())?;
    let explicit = a.config.is_none() || a.scenario != "experiment";
    let scenario = if explicit {
        Some(load_scenario(&a.scenario)?)
    } else {
        None
    };
    let mut sets = a.set.clone();
    sets.extend(a.seed.map(|seed| format!("seed={seed}")));
    sets.extend(a.replicates.map(|r| format!("replicates={r}")));
    Ok(ExperimentConfig::resolve(base, scenario, &sets)?)
}

/// The experiment `usm fit` runs: the `--config` file or the default experiment, without the
/// A/B test (it needs the simulator), as one replicate, then every `--set` and `--seed`.
pub fn fit_config(a: &FitArgs) -> Result<Experiment> {
    let base = base_config(a.config.as_deref())?;
    let mut sets = vec!["ab.enabled=false".to_string(), "replicates=1".to_string()];
    match a.logs.format {
        LogFormat::Log => {}
        // Ratings: one survey (like / dislike), day 0 trains and day 1 evaluates.
        LogFormat::Ratings | LogFormat::RatingsDense => {
            sets.extend(["heads=[\"dislike\"]".to_string(), "eval_days=1".to_string()])
        }
        // Clicks: one survey; the last 2 of 7 days evaluate; logged propensities go down to
        // 5e-5, so the propensity floor is far below the default.
        LogFormat::Obd => sets.extend([
            "heads=[\"dislike\"]".to_string(),
            "eval_days=2".to_string(),
            "ipw.clip=0.00001".to_string(),
        ]),
    }
    sets.extend(a.set.iter().cloned());
    sets.extend(a.seed.map(|seed| format!("seed={seed}")));
    Ok(ExperimentConfig::resolve(base, None, &sets)?)
}
