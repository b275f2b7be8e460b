//! Real logs arrive broken in every way: each way gets an error naming the file, row and column
//! (or a documented repair), `usm validate`'s scan lists every problem, and no reader panics on
//! any input (property tests over mutated files; inputs that once found a bug stay as cases).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use usm_sim::logs::set::{LogFile, files, scan};
use usm_sim::logs::{Format, LogWriter, PartitionedWriter, for_each, read};
use usm_sim::prelude::*;

use crate::common::{simulate, small, temp_dir};

/// A small simulated log, made once.
fn rows() -> Vec<ExposureRecord> {
    static ROWS: std::sync::OnceLock<Vec<ExposureRecord>> = std::sync::OnceLock::new();
    ROWS.get_or_init(simulated).clone()
}

fn simulated() -> Vec<ExposureRecord> {
    let s = small(
        "paper",
        &[
            "population.users=60",
            "population.items=200",
            "population.authors=20",
            "population.days=2",
            "survey.rate=0.2",
            "panel.rate=0.05",
        ],
    );
    simulate(&s, RunOptions::default()).0
}

/// A clean CSV log (without oracle) of the first `n` rows, as text.
fn clean_csv(n: usize) -> String {
    let rows = rows();
    let dir = temp_dir(&format!("clean-csv-{n}-{:?}", std::thread::current().id()));
    let path = dir.join("log.csv");
    let mut w = LogWriter::create(&path, Format::Csv, false).unwrap();
    w.write(&rows[..n.min(rows.len())]).unwrap();
    w.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    text
}

/// Reads CSV text; every row's problem is collected, not raised.
fn read_text(text: &[u8]) -> (Result<u64>, Vec<ExposureRecord>, Vec<String>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    let r = usm_sim::logs::csv::from_reader("log.csv", text, None, &mut |r| {
        match r {
            Ok(r) => good.push(r),
            Err(e) => bad.push(e.to_string()),
        }
        Ok(())
    });
    (r, good, bad)
}

/// The CSV text with one cell replaced: data row `row` (from 1), column `col`.
fn with_cell(text: &str, row: usize, col: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let c = lines[0].split(',').position(|h| h == col).unwrap();
    let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
    cells[c] = value.into();
    lines[row] = cells.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn a_bom_and_crlf_line_endings_read_as_the_clean_file() {
    let text = clean_csv(40);
    let (_, clean, bad) = read_text(text.as_bytes());
    assert!(bad.is_empty() && clean.len() == 40, "{bad:?}");
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let (r, back, bad) = read_text(crlf.as_bytes());
    assert_eq!(r.unwrap(), 40);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(back, clean);
}

#[test]
fn each_bad_cell_is_named_by_row_and_column() {
    let text = clean_csv(10);
    let cases = [
        (2, "watch_fraction", "NaN", "not finite"),
        (3, "item_log_popularity", "inf", "not finite"),
        (4, "user_history_submits", "-3", "out of range"),
        (5, "user_id", "4.5", "not an integer"),
        (6, "survey", "happiness", "unknown survey"),
        (7, "like", "maybe", "true/false"),
        (8, "reasons", "boring", "unknown reason"),
        (9, "user_age", "99", "user_age"),
    ];
    for (row, col, value, says) in cases {
        let (_, good, bad) = read_text(with_cell(&text, row, col, value).as_bytes());
        assert_eq!(good.len(), 9, "{col}");
        assert_eq!(bad.len(), 1, "{col}: {bad:?}");
        let e = &bad[0];
        assert!(
            e.contains("log.csv")
                && e.contains(&format!("row {row}"))
                && e.contains(&format!("`{col}`"))
                && e.contains(says),
            "{col}: {e}"
        );
    }
    // An answer on a row that shows no survey.
    let survey = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "survey")
        .unwrap();
    let row = (1..=10)
        .find(|&i| text.lines().nth(i).unwrap().split(',').nth(survey) == Some(""))
        .expect("a row without a survey");
    let t = with_cell(&text, row, "answer", "like");
    let (_, _, bad) = read_text(t.as_bytes());
    assert!(
        bad.len() == 1 && bad[0].contains(&format!("row {row}")) && bad[0].contains("answer"),
        "{bad:?}"
    );
    // A row with a field too few.
    let mut lines: Vec<&str> = text.lines().collect();
    let short = lines[3].rsplit_once(',').unwrap().0.to_string();
    lines[3] = &short;
    let (_, _, bad) = read_text((lines.join("\n") + "\n").as_bytes());
    assert!(
        bad.len() == 1 && bad[0].contains("row 3") && bad[0].contains("fields"),
        "{bad:?}"
    );
}

#[test]
fn the_header_is_checked_whole() {
    let text = clean_csv(5);
    let header = text.lines().next().unwrap();
    // A misnamed column: the missing name, and the unknown one it probably is.
    let misnamed = text.replacen("item_id", "itemid", 1);
    let e = read_text(misnamed.as_bytes()).0.unwrap_err().to_string();
    assert!(
        e.contains("missing column `item_id`") && e.contains("`itemid`"),
        "{e}"
    );
    // A duplicated column.
    let dup = text.replacen("item_id", "user_id", 1);
    let e = read_text(dup.as_bytes()).0.unwrap_err().to_string();
    assert!(
        e.contains("`user_id`") && e.contains("more than once"),
        "{e}"
    );
    // Empty, and header only.
    let e = read_text(b"").0.unwrap_err().to_string();
    assert!(e.contains("empty"), "{e}");
    let (r, good, _) = read_text(format!("{header}\n").as_bytes());
    assert_eq!((r.unwrap(), good.len()), (0, 0));
    // Some oracle columns but not all.
    let e = read_text(format!("{header},oracle_p_like\n").as_bytes())
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("oracle"), "{e}");
}

/// A folder of log files, written from texts.
fn folder(name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = temp_dir(name);
    for (f, text) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn the_scan_lists_every_problem_of_a_set() {
    let text = clean_csv(30);
    let mut bad = with_cell(&text, 3, "watch_fraction", "NaN");
    bad = with_cell(&bad, 7, "survey", "happiness");
    // Row 12 repeats row 11 (the same exposure id): a duplicate row.
    let mut lines: Vec<String> = bad.lines().map(String::from).collect();
    lines[12] = lines[11].clone();
    let bad = lines.join("\n") + "\n";
    let header = text.lines().next().unwrap().to_string();
    let dir = folder(
        "scan",
        &[
            ("a.csv", bad),
            ("b.csv", format!("{header}\n")),
            ("c.csv", String::new()),
            ("d.csv", with_cell(&text, 1, "user_id", "99999999")),
        ],
    );
    let set = files(&dir).unwrap();
    assert_eq!(set.len(), 4);
    let s = scan(&set, &mut |_| {}).unwrap();
    assert!(!s.usable());
    let all = s.problems.join("\n");
    for says in [
        "a.csv, row 3, column `watch_fraction`",
        "a.csv, row 7, column `survey`",
        "a.csv, row 12, column `exposure_id`",
        "b.csv: has a header but no rows",
        "c.csv: is empty",
        "d.csv, row 1, column `user_id`: id 99999999 is out of range",
    ] {
        assert!(all.contains(says), "`{says}` not in:\n{all}");
    }
    // d.csv repeats a.csv's exposures: each duplicate names the first file's row.
    assert!(all.contains("d.csv, row 2, column `exposure_id`"), "{all}");
    assert!(s.text().contains("problem(s)"), "{}", s.text());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_partitioned_set_reads_back_with_its_days() {
    let rows = rows();
    let dir = temp_dir("parts");
    let mut w = PartitionedWriter::create(&dir.join("exposures"), Format::Parquet, true).unwrap();
    w.write(&rows).unwrap();
    let (n, written) = w.finish().unwrap();
    assert_eq!((n as usize, written.len()), (rows.len(), 2));
    let set = files(&dir.join("exposures")).unwrap();
    assert_eq!(
        set.iter().map(|f| f.day).collect::<Vec<_>>(),
        vec![Some(0), Some(1)]
    );
    let mut back = Vec::new();
    for f in &set {
        for_each(&f.path, f.day, &mut |r| {
            back.push(r?);
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(back, rows);
    let s = scan(&set, &mut |_| {}).unwrap();
    assert!(s.usable(), "{}", s.text());
    assert_eq!(s.days.len(), 2);
    // Without its partition the file has no `day` column, and says so.
    let e = read(&set[0].path).unwrap_err().to_string();
    assert!(e.contains("missing column `day`"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A clean Parquet log's bytes, made once.
fn clean_parquet() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(parquet_bytes).clone()
}

fn parquet_bytes() -> Vec<u8> {
    let rows = rows();
    let dir = temp_dir("clean-parquet");
    let path = dir.join("log.parquet");
    let mut w = LogWriter::create(&path, Format::Parquet, true).unwrap();
    w.write(&rows).unwrap();
    w.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    bytes
}

/// Reads Parquet bytes through a file; the rows read, or the error.
fn read_parquet_bytes(bytes: &[u8], dir: &Path) -> std::result::Result<usize, String> {
    let path = dir.join("x.parquet");
    std::fs::write(&path, bytes).unwrap();
    let mut n = 0;
    for_each(&path, None, &mut |r| {
        n += r.is_ok() as usize;
        Ok(())
    })
    .map(|_| n)
    .map_err(|e| e.to_string())
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_it() {
    let bytes = clean_parquet();
    let dir = temp_dir("trunc");
    for cut in [
        0,
        3,
        4,
        100,
        bytes.len() / 2,
        bytes.len() - 9,
        bytes.len() - 1,
    ] {
        let e = read_parquet_bytes(&bytes[..cut], &dir).unwrap_err();
        assert!(e.contains("x.parquet"), "cut {cut}: {e}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any edit of a valid CSV log: the reader returns rows or errors, never panics, and every
    /// row it returns passes the schema's checks.
    #[test]
    fn the_csv_reader_survives_any_edit(
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 1..12),
        cut in any::<u16>(),
    ) {
        let mut bytes = clean_csv(12).into_bytes();
        for (at, byte, op) in edits {
            let i = at as usize % (bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                2 if i < bytes.len() => bytes[i] = byte,
                // A structural character, where real damage usually is.
                _ => bytes.insert(i, [b',', b'\n', b'"', b'\r'][byte as usize % 4]),
            }
        }
        if cut.is_multiple_of(3) {
            bytes.truncate(cut as usize % (bytes.len() + 1));
        }
        let (_, good, _) = read_text(&bytes);
        for r in &good {
            prop_assert!(usm_sim::logs::check_row(r).is_ok());
        }
    }

    /// Any damage to a valid Parquet file: an error or rows, never a panic.
    #[test]
    fn the_parquet_reader_survives_any_damage(
        flips in proptest::collection::vec((any::<u32>(), any::<u8>()), 1..8),
        cut in any::<u32>(),
    ) {
        let mut bytes = clean_parquet();
        for (at, byte) in flips {
            let i = at as usize % bytes.len();
            bytes[i] ^= byte | 1;
        }
        if cut.is_multiple_of(2) {
            bytes.truncate(cut as usize % (bytes.len() + 1));
        }
        let dir = temp_dir(&format!("fuzz-parquet-{:?}", std::thread::current().id()));
        let _ = read_parquet_bytes(&bytes, &dir);
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_log_file_of_another_kind_is_refused() {
    let dir = folder("kind", &[("notes.txt", "hello".into())]);
    let e = files(&dir).unwrap_err().to_string();
    assert!(e.contains("no .csv or .parquet"), "{e}");
    let e = read(&dir.join("notes.txt")).unwrap_err().to_string();
    assert!(e.contains(".csv or .parquet"), "{e}");
    let single = files(&dir.join("notes.txt")).unwrap();
    assert_eq!(
        single,
        vec![LogFile {
            path: dir.join("notes.txt"),
            day: None
        }]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The files of a folder, edited: `edits` applied to the file named `target`.
fn edited_copy(from: &Path, to: &Path, target: &str, edits: &[(u16, u8, u8)], cut: u16) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let mut bytes = std::fs::read(&entry).unwrap();
        if rel.to_str() == Some(target) {
            for &(at, byte, op) in edits {
                let i = at as usize % (bytes.len() + 1);
                match op % 4 {
                    0 => bytes.insert(i, byte),
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    2 if i < bytes.len() => bytes[i] = byte,
                    _ => bytes.insert(i, [b',', b'\n', b'"', b'-'][byte as usize % 4]),
                }
            }
            if cut.is_multiple_of(3) {
                bytes.truncate(cut as usize % (bytes.len() + 1));
            }
        }
        std::fs::write(dest, bytes).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A small Open Bandit folder: the first `n` rounds of each policy of the shipped sample.
fn small_obd(n: usize) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/obd");
    let dir = temp_dir(&format!("obd-small-{:?}", std::thread::current().id()));
    for p in ["bts", "random"] {
        let d = dir.join(p).join("all");
        std::fs::create_dir_all(&d).unwrap();
        let all = std::fs::read_to_string(src.join(p).join("all/all.csv")).unwrap();
        let head: Vec<&str> = all.lines().take(n + 1).collect();
        std::fs::write(d.join("all.csv"), head.join("\n") + "\n").unwrap();
        std::fs::copy(
            src.join(p).join("all/item_context.csv"),
            d.join("item_context.csv"),
        )
        .unwrap();
    }
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Any edit of any file of the ratings example, read sparse or dense: rows or an error.
    #[test]
    fn the_ratings_readers_survive_any_edit(
        file in 0usize..4,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..10),
        cut in any::<u16>(),
        dense in any::<bool>(),
    ) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ratings");
        let to = temp_dir(&format!("fuzz-ratings-{:?}", std::thread::current().id()));
        let target = ["train.csv", "test.csv", "user_features.csv", "item_features.csv"][file];
        edited_copy(&from, &to, target, &edits, cut);
        let opt = usm_sim::logs::ratings::RatingsOptions { dense, ..Default::default() };
        if let Ok((rows, _)) = usm_sim::logs::ratings::read(&to, &opt) {
            for r in &rows {
                prop_assert!(usm_sim::logs::check_row(r).is_ok());
            }
        }
        let _ = std::fs::remove_dir_all(to);
    }

    /// Any edit of the Open Bandit files: rows or an error.
    #[test]
    fn the_open_bandit_reader_survives_any_edit(
        file in 0usize..3,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..10),
        cut in any::<u16>(),
    ) {
        let from = small_obd(40);
        let to = temp_dir(&format!("fuzz-obd-{:?}", std::thread::current().id()));
        let target = ["bts/all/all.csv", "random/all/all.csv", "bts/all/item_context.csv"][file];
        edited_copy(&from, &to, target, &edits, cut);
        if let Ok(o) = usm_sim::logs::obd::read(&to, 1) {
            for r in &o.rows {
                prop_assert!(usm_sim::logs::check_row(r).is_ok());
            }
        }
        let _ = std::fs::remove_dir_all(to);
        let _ = std::fs::remove_dir_all(from);
    }
}

#[test]
fn the_open_bandit_reader_names_a_bad_cell() {
    let dir = small_obd(20);
    let path = dir.join("bts/all/all.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let c = lines[0]
        .split(',')
        .position(|h| h == "propensity_score")
        .unwrap();
    let mut cells: Vec<String> = lines[5].split(',').map(String::from).collect();
    cells[c] = "0".into();
    lines[5] = cells.join(",");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let e = usm_sim::logs::obd::read(&dir, 1).err().unwrap().to_string();
    assert!(
        e.contains("all.csv, row 5, column `propensity_score`") && e.contains("(0, 1]"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Found by reading the fuzz target: one item left nothing to draw the unchosen items from, and
/// the draw divided by zero.
#[test]
fn regression_an_open_bandit_catalogue_of_one_item_is_an_error() {
    let dir = small_obd(10);
    let path = dir.join("bts/all/item_context.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let two: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&path, two.join("\n") + "\n").unwrap();
    let e = usm_sim::logs::obd::read(&dir, 1).err().unwrap().to_string();
    assert!(e.contains("item_context.csv"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
