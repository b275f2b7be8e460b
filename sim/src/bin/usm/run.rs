//! `usm run` and `usm ab`: an experiment end to end, its report printed and written.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use usm_sim::experiment::{Results, run_experiment};
use usm_sim::output::Staging;

use crate::args::{RunArgs, device};
use crate::config::experiment_config;
use crate::progress::Bars;

/// Writes the report into `out` and says where, and how long the whole took.
pub fn report_written(out: &Path, res: &Results, t0: Instant) -> Result<()> {
    let files = write_report(out, res)?;
    println!(
        "
finished in {:.1} s; wrote {} files to {} (open {})",
        t0.elapsed().as_secs_f64(),
        files.len(),
        out.display(),
        out.join("report.html").display()
    );
    Ok(())
}

pub fn write_report(out: &Path, res: &Results) -> Result<Vec<PathBuf>> {
    let staging = Staging::new(out)?;
    for (name, text) in usm_sim::report::files(res) {
        staging.write(&name, text)?;
    }
    Ok(staging.commit()?)
}

pub fn run(a: &RunArgs, ab_only: bool) -> Result<()> {
    let cfg = experiment_config(a)?;
    eprintln!("{}", usm_sim::report::describe(&cfg));
    let dev = device(a.device);
    let t0 = Instant::now();
    let mut bars = Bars { pb: None };
    let mut trained = usm_sim::experiment::event::TrainingClock::default();
    let res = run_experiment(
        &cfg,
        &dev,
        &mut |e| {
            trained.on(&e, t0.elapsed().as_secs_f64());
            bars.on(e)
        },
        &|| t0.elapsed().as_secs_f64(),
    )?;
    bars.done();
    if let Some(rate) = trained.per_second() {
        let at_once = usm_sim::experiment::replicates_at_once(&cfg, &dev);
        eprintln!(
            "training on {}{}: {} samples in {:.1} s ({:.0} samples/s, validation passes included)",
            format!("{:?}", a.device).to_lowercase(),
            if at_once > 1 {
                format!(", the first of {at_once} replicates side by side, sharing the cores")
            } else {
                String::new()
            },
            trained.samples,
            trained.seconds,
            rate
        );
    }
    if ab_only {
        print!("{}", usm_sim::report::ab_text(&res));
    } else {
        print!("{}", usm_sim::report::text(&res));
    }
    report_written(&a.out, &res, t0)
}

/// `usm run --shard I/K`: this shard's replicates, as a part in `--out` (or on standard output
/// with `--out -`).
pub fn shard(a: &RunArgs, shard: &str) -> Result<()> {
    let shard = usm_sim::experiment::shard::Shard::parse(shard)?;
    let cfg = experiment_config(a)?;
    let which = shard.replicates(cfg.replicates);
    eprintln!(
        "{}; shard {}/{}: replicate(s) {:?}",
        usm_sim::report::describe(&cfg),
        shard.index,
        shard.of,
        which
    );
    let dev = device(a.device);
    let t0 = Instant::now();
    let mut bars = Bars { pb: None };
    let part = usm_sim::experiment::run_shard(&cfg, shard, &dev, &mut |e| bars.on(e), &|| {
        t0.elapsed().as_secs_f64()
    })?;
    bars.done();
    write_part(&a.out, &shard.file_name(), part.to_json()?, t0)
}

/// A shard's part as `out/name`, written whole or not at all, or as one line on standard output
/// when `out` is `-`.
pub fn write_part(out: &Path, name: &str, json: String, t0: Instant) -> Result<()> {
    if out.as_os_str() == "-" {
        println!("{json}");
        return Ok(());
    }
    std::fs::create_dir_all(out)?;
    let path = out.join(name);
    usm_sim::output::write_file_atomic(&path, json + "\n")?;
    eprintln!(
        "finished in {:.1} s; wrote {} (pool the shards' parts with `usm pool`)",
        t0.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

/// `usm pool PARTS... --out DIR`: the parts of every shard combined into the run's report.
pub fn pool(paths: &[PathBuf], out: &Path) -> Result<()> {
    let t0 = Instant::now();
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        (n.starts_with("part-") || n.starts_with("sweep-part-"))
                            && n.ends_with(".json")
                    })
                })
                .collect();
            if inside.is_empty() {
                anyhow::bail!("{}: no part-*.json in this folder", p.display());
            }
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    let mut texts = Vec::with_capacity(files.len());
    for f in &files {
        let text =
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        texts.push((f.display().to_string(), text));
    }
    // A sweep's parts when the first is one; then every part must be.
    let is_sweep = texts.first().is_some_and(|(_, t)| {
        serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| {
            v.get("format").and_then(|f| f.as_str()) == Some(usm_sim::sweep::SWEEP_PART_FORMAT)
        })
    });
    if is_sweep {
        let mut parts = Vec::with_capacity(texts.len());
        for (origin, text) in texts {
            let part = usm_sim::sweep::SweepPart::from_json(&origin, &text)?;
            parts.push((origin, part));
        }
        let (grid, points, done) = usm_sim::sweep::gather(&parts)?;
        eprintln!("{} sweep part(s), {} runs", parts.len(), done.len());
        return crate::sweep::write(&grid, &points, done, out, t0);
    }
    let mut parts = Vec::with_capacity(texts.len());
    for (origin, text) in texts {
        let part = usm_sim::experiment::shard::Part::from_json(&origin, &text)?;
        parts.push((origin, part));
    }
    let res = usm_sim::experiment::pool(&parts)?;
    eprintln!(
        "{} part(s), {} replicates",
        parts.len(),
        res.config.replicates
    );
    print!("{}", usm_sim::report::text(&res));
    report_written(out, &res, t0)
}

pub fn ab(mut a: RunArgs, users: Option<u32>, days: Option<u32>, weights: &[f64]) -> Result<()> {
    a.set.push("ab.enabled=true".into());
    if let Some(u) = users {
        a.set.push(format!("ab.users={u}"));
    }
    if let Some(d) = days {
        a.set.push(format!("ab.days={d}"));
    }
    if !weights.is_empty() {
        let list: Vec<String> = weights.iter().map(|w| w.to_string()).collect();
        a.set.push(format!("ab.weights=[{}]", list.join(",")));
    }
    run(&a, true)
}
