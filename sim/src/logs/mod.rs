//! Logs: the schema ([`schema`], `docs/log-schema.md`) and its two encodings, [`csv`] and
//! [`parquet`], each a short file that reads the schema's column table.
//!
//! One table, one row per exposure. The simulator writes it with the `oracle_*` columns; real logs
//! have the same columns without them. A reader names the file, row and column of a bad cell.

#[cfg(not(target_arch = "wasm32"))]
pub mod checks;
pub mod csv;
#[cfg(not(target_arch = "wasm32"))]
pub mod engine;
pub mod file;
pub mod obd;
#[cfg(not(target_arch = "wasm32"))]
pub mod parquet;
pub mod ratings;
pub mod row;
pub mod sample;
pub mod schema;
pub mod set;

pub use self::csv::CsvRows;
pub use file::{Format, LogWriter, PartitionedWriter, for_each, read};
pub use row::{RowResult, get, set};
pub use schema::{
    COLUMNS, Cell, Column, Kind, check_row, columns, reasons_from_str, reasons_to_string,
};
