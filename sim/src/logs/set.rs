//! A log set: one file, or a folder of them (Hive-partitioned by day, as `usm simulate` writes
//! Parquet, or any `.csv`/`.parquet` files), and the scan that checks it whole: every problem
//! found, not only the first, with what the experiment needs to know before it reads the rows.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::file::for_each;
use super::row::RowResult;
use crate::error::{Result, SimError};
use crate::records::{ExposureRecord, SurveyKind};

/// The largest id + 1 of a user, video or author vocabulary usm embeds: larger ids are refused,
/// since their embedding tables would not fit. Number ids densely from 0.
pub const MAX_VOCAB: u32 = 1 << 24;

/// Problems quoted in full by a scan; the rest are counted.
pub const PROBLEMS_SHOWN: usize = 50;

/// One file of a log set, and its partition day (`day=N` in its path), if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    /// The file.
    pub path: PathBuf,
    /// Its Hive partition's day.
    pub day: Option<u32>,
}

/// The files of a log set: `path` itself, or every `.csv` and `.parquet` file under the folder
/// `path`, in path order (hidden files and folders skipped).
pub fn files(path: &Path) -> Result<Vec<LogFile>> {
    let meta = std::fs::metadata(path).map_err(|e| SimError::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![LogFile {
            path: path.to_path_buf(),
            day: partition_day(path)?,
        }]);
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(SimError::io(path, "holds no .csv or .parquet log file"));
    }
    out.into_iter()
        .map(|p| {
            Ok(LogFile {
                day: partition_day(&p)?,
                path: p,
            })
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| SimError::io(dir, e))? {
        let p = entry.map_err(|e| SimError::io(dir, e))?.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.') || n.starts_with('_'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("csv" | "parquet")
        ) {
            out.push(p);
        }
    }
    Ok(())
}

/// The day of the innermost `day=N` folder in a path.
pub(crate) fn partition_day(path: &Path) -> Result<Option<u32>> {
    for part in path.parent().into_iter().flat_map(|p| p.components().rev()) {
        if let Some(v) = part
            .as_os_str()
            .to_str()
            .and_then(|s| s.strip_prefix("day="))
        {
            return v.parse().map(Some).map_err(|_| {
                SimError::io(path, format!("partition `day={v}` is not a day number"))
            });
        }
    }
    Ok(None)
}

/// Streams every file of a set into `on`, in order, and returns the rows read.
pub fn for_each_in(files: &[LogFile], on: &mut dyn FnMut(RowResult) -> Result<()>) -> Result<u64> {
    let mut rows = 0;
    for f in files {
        rows += for_each(&f.path, f.day, on)?;
    }
    Ok(rows)
}

/// What a scan found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Scan {
    /// Files read.
    pub files: usize,
    /// Data rows.
    pub rows: u64,
    /// Rows without a problem.
    pub good_rows: u64,
    /// Every file has the oracle columns.
    pub oracle: bool,
    /// Rows per day.
    pub days: BTreeMap<u32, u64>,
    /// Largest user, video, author and category id + 1 (the vocabularies).
    pub vocab: [u32; 4],
    /// Regular survey shows and submits per survey (satisfaction, inappropriate).
    pub shows: [u64; 2],
    /// Of which submitted.
    pub submits: [u64; 2],
    /// Panel (random-slice) answers per survey.
    pub panel: [u64; 2],
    /// The documented repairs made while reading, and how many files each: `utf8_bom_dropped`
    /// (a byte-order mark before the header), `crlf_line_endings` (read as LF).
    pub repairs: BTreeMap<String, u64>,
    /// Problems in full, at most [`PROBLEMS_SHOWN`].
    pub problems: Vec<String>,
    /// Every problem, counted.
    pub problem_count: u64,
    /// Days between the first and the last with no row: a warning (a day's partition lost on
    /// the way?), not a problem.
    #[serde(default)]
    pub missing_days: Vec<u32>,
}

impl Scan {
    /// No problem found.
    pub fn usable(&self) -> bool {
        self.problem_count == 0
    }

    /// Counts a problem, and quotes it while fewer than [`PROBLEMS_SHOWN`] are.
    pub fn problem(&mut self, p: String) {
        self.problem_count += 1;
        if self.problems.len() < PROBLEMS_SHOWN {
            self.problems.push(p);
        }
    }

    /// Rows of days before `day`.
    pub fn rows_before(&self, day: u32) -> u64 {
        self.days.range(..day).map(|(_, n)| n).sum()
    }

    /// The one-screen account `usm validate` prints.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let days = match (self.days.keys().next(), self.days.keys().last()) {
            (Some(a), Some(b)) => format!("days {a}..={b}"),
            _ => "no days".into(),
        };
        let _ = writeln!(
            o,
            "{} file(s), {} rows ({} without a problem), {days}, oracle columns: {}",
            self.files,
            self.rows,
            self.good_rows,
            if self.oracle { "yes" } else { "no" }
        );
        let _ = writeln!(
            o,
            "vocabularies: {} users, {} videos, {} authors, {} categories",
            self.vocab[0], self.vocab[1], self.vocab[2], self.vocab[3]
        );
        for (k, name) in ["satisfaction", "inappropriate"].iter().enumerate() {
            let _ = writeln!(
                o,
                "{name}: {} shows, {} submitted, {} random-slice (panel) answers",
                self.shows[k], self.submits[k], self.panel[k]
            );
        }
        if !self.missing_days.is_empty() {
            let days: Vec<String> = self.missing_days.iter().map(u32::to_string).collect();
            let _ = writeln!(
                o,
                "warning: no row on day(s) {} between the first and the last: a day missing from the set?",
                days.join(", ")
            );
        }
        for (what, n) in &self.repairs {
            let what = match what.as_str() {
                "utf8_bom_dropped" => "a UTF-8 byte-order mark before the header, dropped",
                "crlf_line_endings" => "CRLF line endings, read as LF",
                other => other,
            };
            let _ = writeln!(o, "repaired: {what}, in {n} file(s)");
        }
        if self.usable() {
            let _ = writeln!(o, "no problems found: the logs are usable");
        } else {
            let _ = writeln!(o, "{} problem(s):", self.problem_count);
            for p in &self.problems {
                let _ = writeln!(o, "  {p}");
            }
            if self.problem_count > self.problems.len() as u64 {
                let _ = writeln!(
                    o,
                    "  ... and {} more",
                    self.problem_count - self.problems.len() as u64
                );
            }
        }
        o
    }
}

/// Reads every row of a log set and checks it: each file's header, each row's cells and
/// consistency, ids within [`MAX_VOCAB`], no exposure id twice, and that the set has rows, survey
/// shows and submits. Problems are collected, not raised; only an unreadable folder is an error.
/// `progress` gets the rows read so far.
pub fn scan(files: &[LogFile], progress: &mut dyn FnMut(u64)) -> Result<Scan> {
    let mut s = Scan {
        files: files.len(),
        oracle: true,
        ..Scan::default()
    };
    // Exposure id → (file, row) of its first row.
    let mut seen: HashMap<u64, (u32, u64)> = HashMap::new();
    for (fi, f) in files.iter().enumerate() {
        let name = f.path.display().to_string();
        for r in csv_repairs(&f.path) {
            *s.repairs.entry(r.into()).or_default() += 1;
        }
        let mut row = 0u64;
        let mut oracle = None;
        let read = for_each(&f.path, f.day, &mut |r| {
            row += 1;
            s.rows += 1;
            if s.rows.is_multiple_of(65_536) {
                progress(s.rows);
            }
            match r {
                Err(e) => s.problem(e.to_string()),
                Ok(r) => {
                    oracle.get_or_insert(r.oracle.is_some());
                    if let Some(p) = check_record(&name, row, &r, fi as u32, files, &mut seen) {
                        s.problem(p);
                    } else {
                        s.add_times(&r, 1);
                    }
                }
            }
            Ok(())
        });
        match read {
            Err(e) => s.problem(e.to_string()),
            Ok(0) => s.problem(format!("{name}: has a header but no rows")),
            Ok(_) => {}
        }
        s.oracle &= oracle.unwrap_or(false);
    }
    progress(s.rows);
    if s.good_rows > 0 || s.problem_count == 0 {
        s.check_trainable();
    }
    Ok(s)
}

impl Scan {
    /// The scan of rows in memory (a format converted to the log schema): the same counts, and
    /// the same problems but for the file-level ones.
    pub fn of_rows(rows: &[ExposureRecord]) -> Scan {
        let mut s = Scan {
            files: 0,
            oracle: !rows.is_empty() && rows.iter().all(|r| r.oracle.is_some()),
            ..Scan::default()
        };
        let mut seen = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            s.rows += 1;
            let row = i as u64 + 1;
            let problem = super::schema::check_row(r)
                .err()
                .map(|(column, m)| format!("row {row}, column `{column}`: {m}"))
                .or_else(|| check_record("rows", row, r, 0, &[], &mut seen));
            match problem {
                Some(p) => s.problem(p),
                None => {
                    s.add_times(r, 1);
                }
            }
        }
        s.check_trainable();
        s
    }

    /// The set-level checks, once every row is counted: rows, survey shows and submits exist,
    /// and which days between the first and the last have no row.
    pub fn check_trainable(&mut self) {
        if let (Some(&a), Some(&b)) = (self.days.keys().next(), self.days.keys().last()) {
            self.missing_days = (a..=b).filter(|d| !self.days.contains_key(d)).collect();
        }
        if self.good_rows == 0 {
            self.problem("no rows".into());
        } else if self.shows.iter().sum::<u64>() == 0 {
            self.problem("no row shows a survey (column `survey`): nothing to train on".into());
        } else if self.submits.iter().sum::<u64>() == 0 {
            self.problem(
                "no survey was submitted (column `submitted`): nothing to train on".into(),
            );
        }
    }

    /// Counts `n` good rows like `r` (an engine's scan hands over counts of alike rows).
    pub fn add_times(&mut self, r: &ExposureRecord, n: u64) {
        self.good_rows += n;
        *self.days.entry(r.day).or_default() += n;
        for (v, id) in
            self.vocab
                .iter_mut()
                .zip([r.user_id, r.item_id, r.author_id, r.item_category])
        {
            *v = (*v).max(id + 1);
        }
        let k = match r.survey {
            SurveyKind::None => return,
            SurveyKind::Satisfaction => 0,
            SurveyKind::Inappropriate => 1,
        };
        if r.panel {
            self.panel[k] += n;
        } else {
            self.shows[k] += n;
            self.submits[k] += n * r.submitted as u64;
        }
    }
}

/// The repairs the CSV reader makes to a file, seen in its first bytes: a byte-order mark, CRLF
/// line endings.
fn csv_repairs(path: &Path) -> Vec<&'static str> {
    use std::io::Read;
    if path.extension().and_then(|e| e.to_str()) != Some("csv") {
        return Vec::new();
    }
    let mut head = Vec::with_capacity(1 << 16);
    let read = std::fs::File::open(path).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
    if read.is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        out.push("utf8_bom_dropped");
    }
    if let Some(i) = head.iter().position(|&b| b == b'\n')
        && i > 0
        && head[i - 1] == b'\r'
    {
        out.push("crlf_line_endings");
    }
    out
}

/// A problem of a row that the readers cannot see alone: an id out of range, or an exposure id
/// seen before.
fn check_record(
    file: &str,
    row: u64,
    r: &ExposureRecord,
    fi: u32,
    files: &[LogFile],
    seen: &mut HashMap<u64, (u32, u64)>,
) -> Option<String> {
    for (column, id) in [
        ("user_id", r.user_id),
        ("item_id", r.item_id),
        ("author_id", r.author_id),
    ] {
        if id >= MAX_VOCAB {
            return Some(id_out_of_range(file, row, column, id as u64));
        }
    }
    match seen.entry(r.exposure_id) {
        std::collections::hash_map::Entry::Occupied(e) => {
            let (f0, row0) = *e.get();
            let first = if f0 == fi || files.is_empty() {
                format!("row {row0}")
            } else {
                format!("{}, row {row0}", files[f0 as usize].path.display())
            };
            Some(duplicate(file, row, r.exposure_id, &first))
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert((fi, row));
            None
        }
    }
}

/// The problem of an id at or above [`MAX_VOCAB`].
pub(crate) fn id_out_of_range(file: &str, row: u64, column: &str, id: u64) -> String {
    format!(
        "{file}, row {row}, column `{column}`: id {id} is out of range (at most {}; number ids densely from 0)",
        MAX_VOCAB - 1
    )
}

/// The problem of a row whose exposure id an earlier row has (`first`: "row N" in the same
/// file, or "FILE, row N").
pub(crate) fn duplicate(file: &str, row: u64, exposure_id: u64, first: &str) -> String {
    format!(
        "{file}, row {row}, column `exposure_id`: exposure {exposure_id} is also {first} (a duplicate row)"
    )
}
