//! The log schema as CSV: a header of column names, one line per exposure.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use super::row::{Header, RowResult};
use super::schema::{COLUMNS, Cell, Column, Kind, columns};
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
        CsvRows::without(with_oracle, &[])
    }

    /// All columns (or all but the oracle's) but those named in `skip`: a Hive partition's
    /// files leave out the column their folder names.
    pub fn without(with_oracle: bool, skip: &[&str]) -> CsvRows {
        CsvRows {
            cols: (0..COLUMNS.len())
                .filter(|&i| with_oracle || !COLUMNS[i].oracle)
                .filter(|&i| !skip.contains(&COLUMNS[i].name))
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

/// Streams a CSV log file into `on` (see [`super::for_each`]). CRLF line endings and a UTF-8
/// byte-order mark are read as if they were not there.
pub fn for_each(
    path: &Path,
    day: Option<u32>,
    on: &mut dyn FnMut(RowResult) -> Result<()>,
) -> Result<u64> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| SimError::io(path, e))?;
    from_reader(
        &file,
        std::io::BufReader::with_capacity(1 << 20, f),
        day,
        on,
    )
}

/// Streams CSV text from any reader; `file` names it in errors.
pub fn from_reader(
    file: &str,
    input: impl std::io::Read,
    day: Option<u32>,
    on: &mut dyn FnMut(RowResult) -> Result<()>,
) -> Result<u64> {
    let parse = |message: String| SimError::Parse {
        origin: file.to_string(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| parse(format!("header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let h = Header::new(file, &header, day)?;
    let cols = columns(true);
    let width = header.len();
    let mut rec = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            // Invalid UTF-8 or an I/O error: the row is lost, and so is where the next begins.
            Err(e) => return Err(parse(format!("row {}: {e}", rows + 1))),
        }
        rows += 1;
        let row = rows as usize;
        let result = if rec.len() != width {
            Err(SimError::Parse {
                origin: file.to_string(),
                message: format!(
                    "row {row}: {} fields where the header has {width}",
                    rec.len()
                ),
            })
        } else {
            parse_row(file, row, &rec, &h, &cols).and_then(|r| h.finish(file, row, r))
        };
        on(result)?;
    }
    Ok(rows)
}

/// One CSV row as a record, or the first bad cell.
fn parse_row(
    file: &str,
    row: usize,
    rec: &csv::StringRecord,
    h: &Header,
    cols: &[Column],
) -> Result<ExposureRecord> {
    let mut r = ExposureRecord::default();
    for (c, i) in cols.iter().zip(&h.index) {
        let Some(i) = *i else { continue };
        let raw = rec.get(i).unwrap_or("").trim();
        let bad = |message: String| SimError::BadCell {
            file: file.to_string(),
            row,
            column: c.name.into(),
            message,
        };
        let cell = match c.kind {
            Kind::Int => Cell::Int(
                raw.parse()
                    .map_err(|_| bad(format!("`{}` is not an integer", shown(raw))))?,
            ),
            Kind::Float => Cell::Float(
                raw.parse()
                    .map_err(|_| bad(format!("`{}` is not a number", shown(raw))))?,
            ),
            Kind::Bool => Cell::Bool(match raw {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad(format!("`{}` is not true/false", shown(raw)))),
            }),
            Kind::Str => Cell::Str(Cow::Owned(raw.to_string())),
        };
        c.set(&mut r, &cell).map_err(bad)?;
    }
    Ok(r)
}

/// A cell's text as an error quotes it: at most 40 characters.
pub(crate) fn shown(raw: &str) -> String {
    if raw.chars().count() <= 40 {
        raw.to_string()
    } else {
        format!("{}…", raw.chars().take(40).collect::<String>())
    }
}
