//! Logs: the schema ([`schema`], `docs/log-schema.md`) and its two encodings, [`csv`] and
//! [`parquet`], each a short file that reads the schema's column table.
//!
//! One table, one row per exposure. The simulator writes it with the `oracle_*` columns; real logs
//! have the same columns without them. A reader names the file, row and column of a bad cell.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, SimError};
use crate::records::ExposureRecord;

pub mod csv;
pub mod obd;
#[cfg(not(target_arch = "wasm32"))]
pub mod parquet;
pub mod ratings;
pub mod schema;
pub mod set;

pub use self::csv::CsvRows;
pub use schema::{
    COLUMNS, Cell, Column, Kind, check_row, columns, reasons_from_str, reasons_to_string,
};

/// The value of column `col` (its index in [`COLUMNS`]) of a record.
pub fn get(r: &ExposureRecord, col: usize) -> Cell {
    COLUMNS[col].get(r)
}

/// Sets column `name` of a record from a cell; the error says what is wrong with the value.
pub fn set(r: &mut ExposureRecord, name: &str, c: &Cell) -> std::result::Result<(), String> {
    schema::column(name)
        .ok_or_else(|| format!("`{name}` is not a column of the log schema"))?
        .set(r, c)
}

/// A parsed row after [`check_row`], or the error naming file, row and column.
pub(crate) fn checked(file: &str, row: usize, r: ExposureRecord) -> Result<ExposureRecord> {
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
    Parquet(Box<parquet::ParquetSink>),
}

impl LogWriter {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, format: Format, with_oracle: bool) -> Result<LogWriter> {
        LogWriter::with_columns(path, format, CsvRows::new(with_oracle))
    }

    fn with_columns(path: &Path, format: Format, csv: CsvRows) -> Result<LogWriter> {
        let file = std::fs::File::create(path).map_err(|e| SimError::io(path, e))?;
        let inner = match format {
            Format::Csv => {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                csv.header(&mut w).map_err(|e| SimError::io(path, e))?;
                WriterInner::Csv(w)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Format::Parquet => WriterInner::Parquet(Box::new(
                parquet::ParquetSink::new(file, csv.cols()).map_err(|e| SimError::io(path, e))?,
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

/// Writes exposures as a Hive-partitioned data set, one folder a day: `root/day=N/part-0.EXT`,
/// whose files leave out the `day` column (the folder names it), so that Spark, DataFusion and
/// DuckDB read the folder as one table with a `day` column. Rows must arrive in day order, as
/// the simulator writes them.
pub struct PartitionedWriter {
    root: PathBuf,
    format: Format,
    with_oracle: bool,
    current: Option<(u32, LogWriter)>,
    rows: u64,
    files: Vec<PathBuf>,
}

impl PartitionedWriter {
    /// A data set in the folder `root` (created).
    pub fn create(root: &Path, format: Format, with_oracle: bool) -> Result<PartitionedWriter> {
        std::fs::create_dir_all(root).map_err(|e| SimError::io(root, e))?;
        Ok(PartitionedWriter {
            root: root.to_path_buf(),
            format,
            with_oracle,
            current: None,
            rows: 0,
            files: Vec::new(),
        })
    }

    /// Appends rows, opening the next day's file when the day changes.
    pub fn write(&mut self, block: &[ExposureRecord]) -> Result<()> {
        let mut rest = block;
        while let Some(first) = rest.first() {
            let day = first.day;
            let n = rest.iter().take_while(|r| r.day == day).count();
            if self.current.as_ref().is_none_or(|(d, _)| *d != day) {
                if self.current.as_ref().is_some_and(|(d, _)| *d > day) {
                    return Err(SimError::io(
                        &self.root,
                        format!("rows of day {day} arrived after a later day"),
                    ));
                }
                self.close_day()?;
                let dir = self.root.join(format!("day={day}"));
                std::fs::create_dir_all(&dir).map_err(|e| SimError::io(&dir, e))?;
                let path = dir.join(format!("part-0.{}", self.format.ext()));
                let cols = CsvRows::without(self.with_oracle, &["day"]);
                self.current = Some((day, LogWriter::with_columns(&path, self.format, cols)?));
                self.files.push(path);
            }
            if let Some((_, w)) = self.current.as_mut() {
                w.write(&rest[..n])?;
            }
            self.rows += n as u64;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn close_day(&mut self) -> Result<()> {
        if let Some((_, w)) = self.current.take() {
            w.finish()?;
        }
        Ok(())
    }

    /// Closes the last file; returns the rows written and the files.
    pub fn finish(mut self) -> Result<(u64, Vec<PathBuf>)> {
        self.close_day()?;
        Ok((self.rows, self.files))
    }
}

/// What a reader hands on for each data row: the checked record, or the problem with that row
/// (named by file, row and column). The reader goes on after a row's problem when the callback
/// returns `Ok`, so `usm validate` sees every problem; a problem with the whole file (its header,
/// its encoding, a truncated Parquet file) ends the read with an error instead.
pub type RowResult = std::result::Result<ExposureRecord, SimError>;

/// Streams a log file (CSV or Parquet, by extension) row by row into `on`, and returns the data
/// rows read. `day` is the file's Hive partition (`day=N/` in its path): when the file has no
/// `day` column its rows take that day, and when it has one, a row of another day is a problem.
/// Columns are matched by name; every non-oracle column is required (but `day` in a
/// partition), oracle columns are read when all of them are present.
pub fn for_each(
    path: &Path,
    day: Option<u32>,
    on: &mut dyn FnMut(RowResult) -> Result<()>,
) -> Result<u64> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => self::csv::for_each(path, day, on),
        #[cfg(not(target_arch = "wasm32"))]
        Some("parquet") => parquet::for_each(path, day, on),
        _ => Err(SimError::io(path, "expected a .csv or .parquet log file")),
    }
}

/// Reads a whole log file into memory; the first problem ends the read.
pub fn read(path: &Path) -> Result<Vec<ExposureRecord>> {
    let mut out = Vec::new();
    for_each(path, None, &mut |r| {
        out.push(r?);
        Ok(())
    })?;
    Ok(out)
}

/// How a file's header maps to the schema: where each schema column is (`None`: an oracle column
/// of a file without them, or `day` of a partitioned file), whether the file has the oracle
/// columns, and the day its rows take when it has no `day` column.
pub(crate) struct Header {
    pub(crate) index: Vec<Option<usize>>,
    day: Option<u32>,
    has_day: bool,
}

impl Header {
    /// Checks a header: no name twice, every required column present (a misnamed one is named
    /// beside the unknown names the header does have), the oracle columns all or none.
    pub(crate) fn new(file: &str, header: &[String], day: Option<u32>) -> Result<Header> {
        let parse = |message: String| SimError::Parse {
            origin: file.into(),
            message,
        };
        // A UTF-8 byte-order mark before the first name is dropped (spreadsheets write one).
        let names: Vec<&str> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim())
            .collect();
        if names.iter().all(|n| n.is_empty()) {
            return Err(parse("is empty: no header row".into()));
        }
        let mut twice: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, n)| names[..*i].contains(n))
            .map(|(_, n)| *n)
            .collect();
        twice.dedup();
        if !twice.is_empty() {
            return Err(parse(format!(
                "column{} {} appear{} more than once in the header",
                if twice.len() > 1 { "s" } else { "" },
                quoted(&twice),
                if twice.len() > 1 { "" } else { "s" },
            )));
        }
        let all = columns(true);
        let find = |name: &str| names.iter().position(|h| *h == name);
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| schema::column(n).is_none())
            .collect();
        let missing: Vec<&Column> = all
            .iter()
            .filter(|c| !c.oracle && find(c.name).is_none())
            .filter(|c| !(c.name == "day" && day.is_some()))
            .collect();
        if let Some(c) = missing.first() {
            let more = if missing.len() > 1 {
                format!(" and {} more", missing.len() - 1)
            } else {
                String::new()
            };
            let hint = if unknown.is_empty() {
                String::new()
            } else {
                format!(
                    "; the header has columns the schema lacks: {}",
                    quoted(&unknown)
                )
            };
            return Err(parse(format!(
                "missing column `{}` ({}){more}{hint} (docs/log-schema.md lists the columns)",
                c.name, c.doc
            )));
        }
        let oracle: Vec<&Column> = all.iter().filter(|c| c.oracle).collect();
        let present = oracle.iter().filter(|c| find(c.name).is_some()).count();
        if present != 0 && present != oracle.len() {
            let missing: Vec<&str> = oracle
                .iter()
                .filter(|c| find(c.name).is_none())
                .map(|c| c.name)
                .collect();
            return Err(parse(format!(
                "has some oracle columns but not {}",
                missing.join(", ")
            )));
        }
        let with_oracle = present == oracle.len();
        let index = all
            .iter()
            .map(|c| {
                if c.oracle && !with_oracle {
                    None
                } else {
                    find(c.name)
                }
            })
            .collect();
        Ok(Header {
            index,
            day,
            has_day: find("day").is_some(),
        })
    }

    /// Fills in the partition day where the file has no `day` column, or checks it where it has.
    pub(crate) fn finish(
        &self,
        file: &str,
        row: usize,
        mut r: ExposureRecord,
    ) -> Result<ExposureRecord> {
        if let Some(d) = self.day {
            if !self.has_day {
                r.day = d;
            } else if r.day != d {
                return Err(SimError::BadCell {
                    file: file.to_string(),
                    row,
                    column: "day".into(),
                    message: format!("day {} in a file of partition day={d}", r.day),
                });
            }
        }
        checked(file, row, r)
    }
}

/// `a`, `b`, `c`.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
