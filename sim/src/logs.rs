//! The log schema (`docs/log-schema.md`) and its CSV and Parquet writers and readers.
//!
//! One table, one row per exposure. The simulator writes it with the `oracle_*` columns; real logs
//! have the same columns without them. A reader names the file, row and column of a bad cell.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, SimError};
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::scenario::{ISSUES, N_ISSUES};

/// Type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Non-negative integer (INT64 in Parquet).
    Int,
    /// Float (FLOAT in Parquet).
    Float,
    /// `true`/`false` in CSV (BOOLEAN in Parquet).
    Bool,
    /// Text (UTF8 BYTE_ARRAY in Parquet).
    Str,
}

/// One column of the schema.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Name, as in the header.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// Simulator truth: absent from real logs, read only by evaluation.
    pub oracle: bool,
    /// Meaning.
    pub doc: &'static str,
}

const fn col(name: &'static str, kind: Kind, doc: &'static str) -> Column {
    Column {
        name,
        kind,
        oracle: false,
        doc,
    }
}

const fn ora(name: &'static str, kind: Kind, doc: &'static str) -> Column {
    Column {
        name,
        kind,
        oracle: true,
        doc,
    }
}

/// Every column, in file order.
pub const COLUMNS: [Column; 43] = [
    col("exposure_id", Kind::Int, "unique exposure id"),
    col("day", Kind::Int, "day (round) of the exposure, from 0"),
    col(
        "request",
        Kind::Int,
        "the user's feed request within the day, from 0",
    ),
    col("slot", Kind::Int, "position in the top-k, from 0"),
    col("hour", Kind::Int, "hour bucket of the request, 0..=3"),
    col("user_id", Kind::Int, "user id, 0..users"),
    col("item_id", Kind::Int, "video id, 0..items"),
    col("author_id", Kind::Int, "author id, 0..authors"),
    col("user_age", Kind::Int, "user age group, 0..=4"),
    col(
        "user_activity",
        Kind::Float,
        "observed user activity, log feed requests per day",
    ),
    col(
        "user_history_submits",
        Kind::Int,
        "surveys the user submitted before this exposure",
    ),
    col("item_category", Kind::Int, "video category"),
    col("item_log_popularity", Kind::Float, "video log popularity"),
    col(
        "item_quality_signal",
        Kind::Float,
        "video engagement-rate signal",
    ),
    col("item_log_duration", Kind::Float, "video log duration"),
    col(
        "item_risk_signal",
        Kind::Float,
        "video risk score of a content classifier (noisy view of its issue level)",
    ),
    col("like", Kind::Bool, "pressed like"),
    col("share", Kind::Bool, "shared"),
    col("favorite", Kind::Bool, "favourited"),
    col("dislike", Kind::Bool, "pressed dislike / not interested"),
    col("report", Kind::Bool, "reported"),
    col("skip", Kind::Bool, "skipped early"),
    col(
        "watch_fraction",
        Kind::Float,
        "share of the video watched, 0..=1",
    ),
    col(
        "survey",
        Kind::Str,
        "survey shown: empty, satisfaction or inappropriate",
    ),
    col(
        "panel",
        Kind::Bool,
        "the survey was a panel survey, always answered",
    ),
    col("submitted", Kind::Bool, "the survey was submitted"),
    col(
        "answer",
        Kind::Str,
        "submitted answer: like, neutral, dislike, suitable, adult_only, not_suitable, or empty",
    ),
    col(
        "reasons",
        Kind::Str,
        "submitted reasons, ';'-separated: sexual, disgusting, hateful, violent, spam, uninteresting",
    ),
    ora("oracle_p_like", Kind::Float, "true P(answer like)"),
    ora("oracle_p_neutral", Kind::Float, "true P(answer neutral)"),
    ora("oracle_p_dislike", Kind::Float, "true P(answer don't like)"),
    ora(
        "oracle_p_inappropriate",
        Kind::Float,
        "true P(answer only 18+ or not suitable)",
    ),
    ora(
        "oracle_p_sexual",
        Kind::Float,
        "true P(perceiving the issue sexual)",
    ),
    ora(
        "oracle_p_disgusting",
        Kind::Float,
        "true P(perceiving disgusting)",
    ),
    ora(
        "oracle_p_hateful",
        Kind::Float,
        "true P(perceiving hateful)",
    ),
    ora(
        "oracle_p_violent",
        Kind::Float,
        "true P(perceiving violent)",
    ),
    ora("oracle_p_spam", Kind::Float, "true P(perceiving spam)"),
    ora(
        "oracle_p_uninteresting",
        Kind::Float,
        "true P(perceiving uninteresting)",
    ),
    ora(
        "oracle_p_submit_satisfaction",
        Kind::Float,
        "true P(submit | satisfaction survey shown)",
    ),
    ora(
        "oracle_p_submit_inappropriate",
        Kind::Float,
        "true P(submit | inappropriate survey shown)",
    ),
    ora(
        "oracle_latent_satisfaction",
        Kind::Str,
        "the satisfaction answer this viewer would give",
    ),
    ora(
        "oracle_latent_inappropriate",
        Kind::Str,
        "the inappropriate answer this viewer would give",
    ),
    ora(
        "oracle_latent_reasons",
        Kind::Str,
        "the reasons this viewer would tick, ';'-separated",
    ),
];

/// All columns, with or without the oracle ones.
pub fn columns(with_oracle: bool) -> Vec<Column> {
    COLUMNS
        .iter()
        .copied()
        .filter(|c| with_oracle || !c.oracle)
        .collect()
}

/// A cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f32),
    /// Boolean.
    Bool(bool),
    /// Text.
    Str(Cow<'static, str>),
}

/// `;`-joined issue names of a bitmask.
pub fn reasons_to_string(bits: u8) -> String {
    (0..N_ISSUES)
        .filter(|k| bits & (1 << k) != 0)
        .map(|k| ISSUES[k])
        .collect::<Vec<_>>()
        .join(";")
}

/// Reasons as text, without allocating: every combination is made once.
fn reasons_cow(bits: u8) -> Cow<'static, str> {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| (0..1u8 << N_ISSUES).map(reasons_to_string).collect());
    Cow::Borrowed(all[bits as usize & ((1 << N_ISSUES) - 1)].as_str())
}

/// Parses `;`-joined issue names.
pub fn reasons_from_str(s: &str) -> std::result::Result<u8, String> {
    let mut bits = 0u8;
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let k = ISSUES
            .iter()
            .position(|&i| i == part)
            .ok_or_else(|| format!("unknown reason `{part}` (known: {})", ISSUES.join(", ")))?;
        bits |= 1 << k;
    }
    Ok(bits)
}

/// The value of column `name` of a record.
pub fn get(r: &ExposureRecord, col: usize) -> Cell {
    const NONE: Oracle = Oracle {
        p_like: 0.0,
        p_neutral: 0.0,
        p_dislike: 0.0,
        p_inappropriate: 0.0,
        p_issue: [0.0; 6],
        p_submit: [0.0; 2],
        latent_satisfaction: Answer::None,
        latent_inappropriate: Answer::None,
        latent_reasons: 0,
    };
    let o = r.oracle.as_ref().unwrap_or(&NONE);
    match col {
        0 => Cell::Int(r.exposure_id as i64),
        1 => Cell::Int(r.day as i64),
        2 => Cell::Int(r.request as i64),
        3 => Cell::Int(r.slot as i64),
        4 => Cell::Int(r.hour as i64),
        5 => Cell::Int(r.user_id as i64),
        6 => Cell::Int(r.item_id as i64),
        7 => Cell::Int(r.author_id as i64),
        8 => Cell::Int(r.user_age as i64),
        9 => Cell::Float(r.user_activity),
        10 => Cell::Int(r.user_history_submits as i64),
        11 => Cell::Int(r.item_category as i64),
        12 => Cell::Float(r.item_log_popularity),
        13 => Cell::Float(r.item_quality_signal),
        14 => Cell::Float(r.item_log_duration),
        15 => Cell::Float(r.item_risk_signal),
        16 => Cell::Bool(r.like),
        17 => Cell::Bool(r.share),
        18 => Cell::Bool(r.favorite),
        19 => Cell::Bool(r.dislike),
        20 => Cell::Bool(r.report),
        21 => Cell::Bool(r.skip),
        22 => Cell::Float(r.watch_fraction),
        23 => Cell::Str(Cow::Borrowed(r.survey.as_str())),
        24 => Cell::Bool(r.panel),
        25 => Cell::Bool(r.submitted),
        26 => Cell::Str(Cow::Borrowed(r.answer.as_str())),
        27 => Cell::Str(reasons_cow(r.reasons)),
        28 => Cell::Float(o.p_like),
        29 => Cell::Float(o.p_neutral),
        30 => Cell::Float(o.p_dislike),
        31 => Cell::Float(o.p_inappropriate),
        38 => Cell::Float(o.p_submit[0]),
        39 => Cell::Float(o.p_submit[1]),
        40 => Cell::Str(Cow::Borrowed(o.latent_satisfaction.as_str())),
        41 => Cell::Str(Cow::Borrowed(o.latent_inappropriate.as_str())),
        42 => Cell::Str(reasons_cow(o.latent_reasons)),
        32..=37 => Cell::Float(o.p_issue[col - 32]),
        _ => panic!("column index {col} is outside the schema"),
    }
}

fn issue_column(name: &str) -> Option<usize> {
    name.strip_prefix("oracle_p_")
        .and_then(|i| ISSUES.iter().position(|&x| x == i))
}

fn int<T: TryFrom<i64>>(c: &Cell) -> std::result::Result<T, String> {
    match c {
        Cell::Int(v) => T::try_from(*v).map_err(|_| format!("integer {v} is out of range")),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

fn float(c: &Cell) -> std::result::Result<f32, String> {
    match c {
        Cell::Float(v) if v.is_finite() => Ok(*v),
        Cell::Float(v) => Err(format!("{v} is not finite")),
        Cell::Int(v) => Ok(*v as f32),
        other => Err(format!("expected a number, found {other:?}")),
    }
}

fn boolean(c: &Cell) -> std::result::Result<bool, String> {
    match c {
        Cell::Bool(v) => Ok(*v),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        other => Err(format!("expected true or false, found {other:?}")),
    }
}

fn text(c: &Cell) -> std::result::Result<&str, String> {
    match c {
        Cell::Str(s) => Ok(s.as_ref()),
        other => Err(format!("expected text, found {other:?}")),
    }
}

/// Sets column `name` of a record from a cell; the error says what is wrong with the value.
pub fn set(r: &mut ExposureRecord, name: &str, c: &Cell) -> std::result::Result<(), String> {
    let answer = |c: &Cell| {
        let s = text(c)?;
        Answer::parse(s).ok_or_else(|| format!("unknown answer `{s}`"))
    };
    if name.starts_with("oracle_") && r.oracle.is_none() {
        r.oracle = Some(Oracle::default());
    }
    let o = r.oracle.as_mut();
    match name {
        "exposure_id" => r.exposure_id = int(c)?,
        "day" => r.day = int(c)?,
        "request" => r.request = int(c)?,
        "slot" => r.slot = int(c)?,
        "hour" => {
            r.hour = int(c)?;
            if r.hour as usize >= crate::scenario::HOURS {
                return Err(format!("hour bucket {} is outside 0..=3", r.hour));
            }
        }
        "user_id" => r.user_id = int(c)?,
        "item_id" => r.item_id = int(c)?,
        "author_id" => r.author_id = int(c)?,
        "user_age" => {
            r.user_age = int(c)?;
            if r.user_age as usize >= crate::scenario::AGE_GROUPS {
                return Err(format!("age group {} is outside 0..=4", r.user_age));
            }
        }
        "user_activity" => r.user_activity = float(c)?,
        "user_history_submits" => r.user_history_submits = int(c)?,
        "item_category" => r.item_category = int(c)?,
        "item_log_popularity" => r.item_log_popularity = float(c)?,
        "item_quality_signal" => r.item_quality_signal = float(c)?,
        "item_log_duration" => r.item_log_duration = float(c)?,
        "item_risk_signal" => r.item_risk_signal = float(c)?,
        "like" => r.like = boolean(c)?,
        "share" => r.share = boolean(c)?,
        "favorite" => r.favorite = boolean(c)?,
        "dislike" => r.dislike = boolean(c)?,
        "report" => r.report = boolean(c)?,
        "skip" => r.skip = boolean(c)?,
        "watch_fraction" => {
            r.watch_fraction = float(c)?;
            if !(0.0..=1.0).contains(&r.watch_fraction) {
                return Err(format!("{} is outside 0..=1", r.watch_fraction));
            }
        }
        "survey" => {
            let s = text(c)?;
            r.survey = SurveyKind::parse(s).ok_or_else(|| {
                format!("unknown survey `{s}` (known: satisfaction, inappropriate, or empty)")
            })?;
        }
        "panel" => r.panel = boolean(c)?,
        "submitted" => r.submitted = boolean(c)?,
        "answer" => r.answer = answer(c)?,
        "reasons" => r.reasons = reasons_from_str(text(c)?)?,
        _ => {
            let o = o.ok_or("oracle column on a record without oracle")?;
            match name {
                "oracle_p_like" => o.p_like = float(c)?,
                "oracle_p_neutral" => o.p_neutral = float(c)?,
                "oracle_p_dislike" => o.p_dislike = float(c)?,
                "oracle_p_inappropriate" => o.p_inappropriate = float(c)?,
                "oracle_p_submit_satisfaction" => o.p_submit[0] = float(c)?,
                "oracle_p_submit_inappropriate" => o.p_submit[1] = float(c)?,
                "oracle_latent_satisfaction" => o.latent_satisfaction = answer(c)?,
                "oracle_latent_inappropriate" => o.latent_inappropriate = answer(c)?,
                "oracle_latent_reasons" => o.latent_reasons = reasons_from_str(text(c)?)?,
                other => match issue_column(other) {
                    Some(k) => o.p_issue[k] = float(c)?,
                    None => return Err(format!("`{other}` is not a column of the log schema")),
                },
            }
        }
    }
    Ok(())
}

/// Checks what a row says as a whole, after each cell parsed.
pub fn check_row(r: &ExposureRecord) -> std::result::Result<(), (&'static str, String)> {
    if r.survey == SurveyKind::None && (r.submitted || r.panel) {
        return Err((
            "survey",
            "submitted or panel is true but no survey was shown".into(),
        ));
    }
    if r.submitted && r.answer.kind() != r.survey {
        return Err((
            "answer",
            format!(
                "answer `{}` does not belong to survey `{}`",
                r.answer.as_str(),
                r.survey.as_str()
            ),
        ));
    }
    if !r.submitted && r.answer != Answer::None {
        return Err(("answer", "an answer is given but submitted is false".into()));
    }
    Ok(())
}

/// A parsed row after [`check_row`], or the error naming file, row and column.
fn checked(file: &str, row: usize, r: ExposureRecord) -> Result<ExposureRecord> {
    check_row(&r).map_err(|(column, message)| SimError::BadCell {
        file: file.to_string(),
        row,
        column: column.into(),
        message,
    })?;
    Ok(r)
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text with a header.
    Csv,
    /// Apache Parquet, snappy-compressed.
    Parquet,
}

impl Format {
    /// File extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// The CSV text of the schema, to any writer: what [`LogWriter`] puts in a `.csv` file, and what
/// the wasm32 golden check hashes in memory.
#[derive(Clone, Debug)]
pub struct CsvRows {
    cols: Vec<usize>,
    line: String,
}

impl CsvRows {
    /// All columns, or all but the oracle's.
    pub fn new(with_oracle: bool) -> CsvRows {
        CsvRows {
            cols: (0..COLUMNS.len())
                .filter(|&i| with_oracle || !COLUMNS[i].oracle)
                .collect(),
            line: String::with_capacity(512),
        }
    }

    /// Writes the header line.
    pub fn header(&self, w: &mut impl Write) -> std::io::Result<()> {
        let header: Vec<&str> = self.cols.iter().map(|&c| COLUMNS[c].name).collect();
        writeln!(w, "{}", header.join(","))
    }

    /// Writes one line per row.
    pub fn write(&mut self, w: &mut impl Write, block: &[ExposureRecord]) -> std::io::Result<()> {
        use std::fmt::Write as _;
        for r in block {
            self.line.clear();
            for (i, &c) in self.cols.iter().enumerate() {
                if i > 0 {
                    self.line.push(',');
                }
                let _ = match get(r, c) {
                    Cell::Int(v) => write!(self.line, "{v}"),
                    Cell::Float(v) => write!(self.line, "{v}"),
                    Cell::Bool(v) => write!(self.line, "{v}"),
                    Cell::Str(v) => write!(self.line, "{v}"),
                };
            }
            self.line.push('\n');
            w.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }
}

/// Writes exposures to one file. Use through [`LogWriter::create`] and [`LogWriter::finish`].
pub struct LogWriter {
    path: PathBuf,
    csv: CsvRows,
    inner: WriterInner,
    rows: u64,
}

enum WriterInner {
    Csv(std::io::BufWriter<std::fs::File>),
    #[cfg(not(target_arch = "wasm32"))]
    Parquet(Box<parquet_io::ParquetSink>),
}

impl LogWriter {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, format: Format, with_oracle: bool) -> Result<LogWriter> {
        let csv = CsvRows::new(with_oracle);
        let file = std::fs::File::create(path).map_err(|e| SimError::io(path, e))?;
        let inner = match format {
            Format::Csv => {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                csv.header(&mut w).map_err(|e| SimError::io(path, e))?;
                WriterInner::Csv(w)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Format::Parquet => WriterInner::Parquet(Box::new(
                parquet_io::ParquetSink::new(file, &csv.cols).map_err(|e| SimError::io(path, e))?,
            )),
            #[cfg(target_arch = "wasm32")]
            Format::Parquet => {
                return Err(SimError::io(path, "Parquet is not available in this build"));
            }
        };
        Ok(LogWriter {
            path: path.to_path_buf(),
            csv,
            inner,
            rows: 0,
        })
    }

    /// Appends rows.
    pub fn write(&mut self, block: &[ExposureRecord]) -> Result<()> {
        self.rows += block.len() as u64;
        match &mut self.inner {
            WriterInner::Csv(w) => self
                .csv
                .write(w, block)
                .map_err(|e| SimError::io(&self.path, e)),
            #[cfg(not(target_arch = "wasm32"))]
            WriterInner::Parquet(p) => p.write(block).map_err(|e| SimError::io(&self.path, e)),
        }
    }

    /// Flushes and closes the file; returns the rows written.
    pub fn finish(self) -> Result<u64> {
        match self.inner {
            WriterInner::Csv(mut w) => w.flush().map_err(|e| SimError::io(&self.path, e))?,
            #[cfg(not(target_arch = "wasm32"))]
            WriterInner::Parquet(p) => p.finish().map_err(|e| SimError::io(&self.path, e))?,
        }
        Ok(self.rows)
    }
}

/// Reads a log file (CSV or Parquet, by extension). Columns are matched by name; every
/// non-oracle column is required, oracle columns are read when all of them are present.
pub fn read(path: &Path) -> Result<Vec<ExposureRecord>> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => read_csv(path),
        #[cfg(not(target_arch = "wasm32"))]
        Some("parquet") => parquet_io::read(path),
        _ => Err(SimError::io(path, "expected a .csv or .parquet log file")),
    }
}

fn required_columns(file: &str, header: &[String]) -> Result<(Vec<Option<usize>>, bool)> {
    let all = columns(true);
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    for c in all.iter().filter(|c| !c.oracle) {
        if find(c.name).is_none() {
            return Err(SimError::Parse {
                origin: file.into(),
                message: format!("missing column `{}` ({})", c.name, c.doc),
            });
        }
    }
    let oracle: Vec<&Column> = all.iter().filter(|c| c.oracle).collect();
    let present = oracle.iter().filter(|c| find(c.name).is_some()).count();
    if present != 0 && present != oracle.len() {
        let missing: Vec<&str> = oracle
            .iter()
            .filter(|c| find(c.name).is_none())
            .map(|c| c.name)
            .collect();
        return Err(SimError::Parse {
            origin: file.into(),
            message: format!("has some oracle columns but not {}", missing.join(", ")),
        });
    }
    let with_oracle = present == oracle.len();
    Ok((
        all.iter()
            .map(|c| {
                if c.oracle && !with_oracle {
                    None
                } else {
                    find(c.name)
                }
            })
            .collect(),
        with_oracle,
    ))
}

fn read_csv(path: &Path) -> Result<Vec<ExposureRecord>> {
    let file = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| SimError::io(path, e))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| SimError::io(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let (idx, _) = required_columns(&file, &header)?;
    let cols = columns(true);
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| SimError::Parse {
            origin: file.clone(),
            message: format!("row {}: {e}", row + 1),
        })?;
        let mut r = ExposureRecord::default();
        for (c, i) in cols.iter().zip(&idx) {
            let Some(i) = *i else { continue };
            let raw = rec.get(i).unwrap_or("").trim();
            let bad = |message: String| SimError::BadCell {
                file: file.clone(),
                row: row + 1,
                column: c.name.into(),
                message,
            };
            let cell = match c.kind {
                Kind::Int => Cell::Int(
                    raw.parse()
                        .map_err(|_| bad(format!("`{raw}` is not an integer")))?,
                ),
                Kind::Float => Cell::Float(
                    raw.parse()
                        .map_err(|_| bad(format!("`{raw}` is not a number")))?,
                ),
                Kind::Bool => Cell::Bool(match raw {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad(format!("`{raw}` is not true/false"))),
                }),
                Kind::Str => Cell::Str(Cow::Owned(raw.to_string())),
            };
            set(&mut r, c.name, &cell).map_err(bad)?;
        }
        out.push(checked(&file, row + 1, r)?);
    }
    Ok(out)
}

#[cfg(not(target_arch = "wasm32"))]
mod parquet_io {
    use std::sync::Arc;

    use parquet::basic::Compression;
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, FloatType, Int64Type};
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::file::reader::FileReader;
    use parquet::file::serialized_reader::SerializedFileReader;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::record::Field;
    use parquet::schema::parser::parse_message_type;
    use parquet::schema::types::ColumnPath;

    use super::*;

    const ROW_GROUP: usize = 1 << 20;

    /// Column buffers of the row group being filled: rows are transposed as they arrive.
    enum Buf {
        Int(Vec<i64>),
        Float(Vec<f32>),
        Bool(Vec<bool>),
        /// Text values, and the column's distinct static values made into `ByteArray`s once
        /// (text columns hold a handful of names; a clone shares the bytes).
        Str(Vec<ByteArray>, Vec<(&'static str, ByteArray)>),
    }

    /// `x` as a `ByteArray`, shared from `made` when it is a static name seen before.
    fn byte_array(x: Cow<'static, str>, made: &mut Vec<(&'static str, ByteArray)>) -> ByteArray {
        match x {
            Cow::Borrowed(s) => {
                let same = |m: &&(&'static str, ByteArray)| std::ptr::eq(m.0, s);
                if let Some((_, b)) = made.iter().find(same) {
                    return b.clone();
                }
                let b = ByteArray::from(s.as_bytes().to_vec());
                made.push((s, b.clone()));
                b
            }
            Cow::Owned(s) => ByteArray::from(s.as_str()),
        }
    }

    pub struct ParquetSink {
        writer: SerializedFileWriter<std::fs::File>,
        cols: Vec<usize>,
        bufs: Vec<Buf>,
        rows: usize,
    }

    impl ParquetSink {
        pub fn new(file: std::fs::File, cols: &[usize]) -> std::result::Result<Self, String> {
            let fields: Vec<String> = cols
                .iter()
                .map(|&i| COLUMNS[i])
                .map(|c| match c.kind {
                    Kind::Int => format!("REQUIRED INT64 {};", c.name),
                    Kind::Float => format!("REQUIRED FLOAT {};", c.name),
                    Kind::Bool => format!("REQUIRED BOOLEAN {};", c.name),
                    Kind::Str => format!("REQUIRED BYTE_ARRAY {} (UTF8);", c.name),
                })
                .collect();
            let schema =
                parse_message_type(&format!("message exposures {{ {} }}", fields.join(" ")))
                    .map_err(|e| e.to_string())?;
            // No dictionaries for the per-exposure floats (watch fraction, true probabilities):
            // nearly every value is distinct, so they would fill a dictionary only to abandon it.
            // Nor for text: its columns hold a handful of names, but a dictionary hashes and
            // compares every value, which was 45% of the writing time; plain and Snappy make the
            // file 4% larger. User and video attributes repeat and keep theirs. Min/max
            // statistics of text say little and cost a comparison per value.
            let mut props = WriterProperties::builder().set_compression(Compression::SNAPPY);
            for &i in cols.iter() {
                let c = COLUMNS[i];
                let path = ColumnPath::from(c.name);
                let per_exposure = c.name == "watch_fraction"
                    || (c.name.starts_with("oracle_p_") && !c.name.starts_with("oracle_p_submit"));
                if c.kind == Kind::Float && per_exposure {
                    props = props.set_column_dictionary_enabled(path.clone(), false);
                }
                if c.kind == Kind::Str {
                    props = props.set_column_dictionary_enabled(path.clone(), false);
                    props = props.set_column_statistics_enabled(path, EnabledStatistics::None);
                }
            }
            let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props.build()))
                .map_err(|e| e.to_string())?;
            let bufs = cols
                .iter()
                .map(|&i| match COLUMNS[i].kind {
                    Kind::Int => Buf::Int(Vec::new()),
                    Kind::Float => Buf::Float(Vec::new()),
                    Kind::Bool => Buf::Bool(Vec::new()),
                    Kind::Str => Buf::Str(Vec::new(), Vec::new()),
                })
                .collect();
            Ok(ParquetSink {
                writer,
                cols: cols.to_vec(),
                bufs,
                rows: 0,
            })
        }

        pub fn write(&mut self, block: &[ExposureRecord]) -> std::result::Result<(), String> {
            for r in block {
                for (&c, buf) in self.cols.iter().zip(self.bufs.iter_mut()) {
                    match (buf, get(r, c)) {
                        (Buf::Int(v), Cell::Int(x)) => v.push(x),
                        (Buf::Float(v), Cell::Float(x)) => v.push(x),
                        (Buf::Bool(v), Cell::Bool(x)) => v.push(x),
                        (Buf::Str(v, made), Cell::Str(x)) => v.push(byte_array(x, made)),
                        _ => {
                            return Err(format!(
                                "column `{}` has a cell of another type",
                                COLUMNS[c].name
                            ));
                        }
                    }
                }
                self.rows += 1;
                if self.rows >= ROW_GROUP {
                    self.flush()?;
                }
            }
            Ok(())
        }

        fn flush(&mut self) -> std::result::Result<(), String> {
            if self.rows == 0 {
                return Ok(());
            }
            let mut rg = self.writer.next_row_group().map_err(|e| e.to_string())?;
            for buf in self.bufs.iter_mut() {
                let mut cw = rg
                    .next_column()
                    .map_err(|e| e.to_string())?
                    .ok_or("schema has fewer columns than the writer")?;
                let res = match buf {
                    Buf::Int(v) => cw.typed::<Int64Type>().write_batch(v, None, None),
                    Buf::Float(v) => cw.typed::<FloatType>().write_batch(v, None, None),
                    Buf::Bool(v) => cw.typed::<BoolType>().write_batch(v, None, None),
                    Buf::Str(v, _) => cw.typed::<ByteArrayType>().write_batch(v, None, None),
                };
                res.map_err(|e| e.to_string())?;
                cw.close().map_err(|e| e.to_string())?;
                match buf {
                    Buf::Int(v) => v.clear(),
                    Buf::Float(v) => v.clear(),
                    Buf::Bool(v) => v.clear(),
                    Buf::Str(v, _) => v.clear(),
                }
            }
            rg.close().map_err(|e| e.to_string())?;
            self.rows = 0;
            Ok(())
        }

        pub fn finish(mut self) -> std::result::Result<(), String> {
            self.flush()?;
            self.writer.close().map_err(|e| e.to_string())?;
            Ok(())
        }
    }

    pub fn read(path: &Path) -> Result<Vec<ExposureRecord>> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| SimError::io(path, e))?;
        let reader = SerializedFileReader::new(f).map_err(|e| SimError::Parse {
            origin: file.clone(),
            message: e.to_string(),
        })?;
        let header: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let (idx, _) = required_columns(&file, &header)?;
        let cols = columns(true);
        let iter = reader.get_row_iter(None).map_err(|e| SimError::Parse {
            origin: file.clone(),
            message: e.to_string(),
        })?;
        let mut out = Vec::new();
        for (row, rec) in iter.enumerate() {
            let rec = rec.map_err(|e| SimError::Parse {
                origin: file.clone(),
                message: format!("row {}: {e}", row + 1),
            })?;
            let fields: Vec<&Field> = rec.get_column_iter().map(|(_, f)| f).collect();
            let mut r = ExposureRecord::default();
            for (c, i) in cols.iter().zip(&idx) {
                let Some(i) = *i else { continue };
                let bad = |message: String| SimError::BadCell {
                    file: file.clone(),
                    row: row + 1,
                    column: c.name.into(),
                    message,
                };
                let cell = match fields[i] {
                    Field::Long(v) => Cell::Int(*v),
                    Field::Int(v) => Cell::Int(*v as i64),
                    Field::UInt(v) => Cell::Int(*v as i64),
                    Field::ULong(v) => Cell::Int(*v as i64),
                    Field::Float(v) => Cell::Float(*v),
                    Field::Double(v) => Cell::Float(*v as f32),
                    Field::Bool(v) => Cell::Bool(*v),
                    Field::Str(s) => Cell::Str(Cow::Owned(s.clone())),
                    Field::Null => Cell::Str(Cow::Borrowed("")),
                    other => return Err(bad(format!("unsupported value {other:?}"))),
                };
                set(&mut r, c.name, &cell).map_err(bad)?;
            }
            out.push(checked(&file, row + 1, r)?);
        }
        Ok(out)
    }
}
