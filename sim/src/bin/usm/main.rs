//! `usm`: simulate feeds with in-feed surveys, run the paper's experiments, benchmark. The
//! arguments are in [`args`]; each command runs in a module of its own.

use std::path::PathBuf;

mod args;
mod bench;
mod config;
mod fit;
mod progress;
mod run;
mod scenario;
mod simulate;
mod sweep;
mod verdicts;

use clap::Parser;

use args::{Cli, Command, DeviceArg, RunArgs, device};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run { run, shard: None }) => run::run(&run, false),
        Some(Command::Run {
            run,
            shard: Some(shard),
        }) => run::shard(&run, &shard),
        Some(Command::Pool { parts, out }) => run::pool(&parts, &out),
        Some(Command::Ab {
            run,
            users,
            days,
            weights,
        }) => run::ab(run, users, days, &weights),
        Some(Command::Sweep {
            run,
            param,
            values,
            param2,
            values2,
            with_ab,
            shard,
        }) => sweep::sweep(
            &run,
            usm_sim::sweep::Grid {
                param,
                values,
                second: param2.map(|p| (p, values2)),
                with_ab,
            },
            shard.as_deref(),
        ),
        Some(Command::Bench {
            quick,
            device: d,
            only,
            sets,
            repeat,
        }) => bench::bench(quick, device(d), &only, &sets, repeat.map(|r| r as usize)),
        Some(Command::Simulate {
            scenario,
            out,
            format,
            no_oracle,
        }) => simulate::simulate(&scenario, &out, format, no_oracle),
        Some(Command::Fit(a)) => fit::fit(&a),
        Some(Command::Validate { logs, json, engine }) => {
            match fit::validate(&logs, json, engine) {
                Ok(true) => Ok(()),
                Ok(false) => std::process::exit(1),
                Err(e) => Err(e),
            }
        }
        Some(Command::Verdicts {
            replicates,
            out,
            readme,
        }) => verdicts::verdicts(replicates, &out, &readme),
        Some(Command::Presets) => {
            scenario::presets();
            Ok(())
        }
        Some(Command::Scenario {
            scenario,
            print,
            out,
            reference,
        }) => scenario::scenario(&scenario, print, out.as_deref(), reference),
        None => run::run(
            &RunArgs {
                scenario: "experiment".into(),
                config: None,
                set: vec![],
                seed: None,
                replicates: None,
                device: DeviceArg::Flex,
                out: PathBuf::from("usm-report"),
            },
            false,
        ),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
