//! `usm scenario` and `usm presets`: a resolved scenario as documented TOML, the fields'
//! reference, the presets.

use std::path::Path;

use anyhow::Result;
use usm_sim::prelude::*;
use usm_sim::scenario::PRESETS;

use crate::args::ScenarioArgs;
use crate::config::resolve;

/// The resolved scenario, printed or written as documented TOML; or, with `reference`, every
/// field and preset as markdown.
pub fn scenario(
    args: &ScenarioArgs,
    print: bool,
    out: Option<&Path>,
    reference: bool,
) -> Result<()> {
    if reference {
        print!("{}", Scenario::reference());
        return Ok(());
    }
    let s = resolve(args)?;
    let text = s.to_documented_toml();
    if let Some(path) = out {
        usm_sim::output::write_file_atomic(path, &text)?;
        println!("wrote {}", path.display());
    }
    if print || out.is_none() {
        print!("{text}");
    }
    Ok(())
}

/// Each preset in a line.
pub fn presets() {
    for (name, what) in PRESETS {
        println!("{name:<22} {what}");
    }
}
