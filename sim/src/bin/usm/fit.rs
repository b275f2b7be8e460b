//! `usm fit` and `usm validate`: a team's logs (or logs `usm simulate` wrote) checked, then run
//! through every stage the simulator's logs go through.

use std::time::Instant;

use anyhow::Result;
use indicatif::ProgressBar;
use usm_sim::experiment::{Event, Results};
use usm_sim::prelude::*;

use crate::args::{EngineArg, FitArgs, LogFormat, LogsArgs, OverlapArg, ValidateEngine, device};
use crate::config::fit_config;
use crate::progress::Bars;
use crate::run::report_written;

/// What `--logs` and `--format` name: a log set, or ratings converted to log rows.
enum Input {
    Files(Vec<usm_sim::logs::set::LogFile>),
    Rows(
        Vec<ExposureRecord>,
        Vec<String>,
        std::collections::HashMap<u64, f64>,
    ),
}

/// The files a converted format reads.
fn input_files(a: &LogsArgs) -> usize {
    let dir = usm_sim::logs::ratings::folder(&a.logs);
    let names: &[&str] = match a.format {
        LogFormat::Obd => &[
            "bts/all/all.csv",
            "random/all/all.csv",
            "bts/all/item_context.csv",
        ],
        _ => &[
            "train.csv",
            "test.csv",
            "user_features.csv",
            "item_features.csv",
        ],
    };
    names.iter().filter(|n| dir.join(n).is_file()).count()
}

fn load_input(a: &LogsArgs) -> Result<Input> {
    match a.format {
        LogFormat::Log => return Ok(Input::Files(usm_sim::logs::set::files(&a.logs)?)),
        LogFormat::Obd => {
            let o = usm_sim::logs::obd::read(&a.logs, 1)?;
            return Ok(Input::Rows(o.rows, o.notes, o.logged_propensity));
        }
        LogFormat::Ratings | LogFormat::RatingsDense => {}
    }
    if !a.rating_threshold.is_finite() {
        anyhow::bail!("--rating-threshold must be a finite number");
    }
    use usm_sim::logs::ratings::Overlap;
    let opt = usm_sim::logs::ratings::RatingsOptions {
        threshold: a.rating_threshold,
        scale: rating_scale(&a.rating_scale)?,
        overlap: match a.ratings_overlap {
            OverlapArg::Keep => Overlap::Keep,
            OverlapArg::DropFromTest => Overlap::DropFromTest,
            OverlapArg::Error => Overlap::Error,
        },
        dense: a.format == LogFormat::RatingsDense,
        ..Default::default()
    };
    let (rows, notes) =
        usm_sim::logs::ratings::read(&usm_sim::logs::ratings::folder(&a.logs), &opt)?;
    Ok(Input::Rows(rows, notes, Default::default()))
}

/// `--rating-scale LOW,HIGH`.
fn rating_scale(text: &str) -> Result<[f64; 2]> {
    let parts: Vec<Option<f64>> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    match parts[..] {
        [Some(lo), Some(hi)] if lo <= hi => Ok([lo, hi]),
        _ => anyhow::bail!(
            "--rating-scale `{text}`: expected LOW,HIGH, two finite numbers with LOW <= HIGH (such as 1,5)"
        ),
    }
}

pub fn fit(a: &FitArgs) -> Result<()> {
    let cfg = fit_config(a)?;
    let dev = device(a.device);
    let t0 = Instant::now();
    let mut bars = Bars { pb: None };
    let clock = || t0.elapsed().as_secs_f64();
    let (world, source) = if let Some(engine) = engine_of(a)? {
        let launch = usm_sim::logs::engine::Launch::new(engine, a.engine_command.as_deref());
        bars.on(Event::Stage {
            name: format!("scan the logs on {}", engine.name()),
            total: 0,
        });
        let (world, source, kept) =
            usm_sim::experiment::import::import_on_engine(&a.logs.logs, &launch, &cfg)?;
        bars.done();
        eprintln!(
            "scanned on {} in {:.1} s: {kept} of {} rows came back to usm",
            engine.name(),
            clock(),
            source.rows
        );
        (world, source)
    } else {
        match load_input(&a.logs)? {
            Input::Files(files) => {
                let res =
                    usm_sim::experiment::fit(&files, &cfg, &dev, &mut |e| bars.on(e), &clock)?;
                return finish(a, &res, t0, bars);
            }
            Input::Rows(rows, notes, logged) => {
                let (mut world, mut source) =
                    usm_sim::experiment::import::import_rows(&rows, &cfg)?;
                drop(rows);
                world.logged_propensity = logged;
                source.path = a.logs.logs.display().to_string();
                source.files = input_files(&a.logs);
                source.format = a.logs.format.name().into();
                source.notes = notes;
                (world, source)
            }
        }
    };
    let res = usm_sim::experiment::import::fit_world(
        &cfg,
        &world,
        source,
        &dev,
        &mut |e| bars.on(e),
        clock(),
        &clock,
    )?;
    finish(a, &res, t0, bars)
}

fn finish(a: &FitArgs, res: &Results, t0: Instant, mut bars: Bars) -> Result<()> {
    bars.done();
    eprintln!("{}", usm_sim::report::describe_results(res));
    print!("{}", usm_sim::report::text(res));
    report_written(&a.out, res, t0)
}

/// The engine `--engine` names, if not usm's own reader; only usm's log schema goes to one.
fn engine_of(a: &FitArgs) -> Result<Option<usm_sim::logs::engine::Engine>> {
    use usm_sim::logs::engine::Engine;
    let engine = match a.engine {
        EngineArg::Native => return Ok(None),
        EngineArg::Auto => {
            let parquet = a.logs.format == LogFormat::Log
                && usm_sim::logs::set::files(&a.logs.logs).is_ok_and(|fs| {
                    fs.iter()
                        .all(|f| f.path.extension().is_some_and(|e| e == "parquet"))
                });
            return Ok(
                (parquet && usm_sim::logs::engine::Launch::available(Engine::DuckDb))
                    .then_some(Engine::DuckDb),
            );
        }
        EngineArg::Duckdb => Engine::DuckDb,
        EngineArg::Spark => Engine::Spark,
    };
    if a.logs.format != LogFormat::Log {
        anyhow::bail!(
            "--engine {} scans usm's log schema; --format {} is read by usm (--engine native)",
            engine.name(),
            a.logs.format.name()
        );
    }
    Ok(Some(engine))
}

/// Prints what the scan found; `Ok(false)` when the logs are unusable.
pub fn validate(a: &LogsArgs, json: bool, engine: ValidateEngine) -> Result<bool> {
    let t0 = Instant::now();
    let scan = if engine == ValidateEngine::Duckdb {
        if a.format != LogFormat::Log {
            anyhow::bail!(
                "--engine duckdb checks usm's log schema; --format {} is read by usm (--engine native)",
                a.format.name()
            );
        }
        let launch =
            usm_sim::logs::engine::Launch::new(usm_sim::logs::engine::Engine::DuckDb, None);
        let pb = ProgressBar::new_spinner();
        pb.set_message("checking on duckdb");
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        let scan = usm_sim::logs::engine::validate(&a.logs, &launch);
        pb.finish_and_clear();
        scan?
    } else {
        match native_scan(a, json)? {
            Some(scan) => scan,
            None => return Ok(false),
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&scan)?);
    } else {
        print!("{}", scan.text());
        println!(
            "read in {secs:.1} s ({:.0} rows/s)",
            scan.rows as f64 / secs.max(1e-9)
        );
    }
    Ok(scan.usable())
}

/// usm's own reader's scan of the input, a converted format's notes printed first; `None` where
/// a converted format's reader refused the input (its error, which lists every problem, printed).
fn native_scan(a: &LogsArgs, json: bool) -> Result<Option<usm_sim::logs::set::Scan>> {
    let input = load_input(a);
    let scan = match input {
        Ok(Input::Files(files)) => {
            let pb = ProgressBar::new_spinner();
            let scan = usm_sim::logs::set::scan(&files, &mut |rows| {
                pb.set_message(format!("{rows} rows checked"));
                pb.tick();
            })?;
            pb.finish_and_clear();
            scan
        }
        Ok(Input::Rows(rows, notes, _)) => {
            if !json {
                for n in notes {
                    println!("{n}");
                }
            }
            usm_sim::logs::set::Scan::of_rows(&rows)
        }
        // The ratings reader lists every problem in its error.
        Err(e) if a.format != LogFormat::Log => {
            println!("{e:#}");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    Ok(Some(scan))
}
