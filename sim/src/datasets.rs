//! Logs → datasets: turn exposure records (simulated or real) into `usm-core` inputs.
//!
//! Only here is it decided which log columns a model reads. Oracle columns are never read.

use usm_core::data::{Features, Labels, Posterior, Vocab};

use crate::error::{Result, SimError};
use crate::heads::HeadDef;
use crate::records::{ExposureRecord, SurveyKind};
use crate::scenario::{AGE_GROUPS, HOURS};

/// Most category buckets one-hot encoded; larger category ids share buckets.
pub const MAX_CATEGORY_BUCKETS: usize = 64;

/// The pre-exposure attributes of one row, as the models see them.
#[derive(Clone, Copy, Debug)]
pub struct DenseInput {
    /// Age group.
    pub age: u8,
    /// Observed activity.
    pub activity: f32,
    /// User-profile score.
    pub profile: f32,
    /// Category.
    pub category: u32,
    /// Log popularity.
    pub log_popularity: f32,
    /// Quality signal.
    pub quality_signal: f32,
    /// Log duration.
    pub log_duration: f32,
    /// Content-risk score.
    pub risk_signal: f32,
    /// Hour bucket.
    pub hour: u8,
}

impl DenseInput {
    /// From a log row.
    pub fn of(r: &ExposureRecord) -> DenseInput {
        DenseInput {
            age: r.user_age,
            activity: r.user_activity,
            profile: r.user_profile,
            category: r.item_category,
            log_popularity: r.item_log_popularity,
            quality_signal: r.item_quality_signal,
            log_duration: r.item_log_duration,
            risk_signal: r.item_risk_signal,
            hour: r.hour,
        }
    }
}

/// How rows become features: vocabularies and category buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeatureSpec {
    /// Id vocabularies.
    pub vocab: Vocab,
    /// One-hot category buckets.
    pub category_buckets: usize,
}

impl FeatureSpec {
    /// For a simulated population.
    pub fn new(users: usize, items: usize, authors: usize, categories: usize) -> FeatureSpec {
        FeatureSpec {
            vocab: Vocab {
                users,
                items,
                authors,
            },
            category_buckets: categories.clamp(1, MAX_CATEGORY_BUCKETS),
        }
    }

    /// Inferred from logs: vocabularies are the largest ids plus one.
    pub fn from_records(recs: &[ExposureRecord]) -> Result<FeatureSpec> {
        if recs.is_empty() {
            return Err(SimError::Experiment(
                "no rows to infer the feature vocabularies from".into(),
            ));
        }
        let m = |f: fn(&ExposureRecord) -> u32| recs.iter().map(f).max().unwrap_or(0) as usize + 1;
        Ok(FeatureSpec::new(
            m(|r| r.user_id),
            m(|r| r.item_id),
            m(|r| r.author_id),
            m(|r| r.item_category),
        ))
    }

    /// Dense width: age one-hot, activity, category one-hot, popularity, quality, duration,
    /// risk, hour one-hot.
    pub fn n_dense(&self) -> usize {
        AGE_GROUPS + 2 + self.category_buckets + 4 + HOURS
    }

    /// Appends one row's dense features.
    pub fn encode(&self, d: &DenseInput, out: &mut Vec<f32>) {
        let start = out.len();
        out.resize(start + self.n_dense(), 0.0);
        let row = &mut out[start..];
        row[(d.age as usize).min(AGE_GROUPS - 1)] = 1.0;
        row[AGE_GROUPS] = d.activity;
        row[AGE_GROUPS + 1] = d.profile;
        let c0 = AGE_GROUPS + 2;
        row[c0 + d.category as usize % self.category_buckets] = 1.0;
        let p0 = c0 + self.category_buckets;
        row[p0] = d.log_popularity / 4.0;
        row[p0 + 1] = d.quality_signal;
        row[p0 + 2] = d.log_duration - 3.4;
        row[p0 + 3] = d.risk_signal;
        row[p0 + 4 + (d.hour as usize).min(HOURS - 1)] = 1.0;
    }

    /// Features of a set of rows.
    pub fn features<'a>(&self, rows: impl IntoIterator<Item = &'a ExposureRecord>) -> Features {
        let mut f = Features {
            n_dense: self.n_dense(),
            ..Features::default()
        };
        for r in rows {
            f.user.push(r.user_id);
            f.item.push(r.item_id);
            f.author.push(r.author_id);
            self.encode(&DenseInput::of(r), &mut f.dense);
        }
        f
    }
}

/// A set of rows and what the models read of them, encoded once: the pre-exposure features,
/// the users' submission histories (what the submit model reads besides) and the posterior
/// behaviour (what a teacher reads besides).
#[derive(Clone, Debug, Default)]
pub struct Encoded<'a> {
    /// The rows.
    pub rows: Vec<&'a ExposureRecord>,
    /// Their features.
    pub x: Features,
    /// Each row's count of the user's past submissions.
    pub history: Vec<u32>,
    /// Their posterior behaviour.
    pub posterior: Posterior,
}

impl<'a> Encoded<'a> {
    /// Encodes `rows`.
    pub fn new(spec: &FeatureSpec, rows: Vec<&'a ExposureRecord>) -> Encoded<'a> {
        Encoded {
            x: spec.features(rows.iter().copied()),
            history: history(rows.iter().copied()),
            posterior: posterior(rows.iter().copied()),
            rows,
        }
    }

    /// The rows at `idx`, in that order, with what was encoded of them.
    pub fn select(&self, idx: &[usize]) -> Encoded<'a> {
        Encoded {
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
            x: self.x.select(idx),
            history: idx.iter().map(|&i| self.history[i]).collect(),
            posterior: self.posterior.select(idx),
        }
    }

    /// Rows in the set.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Posterior behaviour features, known only after the exposure: like, share, favourite,
/// dislike, report, skip, watch fraction.
pub const POSTERIOR: [&str; 7] = [
    "like",
    "share",
    "favorite",
    "dislike",
    "report",
    "skip",
    "watch_fraction",
];

/// The teacher's posterior block for a set of rows.
pub fn posterior<'a>(rows: impl IntoIterator<Item = &'a ExposureRecord>) -> Posterior {
    let mut values = Vec::new();
    for r in rows {
        let b = |x: bool| x as u8 as f32;
        values.extend_from_slice(&[
            b(r.like),
            b(r.share),
            b(r.favorite),
            b(r.dislike),
            b(r.report),
            b(r.skip),
            r.watch_fraction,
        ]);
    }
    Posterior {
        values,
        n_features: POSTERIOR.len(),
    }
}

/// Survey labels of submitted rows: each row labels the heads of the survey it answered.
pub fn survey_labels<'a>(
    heads: &[HeadDef],
    rows: impl IntoIterator<Item = &'a ExposureRecord>,
) -> Labels {
    let mut l = Labels {
        heads: heads.iter().map(|h| h.name().to_string()).collect(),
        ..Labels::default()
    };
    for r in rows {
        for h in heads {
            let on = r.submitted && r.survey == h.survey();
            l.y.push((on && h.label(r.answer, r.reasons)) as u8 as f32);
            l.mask.push(on);
        }
    }
    l
}

/// Survey types, the heads of the submit model.
pub const SURVEY_TYPES: [&str; 2] = ["satisfaction", "inappropriate"];

/// Index of a survey type among [`SURVEY_TYPES`].
pub fn survey_index(kind: SurveyKind) -> Option<usize> {
    match kind {
        SurveyKind::Satisfaction => Some(0),
        SurveyKind::Inappropriate => Some(1),
        SurveyKind::None => None,
    }
}

/// Submit labels of survey shows: 1 where submitted, masked to the type shown.
pub fn submit_labels<'a>(rows: impl IntoIterator<Item = &'a ExposureRecord>) -> Labels {
    let mut l = Labels {
        heads: SURVEY_TYPES.iter().map(|s| s.to_string()).collect(),
        ..Labels::default()
    };
    for r in rows {
        let k = survey_index(r.survey);
        for t in 0..SURVEY_TYPES.len() {
            l.mask.push(k == Some(t));
            l.y.push((k == Some(t) && r.submitted) as u8 as f32);
        }
    }
    l
}

/// Each row's count of the user's past submissions.
pub fn history<'a>(rows: impl IntoIterator<Item = &'a ExposureRecord>) -> Vec<u32> {
    rows.into_iter().map(|r| r.user_history_submits).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heads::parse_heads;
    use crate::records::Answer;

    #[test]
    fn labels_follow_the_answered_survey() {
        let heads =
            parse_heads(&["dislike".into(), "inappropriate".into(), "sexual".into()]).unwrap();
        let sat = ExposureRecord {
            survey: SurveyKind::Satisfaction,
            submitted: true,
            answer: Answer::Dislike,
            ..Default::default()
        };
        let inapp = ExposureRecord {
            survey: SurveyKind::Inappropriate,
            submitted: true,
            answer: Answer::NotSuitable,
            reasons: 0b10,
            ..Default::default()
        };
        let l = survey_labels(&heads, [&sat, &inapp]);
        assert_eq!(l.mask, vec![true, false, false, false, true, true]);
        assert_eq!(l.y, vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        let s = submit_labels([&sat, &inapp]);
        assert_eq!(s.mask, vec![true, false, false, true]);
        assert!(
            HeadDef::parse("sexy")
                .unwrap_err()
                .to_string()
                .contains("heads")
        );
    }

    #[test]
    fn dense_encoding_has_the_declared_width() {
        let spec = FeatureSpec::new(10, 10, 10, 12);
        let mut out = Vec::new();
        let d = DenseInput {
            age: 4,
            activity: 0.3,
            profile: -0.7,
            category: 13,
            log_popularity: -2.0,
            quality_signal: 0.5,
            log_duration: 3.4,
            risk_signal: 0.1,
            hour: 3,
        };
        spec.encode(&d, &mut out);
        assert_eq!(out.len(), spec.n_dense());
        assert_eq!(out.iter().filter(|&&v| v == 1.0).count(), 3);
    }
}
