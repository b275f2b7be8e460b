//! Survey heads: which answer of which survey labels a model head, and the simulator's truth
//! for it. Defined on the log records alone, so the run summary, the datasets, the models'
//! evaluation and the report all read the same definition.

use crate::error::{Result, SimError};
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::scenario::{ISSUES, N_CONTENT_ISSUES};

/// A model head: one survey option. In `results.json` and configs, its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeadDef {
    /// Satisfaction survey, answer "don't like".
    Dislike,
    /// Inappropriate survey, answer "only 18+" or "not suitable".
    Inappropriate,
    /// Inappropriate survey, reason `ISSUES[k]` ticked.
    Reason(usize),
}

/// The index of an issue in [`ISSUES`], found at compile time.
const fn issue_index(name: &str) -> usize {
    let mut k = 0;
    while k < ISSUES.len() {
        let (a, b) = (ISSUES[k].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut i = 0;
            while i < a.len() && a[i] == b[i] {
                i += 1;
            }
            if i == a.len() {
                return k;
            }
        }
        k += 1;
    }
    panic!("no such issue")
}

impl HeadDef {
    /// The sexual-content reason head, the one the run summary follows beside the two surveys.
    pub const SEXUAL: HeadDef = HeadDef::Reason(issue_index("sexual"));

    /// Parses a head name: `dislike`, `inappropriate` or an issue name.
    pub fn parse(name: &str) -> Result<HeadDef> {
        match name {
            "dislike" => Ok(HeadDef::Dislike),
            "inappropriate" => Ok(HeadDef::Inappropriate),
            other => ISSUES
                .iter()
                .position(|&i| i == other)
                .map(HeadDef::Reason)
                .ok_or_else(|| {
                    SimError::field(
                        "heads",
                        other,
                        &format!("dislike, inappropriate, or one of {}", ISSUES.join(", ")),
                    )
                }),
        }
    }

    /// Name.
    pub fn name(&self) -> &'static str {
        match self {
            HeadDef::Dislike => "dislike",
            HeadDef::Inappropriate => "inappropriate",
            HeadDef::Reason(k) => ISSUES[*k],
        }
    }

    /// The survey whose answers label this head.
    pub fn survey(&self) -> SurveyKind {
        match self {
            HeadDef::Dislike => SurveyKind::Satisfaction,
            _ => SurveyKind::Inappropriate,
        }
    }

    /// The label an answer gives.
    pub fn label(&self, answer: Answer, reasons: u8) -> bool {
        match self {
            HeadDef::Dislike => answer == Answer::Dislike,
            HeadDef::Inappropriate => matches!(answer, Answer::AdultOnly | Answer::NotSuitable),
            HeadDef::Reason(k) => reasons & (1 << k) != 0,
        }
    }

    /// What the viewer would answer (simulator truth).
    pub fn latent(&self, o: &Oracle) -> bool {
        match self {
            HeadDef::Dislike => self.label(o.latent_satisfaction, 0),
            _ => self.label(o.latent_inappropriate, o.latent_reasons),
        }
    }

    /// True probability of the positive answer (simulator truth). A content issue's reason is
    /// ticked whenever it is perceived (which makes the answer inappropriate); `uninteresting`,
    /// not a content issue, only with some content issue, perceived independently.
    pub fn truth(&self, o: &Oracle) -> f32 {
        match self {
            HeadDef::Dislike => o.p_dislike,
            HeadDef::Inappropriate => o.p_inappropriate,
            HeadDef::Reason(k) if *k < N_CONTENT_ISSUES => o.p_issue[*k],
            HeadDef::Reason(k) => o.p_issue[*k] * o.p_inappropriate,
        }
    }

    /// The true probability of each row (simulator truth; 0 without it).
    pub fn truths(&self, rows: &[&ExposureRecord]) -> Vec<f64> {
        rows.iter()
            .map(|r| self.truth(&r.oracle.unwrap_or_default()) as f64)
            .collect()
    }
}

/// By name: the order `results.json` has always listed heads in.
impl Ord for HeadDef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for HeadDef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for HeadDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl serde::Serialize for HeadDef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for HeadDef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        HeadDef::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Parses a list of head names.
pub fn parse_heads(names: &[String]) -> Result<Vec<HeadDef>> {
    if names.is_empty() {
        return Err(SimError::field("heads", "[]", "at least one head"));
    }
    names.iter().map(|n| HeadDef::parse(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_head_is_true_when_its_reason_would_be_ticked() {
        let o = Oracle {
            p_inappropriate: 0.2,
            p_issue: [0.1, 0.0, 0.0, 0.0, 0.0, 0.5],
            ..Oracle::default()
        };
        assert_eq!(HeadDef::SEXUAL.truth(&o), 0.1);
        // `uninteresting` is ticked only beside a content issue: 0.5 * 0.2.
        let uninteresting = HeadDef::parse("uninteresting").unwrap();
        assert!((uninteresting.truth(&o) - 0.1).abs() < 1e-7);
    }
}
