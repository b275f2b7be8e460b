//! One row of the log: an exposure, what the viewer did, the survey if any, and the oracle.
//!
//! This is the schema of `docs/log-schema.md`, shared by the simulator's writers and the reader
//! of real logs. `oracle` is the simulator's truth; real logs leave it empty and only evaluation
//! may read it.

use serde::{Deserialize, Serialize};

/// Which survey was shown.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// No survey on this exposure.
    #[default]
    None,
    /// "Did you like this video?": like / neutral / don't like.
    Satisfaction,
    /// "Is this video appropriate?": suitable / only 18+ / not suitable, then reasons.
    Inappropriate,
}

impl SurveyKind {
    /// Name in the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::None => "",
            SurveyKind::Satisfaction => "satisfaction",
            SurveyKind::Inappropriate => "inappropriate",
        }
    }

    /// The answers a submitted survey of this kind can have.
    pub fn answers(self) -> &'static [Answer] {
        match self {
            SurveyKind::None => &[],
            SurveyKind::Satisfaction => &[Answer::Like, Answer::Neutral, Answer::Dislike],
            SurveyKind::Inappropriate => {
                &[Answer::Suitable, Answer::AdultOnly, Answer::NotSuitable]
            }
        }
    }

    /// Parses a log value.
    pub fn parse(s: &str) -> Option<SurveyKind> {
        match s {
            "" | "none" => Some(SurveyKind::None),
            "satisfaction" => Some(SurveyKind::Satisfaction),
            "inappropriate" => Some(SurveyKind::Inappropriate),
            _ => None,
        }
    }
}

/// A survey answer.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// No answer.
    #[default]
    None,
    /// Satisfaction: "I like it".
    Like,
    /// Satisfaction: "neither like nor dislike it".
    Neutral,
    /// Satisfaction: "I don't like it".
    Dislike,
    /// Inappropriate: suitable.
    Suitable,
    /// Inappropriate: only for 18+.
    AdultOnly,
    /// Inappropriate: not suitable.
    NotSuitable,
}

impl Answer {
    /// Name in the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::None => "",
            Answer::Like => "like",
            Answer::Neutral => "neutral",
            Answer::Dislike => "dislike",
            Answer::Suitable => "suitable",
            Answer::AdultOnly => "adult_only",
            Answer::NotSuitable => "not_suitable",
        }
    }

    /// Parses a log value.
    pub fn parse(s: &str) -> Option<Answer> {
        Some(match s {
            "" | "none" => Answer::None,
            "like" => Answer::Like,
            "neutral" => Answer::Neutral,
            "dislike" => Answer::Dislike,
            "suitable" => Answer::Suitable,
            "adult_only" => Answer::AdultOnly,
            "not_suitable" => Answer::NotSuitable,
            _ => return None,
        })
    }

    /// A negative answer: the kind people may be readier to give (answer-dependent response).
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Answer::Dislike | Answer::AdultOnly | Answer::NotSuitable
        )
    }

    /// The survey this answer belongs to.
    pub fn kind(self) -> SurveyKind {
        match self {
            Answer::None => SurveyKind::None,
            Answer::Like | Answer::Neutral | Answer::Dislike => SurveyKind::Satisfaction,
            _ => SurveyKind::Inappropriate,
        }
    }
}

/// What only a simulator knows about an exposure. Evaluation reads it; models never do.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Oracle {
    /// P(answer "like").
    pub p_like: f32,
    /// P(answer "neutral").
    pub p_neutral: f32,
    /// P(answer "don't like").
    pub p_dislike: f32,
    /// P(answer "only 18+" or "not suitable").
    pub p_inappropriate: f32,
    /// P(perceiving each issue), in `ISSUES` order.
    pub p_issue: [f32; 6],
    /// P(submit | shown) for the satisfaction and the inappropriate survey, over answers.
    pub p_submit: [f32; 2],
    /// The satisfaction answer this viewer would give if asked.
    pub latent_satisfaction: Answer,
    /// The inappropriate answer this viewer would give if asked.
    pub latent_inappropriate: Answer,
    /// The reasons they would tick (bit k = `ISSUES[k]`).
    pub latent_reasons: u8,
}

/// One exposure.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExposureRecord {
    /// Unique id: user id times 2^24 plus the user's exposure counter.
    pub exposure_id: u64,
    /// Day (round), from 0.
    pub day: u32,
    /// The user's request within the day, from 0.
    pub request: u32,
    /// Position in the top-k, from 0.
    pub slot: u8,
    /// Hour bucket of the request, `0..4`.
    pub hour: u8,
    /// User id.
    pub user_id: u32,
    /// Video id.
    pub item_id: u32,
    /// Author id.
    pub author_id: u32,
    /// User age group, `0..5`.
    pub user_age: u8,
    /// Observed user activity (log requests per day).
    pub user_activity: f32,
    /// Surveys the user submitted before this exposure.
    pub user_history_submits: u32,
    /// The platform's user-profile score (`willingness.observed` sets how much of who answers
    /// it carries).
    pub user_profile: f32,
    /// Video category.
    pub item_category: u32,
    /// Video log popularity.
    pub item_log_popularity: f32,
    /// Video engagement-rate signal.
    pub item_quality_signal: f32,
    /// Video log duration.
    pub item_log_duration: f32,
    /// Video risk score of a content classifier.
    pub item_risk_signal: f32,
    /// Pressed like.
    pub like: bool,
    /// Shared.
    pub share: bool,
    /// Favourited.
    pub favorite: bool,
    /// Pressed dislike ("not interested").
    pub dislike: bool,
    /// Reported.
    pub report: bool,
    /// Skipped early.
    pub skip: bool,
    /// Share of the video watched.
    pub watch_fraction: f32,
    /// Survey shown on this exposure.
    pub survey: SurveyKind,
    /// The survey was a panel survey (always answered).
    pub panel: bool,
    /// The survey was submitted.
    pub submitted: bool,
    /// The submitted answer.
    pub answer: Answer,
    /// Submitted reasons (bit k = `ISSUES[k]`), inappropriate survey only.
    pub reasons: u8,
    /// The simulator's truth, `None` in real logs.
    pub oracle: Option<Oracle>,
}

impl ExposureRecord {
    /// The true P(submit | shown) of this show, for the survey type shown (simulator truth, 0
    /// without it): evaluation reads it, never a model.
    pub fn true_propensity(&self) -> f64 {
        let k = (self.survey == SurveyKind::Inappropriate) as usize;
        self.oracle.unwrap_or_default().p_submit[k] as f64
    }
}
