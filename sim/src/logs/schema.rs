//! The log schema, declared once: each column's name, type, meaning, and how it is read from
//! and written to an [`ExposureRecord`]. The CSV and Parquet code, the docs and the checks all
//! read this table (`docs/log-schema.md` is its prose).

use std::borrow::Cow;

use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::scenario::{AGE_GROUPS, HOURS, ISSUES, N_ISSUES};

/// Type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Non-negative integer (INT64 in Parquet).
    Int,
    /// Float (FLOAT in Parquet).
    Float,
    /// `true`/`false` in CSV (BOOLEAN in Parquet).
    Bool,
    /// Text (UTF8 BYTE_ARRAY in Parquet).
    Str,
}

/// A cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f32),
    /// Boolean.
    Bool(bool),
    /// Text.
    Str(Cow<'static, str>),
}

/// One column of the schema.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Name, as in the header.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// Simulator truth: absent from real logs, read only by evaluation.
    pub oracle: bool,
    /// Meaning.
    pub doc: &'static str,
    getter: fn(&ExposureRecord, &Oracle) -> Cell,
    setter: fn(&mut ExposureRecord, &Cell) -> Result<(), String>,
}

impl Column {
    /// The column's value in a record (an oracle column of a record without oracle reads as
    /// zero or empty).
    pub fn get(&self, r: &ExposureRecord) -> Cell {
        (self.getter)(r, r.oracle.as_ref().unwrap_or(&NO_ORACLE))
    }

    /// Sets the column in a record from a cell; the error says what is wrong with the value.
    pub fn set(&self, r: &mut ExposureRecord, c: &Cell) -> Result<(), String> {
        (self.setter)(r, c)
    }
}

const NO_ORACLE: Oracle = Oracle {
    p_like: 0.0,
    p_neutral: 0.0,
    p_dislike: 0.0,
    p_inappropriate: 0.0,
    p_issue: [0.0; N_ISSUES],
    p_submit: [0.0; 2],
    latent_satisfaction: Answer::None,
    latent_inappropriate: Answer::None,
    latent_reasons: 0,
};

/// A record's oracle, made on first write.
fn oracle(r: &mut ExposureRecord) -> &mut Oracle {
    r.oracle.get_or_insert_with(Oracle::default)
}

/// An integer column of a record field.
macro_rules! int {
    ($name:literal, $field:ident, $doc:literal) => {
        Column {
            name: $name,
            kind: Kind::Int,
            oracle: false,
            doc: $doc,
            getter: |r, _| Cell::Int(r.$field as i64),
            setter: |r, c| {
                r.$field = int(c)?;
                Ok(())
            },
        }
    };
}

/// A float, boolean or text column of a record field or an oracle field, through `$get`/`$set`.
macro_rules! cell {
    ($name:literal, $kind:ident, $oracle:literal, $doc:literal, |$r:ident, $o:ident| $get:expr, |$w:ident, $c:ident| $set:expr) => {
        Column {
            name: $name,
            kind: Kind::$kind,
            oracle: $oracle,
            doc: $doc,
            getter: |$r, $o| $get,
            setter: |$w, $c| {
                $set;
                Ok(())
            },
        }
    };
}

/// A float column of a record field.
macro_rules! float {
    ($name:literal, $field:ident, $doc:literal) => {
        cell!(
            $name,
            Float,
            false,
            $doc,
            |r, _o| Cell::Float(r.$field),
            |w, c| w.$field = float(c)?
        )
    };
}

/// A boolean column of a record field.
macro_rules! boolean {
    ($name:literal, $field:ident, $doc:literal) => {
        cell!(
            $name,
            Bool,
            false,
            $doc,
            |r, _o| Cell::Bool(r.$field),
            |w, c| w.$field = boolean(c)?
        )
    };
}

/// A float column of the oracle, at `$($path)*` inside it.
macro_rules! truth {
    ($name:literal, $doc:literal, $($path:tt)*) => {
        cell!($name, Float, true, $doc, |_r, o| Cell::Float(o.$($path)*), |w, c| oracle(w).$($path)* = float(c)?)
    };
}

/// Every column, in file order.
pub const COLUMNS: [Column; 44] = [
    int!("exposure_id", exposure_id, "unique exposure id"),
    int!("day", day, "day (round) of the exposure, from 0"),
    int!(
        "request",
        request,
        "the user's feed request within the day, from 0"
    ),
    int!("slot", slot, "position in the top-k, from 0"),
    cell!(
        "hour",
        Int,
        false,
        "hour bucket of the request, 0..=3",
        |r, _o| Cell::Int(r.hour as i64),
        |w, c| {
            w.hour = int(c)?;
            if w.hour as usize >= HOURS {
                return Err(format!("hour bucket {} is outside 0..=3", w.hour));
            }
        }
    ),
    int!("user_id", user_id, "user id, 0..users"),
    int!("item_id", item_id, "video id, 0..items"),
    int!("author_id", author_id, "author id, 0..authors"),
    cell!(
        "user_age",
        Int,
        false,
        "user age group, 0..=4",
        |r, _o| Cell::Int(r.user_age as i64),
        |w, c| {
            w.user_age = int(c)?;
            if w.user_age as usize >= AGE_GROUPS {
                return Err(format!("age group {} is outside 0..=4", w.user_age));
            }
        }
    ),
    float!(
        "user_activity",
        user_activity,
        "observed user activity, log feed requests per day"
    ),
    int!(
        "user_history_submits",
        user_history_submits,
        "surveys the user submitted before this exposure"
    ),
    float!(
        "user_profile",
        user_profile,
        "the platform's user-profile score, a standardised user feature"
    ),
    int!("item_category", item_category, "video category"),
    float!(
        "item_log_popularity",
        item_log_popularity,
        "video log popularity"
    ),
    float!(
        "item_quality_signal",
        item_quality_signal,
        "video engagement-rate signal"
    ),
    float!("item_log_duration", item_log_duration, "video log duration"),
    float!(
        "item_risk_signal",
        item_risk_signal,
        "video risk score of a content classifier (noisy view of its issue level)"
    ),
    boolean!("like", like, "pressed like"),
    boolean!("share", share, "shared"),
    boolean!("favorite", favorite, "favourited"),
    boolean!("dislike", dislike, "pressed dislike / not interested"),
    boolean!("report", report, "reported"),
    boolean!("skip", skip, "skipped early"),
    cell!(
        "watch_fraction",
        Float,
        false,
        "share of the video watched, 0..=1",
        |r, _o| Cell::Float(r.watch_fraction),
        |w, c| {
            w.watch_fraction = float(c)?;
            if !(0.0..=1.0).contains(&w.watch_fraction) {
                return Err(format!("{} is outside 0..=1", w.watch_fraction));
            }
        }
    ),
    cell!(
        "survey",
        Str,
        false,
        "survey shown: empty, satisfaction or inappropriate",
        |r, _o| Cell::Str(Cow::Borrowed(r.survey.as_str())),
        |w, c| {
            let s = text(c)?;
            w.survey = SurveyKind::parse(s).ok_or_else(|| {
                format!("unknown survey `{s}` (known: satisfaction, inappropriate, or empty)")
            })?;
        }
    ),
    boolean!(
        "panel",
        panel,
        "the survey was a panel survey, always answered"
    ),
    boolean!("submitted", submitted, "the survey was submitted"),
    cell!(
        "answer",
        Str,
        false,
        "submitted answer: like, neutral, dislike, suitable, adult_only, not_suitable, or empty",
        |r, _o| Cell::Str(Cow::Borrowed(r.answer.as_str())),
        |w, c| w.answer = answer(c)?
    ),
    cell!(
        "reasons",
        Str,
        false,
        "submitted reasons, ';'-separated: sexual, disgusting, hateful, violent, spam, uninteresting",
        |r, _o| Cell::Str(reasons_cow(r.reasons)),
        |w, c| w.reasons = reasons_from_str(text(c)?)?
    ),
    truth!("oracle_p_like", "true P(answer like)", p_like),
    truth!("oracle_p_neutral", "true P(answer neutral)", p_neutral),
    truth!("oracle_p_dislike", "true P(answer don't like)", p_dislike),
    truth!(
        "oracle_p_inappropriate",
        "true P(answer only 18+ or not suitable)",
        p_inappropriate
    ),
    truth!(
        "oracle_p_sexual",
        "true P(perceiving the issue sexual)",
        p_issue[0]
    ),
    truth!(
        "oracle_p_disgusting",
        "true P(perceiving disgusting)",
        p_issue[1]
    ),
    truth!("oracle_p_hateful", "true P(perceiving hateful)", p_issue[2]),
    truth!("oracle_p_violent", "true P(perceiving violent)", p_issue[3]),
    truth!("oracle_p_spam", "true P(perceiving spam)", p_issue[4]),
    truth!(
        "oracle_p_uninteresting",
        "true P(perceiving uninteresting)",
        p_issue[5]
    ),
    truth!(
        "oracle_p_submit_satisfaction",
        "true P(submit | satisfaction survey shown)",
        p_submit[0]
    ),
    truth!(
        "oracle_p_submit_inappropriate",
        "true P(submit | inappropriate survey shown)",
        p_submit[1]
    ),
    cell!(
        "oracle_latent_satisfaction",
        Str,
        true,
        "the satisfaction answer this viewer would give",
        |_r, o| Cell::Str(Cow::Borrowed(o.latent_satisfaction.as_str())),
        |w, c| oracle(w).latent_satisfaction = answer(c)?
    ),
    cell!(
        "oracle_latent_inappropriate",
        Str,
        true,
        "the inappropriate answer this viewer would give",
        |_r, o| Cell::Str(Cow::Borrowed(o.latent_inappropriate.as_str())),
        |w, c| oracle(w).latent_inappropriate = answer(c)?
    ),
    cell!(
        "oracle_latent_reasons",
        Str,
        true,
        "the reasons this viewer would tick, ';'-separated",
        |_r, o| Cell::Str(reasons_cow(o.latent_reasons)),
        |w, c| oracle(w).latent_reasons = reasons_from_str(text(c)?)?
    ),
];

/// All columns, with or without the oracle ones.
pub fn columns(with_oracle: bool) -> Vec<Column> {
    COLUMNS
        .iter()
        .copied()
        .filter(|c| with_oracle || !c.oracle)
        .collect()
}

/// The column of a name.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// `;`-joined issue names of a bitmask.
pub fn reasons_to_string(bits: u8) -> String {
    (0..N_ISSUES)
        .filter(|k| bits & (1 << k) != 0)
        .map(|k| ISSUES[k])
        .collect::<Vec<_>>()
        .join(";")
}

/// Reasons as text, without allocating: every combination is made once.
fn reasons_cow(bits: u8) -> Cow<'static, str> {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| (0..1u8 << N_ISSUES).map(reasons_to_string).collect());
    Cow::Borrowed(all[bits as usize & ((1 << N_ISSUES) - 1)].as_str())
}

/// Parses `;`-joined issue names.
pub fn reasons_from_str(s: &str) -> Result<u8, String> {
    let mut bits = 0u8;
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let k = ISSUES
            .iter()
            .position(|&i| i == part)
            .ok_or_else(|| format!("unknown reason `{part}` (known: {})", ISSUES.join(", ")))?;
        bits |= 1 << k;
    }
    Ok(bits)
}

fn int<T: TryFrom<i64>>(c: &Cell) -> Result<T, String> {
    match c {
        Cell::Int(v) => T::try_from(*v).map_err(|_| format!("integer {v} is out of range")),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

fn float(c: &Cell) -> Result<f32, String> {
    match c {
        Cell::Float(v) if v.is_finite() => Ok(*v),
        Cell::Float(v) => Err(format!("{v} is not finite")),
        Cell::Int(v) => Ok(*v as f32),
        other => Err(format!("expected a number, found {other:?}")),
    }
}

fn boolean(c: &Cell) -> Result<bool, String> {
    match c {
        Cell::Bool(v) => Ok(*v),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        other => Err(format!("expected true or false, found {other:?}")),
    }
}

fn text(c: &Cell) -> Result<&str, String> {
    match c {
        Cell::Str(s) => Ok(s.as_ref()),
        other => Err(format!("expected text, found {other:?}")),
    }
}

fn answer(c: &Cell) -> Result<Answer, String> {
    let s = text(c)?;
    Answer::parse(s).ok_or_else(|| format!("unknown answer `{s}`"))
}

/// Checks what a row says as a whole, after each cell parsed: the column at fault and why.
pub fn check_row(r: &ExposureRecord) -> Result<(), (&'static str, String)> {
    if r.survey == SurveyKind::None && (r.submitted || r.panel) {
        return Err((
            "survey",
            "submitted or panel is true but no survey was shown".into(),
        ));
    }
    if r.submitted && r.answer.kind() != r.survey {
        return Err((
            "answer",
            format!(
                "answer `{}` does not belong to survey `{}`",
                r.answer.as_str(),
                r.survey.as_str()
            ),
        ));
    }
    if !r.submitted && r.answer != Answer::None {
        return Err(("answer", "an answer is given but submitted is false".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_columns_follow_the_issue_list() {
        for (k, issue) in ISSUES.iter().enumerate() {
            let c = column(&format!("oracle_p_{issue}")).unwrap();
            let mut r = ExposureRecord::default();
            c.set(&mut r, &Cell::Float(0.25)).unwrap();
            assert_eq!(r.oracle.unwrap().p_issue[k], 0.25, "{issue}");
            assert_eq!(c.get(&r), Cell::Float(0.25));
        }
    }

    #[test]
    fn every_column_reads_back_what_it_wrote() {
        let mut r = ExposureRecord {
            exposure_id: 7,
            hour: 2,
            user_age: 3,
            survey: SurveyKind::Inappropriate,
            submitted: true,
            answer: Answer::AdultOnly,
            reasons: 0b101,
            watch_fraction: 0.5,
            oracle: Some(Oracle {
                p_issue: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                p_submit: [0.7, 0.8],
                latent_reasons: 0b11,
                latent_satisfaction: Answer::Like,
                latent_inappropriate: Answer::Suitable,
                ..Oracle::default()
            }),
            ..ExposureRecord::default()
        };
        r.user_id = 11;
        let mut back = ExposureRecord::default();
        for c in &COLUMNS {
            c.set(&mut back, &c.get(&r))
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        }
        assert_eq!(back, r);
        let names: std::collections::BTreeSet<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), COLUMNS.len(), "a column name twice");
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let mut r = ExposureRecord::default();
        let e = column("hour")
            .unwrap()
            .set(&mut r, &Cell::Int(9))
            .unwrap_err();
        assert!(e.contains("outside 0..=3"), "{e}");
        let e = column("reasons")
            .unwrap()
            .set(&mut r, &Cell::Str("sexy".into()))
            .unwrap_err();
        assert!(e.contains("unknown reason `sexy`"), "{e}");
        let e = column("day")
            .unwrap()
            .set(&mut r, &Cell::Int(-1))
            .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = column("user_activity")
            .unwrap()
            .set(&mut r, &Cell::Float(f32::NAN))
            .unwrap_err();
        assert!(e.contains("not finite"), "{e}");
    }
}
