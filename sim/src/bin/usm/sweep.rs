//! `usm sweep`: the library's sweep (`usm_sim::experiment::sweep`), its replicates run in
//! parallel with a progress bar, its files written whole or not at all.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use usm_sim::experiment::shard::Shard;
use usm_sim::experiment::{Event, run_replicate};
use usm_sim::output::Staging;
use usm_sim::sweep::{self, Grid, SweepPart};

use crate::args::{RunArgs, device};
use crate::config::experiment_config;
use crate::progress::bar;
use crate::run::write_part;

pub fn sweep(run: &RunArgs, grid: Grid, shard: Option<&str>) -> Result<()> {
    let base = experiment_config(run)?;
    let points = grid.points(&base)?;
    let all = sweep::jobs(&points);
    let shard = shard.map(Shard::parse).transpose()?;
    let jobs = match shard {
        Some(s) => SweepPart::share(&all, s),
        None => all.clone(),
    };
    eprintln!(
        "sweeping {}{} over {} points x {} replicate(s): {} runs{}",
        grid.param,
        grid.second
            .as_ref()
            .map(|(p, _)| format!(" and {p}"))
            .unwrap_or_default(),
        points.len(),
        base.replicates,
        all.len(),
        shard.map_or(String::new(), |s| format!(
            "; shard {}/{}: {} of them",
            s.index,
            s.of,
            jobs.len()
        ))
    );
    let pb = bar(jobs.len() as u64, "sweep");
    let t0 = Instant::now();
    let dev = device(run.device);
    use rayon::prelude::*;
    let done = jobs
        .par_iter()
        .map(|&(p, r)| {
            let t = Instant::now();
            let out = run_replicate(&points[p].exp, r, &dev, &mut |_: Event| {});
            pb.inc(1);
            out.map(|rep| (p, r, rep, t.elapsed().as_secs_f64()))
        })
        .collect::<usm_sim::error::Result<Vec<_>>>()?;
    pb.finish_and_clear();
    if let Some(shard) = shard {
        let part = SweepPart {
            format: sweep::SWEEP_PART_FORMAT.into(),
            base: base.config().clone(),
            grid,
            shard,
            jobs: done
                .into_iter()
                .map(|(point, replicate, measured, seconds)| sweep::SweepJob {
                    point,
                    replicate,
                    seconds,
                    measured,
                })
                .collect(),
        };
        let name = format!("sweep-{}", shard.file_name());
        return write_part(&run.out, &name, serde_json::to_string(&part)?, t0);
    }
    let done = done.into_iter().map(|(p, _, rep, s)| (p, rep, s)).collect();
    write(&grid, &points, done, &run.out, t0)
}

/// A finished sweep's table printed and its files written whole or not at all.
pub fn write(
    grid: &Grid,
    points: &[sweep::Point],
    done: Vec<(usize, usm_sim::experiment::Replicate, f64)>,
    out: &Path,
    t0: Instant,
) -> Result<()> {
    let results = sweep::aggregate(points, done);
    let (table, files) = sweep::files(grid, points, &results);
    print!("{table}");
    let staging = Staging::new(out)?;
    for (name, text) in files {
        staging.write(&name, text)?;
    }
    staging.commit()?;
    println!(
        "\nfinished in {:.1} s; wrote {} (open {})",
        t0.elapsed().as_secs_f64(),
        out.display(),
        out.join("report.html").display()
    );
    Ok(())
}
