//! `usm validate`'s row checks as SQL (DuckDB's dialect), made from the schema's own setters:
//! each column's accepted values are found by asking its setter (an integer column's range, a
//! `[0, 1]` float, a text column's names), so the SQL cannot drift from the reader. The engine
//! finds the problem rows; usm words each problem with the same setter and the same
//! [`check_row`] as its own reader, so `usm validate --engine duckdb` quotes what `usm
//! validate` quotes.
//!
//! Each row gets at most one problem, the first a native read meets: a cell in column order,
//! then what the row says as a whole, then an id above the vocabulary limit, then an exposure id
//! an earlier good row has.

use serde_json::{Map, Value};

use super::schema::{COLUMNS, Cell, Column, Kind, check_row};
use super::set::{MAX_VOCAB, duplicate, id_out_of_range};
use crate::records::{Answer, ExposureRecord, SurveyKind};

/// The accepted values of a column, as its setter says.
enum Accepts {
    /// Integers in `lo..=hi`.
    Ints(i64, i64),
    /// Finite numbers; with `true`, in `[0, 1]` only.
    Floats(bool),
    /// True or false.
    Bool,
    /// One of these names (NULL reads as the empty name).
    Names(Vec<String>),
    /// `;`-separated names of these, blanks allowed.
    NameLists(Vec<String>),
}

fn accepts(c: &Column) -> Accepts {
    let ok = |cell: Cell| c.set(&mut ExposureRecord::default(), &cell).is_ok();
    match c.kind {
        Kind::Int => {
            // The accepted integers are an interval: find its ends.
            let (mut lo, mut hi) = (0i64, i64::MAX);
            if !ok(Cell::Int(hi)) {
                let mut below = 0i64;
                while hi - below > 1 {
                    let mid = below + (hi - below) / 2;
                    if ok(Cell::Int(mid)) {
                        below = mid;
                    } else {
                        hi = mid;
                    }
                }
                hi = below;
            }
            if ok(Cell::Int(-1)) {
                lo = i64::MIN;
            }
            Accepts::Ints(lo, hi)
        }
        Kind::Float => {
            Accepts::Floats(!ok(Cell::Float(1.5)) && !ok(Cell::Float(-0.5)) && ok(Cell::Float(1.0)))
        }
        Kind::Bool => Accepts::Bool,
        Kind::Str => {
            let issues: Vec<String> = crate::scenario::ISSUES
                .iter()
                .map(|s| s.to_string())
                .collect();
            if ok(Cell::Str(issues.join(";").into())) {
                return Accepts::NameLists(issues);
            }
            let candidates = ["", "none"]
                .into_iter()
                .chain(
                    [SurveyKind::Satisfaction, SurveyKind::Inappropriate].map(SurveyKind::as_str),
                )
                .chain(
                    [
                        Answer::Like,
                        Answer::Neutral,
                        Answer::Dislike,
                        Answer::Suitable,
                        Answer::AdultOnly,
                        Answer::NotSuitable,
                    ]
                    .map(Answer::as_str),
                );
            Accepts::Names(
                candidates
                    .filter(|n| ok(Cell::Str((*n).into())))
                    .map(str::to_string)
                    .collect(),
            )
        }
    }
}

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

fn text_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// When column `c` of a row is bad, in SQL. `oracle_files`: a SQL list of the files that have
/// the oracle columns (a NULL there is bad; elsewhere the column is absent).
fn bad_cell(c: &Column, oracle_files: &str) -> String {
    let q = quote(c.name);
    let null = if c.oracle {
        format!("({q} IS NULL AND usm_file IN ({oracle_files}))")
    } else {
        format!("{q} IS NULL")
    };
    match accepts(c) {
        Accepts::Ints(lo, hi) => {
            let lo = if lo == i64::MIN {
                String::new()
            } else {
                format!(" OR {q} < {lo}")
            };
            format!("{null}{lo} OR {q} > {hi}")
        }
        Accepts::Floats(unit) => {
            let range = if unit {
                format!(" OR {q} < 0 OR {q} > 1")
            } else {
                String::new()
            };
            format!("{null} OR isnan({q}) OR isinf({q}){range}")
        }
        Accepts::Bool => null,
        Accepts::Names(names) => format!("coalesce({q}, '') NOT IN ({})", text_list(&names)),
        Accepts::NameLists(names) => {
            // The regular expression only where the value is not one name or none (most rows).
            let mut single = names.clone();
            single.push(String::new());
            let one = format!("\\s*(|{})\\s*", names.join("|"));
            format!(
                "(coalesce({q}, '') NOT IN ({}) AND NOT regexp_full_match(coalesce({q}, ''), '{one}(;{one})*'))",
                text_list(&single)
            )
        }
    }
}

/// The SQL of a row's first problem: the column's name, `row:COLUMN` for what the row says as a
/// whole, `id:COLUMN`, or NULL.
pub fn first_problem(oracle_files: &str) -> String {
    let mut arms: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("WHEN {} THEN '{}'", bad_cell(c, oracle_files), c.name))
        .collect();
    let none = "coalesce(\"survey\", '') IN ('', 'none')";
    let answers = |k: SurveyKind| {
        text_list(
            &k.answers()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect::<Vec<_>>(),
        )
    };
    arms.push(format!(
        "WHEN {none} AND (\"submitted\" OR \"panel\") THEN 'row:survey'"
    ));
    arms.push(format!(
        "WHEN \"submitted\" AND NOT ((\"survey\" = 'satisfaction' AND coalesce(\"answer\", '') IN ({})) \
         OR (\"survey\" = 'inappropriate' AND coalesce(\"answer\", '') IN ({}))) THEN 'row:answer'",
        answers(SurveyKind::Satisfaction),
        answers(SurveyKind::Inappropriate)
    ));
    arms.push(
        "WHEN NOT \"submitted\" AND coalesce(\"answer\", '') NOT IN ('', 'none') THEN 'row:answer'"
            .into(),
    );
    for id in ["user_id", "item_id", "author_id"] {
        arms.push(format!("WHEN \"{id}\" >= {MAX_VOCAB} THEN 'id:{id}'"));
    }
    format!("CASE {} END", arms.join("\n  "))
}

/// The SQL of the text of a problem's cell: `usm_problem`'s column as text.
pub fn problem_value() -> String {
    let arms: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("WHEN '{0}' THEN CAST(\"{0}\" AS VARCHAR)", c.name))
        .collect();
    format!("CASE usm_problem {} END", arms.join(" "))
}

/// A problem row's message, worded as usm's own reader words it: `p` has `usm_file`,
/// `usm_row`, `usm_problem`, `usm_value`, the row's `survey`, `answer`, `submitted`, `panel`,
/// `exposure_id`, ids, and for a duplicate `usm_first_file` and `usm_first_row`.
pub fn message(p: &Map<String, Value>) -> String {
    let file = p["usm_file"].as_str().unwrap_or("");
    let row = p["usm_row"].as_u64().unwrap_or(0);
    let problem = p["usm_problem"].as_str().unwrap_or("");
    let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
    if problem == "duplicate" {
        let first_file = text("usm_first_file");
        let first_row = p["usm_first_row"].as_u64().unwrap_or(0);
        let first = if first_file == file {
            format!("row {first_row}")
        } else {
            format!("{first_file}, row {first_row}")
        };
        return duplicate(file, row, p["exposure_id"].as_u64().unwrap_or(0), &first);
    }
    if let Some(id) = problem.strip_prefix("id:") {
        return id_out_of_range(file, row, id, p[id].as_u64().unwrap_or(0));
    }
    let at =
        |column: &str, message: String| format!("{file}, row {row}, column `{column}`: {message}");
    if let Some(column) = problem.strip_prefix("row:") {
        let r = ExposureRecord {
            survey: SurveyKind::parse(&text("survey")).unwrap_or_default(),
            answer: Answer::parse(&text("answer")).unwrap_or_default(),
            submitted: p["submitted"].as_bool().unwrap_or(false),
            panel: p["panel"].as_bool().unwrap_or(false),
            ..ExposureRecord::default()
        };
        return match check_row(&r) {
            Err((column, m)) => at(column, m),
            Ok(()) => at(column, "inconsistent with the row's survey".into()),
        };
    }
    let Some(c) = super::schema::column(problem) else {
        return at(problem, "a bad value".into());
    };
    let value = &p["usm_value"];
    let cell = match (c.kind, value.as_str()) {
        (Kind::Str, v) => Cell::Str(v.unwrap_or("").to_string().into()),
        (_, None) => return at(c.name, "is null".into()),
        (Kind::Int, Some(v)) => match v.parse::<i64>() {
            Ok(i) => Cell::Int(i),
            Err(_) => return at(c.name, format!("{v} is out of range")),
        },
        (Kind::Float, Some(v)) => Cell::Float(v.parse::<f32>().unwrap_or(f32::NAN)),
        (Kind::Bool, Some(v)) => Cell::Bool(v == "true"),
    };
    match c.set(&mut ExposureRecord::default(), &cell) {
        Err(m) => at(c.name, m),
        Ok(()) => at(c.name, format!("`{}` is not accepted", value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_values_come_from_the_setters() {
        let col = |n: &str| super::super::schema::column(n).unwrap();
        assert!(matches!(accepts(col("hour")), Accepts::Ints(0, 3)));
        assert!(matches!(accepts(col("user_age")), Accepts::Ints(0, 4)));
        assert!(matches!(accepts(col("day")), Accepts::Ints(0, hi) if hi == u32::MAX as i64));
        assert!(matches!(
            accepts(col("exposure_id")),
            Accepts::Ints(0, i64::MAX)
        ));
        assert!(matches!(
            accepts(col("watch_fraction")),
            Accepts::Floats(true)
        ));
        assert!(matches!(
            accepts(col("user_activity")),
            Accepts::Floats(false)
        ));
        match accepts(col("survey")) {
            Accepts::Names(n) => assert_eq!(n, ["", "none", "satisfaction", "inappropriate"]),
            _ => panic!("survey"),
        }
        assert!(matches!(accepts(col("reasons")), Accepts::NameLists(_)));
        match accepts(col("oracle_latent_inappropriate")) {
            Accepts::Names(n) => assert_eq!(n.len(), 8, "{n:?}"),
            _ => panic!("latent"),
        }
    }

    #[test]
    fn a_problem_is_worded_as_the_reader_words_it() {
        let p = |v: Value| v.as_object().unwrap().clone();
        let m = message(&p(serde_json::json!({
            "usm_file": "f.parquet", "usm_row": 7, "usm_problem": "hour", "usm_value": "9"
        })));
        assert_eq!(
            m,
            "f.parquet, row 7, column `hour`: hour bucket 9 is outside 0..=3"
        );
        let m = message(&p(serde_json::json!({
            "usm_file": "f.parquet", "usm_row": 2, "usm_problem": "row:answer",
            "survey": "satisfaction", "answer": "suitable", "submitted": true, "panel": false
        })));
        assert_eq!(
            m,
            "f.parquet, row 2, column `answer`: answer `suitable` does not belong to survey `satisfaction`"
        );
        let m = message(&p(serde_json::json!({
            "usm_file": "b.parquet", "usm_row": 3, "usm_problem": "duplicate", "exposure_id": 5,
            "usm_first_file": "a.parquet", "usm_first_row": 1
        })));
        assert!(
            m.ends_with("exposure 5 is also a.parquet, row 1 (a duplicate row)"),
            "{m}"
        );
        let m = message(&p(serde_json::json!({
            "usm_file": "f", "usm_row": 1, "usm_problem": "watch_fraction", "usm_value": null
        })));
        assert_eq!(m, "f, row 1, column `watch_fraction`: is null");
    }
}
