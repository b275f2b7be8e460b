//! The scan on an engine: DuckDB on one machine, Spark SQL on a cluster, each through its own
//! Python package, running the one SQL text of `sim/engines/scan.sql` (carried in this binary
//! with its driver, `sim/engines/scan.py`). The engine reads every row; usm gets back what it
//! trains on (the survey shows, the seeded samples of [`super::sample`]) and the counts of the
//! rest, and builds from them the same [`Scan`] and totals as its own reader.
//!
//! The line between them: the engine filters, groups and counts; usm decides (the evaluation
//! period, the sample's thresholds) and interprets (answers, reasons, the truth's columns), with
//! the same functions as on its own rows.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

use super::schema::{COLUMNS, Kind, check_row, reasons_from_str};
use super::set::Scan;
use crate::error::{Result, SimError};
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::summary::RunStats;

/// The SQL every engine runs.
pub const SCAN_SQL: &str = include_str!("../../engines/scan.sql");
/// The driver that runs it.
pub const SCAN_PY: &str = include_str!("../../engines/scan.py");

/// An engine that runs the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// DuckDB (`pip install duckdb`), in this process's machine.
    DuckDb,
    /// Spark SQL (`pip install pyspark` and a JRE; a cluster through `spark-submit`).
    Spark,
}

impl Engine {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Engine::DuckDb => "duckdb",
            Engine::Spark => "spark",
        }
    }
}

/// How to start an engine's driver.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The engine.
    pub engine: Engine,
    /// The command that runs a Python file: `python3` unless `USM_PYTHON` says otherwise, or
    /// `spark-submit ...` for a cluster.
    pub command: Vec<String>,
}

impl Launch {
    /// The engine started with `python3` (or `$USM_PYTHON`), or with `command` when given (its
    /// words split at spaces).
    pub fn new(engine: Engine, command: Option<&str>) -> Launch {
        let command = match command {
            Some(c) => c.split_whitespace().map(str::to_string).collect(),
            None => vec![std::env::var("USM_PYTHON").unwrap_or_else(|_| "python3".into())],
        };
        Launch { engine, command }
    }

    /// Whether the engine's Python package can be imported (for `--engine auto`).
    pub fn available(engine: Engine) -> bool {
        let module = match engine {
            Engine::DuckDb => "duckdb",
            Engine::Spark => "pyspark",
        };
        let python = std::env::var("USM_PYTHON").unwrap_or_else(|_| "python3".into());
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// What the engine saw before usm decides: the set's shape.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Files read.
    pub files: u64,
    /// Rows per day.
    pub days: BTreeMap<u32, u64>,
    /// Rows with the truth's columns filled in.
    pub oracle_rows: u64,
    /// Rows whose exposure id another row has.
    pub duplicates: u64,
}

/// What usm decides from the shape: which days train, and the samples' thresholds.
#[derive(Clone, Copy, Debug)]
pub struct Draws {
    /// The first day of the evaluation period.
    pub eval_from: u32,
    /// The samples' seed.
    pub seed: u64,
    /// The pseudo-label sample's threshold ([`super::sample::below`]).
    pub pseudo_below: u64,
    /// The evaluation users' threshold.
    pub eval_below: u64,
}

/// What comes back: the scan and totals usm's own reader would have made, and the kept rows.
pub struct Reduced {
    /// The log set's counts, as [`super::set::scan`] gives them for a usable set.
    pub scan: Scan,
    /// The totals over every row, the truth's sums in fixed point.
    pub stats: RunStats,
    /// The rows usm trains and evaluates on.
    pub kept: Vec<ExposureRecord>,
}

/// A temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("usm-scan-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| SimError::io(&p, e))?;
        Ok(Scratch(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn engine_error(l: &Launch, message: impl std::fmt::Display) -> SimError {
    SimError::Experiment(format!("the scan on {}: {message}", l.engine.name()))
}

/// Runs the scan of `logs` on an engine. `decide` turns the set's shape into the draws (or an
/// error, which stops the engine); the rows it keeps are read back with usm's own reader.
pub fn reduce(
    logs: &Path,
    l: &Launch,
    decide: &mut dyn FnMut(&Shape) -> Result<Draws>,
) -> Result<Reduced> {
    let scratch = Scratch::new()?;
    let dir = &scratch.0;
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| SimError::io(&p, e))?;
        Ok::<_, SimError>(p)
    };
    let py = write("scan.py", SCAN_PY)?;
    let sql = write("scan.sql", SCAN_SQL)?;
    let schema: Vec<Value> = COLUMNS
        .iter()
        .map(|c| json!([c.name, kind_name(c.kind), c.oracle]))
        .collect();
    let schema = write("schema.json", &Value::Array(schema).to_string())?;
    let log = dir.join("engine.log");
    let stderr = std::fs::File::create(&log).map_err(|e| SimError::io(&log, e))?;
    let (program, args) = l
        .command
        .split_first()
        .ok_or_else(|| engine_error(l, "no command to start it"))?;
    let mut child = Command::new(program)
        .args(args)
        .arg(&py)
        .args(["--engine", l.engine.name(), "--logs"])
        .arg(logs)
        .arg("--sql")
        .arg(&sql)
        .arg("--schema")
        .arg(&schema)
        .arg("--out")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| engine_error(l, format!("`{program}` could not start ({e})")))?;
    let out = child.stdout.take().expect("piped");
    let mut input = child.stdin.take().expect("piped");
    let mut lines = BufReader::new(out).lines();
    let mut next = || -> Result<Map<String, Value>> {
        for line in lines.by_ref() {
            let line = line.map_err(|e| engine_error(l, e))?;
            let Some(msg) = line.strip_prefix("usm-scan ") else {
                continue;
            };
            let v: Map<String, Value> = serde_json::from_str(msg)
                .map_err(|e| engine_error(l, format!("a garbled answer ({e}): {msg}")))?;
            if let Some(e) = v.get("error").and_then(Value::as_str) {
                return Err(engine_error(l, e));
            }
            return Ok(v);
        }
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(8).collect();
        Err(engine_error(
            l,
            format!(
                "the driver stopped without an answer; its last words:\n  {}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
            ),
        ))
    };
    let first = next()?;
    let shape = shape_of(&first).map_err(|e| engine_error(l, e))?;
    let draws = match decide(&shape) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(input, "{}", json!({"stop": e.to_string()}));
            let _ = child.wait();
            return Err(e);
        }
    };
    let oracle = shape.oracle_rows == shape.days.values().sum::<u64>();
    let columns: Vec<String> = COLUMNS
        .iter()
        .filter(|c| oracle || !c.oracle)
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let params = json!({
        "eval_from": draws.eval_from,
        "seed": draws.seed,
        "pseudo_below": super::sample::below_text(draws.pseudo_below),
        "eval_below": super::sample::below_text(draws.eval_below),
        "columns": columns.join(", "),
    });
    writeln!(input, "{params}").map_err(|e| engine_error(l, e))?;
    drop(input);
    let totals = next()?;
    let kept_msg = next()?;
    let status = child.wait().map_err(|e| engine_error(l, e))?;
    if !status.success() {
        return Err(engine_error(l, format!("the driver exited with {status}")));
    }
    let (scan, stats) = totals_of(&shape, &totals).map_err(|e| engine_error(l, e))?;
    let path = kept_msg
        .get("kept")
        .and_then(Value::as_str)
        .ok_or_else(|| engine_error(l, "no kept rows named"))?;
    let mut kept = Vec::new();
    super::file::for_each(Path::new(path), None, &mut |r| {
        kept.push(r?);
        Ok(())
    })?;
    let mut scan = scan;
    scan.oracle = oracle;
    Ok(Reduced { scan, stats, kept })
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Bool => "bool",
        Kind::Str => "str",
    }
}

fn uint(v: &Value, what: &str) -> std::result::Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("`{what}` is {v}, not a count"))
}

/// The first answer: files, days, duplicates.
fn shape_of(m: &Map<String, Value>) -> std::result::Result<Shape, String> {
    let mut s = Shape {
        files: uint(&m["files"], "files")?,
        duplicates: uint(&m["duplicates"], "duplicates")?,
        ..Shape::default()
    };
    for d in m["days"].as_array().ok_or("no days")? {
        let day = d[0]
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| format!("day {} is not a day number (0 or more)", d[0]))?;
        s.days.insert(day, uint(&d[1], "rows")?);
        s.oracle_rows += uint(&d[2], "oracle_rows")?;
    }
    Ok(s)
}

/// The scan and totals of the engine's groups: each group one record (its largest ids), counted
/// as many times as it has rows, by the same functions as usm's own rows.
fn totals_of(
    shape: &Shape,
    m: &Map<String, Value>,
) -> std::result::Result<(Scan, RunStats), String> {
    let mut scan = Scan {
        files: shape.files as usize,
        rows: shape.days.values().sum(),
        ..Scan::default()
    };
    let mut stats = RunStats::default();
    let mut fixed = [0i64; 3];
    for g in m["totals"].as_array().ok_or("no totals")? {
        let (r, n) = group_record(g)?;
        check_row(&r).map_err(|(column, e)| format!("column `{column}`: {e}"))?;
        scan.add_times(&r, n);
        stats.add_times(&r, n);
        for (f, k) in
            fixed
                .iter_mut()
                .zip(["fixed_p_dislike", "fixed_p_inappropriate", "fixed_p_sexual"])
        {
            *f += g[k].as_i64().unwrap_or(0);
        }
    }
    if shape.duplicates > 0 {
        return Err(format!(
            "{} row(s) repeat another row's exposure id (`usm validate --logs PATH` names them)",
            shape.duplicates
        ));
    }
    stats.users = scan.vocab[0] as u64;
    stats.item_exposures.clear();
    super::sample::set_truth_sums(&mut stats, fixed);
    Ok((scan, stats))
}

/// One group of the totals as a record, and its row count.
fn group_record(g: &Value) -> std::result::Result<(ExposureRecord, u64), String> {
    let text = |k: &str| g[k].as_str().unwrap_or("");
    let flag = |k: &str| {
        g[k].as_bool()
            .ok_or_else(|| format!("`{k}` is {}, not true or false", g[k]))
    };
    let id = |k: &str| {
        g[k].as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| format!("`{k}` is {}, not an id", g[k]))
    };
    let answer = |k: &str| {
        Answer::parse(text(k)).ok_or_else(|| format!("unknown answer `{}` in `{k}`", text(k)))
    };
    let mut r = ExposureRecord {
        day: g["day"]
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or("a bad day")?,
        slot: g["slot"].as_u64().ok_or("a bad slot")? as _,
        survey: SurveyKind::parse(text("survey"))
            .ok_or_else(|| format!("unknown survey `{}`", text("survey")))?,
        panel: flag("panel")?,
        submitted: flag("submitted")?,
        answer: answer("answer")?,
        reasons: reasons_from_str(text("reasons"))?,
        like: flag("like")?,
        share: flag("share")?,
        favorite: flag("favorite")?,
        dislike: flag("dislike")?,
        report: flag("report")?,
        skip: flag("skip")?,
        user_id: id("user_id")?,
        item_id: id("item_id")?,
        author_id: id("author_id")?,
        item_category: id("item_category")?,
        ..ExposureRecord::default()
    };
    if !g["oracle_latent_satisfaction"].is_null() {
        r.oracle = Some(Oracle {
            latent_satisfaction: answer("oracle_latent_satisfaction")?,
            latent_inappropriate: answer("oracle_latent_inappropriate")?,
            latent_reasons: reasons_from_str(text("oracle_latent_reasons"))?,
            ..Oracle::default()
        });
    }
    Ok((r, uint(&g["rows"], "rows")?))
}
