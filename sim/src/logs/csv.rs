//! The log schema as CSV: a header of column names, one line per exposure.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use super::schema::{COLUMNS, Cell, Kind, columns};
use super::{checked, required_columns};
use crate::error::{Result, SimError};
use crate::records::ExposureRecord;

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

    /// The indices in [`COLUMNS`] of the columns written.
    pub fn cols(&self) -> &[usize] {
        &self.cols
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
                let _ = match COLUMNS[c].get(r) {
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

/// Reads a CSV log file.
pub fn read(path: &Path) -> Result<Vec<ExposureRecord>> {
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
            c.set(&mut r, &cell).map_err(bad)?;
        }
        out.push(checked(&file, row + 1, r)?);
    }
    Ok(out)
}
