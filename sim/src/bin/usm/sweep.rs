//! `usm sweep`: the library's sweep (`usm_sim::experiment::sweep`), its replicates run in
//! parallel with a progress bar, its files written whole or not at all.

use std::time::Instant;

use anyhow::Result;
use usm_sim::experiment::{Event, run_replicate};
use usm_sim::output::Staging;
use usm_sim::sweep::{self, Grid};

use crate::args::{RunArgs, device};
use crate::config::experiment_config;
use crate::progress::bar;

pub fn sweep(run: &RunArgs, grid: Grid) -> Result<()> {
    let base = experiment_config(run)?;
    let points = grid.points(&base)?;
    let jobs = sweep::jobs(&points);
    eprintln!(
        "sweeping {}{} over {} points x {} replicate(s): {} runs",
        grid.param,
        grid.second
            .as_ref()
            .map(|(p, _)| format!(" and {p}"))
            .unwrap_or_default(),
        points.len(),
        base.replicates,
        jobs.len()
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
            out.map(|rep| (p, rep, t.elapsed().as_secs_f64()))
        })
        .collect::<usm_sim::error::Result<Vec<_>>>()?;
    pb.finish_and_clear();
    let results = sweep::aggregate(&points, done);
    let (table, files) = sweep::files(&grid, &points, &results);
    print!("{table}");
    let staging = Staging::new(&run.out)?;
    for (name, text) in files {
        staging.write(&name, text)?;
    }
    staging.commit()?;
    println!(
        "\nfinished in {:.1} s; wrote {} (open {})",
        t0.elapsed().as_secs_f64(),
        run.out.display(),
        run.out.join("report.html").display()
    );
    Ok(())
}
