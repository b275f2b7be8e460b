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

/// The Python that runs the drivers: `$USM_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("USM_PYTHON").unwrap_or_else(|_| "python3".into())
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
            None => vec![python()],
        };
        Launch { engine, command }
    }

    /// Whether the engine's Python package can be imported (for `--engine auto`).
    pub fn available(engine: Engine) -> bool {
        let module = match engine {
            Engine::DuckDb => "duckdb",
            Engine::Spark => "pyspark",
        };
        Command::new(python())
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

/// A running driver and the conversation with it.
struct Driver {
    launch: Launch,
    child: std::process::Child,
    input: Option<std::process::ChildStdin>,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    log: PathBuf,
    // Last: removed once the driver is done with it.
    scratch: Scratch,
}

impl Driver {
    /// Starts the driver on `logs` in `mode` (`scan` or `validate`).
    fn start(logs: &Path, l: &Launch, mode: &str) -> Result<Driver> {
        let scratch = Scratch::new()?;
        let dir = scratch.0.clone();
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
            .args(["--engine", l.engine.name(), "--mode", mode, "--logs"])
            .arg(logs)
            .arg("--sql")
            .arg(&sql)
            .arg("--schema")
            .arg(&schema)
            .arg("--out")
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| engine_error(l, format!("`{program}` could not start ({e})")))?;
        let out = child.stdout.take().expect("piped");
        let input = child.stdin.take();
        Ok(Driver {
            launch: l.clone(),
            child,
            input,
            lines: BufReader::new(out).lines(),
            log,
            scratch,
        })
    }

    /// The driver's next message; its error message as an error.
    fn next(&mut self) -> Result<Map<String, Value>> {
        let l = &self.launch;
        for line in self.lines.by_ref() {
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
        let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(8).collect();
        Err(engine_error(
            l,
            format!(
                "the driver stopped without an answer; its last words:\n  {}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
            ),
        ))
    }

    /// Sends one message.
    fn send(&mut self, v: &Value) -> Result<()> {
        let l = &self.launch;
        let input = self
            .input
            .as_mut()
            .ok_or_else(|| engine_error(l, "hung up"))?;
        writeln!(input, "{v}").map_err(|e| engine_error(l, e))
    }

    /// Sends one statement and waits for its rows (`answer`) or its end.
    fn run(&mut self, sql: &str, answer: bool) -> Result<Vec<Value>> {
        self.send(&json!({"run": sql, "answer": answer}))?;
        let mut m = self.next()?;
        Ok(match m.remove("rows") {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        })
    }

    /// Closes the conversation and waits for the driver to exit.
    fn finish(mut self) -> Result<()> {
        drop(self.input.take());
        let status = self
            .child
            .wait()
            .map_err(|e| engine_error(&self.launch, e))?;
        if !status.success() {
            return Err(engine_error(
                &self.launch,
                format!("the driver exited with {status}"),
            ));
        }
        drop(self.scratch);
        Ok(())
    }

    /// Stops the driver after usm's own error.
    fn stop(mut self, why: &SimError) {
        let _ = self.send(&json!({"stop": why.to_string()}));
        drop(self.input.take());
        let _ = self.child.wait();
    }
}

/// Runs the scan of `logs` on an engine. `decide` turns the set's shape into the draws (or an
/// error, which stops the engine); the rows it keeps are read back with usm's own reader.
pub fn reduce(
    logs: &Path,
    l: &Launch,
    decide: &mut dyn FnMut(&Shape) -> Result<Draws>,
) -> Result<Reduced> {
    let mut d = Driver::start(logs, l, "scan")?;
    let first = d.next()?;
    let shape = shape_of(&first).map_err(|e| engine_error(l, e))?;
    let draws = match decide(&shape) {
        Ok(x) => x,
        Err(e) => {
            d.stop(&e);
            return Err(e);
        }
    };
    let oracle = shape.oracle_rows == shape.days.values().sum::<u64>();
    let columns: Vec<String> = COLUMNS
        .iter()
        .filter(|c| oracle || !c.oracle)
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    d.send(&json!({
        "eval_from": draws.eval_from,
        "seed": draws.seed,
        "pseudo_below": super::sample::below_text(draws.pseudo_below),
        "eval_below": super::sample::below_text(draws.eval_below),
        "columns": columns.join(", "),
    }))?;
    let totals = d.next()?;
    let kept_msg = d.next()?;
    let path = kept_msg
        .get("kept")
        .and_then(Value::as_str)
        .ok_or_else(|| engine_error(l, "no kept rows named"))?
        .to_string();
    let mut kept = Vec::new();
    super::file::for_each(Path::new(&path), None, &mut |r| {
        kept.push(r?);
        Ok(())
    })?;
    d.finish()?;
    let (mut scan, stats) =
        totals_of(&shape, totals["totals"].as_array()).map_err(|e| engine_error(l, e))?;
    if shape.duplicates > 0 {
        return Err(engine_error(
            l,
            format!(
                "{} row(s) repeat another row's exposure id (`usm validate --logs PATH` names them)",
                shape.duplicates
            ),
        ));
    }
    scan.oracle = oracle;
    scan.check_trainable();
    Ok(Reduced { scan, stats, kept })
}

/// A named statement of [`SCAN_SQL`].
fn statement(name: &str) -> String {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in SCAN_SQL.lines() {
        let t = line.trim();
        if let Some(n) = t.strip_prefix("-- name:") {
            inside = n.trim() == name;
        } else if inside && !t.starts_with("--") {
            lines.push(line);
            if t.ends_with(';') {
                break;
            }
        }
    }
    lines
        .join("\n")
        .trim_end()
        .trim_end_matches(';')
        .to_string()
}

/// One file of a set as DuckDB describes it: its columns with their Parquet types, its rows.
struct FileSchema {
    path: String,
    columns: Vec<(String, String)>,
    rows: u64,
}

/// Whether a Parquet physical type holds a column of this kind as usm's reader reads it.
fn holds(kind: Kind, parquet: &str) -> bool {
    let int = matches!(parquet, "INT32" | "INT64");
    match kind {
        Kind::Int | Kind::Bool => int || (kind == Kind::Bool && parquet == "BOOLEAN"),
        Kind::Float => int || matches!(parquet, "FLOAT" | "DOUBLE"),
        Kind::Str => parquet == "BYTE_ARRAY",
    }
}

/// A file's own problems (its columns, their types, no rows), worded as usm's reader words them;
/// and whether it has the oracle columns.
fn file_problems(f: &FileSchema) -> (Vec<String>, bool) {
    let has = |n: &str| f.columns.iter().any(|(c, _)| c == n);
    let mut out = Vec::new();
    // The header's checks are usm's reader's own (missing columns, some oracle columns, a name
    // twice), with its words.
    let names: Vec<String> = f.columns.iter().map(|(c, _)| c.clone()).collect();
    let day = super::set::partition_day(Path::new(&f.path));
    if let Err(e) = day.and_then(|day| super::row::Header::new(&f.path, &names, day)) {
        out.push(e.to_string());
    }
    let oracle = COLUMNS.iter().filter(|c| c.oracle).count();
    let present = COLUMNS.iter().filter(|c| c.oracle && has(c.name)).count();
    for (name, parquet) in &f.columns {
        if let Some(c) = super::schema::column(name)
            && !holds(c.kind, parquet)
        {
            out.push(format!(
                "{}: column `{name}` is Parquet {parquet}, which cannot hold {} values",
                f.path,
                kind_name(c.kind)
            ));
        }
    }
    if out.is_empty() && f.rows == 0 {
        out.push(format!("{}: has a header but no rows", f.path));
    }
    (out, present == oracle)
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `usm validate --engine duckdb`: usm validate's checks run in DuckDB, each problem worded as
/// usm's reader words it (file, row, column), and the same counts. A file whose columns are
/// wrong is one problem and its rows are not checked (usm's reader stops at its header too).
pub fn validate(logs: &Path, l: &Launch) -> Result<Scan> {
    let mut d = Driver::start(logs, l, "validate")?;
    let first = d.next()?;
    let files: Vec<FileSchema> = first["schemas"]
        .as_array()
        .ok_or_else(|| engine_error(l, "no schemas"))?
        .iter()
        .map(|f| FileSchema {
            path: f[0].as_str().unwrap_or("").to_string(),
            columns: f[1]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            let t = |i: usize| c[i].as_str().unwrap_or("").to_string();
                            (t(0), t(1))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            rows: f[2].as_u64().unwrap_or(0),
        })
        .collect();
    let mut s = Scan {
        files: files.len(),
        oracle: true,
        ..Scan::default()
    };
    // (file index, row, problem): a file's own problems at row 0.
    let mut quoted: Vec<(usize, u64, String)> = Vec::new();
    let (mut good, mut with_oracle) = (Vec::new(), Vec::new());
    for (i, f) in files.iter().enumerate() {
        let (problems, oracle) = file_problems(f);
        s.oracle &= oracle && problems.is_empty();
        if problems.is_empty() {
            s.rows += f.rows;
            good.push(sql_text(&f.path));
            if oracle {
                with_oracle.push(sql_text(&f.path));
            }
        }
        s.problem_count += problems.len() as u64;
        quoted.extend(problems.into_iter().map(|p| (i, 0, p)));
    }
    if !good.is_empty() {
        let rows = row_checks(&mut d, &files, &good, &with_oracle)?;
        let index = |p: &str| files.iter().position(|f| f.path == p).unwrap_or(usize::MAX);
        s.problem_count += rows.0;
        for p in rows.1.iter().filter_map(Value::as_object) {
            let file = p["usm_file"].as_str().unwrap_or("");
            let row = p["usm_row"].as_u64().unwrap_or(0);
            quoted.push((index(file), row, super::checks::message(p)));
        }
        let (counts, _) =
            totals_of(&Shape::default(), Some(&rows.2)).map_err(|e| engine_error(l, e))?;
        s.good_rows = counts.good_rows;
        s.days = counts.days;
        s.vocab = counts.vocab;
        s.shows = counts.shows;
        s.submits = counts.submits;
        s.panel = counts.panel;
    }
    d.send(&json!({"end": true}))?;
    d.finish()?;
    quoted.sort_by_key(|q| (q.0, q.1));
    s.problems = quoted
        .into_iter()
        .take(super::set::PROBLEMS_SHOWN)
        .map(|q| q.2)
        .collect();
    if s.good_rows > 0 || s.problem_count == 0 {
        s.check_trainable();
    }
    Ok(s)
}

/// The row checks over the good files: the count of problem rows, the first of them in file
/// and row order, and the totals of the rows without a problem.
fn row_checks(
    d: &mut Driver,
    files: &[FileSchema],
    good: &[String],
    with_oracle: &[String],
) -> Result<(u64, Vec<Value>, Vec<Value>)> {
    let present = |n: &str| {
        files
            .iter()
            .any(|f| good.contains(&sql_text(&f.path)) && f.columns.iter().any(|(c, _)| c == n))
    };
    let select: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            if present(c.name) || c.name == "day" {
                format!("\"{}\"", c.name)
            } else {
                let t = match c.kind {
                    Kind::Int => "BIGINT",
                    Kind::Float => "FLOAT",
                    Kind::Bool => "BOOLEAN",
                    Kind::Str => "VARCHAR",
                };
                format!("CAST(NULL AS {t}) AS \"{}\"", c.name)
            }
        })
        .collect();
    let oracle_files = if with_oracle.is_empty() {
        "NULL".to_string()
    } else {
        with_oracle.join(", ")
    };
    let cols: Vec<String> = COLUMNS.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let cols = cols.join(", ");
    let statements = [
        format!(
            "CREATE VIEW raw AS SELECT {}, filename AS usm_file, file_row_number + 1 AS usm_row \
             FROM read_parquet([{}], hive_partitioning = true, union_by_name = true, \
             filename = true, file_row_number = true)",
            select.join(", "),
            good.join(", ")
        ),
        format!(
            "CREATE VIEW checked AS SELECT *, {} AS usm_problem FROM raw",
            super::checks::first_problem(&oracle_files)
        ),
        format!(
            "CREATE TABLE problems AS SELECT usm_file, usm_row, usm_problem, {} AS usm_value, \
             \"survey\", \"answer\", \"submitted\", \"panel\", \"exposure_id\", \"user_id\", \
             \"item_id\", \"author_id\", NULL AS usm_first_file, NULL AS usm_first_row \
             FROM checked WHERE usm_problem IS NOT NULL",
            super::checks::problem_value()
        ),
        // The rows without a problem, by an anti-join on the few that have one: the checks run
        // once, not once a pass.
        "CREATE VIEW good AS SELECT r.* FROM raw r WHERE NOT EXISTS (SELECT 1 FROM problems p \
         WHERE p.usm_file = r.usm_file AND p.usm_row = r.usm_row)"
            .into(),
        "CREATE TABLE dup AS SELECT \"exposure_id\" FROM good GROUP BY 1 HAVING count(*) > 1".into(),
        "CREATE TABLE dup_rows AS SELECT * FROM (SELECT usm_file, usm_row, 'duplicate' AS usm_problem, \
         NULL AS usm_value, \"survey\", \"answer\", \"submitted\", \"panel\", \"exposure_id\", \
         \"user_id\", \"item_id\", \"author_id\", first_value(usm_file) OVER w AS usm_first_file, \
         first_value(usm_row) OVER w AS usm_first_row, row_number() OVER w AS usm_k FROM good \
         WHERE \"exposure_id\" IN (SELECT \"exposure_id\" FROM dup) \
         WINDOW w AS (PARTITION BY \"exposure_id\" ORDER BY usm_file, usm_row)) WHERE usm_k > 1"
            .into(),
        format!(
            "CREATE VIEW logs AS SELECT {cols} FROM good c WHERE NOT EXISTS \
             (SELECT 1 FROM dup_rows r WHERE r.usm_file = c.usm_file AND r.usm_row = c.usm_row)"
        ),
    ];
    for sql in &statements {
        d.run(sql, false)?;
    }
    let count = d.run(
        "SELECT (SELECT count(*) FROM problems) + (SELECT count(*) FROM dup_rows) AS n",
        true,
    )?;
    let count = count.first().and_then(|r| r["n"].as_u64()).unwrap_or(0);
    let first = d.run(
        &format!(
            "SELECT * FROM (SELECT * FROM problems UNION ALL BY NAME SELECT * EXCLUDE (usm_k) \
             FROM dup_rows) ORDER BY usm_file, usm_row LIMIT {}",
            super::set::PROBLEMS_SHOWN
        ),
        true,
    )?;
    let totals = d.run(&statement("totals"), true)?;
    Ok((count, first, totals))
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
    groups: Option<&Vec<Value>>,
) -> std::result::Result<(Scan, RunStats), String> {
    let mut scan = Scan {
        files: shape.files as usize,
        rows: shape.days.values().sum(),
        ..Scan::default()
    };
    let mut stats = RunStats::default();
    let mut fixed = [0i64; 3];
    for g in groups.ok_or("no totals")? {
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
