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
#[cfg(not(target_arch = "wasm32"))]
pub mod parquet;
pub mod schema;

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

/// Reads a log file (CSV or Parquet, by extension). Columns are matched by name; every
/// non-oracle column is required, oracle columns are read when all of them are present.
pub fn read(path: &Path) -> Result<Vec<ExposureRecord>> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => self::csv::read(path),
        #[cfg(not(target_arch = "wasm32"))]
        Some("parquet") => parquet::read(path),
        _ => Err(SimError::io(path, "expected a .csv or .parquet log file")),
    }
}

/// Where each schema column is in a file's header (`None`: an oracle column of a file
/// without them), and whether the file has the oracle columns. Every other column is required.
pub(crate) fn required_columns(
    file: &str,
    header: &[String],
) -> Result<(Vec<Option<usize>>, bool)> {
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
