//! The log schema as Apache Parquet (snappy), one typed column per schema column, written in
//! row groups as rows arrive.

use std::borrow::Cow;
use std::path::Path;
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

use super::row::{Header, RowResult};
use super::schema::{COLUMNS, Cell, Column, Kind, columns};
use crate::error::{Result, SimError};
use crate::records::ExposureRecord;

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
        let schema = parse_message_type(&format!("message exposures {{ {} }}", fields.join(" ")))
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
                match (buf, COLUMNS[c].get(r)) {
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

/// Streams a Parquet log file into `on` (see [`super::for_each`]), one row group at a time.
pub fn for_each(
    path: &Path,
    day: Option<u32>,
    on: &mut dyn FnMut(RowResult) -> Result<()>,
) -> Result<u64> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| SimError::io(path, e))?;
    // The parquet crate reports a damaged file as an error, but a few corruptions of its
    // internal structures have made it panic; a reader of outside data must not, so such a
    // panic becomes this file's error.
    let on = std::sync::Mutex::new(on);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut on = on.lock().unwrap_or_else(|e| e.into_inner());
        stream(&file, f, day, &mut **on)
    }))
    .unwrap_or_else(|_| {
        Err(SimError::Parse {
            origin: file.clone(),
            message: "the Parquet file is damaged (its reader failed)".into(),
        })
    })
}

fn stream(
    file: &str,
    f: std::fs::File,
    day: Option<u32>,
    on: &mut dyn FnMut(RowResult) -> Result<()>,
) -> Result<u64> {
    let parse = |message: String| SimError::Parse {
        origin: file.to_string(),
        message,
    };
    let reader = SerializedFileReader::new(f).map_err(|e| {
        parse(format!(
            "not a readable Parquet file ({e}); a truncated file lacks its footer"
        ))
    })?;
    let header: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let h = Header::new(file, &header, day)?;
    let cols = columns(true);
    let iter = reader
        .get_row_iter(None)
        .map_err(|e| parse(e.to_string()))?;
    let mut rows = 0u64;
    for rec in iter {
        let rec = rec.map_err(|e| parse(format!("row {}: {e}", rows + 1)))?;
        rows += 1;
        let row = rows as usize;
        let fields: Vec<&Field> = rec.get_column_iter().map(|(_, f)| f).collect();
        let result = row_of(file, row, &fields, &h, &cols).and_then(|r| h.finish(file, row, r));
        on(result)?;
    }
    Ok(rows)
}

/// One Parquet row as a record, or the first bad cell.
fn row_of(
    file: &str,
    row: usize,
    fields: &[&Field],
    h: &Header,
    cols: &[Column],
) -> Result<ExposureRecord> {
    let mut r = ExposureRecord::default();
    for (c, i) in cols.iter().zip(&h.index) {
        let Some(i) = *i else { continue };
        let bad = |message: String| SimError::BadCell {
            file: file.to_string(),
            row,
            column: c.name.into(),
            message,
        };
        let cell = match fields[i] {
            Field::Long(v) => Cell::Int(*v),
            Field::Int(v) => Cell::Int(*v as i64),
            Field::Short(v) => Cell::Int(*v as i64),
            Field::Byte(v) => Cell::Int(*v as i64),
            Field::UInt(v) => Cell::Int(*v as i64),
            Field::UShort(v) => Cell::Int(*v as i64),
            Field::UByte(v) => Cell::Int(*v as i64),
            Field::ULong(v) => {
                Cell::Int(i64::try_from(*v).map_err(|_| bad(format!("{v} is out of range")))?)
            }
            Field::Float(v) => Cell::Float(*v),
            Field::Double(v) => Cell::Float(*v as f32),
            Field::Bool(v) => Cell::Bool(*v),
            Field::Str(s) => Cell::Str(Cow::Owned(s.clone())),
            Field::Null if c.kind == Kind::Str => Cell::Str(Cow::Borrowed("")),
            Field::Null => return Err(bad("is null".into())),
            other => return Err(bad(format!("unsupported value {other:?}"))),
        };
        c.set(&mut r, &cell).map_err(bad)?;
    }
    Ok(r)
}
