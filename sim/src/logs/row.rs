//! A log row against the schema: how a file's header maps to the columns, the checks every row
//! passes, and a record's cells by column. Every reader ([`super::csv`], [`super::parquet`])
//! builds on it.

use crate::error::{Result, SimError};
use crate::records::ExposureRecord;

use super::schema::{self, COLUMNS, Cell, Column, check_row, columns};

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

/// What a reader hands on for each data row: the checked record, or the problem with that row
/// (named by file, row and column). The reader goes on after a row's problem when the callback
/// returns `Ok`, so `usm validate` sees every problem; a problem with the whole file (its header,
/// its encoding, a truncated Parquet file) ends the read with an error instead.
pub type RowResult = std::result::Result<ExposureRecord, SimError>;

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
