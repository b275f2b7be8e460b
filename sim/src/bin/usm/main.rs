//! `usm`: simulate feeds with in-feed surveys, run the paper's experiments, benchmark.

use std::path::{Path, PathBuf};
use std::time::Instant;

mod bench;
mod sweep;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use usm_sim::experiment::{Event, Experiment, ExperimentConfig, Results, run_experiment};
use usm_sim::logs::{Format, LogWriter, PartitionedWriter};
use usm_sim::output::Staging;
use usm_sim::prelude::*;
use usm_sim::scenario::{PRESETS, ValidScenario};

#[derive(Parser)]
#[command(
    name = "usm",
    version,
    about = "Unbiased survey modeling: simulate, debias, measure",
    after_help = "With no command, usm runs the default experiment (`usm run`) and writes usm-report/."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Clone, Debug)]
struct ScenarioArgs {
    /// A scenario TOML file, or a preset name (see `usm presets`).
    #[arg(long, default_value = "paper")]
    scenario: String,
    /// Override one field, e.g. `--set survey.rate=0.01` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Seed (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and write its logs (CSV and/or Parquet) with a summary.
    Simulate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Log format.
        #[arg(long, value_enum, default_value = "parquet")]
        format: FormatArg,
        /// Leave out the oracle columns (write what a platform would log).
        #[arg(long)]
        no_oracle: bool,
    },
    /// Run the default experiment (or another) end to end: simulate, train every variant,
    /// evaluate, A/B test, report.
    Run(RunArgs),
    /// Run an experiment over values of one or two scenario fields, replicates in parallel.
    Sweep {
        #[command(flatten)]
        run: RunArgs,
        /// Field to sweep, e.g. `willingness.spread`.
        #[arg(long)]
        param: String,
        /// Comma-separated values.
        #[arg(long, value_delimiter = ',', required = true)]
        values: Vec<String>,
        /// Second field (optional).
        #[arg(long)]
        param2: Option<String>,
        /// Its values.
        #[arg(long, value_delimiter = ',')]
        values2: Vec<String>,
        /// Run the A/B test at every point too (slow).
        #[arg(long)]
        with_ab: bool,
    },
    /// Closed-loop A/B tests of every variant against control (Eq. 3), with intervals.
    Ab {
        #[command(flatten)]
        run: RunArgs,
        /// Users in the test.
        #[arg(long)]
        users: Option<u32>,
        /// Days of the test.
        #[arg(long)]
        days: Option<u32>,
        /// Eq. 3 weights, one per head, comma-separated.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        weights: Vec<f64>,
    },
    /// Measure simulation, training, inference and metric throughput.
    Bench {
        /// Smaller sizes, for a quick look.
        #[arg(long)]
        quick: bool,
        /// Device for the model benchmarks.
        #[arg(long, value_enum, default_value = "flex")]
        device: DeviceArg,
        /// Only these parts (comma-separated: sim, model, metrics).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Override a field of the simulator's scenario (the `experiment` preset at 200k users
        /// for 4 days), e.g. `feed.candidates=8`. Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Runs of the simulator benchmark, reported as their median and range [default: 5,
        /// 1 with --quick].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        repeat: Option<u32>,
    },
    /// Train the submit model and the variants on a team's own logs (or logs `usm simulate`
    /// wrote), evaluate them on what the logs hold (a random slice, if any, stands in for the
    /// truth), and write the same results.json and report.html as `usm run`.
    Fit(FitArgs),
    /// Check a log set and report every problem found, not only the first; the exit status says
    /// whether the logs are usable (0) or not (1).
    Validate {
        #[command(flatten)]
        logs: LogsArgs,
        /// Print the scan as JSON (counts, days, vocabularies, problems) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the presets.
    Presets,
    /// Show or export a resolved scenario as TOML.
    Scenario {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Print the TOML.
        #[arg(long)]
        print: bool,
        /// Write the TOML to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args, Clone, Debug)]
struct RunArgs {
    /// A scenario TOML file, or a preset name (see `usm presets`).
    #[arg(long, default_value = "experiment")]
    scenario: String,
    /// An experiment TOML file (models, training, A/B); `--scenario` replaces its scenario
    /// only when given explicitly.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override a field: scenario keys (`survey.rate=0.02`) or experiment keys
    /// (`train.epochs=3`, `ab.enabled=false`). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Seed of the first replicate.
    #[arg(long)]
    seed: Option<u64>,
    /// Independent replicates, for confidence intervals.
    #[arg(long)]
    replicates: Option<usize>,
    /// Tensor device.
    #[arg(long, value_enum, default_value = "flex")]
    device: DeviceArg,
    /// Output folder.
    #[arg(long, default_value = "usm-report")]
    out: PathBuf,
}

#[derive(clap::Args, Clone, Debug)]
struct LogsArgs {
    /// A log file (.csv or .parquet), or a folder of them (Hive-partitioned by `day=N/`, as
    /// `usm simulate` writes Parquet); for the ratings formats, the folder of train.csv and
    /// test.csv.
    #[arg(long, value_name = "PATH")]
    logs: PathBuf,
    /// Layout of the input: usm's log schema (docs/log-schema.md), or the missing-not-at-random
    /// ratings layout (docs/ratings-format.md) as rows or as dense matrices.
    #[arg(long, value_enum, default_value = "log")]
    format: LogFormat,
    /// Ratings formats: a rating at least this is a like, below it a dislike.
    #[arg(long, default_value_t = 4.0)]
    rating_threshold: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    /// usm's log schema, CSV or Parquet.
    Log,
    /// train.csv and test.csv with header user,item,rating.
    Ratings,
    /// train.csv and test.csv as dense user x item matrices, 0 for missing.
    RatingsDense,
    /// The Open Bandit Dataset layout: bts/all/all.csv and random/all/all.csv.
    Obd,
}

impl LogFormat {
    fn name(self) -> &'static str {
        match self {
            LogFormat::Log => "log",
            LogFormat::Ratings => "ratings",
            LogFormat::RatingsDense => "ratings-dense",
            LogFormat::Obd => "obd",
        }
    }
}

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
    let opt = usm_sim::logs::ratings::RatingsOptions {
        threshold: a.rating_threshold,
        dense: a.format == LogFormat::RatingsDense,
        ..Default::default()
    };
    let (rows, notes) =
        usm_sim::logs::ratings::read(&usm_sim::logs::ratings::folder(&a.logs), &opt)?;
    Ok(Input::Rows(rows, notes, Default::default()))
}

#[derive(clap::Args, Clone, Debug)]
struct FitArgs {
    #[command(flatten)]
    logs: LogsArgs,
    /// An experiment TOML file (models, training, corrections); its scenario is unused.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override an experiment field, e.g. `eval_days=2`, `ipw.clip=0.05`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Seed of the training and of the samples drawn from the logs.
    #[arg(long)]
    seed: Option<u64>,
    /// Tensor device.
    #[arg(long, value_enum, default_value = "flex")]
    device: DeviceArg,
    /// Output folder.
    #[arg(long, default_value = "usm-fit")]
    out: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DeviceArg {
    /// Pure-Rust CPU (burn flex).
    Flex,
    /// GPU through wgpu (software GL where there is no GPU: slow).
    Wgpu,
}

fn device(d: DeviceArg) -> usm_core::prelude::Device {
    match d {
        DeviceArg::Flex => usm_core::prelude::Device::flex(),
        DeviceArg::Wgpu => usm_core::prelude::Device::wgpu(Default::default()),
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Csv,
    Parquet,
    Both,
}

/// A scenario TOML file, or a preset by name.
fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    let path = PathBuf::from(name_or_path);
    if name_or_path.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading scenario file {}", path.display()))?;
        Ok(Scenario::from_toml(&text, &path.display().to_string())?)
    } else {
        Ok(Scenario::preset(name_or_path)?)
    }
}

fn resolve(args: &ScenarioArgs) -> Result<ValidScenario> {
    let mut s = load_scenario(&args.scenario)?;
    for a in &args.set {
        s.set(a)?;
    }
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    Ok(s.check()?)
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what:<10} [{{bar:36}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}, eta {{eta}})"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}

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

fn simulate(args: &ScenarioArgs, out: &Path, format: FormatArg, no_oracle: bool) -> Result<()> {
    let s = resolve(args)?;
    let staging = Staging::new(out)?;
    staging.write("scenario.toml", s.to_toml())?;
    let t0 = Instant::now();
    let pop = Population::draw(&s);
    let formats: Vec<Format> = match format {
        FormatArg::Csv => vec![Format::Csv],
        FormatArg::Parquet => vec![Format::Parquet],
        FormatArg::Both => vec![Format::Csv, Format::Parquet],
    };
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

/// The experiment `usm run` runs: the `--config` file (or the default experiment), its scenario
/// replaced by `--scenario` when one is named (always without `--config`), then every `--set`,
/// `--seed` and `--replicates` in that order, checked.
fn experiment_config(a: &RunArgs) -> Result<Experiment> {
    let base = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading experiment file {}", path.display()))?;
            ExperimentConfig::from_toml(&text, &path.display().to_string())?
        }
        None => ExperimentConfig::default(),
    };
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

/// A progress bar per stage of an experiment.
struct Bars {
    pb: Option<ProgressBar>,
}

impl Bars {
    fn on(&mut self, e: Event) {
        match e {
            Event::Stage { name, total } => {
                if let Some(pb) = self.pb.take() {
                    pb.finish_and_clear();
                }
                let pb = bar(total.max(1), "");
                pb.set_prefix(name.clone());
                pb.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix:<44} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                self.pb = Some(pb);
            }
            Event::Progress { pos, msg } => {
                if let Some(pb) = &self.pb {
                    pb.set_position(pos);
                    pb.set_message(msg);
                }
            }
            Event::Epoch { .. } => {}
        }
    }

    fn done(&mut self) {
        if let Some(pb) = self.pb.take() {
            pb.finish_and_clear();
        }
    }
}

/// Writes the report into `out` and says where, and how long the whole took.
fn report_written(out: &Path, res: &Results, t0: Instant) -> Result<()> {
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

fn write_report(out: &Path, res: &Results) -> Result<Vec<PathBuf>> {
    let staging = Staging::new(out)?;
    for (name, text) in usm_sim::report::files(res) {
        staging.write(&name, text)?;
    }
    Ok(staging.commit()?)
}

fn run_cmd(a: &RunArgs, ab_only: bool) -> Result<()> {
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
    let text = usm_sim::report::text(&res);
    if ab_only {
        let start = text.find("== Closed-loop").unwrap_or(0);
        print!("{}", &text[start..]);
    } else {
        print!("{text}");
    }
    report_written(&a.out, &res, t0)
}

/// The experiment `usm fit` runs: the `--config` file or the default experiment, without the
/// A/B test (it needs the simulator), as one replicate, then every `--set` and `--seed`.
fn fit_config(a: &FitArgs) -> Result<Experiment> {
    let base = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading experiment file {}", path.display()))?;
            ExperimentConfig::from_toml(&text, &path.display().to_string())?
        }
        None => ExperimentConfig::default(),
    };
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

fn fit_cmd(a: &FitArgs) -> Result<()> {
    let cfg = fit_config(a)?;
    let dev = device(a.device);
    let t0 = Instant::now();
    let input = load_input(&a.logs)?;
    let mut bars = Bars { pb: None };
    let clock = || t0.elapsed().as_secs_f64();
    let res = match input {
        Input::Files(files) => {
            usm_sim::experiment::fit(&files, &cfg, &dev, &mut |e| bars.on(e), &clock)?
        }
        Input::Rows(rows, notes, logged) => {
            let (mut world, mut source) = usm_sim::experiment::import::import_rows(&rows, &cfg)?;
            drop(rows);
            world.logged_propensity = logged;
            source.path = a.logs.logs.display().to_string();
            source.files = input_files(&a.logs);
            source.format = a.logs.format.name().into();
            source.notes = notes;
            usm_sim::experiment::import::fit_world(
                &cfg,
                &world,
                source,
                &dev,
                &mut |e| bars.on(e),
                clock(),
                &clock,
            )?
        }
    };
    bars.done();
    eprintln!("{}", usm_sim::report::describe_results(&res));
    print!("{}", usm_sim::report::text(&res));
    report_written(&a.out, &res, t0)
}

/// Prints what the scan found; `Ok(false)` when the logs are unusable.
fn validate_cmd(a: &LogsArgs, json: bool) -> Result<bool> {
    let t0 = Instant::now();
    let scan = match load_input(a) {
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
            return Ok(false);
        }
        Err(e) => return Err(e),
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

fn ab_cmd(mut run: RunArgs, users: Option<u32>, days: Option<u32>, weights: &[f64]) -> Result<()> {
    run.set.push("ab.enabled=true".into());
    if let Some(u) = users {
        run.set.push(format!("ab.users={u}"));
    }
    if let Some(d) = days {
        run.set.push(format!("ab.days={d}"));
    }
    if !weights.is_empty() {
        let list: Vec<String> = weights.iter().map(|w| w.to_string()).collect();
        run.set.push(format!("ab.weights=[{}]", list.join(",")));
    }
    run_cmd(&run, true)
}

fn scenario_cmd(scenario: &ScenarioArgs, print: bool, out: Option<&Path>) -> Result<()> {
    let s = resolve(scenario)?;
    if let Some(path) = out {
        usm_sim::output::write_file_atomic(path, s.to_toml())?;
        println!("wrote {}", path.display());
    }
    if print || out.is_none() {
        print!("{}", s.to_toml());
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(a)) => run_cmd(&a, false),
        Some(Command::Ab {
            run,
            users,
            days,
            weights,
        }) => ab_cmd(run, users, days, &weights),
        Some(Command::Sweep {
            run,
            param,
            values,
            param2,
            values2,
            with_ab,
        }) => sweep::sweep(
            &run,
            usm_sim::sweep::Grid {
                param,
                values,
                second: param2.map(|p| (p, values2)),
                with_ab,
            },
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
        }) => simulate(&scenario, &out, format, no_oracle),
        Some(Command::Fit(a)) => fit_cmd(&a),
        Some(Command::Validate { logs, json }) => match validate_cmd(&logs, json) {
            Ok(true) => Ok(()),
            Ok(false) => std::process::exit(1),
            Err(e) => Err(e),
        },
        Some(Command::Presets) => {
            for (name, what) in PRESETS {
                println!("{name:<22} {what}");
            }
            Ok(())
        }
        Some(Command::Scenario {
            scenario,
            print,
            out,
        }) => scenario_cmd(&scenario, print, out.as_deref()),
        None => run_cmd(
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
