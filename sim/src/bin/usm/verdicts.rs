//! `usm verdicts`: every preset run, and every claim's verdict by preset written to
//! docs/verdicts.md and README's block, stamped with the commit they came from.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use usm_sim::experiment::{ExperimentConfig, Results, run_experiment};
use usm_sim::prelude::*;
use usm_sim::report::verdicts::{PRESETS_RUN, markdown, readme_block, replace_block};

use crate::progress::Bars;

/// What the verdicts come from: the command and the commit (with `+` where the working tree
/// differs from it).
fn stamp(replicates: usize) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit =
        git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "an unknown commit".into());
    // What this command writes is not the code that made it.
    let dirty = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        ":!README.md",
        ":!docs",
    ])
    .is_some_and(|s| !s.is_empty());
    format!(
        "usm verdicts --replicates {replicates}` at commit `{commit}{}",
        if dirty { "+" } else { "" }
    )
}

/// Runs the presets and writes the verdicts.
pub fn verdicts(replicates: Option<usize>, out: &Path, readme: &Path) -> Result<()> {
    let replicates = replicates.unwrap_or(ExperimentConfig::default().replicates);
    let t0 = Instant::now();
    let dev = usm_core::prelude::Device::flex();
    let mut runs: Vec<(&str, Results)> = Vec::new();
    for preset in PRESETS_RUN {
        let exp = ExperimentConfig::resolve(
            ExperimentConfig::default(),
            Some(Scenario::preset(preset)?),
            &[format!("replicates={replicates}")],
        )?;
        eprintln!("{preset}: {}", usm_sim::report::describe(&exp));
        let mut bars = Bars { pb: None };
        let t = Instant::now();
        let res = run_experiment(&exp, &dev, &mut |e| bars.on(e), &|| {
            t.elapsed().as_secs_f64()
        })
        .with_context(|| format!("running preset `{preset}`"))?;
        bars.done();
        runs.push((preset, res));
    }
    let stamp = stamp(replicates);
    let pairs: Vec<(&str, &Results)> = runs.iter().map(|(p, r)| (*p, r)).collect();
    usm_sim::output::write_file_atomic(out, markdown(&pairs, &stamp))?;
    println!("wrote {}", out.display());
    if readme != Path::new("-") {
        let text = std::fs::read_to_string(readme)
            .with_context(|| format!("reading {}", readme.display()))?;
        let block = readme_block(&runs[0].1, &format!("`{stamp}`"));
        let new = replace_block(&text, &block).map_err(anyhow::Error::msg)?;
        usm_sim::output::write_file_atomic(readme, new)?;
        println!("filled the verdict block of {}", readme.display());
    }
    println!("finished in {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}
