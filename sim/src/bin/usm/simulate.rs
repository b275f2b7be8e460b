//! `usm simulate`: a scenario's logs, in CSV or day-partitioned Parquet, with a summary.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use usm_sim::logs::{Format, LogWriter, PartitionedWriter};
use usm_sim::output::Staging;
use usm_sim::prelude::*;

use crate::args::{FormatArg, ScenarioArgs};
use crate::config::resolve;
use crate::progress::bar;

/// A log writer of `usm simulate`: one file, or a day-partitioned folder.
enum Writer {
    File(LogWriter),
    Parts(PartitionedWriter),
}

impl Writer {
    fn write(&mut self, b: &[ExposureRecord]) -> usm_sim::error::Result<()> {
        match self {
            Writer::File(w) => w.write(b),
            Writer::Parts(w) => w.write(b),
        }
    }
}

pub fn simulate(args: &ScenarioArgs, out: &Path, format: FormatArg, no_oracle: bool) -> Result<()> {
    let s = resolve(args)?;
    if matches!(format, FormatArg::Ratings) && s.panel.rate <= 0.0 {
        anyhow::bail!(
            "--format ratings writes the panel's answers as the random ratings (test.csv), and scenario `{}` has no panel: set panel.rate (such as --set panel.rate=0.05), or take a preset with one (answer-dependent)",
            s.name
        );
    }
    let staging = Staging::new(out)?;
    staging.write("scenario.toml", s.to_toml())?;
    let t0 = Instant::now();
    let pop = Population::draw(&s);
    let formats: Vec<Format> = match format {
        FormatArg::Csv => vec![Format::Csv],
        FormatArg::Parquet => vec![Format::Parquet],
        FormatArg::Both => vec![Format::Csv, Format::Parquet],
        FormatArg::Ratings => Vec::new(),
    };
    let mut twin = matches!(format, FormatArg::Ratings).then(usm_sim::logs::ratings::Twin::default);
    let with_oracle = !no_oracle;
    let mut writers = formats
        .iter()
        .map(|f| match f {
            // Parquet as a Hive-partitioned data set, one folder a day, for cluster engines.
            Format::Parquet => Ok(Writer::Parts(PartitionedWriter::create(
                &staging.path("exposures"),
                *f,
                with_oracle,
            )?)),
            Format::Csv => Ok(Writer::File(LogWriter::create(
                &staging.path("exposures.csv"),
                *f,
                with_oracle,
            )?)),
        })
        .collect::<usm_sim::error::Result<Vec<_>>>()?;
    let total = s.population.days as u64 * s.population.users as u64;
    let pb = bar(total, "simulate");
    let mut sink = |b: &[ExposureRecord]| -> usm_sim::error::Result<()> {
        for w in writers.iter_mut() {
            w.write(b)?;
        }
        if let Some(t) = twin.as_mut() {
            t.push(b);
        }
        Ok(())
    };
    let stats = run(
        &s,
        &pop,
        None,
        RunOptions::default(),
        &mut sink,
        &mut |p: &RunProgress| {
            pb.set_position(p.day as u64 * p.users as u64 + p.users_done as u64);
            pb.set_message(format!(
                "day {}/{}, {} exposures",
                p.day + 1,
                p.days,
                p.exposures
            ));
        },
    )?;
    pb.finish_and_clear();
    for w in writers {
        match w {
            Writer::File(w) => {
                w.finish()?;
            }
            Writer::Parts(w) => {
                w.finish()?;
            }
        }
    }
    if let Some(t) = &twin {
        for (name, text) in t.files()? {
            staging.write(name, text)?;
        }
        let (train, test) = t.counts();
        println!(
            "ratings layout: {train} self-selected and {test} random ratings ({} repeated answers of a pair kept once)",
            t.repeated
        );
    }
    staging.write("summary.json", serde_json::to_string_pretty(&stats)?)?;
    let files = staging.commit()?;
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "scenario `{}` (seed {}), {:.1} s, {:.2} M exposures/s including writing\n",
        s.name,
        s.seed,
        secs,
        stats.exposures as f64 / secs / 1e6
    );
    print!("{}", stats.summary());
    println!("\nwrote:");
    for f in files {
        println!("  {}", f.display());
    }
    Ok(())
}
