//! The command line: every command, its flags and their help, parsed by clap. Each command
//! runs in a module of its own.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "usm",
    version,
    about = "Unbiased survey modeling: simulate, debias, measure",
    after_help = "With no command, usm runs the default experiment (`usm run`) and writes usm-report/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(clap::Args, Clone, Debug)]
pub struct ScenarioArgs {
    /// A scenario TOML file, or a preset name (see `usm presets`).
    #[arg(long, default_value = "paper")]
    pub scenario: String,
    /// Override one field, e.g. `--set survey.rate=0.01` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its logs (CSV and/or Parquet) with a summary.
    Simulate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Log format: usm's log schema (CSV, day-partitioned Parquet, or both), or the
        /// missing-not-at-random ratings layout of a published data set (docs/ratings-format.md):
        /// the self-selected satisfaction answers as train.csv, the panel's as test.csv.
        #[arg(long, value_enum, default_value = "parquet")]
        format: FormatArg,
        /// Leave out the oracle columns (write what a platform would log).
        #[arg(long)]
        no_oracle: bool,
    },
    /// Run the default experiment (or another) end to end: simulate, train every variant,
    /// evaluate, A/B test, report.
    Run {
        #[command(flatten)]
        run: RunArgs,
        /// Run only shard I of K (`I/K`): the replicates r with r % K == I - 1, written as
        /// `part-I-of-K.json` in --out (or as one line on standard output with `--out -`), for
        /// `usm pool` to combine with the other shards' parts. Each replicate's seeds follow from
        /// the run's seed and its index, never from the shard.
        #[arg(long, value_name = "I/K")]
        shard: Option<String>,
    },
    /// Combine the parts of every shard of one run (`usm run --shard I/K`) or sweep (`usm sweep
    /// --shard I/K`) into its results and report: the same as one machine running it all,
    /// seconds aside.
    Pool {
        /// Part files, or folders of them (their `part-*.json` or `sweep-part-*.json`).
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "usm-report")]
        out: PathBuf,
    },
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
        /// Run only shard I of K (`I/K`) of the sweep's runs (point × replicate, every K-th),
        /// written as `sweep-part-I-of-K.json` in --out (or one line on standard output with
        /// `--out -`), for `usm pool`.
        #[arg(long, value_name = "I/K")]
        shard: Option<String>,
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
        /// Where the checks run: usm's own reader, or DuckDB (`pip install duckdb`; Parquet
        /// sets), which runs the same checks at its speed and words each problem the same.
        #[arg(long, value_enum, default_value = "native")]
        engine: ValidateEngine,
    },
    /// List the presets.
    Presets,
    /// Run each preset (as many replicates as the default experiment) and write every claim's verdict by preset
    /// to docs/verdicts.md, and the default run's to README's verdict block.
    Verdicts {
        /// Replicates of each preset [default: the default experiment's].
        #[arg(long)]
        replicates: Option<usize>,
        /// The verdicts' file.
        #[arg(long, default_value = "docs/verdicts.md")]
        out: PathBuf,
        /// The README whose verdict block to fill (`-` for none).
        #[arg(long, default_value = "README.md")]
        readme: PathBuf,
    },
    /// Show or export a resolved scenario as TOML, each field with what it means and allows.
    Scenario {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Print the TOML.
        #[arg(long)]
        print: bool,
        /// Write the TOML to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the reference of every field and preset (docs/scenario.md) instead.
        #[arg(long, conflicts_with_all = ["print", "out"])]
        reference: bool,
    },
}

#[derive(clap::Args, Clone, Debug)]
pub struct RunArgs {
    /// A scenario TOML file, or a preset name (see `usm presets`).
    #[arg(long, default_value = "experiment")]
    pub scenario: String,
    /// An experiment TOML file (models, training, A/B); `--scenario` replaces its scenario
    /// only when given explicitly.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override a field: scenario keys (`survey.rate=0.02`) or experiment keys
    /// (`train.epochs=3`, `ab.enabled=false`). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed of the first replicate.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Independent replicates, for confidence intervals.
    #[arg(long)]
    pub replicates: Option<usize>,
    /// Tensor device.
    #[arg(long, value_enum, default_value = "flex")]
    pub device: DeviceArg,
    /// Output folder.
    #[arg(long, default_value = "usm-report")]
    pub out: PathBuf,
}

#[derive(clap::Args, Clone, Debug)]
pub struct LogsArgs {
    /// A log file (.csv or .parquet), or a folder of them (Hive-partitioned by `day=N/`, as
    /// `usm simulate` writes Parquet); for the ratings formats, the folder of train.csv and
    /// test.csv.
    #[arg(long, value_name = "PATH")]
    pub logs: PathBuf,
    /// Layout of the input: usm's log schema (docs/log-schema.md), or the missing-not-at-random
    /// ratings layout (docs/ratings-format.md) as rows or as dense matrices.
    #[arg(long, value_enum, default_value = "log")]
    pub format: LogFormat,
    /// Ratings formats: a rating at least this is a like, below it a dislike.
    #[arg(long, default_value_t = 4.0)]
    pub rating_threshold: f64,
    /// Ratings formats: the lowest and highest rating, `LOW,HIGH`; a rating outside is an error
    /// naming its file and row.
    #[arg(long, default_value = "1,5", value_name = "LOW,HIGH")]
    pub rating_scale: String,
    /// Ratings formats: a random test pair that repeats a self-selected pair of the same user
    /// is kept in both (they are separate draws), dropped from the random ratings, or an error.
    #[arg(long, value_enum, default_value = "keep")]
    pub ratings_overlap: OverlapArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlapArg {
    /// Kept in both files, and counted.
    Keep,
    /// Dropped from the random ratings, and counted.
    DropFromTest,
    /// Refused, each pair named.
    Error,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
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
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Log => "log",
            LogFormat::Ratings => "ratings",
            LogFormat::RatingsDense => "ratings-dense",
            LogFormat::Obd => "obd",
        }
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct FitArgs {
    #[command(flatten)]
    pub logs: LogsArgs,
    /// An experiment TOML file (models, training, corrections); its scenario is unused.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override an experiment field, e.g. `eval_days=2`, `ipw.clip=0.05`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed of the training and of the samples drawn from the logs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Tensor device.
    #[arg(long, value_enum, default_value = "flex")]
    pub device: DeviceArg,
    /// Where a log set's scan runs (docs/architecture.md#the-scan-on-an-engine): usm's own
    /// reader, or one SQL text on DuckDB or Spark SQL through their Python packages; `auto`:
    /// DuckDB where the set is Parquet and `python3 -c 'import duckdb'` works, else usm's reader.
    /// Every engine keeps the same rows and gives the same results.json.
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: EngineArg,
    /// The command that starts the engine's driver: `python3` (or `$USM_PYTHON`) unless given;
    /// for Spark on a cluster, such as `spark-submit --master yarn --deploy-mode client`.
    #[arg(long, value_name = "COMMAND")]
    pub engine_command: Option<String>,
    /// Output folder.
    #[arg(long, default_value = "usm-fit")]
    pub out: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidateEngine {
    /// usm's own reader: CSV or Parquet.
    Native,
    /// DuckDB, through its Python package: Parquet.
    Duckdb,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineArg {
    /// DuckDB for a Parquet set where it is installed, else usm's own reader.
    Auto,
    /// usm's own reader: CSV or Parquet, every check of `usm validate`.
    Native,
    /// DuckDB (`pip install duckdb`): Parquet, on this machine's cores.
    Duckdb,
    /// Spark SQL (`pip install pyspark` and a JRE): Parquet, local or on a cluster.
    Spark,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum DeviceArg {
    /// Pure-Rust CPU (burn flex).
    Flex,
    /// GPU through wgpu (software GL where there is no GPU: slow).
    Wgpu,
}

pub fn device(d: DeviceArg) -> usm_core::prelude::Device {
    match d {
        DeviceArg::Flex => usm_core::prelude::Device::flex(),
        DeviceArg::Wgpu => usm_core::prelude::Device::wgpu(Default::default()),
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    Csv,
    Parquet,
    Both,
    /// train.csv, test.csv and the feature tables, for `usm fit --format ratings`.
    Ratings,
}
