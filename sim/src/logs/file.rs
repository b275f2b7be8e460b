//! Log files: one file written in either encoding, a day-partitioned folder of them, and a file
//! read back by its extension.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::csv::{self, CsvRows};
#[cfg(not(target_arch = "wasm32"))]
use super::parquet;
use super::row::RowResult;
use crate::error::{Result, SimError};
use crate::records::ExposureRecord;

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
        Some("csv") => csv::for_each(path, day, on),
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
