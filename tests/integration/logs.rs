//! The log schema: what is written reads back the same, in CSV and Parquet; bad files are
//! rejected with the file, row and column named.

use usm_sim::logs::{COLUMNS, Format, LogWriter, read};
use usm_sim::prelude::*;

use crate::common::{simulate, small, temp_dir};

fn rows() -> Vec<ExposureRecord> {
    let s = small(
        "paper",
        &[
            "population.users=200",
            "population.items=300",
            "population.authors=30",
            "population.days=2",
            "survey.rate=0.1",
            "panel.rate=0.02",
        ],
    );
    simulate(&s, RunOptions::default()).0
}

#[test]
fn csv_and_parquet_round_trip_exactly() {
    let rows = rows();
    assert!(
        rows.iter().any(|r| r.submitted)
            && rows.iter().any(|r| r.panel)
            && rows.iter().any(|r| r.reasons != 0)
    );
    let dir = temp_dir("roundtrip");
    for (format, oracle) in [
        (Format::Csv, true),
        (Format::Parquet, true),
        (Format::Csv, false),
        (Format::Parquet, false),
    ] {
        let path = dir.join(format!("x{}.{}", oracle as u8, format.ext()));
        let mut w = LogWriter::create(&path, format, oracle).unwrap();
        w.write(&rows[..rows.len() / 2]).unwrap();
        w.write(&rows[rows.len() / 2..]).unwrap();
        assert_eq!(w.finish().unwrap(), rows.len() as u64);
        let back = read(&path).unwrap();
        let expect: Vec<ExposureRecord> = rows
            .iter()
            .map(|r| ExposureRecord {
                oracle: if oracle { r.oracle } else { None },
                ..r.clone()
            })
            .collect();
        assert_eq!(back.len(), expect.len(), "{format:?}");
        for (i, (a, b)) in back.iter().zip(&expect).enumerate() {
            assert_eq!(a, b, "{format:?} oracle={oracle}, row {i}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_schema_document_lists_every_column() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/log-schema.md"
    ))
    .unwrap();
    for c in COLUMNS {
        assert!(
            doc.contains(&format!("`{}`", c.name)),
            "docs/log-schema.md does not document `{}`",
            c.name
        );
    }
}

fn write_csv(
    name: &str,
    edit: impl Fn(&mut Vec<String>, &mut Vec<Vec<String>>),
) -> std::path::PathBuf {
    let rows = rows();
    let dir = temp_dir(name);
    let path = dir.join("log.csv");
    let mut w = LogWriter::create(&path, Format::Csv, false).unwrap();
    w.write(&rows[..5]).unwrap();
    w.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let mut header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut body: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    edit(&mut header, &mut body);
    let mut out = header.join(",") + "\n";
    for b in body {
        out += &(b.join(",") + "\n");
    }
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_bad_cell_names_file_row_and_column() {
    let path = write_csv("badcell", |h, b| {
        let c = h.iter().position(|x| x == "watch_fraction").unwrap();
        b[2][c] = "lots".into();
    });
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains("log.csv")
            && e.contains("row 3")
            && e.contains("watch_fraction")
            && e.contains("lots"),
        "{e}"
    );
    let path = write_csv("badrange", |h, b| {
        let c = h.iter().position(|x| x == "user_age").unwrap();
        b[0][c] = "9".into();
    });
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("user_age"), "{e}");
}

#[test]
fn a_missing_column_and_an_inconsistent_row_are_named() {
    let path = write_csv("missing", |h, b| {
        let c = h.iter().position(|x| x == "item_id").unwrap();
        h.remove(c);
        for r in b.iter_mut() {
            r.remove(c);
        }
    });
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("missing column `item_id`"), "{e}");
    let path = write_csv("inconsistent", |h, b| {
        let s = h.iter().position(|x| x == "survey").unwrap();
        let sub = h.iter().position(|x| x == "submitted").unwrap();
        let a = h.iter().position(|x| x == "answer").unwrap();
        b[1][s] = "satisfaction".into();
        b[1][sub] = "true".into();
        b[1][a] = "not_suitable".into();
    });
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains("row 2") && e.contains("answer") && e.contains("does not belong"),
        "{e}"
    );
}
