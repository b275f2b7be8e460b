//! The scenario: every knob of the synthetic population, feed, surveys and responses.
//!
//! Plain data with defaults (TOML on disk, every field documented); [`Scenario::validate`] checks
//! every field and names the bad one with its value and the allowed range. Presets cover the
//! paper's setting and the regimes where each correction should work or fail.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SimError};

/// The six issues a viewer can perceive. The first five are content issues that make a video
/// inappropriate; "uninteresting" only feeds dissatisfaction and the reasons list.
pub const ISSUES: [&str; 6] = [
    "sexual",
    "disgusting",
    "hateful",
    "violent",
    "spam",
    "uninteresting",
];
/// Number of issues.
pub const N_ISSUES: usize = 6;
/// Content issues: the first five of [`ISSUES`].
pub const N_CONTENT_ISSUES: usize = 5;
/// Largest taste/topic dimension.
pub const MAX_TASTE_DIM: usize = 16;
/// Age groups of users.
pub const AGE_GROUPS: usize = 5;
/// Hour-of-day buckets of the context.
pub const HOURS: usize = 4;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in reports.
    pub name: String,
    /// Seed of everything random in the run.
    pub seed: u64,
    /// Who is on the platform.
    pub population: PopulationConfig,
    /// Videos and authors, and what viewers think of them.
    pub content: ContentConfig,
    /// How the feed picks what each user sees.
    pub feed: FeedConfig,
    /// Who gets asked, how often.
    pub survey: SurveyConfig,
    /// Who answers (response bias lives here).
    pub willingness: WillingnessConfig,
    /// A small uniformly random slice of shows that is always answered.
    pub panel: PanelConfig,
    /// Likes, shares, dislikes, reports after every exposure.
    pub behaviour: BehaviourConfig,
    /// Users leaving after bad experiences (the A/B retention proxy).
    pub retention: RetentionConfig,
}

/// Who is on the platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopulationConfig {
    /// Users.
    pub users: u32,
    /// Videos.
    pub items: u32,
    /// Authors; each video has one.
    pub authors: u32,
    /// Content categories; a video's topic sits near its category's centre.
    pub categories: u32,
    /// Dimension of tastes and topics (at most 16).
    pub taste_dim: usize,
    /// Simulated days (rounds).
    pub days: u32,
    /// Mean feed requests per user per day; each request shows `feed.k` videos.
    pub requests_per_day: f64,
    /// Spread (log-normal sigma) of activity across users.
    pub activity_spread: f64,
    /// Spread of users' sensitivity to issues (log-odds).
    pub sensitivity_spread: f64,
    /// How much older age groups are more sensitive (log-odds per group step).
    pub age_sensitivity: f64,
    /// Spread (log-normal sigma) of users' engagement with like/dislike/report buttons.
    pub engagement_spread: f64,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            users: 30_000,
            items: 8_000,
            authors: 800,
            categories: 12,
            taste_dim: 8,
            days: 8,
            requests_per_day: 1.5,
            activity_spread: 0.8,
            sensitivity_spread: 1.0,
            age_sensitivity: 0.25,
            engagement_spread: 0.5,
        }
    }
}

/// Videos and authors, and what viewers think of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentConfig {
    /// Base log-odds that a viewer perceives each issue, in [`ISSUES`] order.
    pub issue_base: [f64; N_ISSUES],
    /// Spread of authors' issue levels (log-odds): authors shape their videos.
    pub author_issue_spread: f64,
    /// Spread of a video's own issue level around its author's (log-odds).
    pub item_issue_spread: f64,
    /// Spread of categories' issue levels (log-odds): some categories are riskier.
    pub category_issue_spread: f64,
    /// Spread of video quality.
    pub quality_spread: f64,
    /// Zipf exponent of popularity.
    pub popularity_zipf: f64,
    /// Weight of taste match in how much a viewer likes a video.
    pub taste_weight: f64,
    /// How much each perceived-issue probability lowers liking (per unit probability).
    pub issue_penalty: f64,
    /// Utility threshold below which a viewer answers "don't like".
    pub dislike_threshold: f64,
    /// Utility threshold above which a viewer answers "like".
    pub like_threshold: f64,
    /// Noise of the platform's content-risk classifier score (an item feature) around the
    /// video's mean content-issue level. Large: the classifier says little.
    pub risk_signal_noise: f64,
    /// Probability that an inappropriate answer about only sexual or violent content is
    /// "only 18+" rather than "not suitable".
    pub adult_only_share: f64,
}

impl Default for ContentConfig {
    fn default() -> Self {
        ContentConfig {
            issue_base: [-5.6, -6.0, -6.4, -6.0, -5.2, -3.0],
            author_issue_spread: 1.0,
            item_issue_spread: 0.7,
            category_issue_spread: 0.6,
            quality_spread: 0.8,
            popularity_zipf: 0.5,
            taste_weight: 1.2,
            issue_penalty: 6.0,
            dislike_threshold: -1.6,
            like_threshold: 0.3,
            risk_signal_noise: 0.8,
            adult_only_share: 0.4,
        }
    }
}

/// How the feed picks what each user sees: recall, rank, top-k.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Videos shown per request (the paper: 8–10).
    pub k: usize,
    /// Candidates recalled per request before ranking (with replacement: a video recalled
    /// twice in a request is ranked once, with its better score).
    pub candidates: usize,
    /// Share of candidates drawn uniformly rather than by popularity.
    pub explore: f64,
    /// Weight of the user's taste match in the ranking score.
    pub personalization: f64,
    /// Weight of log popularity in the ranking score.
    pub popularity_bias: f64,
    /// Weight of the observed quality signal in the ranking score.
    pub quality_weight: f64,
    /// Standard deviation of ranking noise (normal, rounded to 4,096 equally likely values).
    pub noise: f64,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            k: 8,
            candidates: 48,
            explore: 0.2,
            personalization: 1.0,
            popularity_bias: 0.3,
            quality_weight: 0.5,
            noise: 0.6,
        }
    }
}

/// Whom a survey is shown to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Targeting {
    /// Every exposure equally likely.
    Uniform,
    /// Less active users more likely per exposure, so surveys spread more evenly over users.
    ByActivity,
    /// Popular videos more likely (negative `targeting_strength`: less likely): the surveyed
    /// slice is not the feed that ranking scores.
    ByPopularity,
    /// Videos the content classifier scores as risky more likely, as a trust-and-safety team
    /// would target: the surveyed slice carries more issues than the feed.
    ByRisk,
    /// Viewers who engage more (press like, dislike, report more readily) more likely.
    ByEngagement,
}

/// Who gets asked, how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyConfig {
    /// Share of exposures that get a survey (the paper: under one in ten thousand).
    pub rate: f64,
    /// Share of surveys that are the satisfaction survey; the rest are the inappropriate survey.
    pub satisfaction_share: f64,
    /// Targeting policy.
    pub targeting: Targeting,
    /// How strongly `by_popularity`, `by_risk` and `by_engagement` tilt who gets asked: the
    /// per-exposure rate is multiplied by `exp(strength * z)`, `z` the standardised feature
    /// (log popularity, risk score, log engagement), normalised so the mean rate over the feed
    /// stays `rate` (-5 to 5; 0: uniform).
    pub targeting_strength: f64,
    /// Most surveys one user sees per day.
    pub cap_per_day: u32,
    /// Days each user used the platform before the simulated period, at the same survey rate,
    /// targeting and response process: their past shows and submissions seed the logged
    /// history count (0 to 10,000). At the paper's rate a user sees about one survey a year.
    pub tenure_days: f64,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        SurveyConfig {
            rate: 8e-5,
            satisfaction_share: 0.5,
            targeting: Targeting::Uniform,
            targeting_strength: 1.0,
            cap_per_day: 1,
            tenure_days: 60.0,
        }
    }
}

/// Who answers a survey once shown. Response bias lives here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WillingnessConfig {
    /// Mean probability of submitting a shown satisfaction survey, for a typical user.
    pub mean: f64,
    /// Spread of users' willingness (standard deviation of their log-odds). 0: everyone alike.
    pub spread: f64,
    /// Correlation of willingness with a user's general sensitivity to issues.
    pub corr_sensitivity: f64,
    /// Correlation of willingness with a user's activity.
    pub corr_activity: f64,
    /// Share (0 to 1) of the sensitivity-linked part of willingness that the logged user
    /// profile carries (`user_profile`, a feature the submit model reads, as a platform's user
    /// profile is): the profile is `sqrt(observed)` times the user's general sensitivity plus
    /// `sqrt(1 - observed)` times independent noise. 1: a model on the logs can learn who
    /// answers and why; 0: only the survey history reveals it, and the propensity that Eq. 13
    /// needs cannot be computed from the logs.
    pub observed: f64,
    /// Log-odds added to submitting when the answer is negative ("don't like", "not suitable",
    /// "only 18+"): answer-dependent response, missing not at random. 0: none.
    pub answer_dependence: f64,
    /// Log-odds of submitting the inappropriate survey relative to the satisfaction survey.
    pub inappropriate_offset: f64,
    /// Log-odds effect of each hour bucket on submitting.
    pub hour_effect: [f64; HOURS],
}

impl Default for WillingnessConfig {
    fn default() -> Self {
        WillingnessConfig {
            mean: 0.15,
            spread: 1.5,
            corr_sensitivity: 0.6,
            corr_activity: 0.3,
            observed: 0.8,
            answer_dependence: 0.0,
            inappropriate_offset: -0.3,
            hour_effect: [-0.3, 0.0, 0.2, 0.1],
        }
    }
}

/// A panel: a uniformly random slice of exposures whose survey is always answered (like
/// crowd-sourced annotation), flagged in the logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanelConfig {
    /// Share of exposures given a panel survey. 0 disables the panel.
    pub rate: f64,
}

impl Default for PanelConfig {
    fn default() -> Self {
        PanelConfig { rate: 0.0 }
    }
}

/// Behaviour after every exposure, conditional on what the viewer thinks of the video.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BehaviourConfig {
    /// P(like button) when the viewer likes the video, for a typical user.
    pub like_if_liked: f64,
    /// P(like button) otherwise.
    pub like_otherwise: f64,
    /// P(share) when liked.
    pub share_if_liked: f64,
    /// P(favourite) when liked.
    pub favorite_if_liked: f64,
    /// P(dislike button) when the viewer dislikes the video.
    pub dislike_if_disliked: f64,
    /// P(dislike button) when the viewer perceives a content issue (and does not already
    /// dislike the video).
    pub dislike_if_issue: f64,
    /// P(dislike button) otherwise.
    pub dislike_otherwise: f64,
    /// P(report) when the viewer perceives a content issue.
    pub report_if_issue: f64,
    /// P(report) otherwise.
    pub report_otherwise: f64,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        BehaviourConfig {
            like_if_liked: 0.3,
            like_otherwise: 0.02,
            share_if_liked: 0.05,
            favorite_if_liked: 0.06,
            dislike_if_disliked: 0.25,
            dislike_if_issue: 0.15,
            dislike_otherwise: 0.01,
            report_if_issue: 0.2,
            report_otherwise: 0.001,
        }
    }
}

/// Users leaving the platform: the long-term retention proxy of the A/B test. A daily hazard:
/// at the end of each day a user leaves with probability `daily_leave + leave_per_bad_share *
/// (the day's share of bad experiences)`, so how often a user leaves follows how good their feed
/// was, not how much of it they watched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Probability of leaving at the end of any day (0 to 1).
    pub daily_leave: f64,
    /// Added probability of leaving at the end of a day whose exposures were all bad
    /// experiences (disliked or an issue perceived), in proportion to the day's share of them
    /// (0 to 1).
    pub leave_per_bad_share: f64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            daily_leave: 0.003,
            leave_per_bad_share: 0.035,
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "paper".into(),
            seed: 42,
            population: PopulationConfig::default(),
            content: ContentConfig::default(),
            feed: FeedConfig::default(),
            survey: SurveyConfig::default(),
            willingness: WillingnessConfig::default(),
            panel: PanelConfig::default(),
            behaviour: BehaviourConfig::default(),
            retention: RetentionConfig::default(),
        }
    }
}

/// The presets, with one line on each.
pub const PRESETS: [(&str, &str); 8] = [
    (
        "paper",
        "the paper's setting: rare surveys; willingness to answer varies, tracks sensitivity, and is mostly visible in the logged user profile",
    ),
    (
        "experiment",
        "the paper's setting at laptop scale (the default of `usm run`): 80k users, surveys dense enough to train on in minutes, about one per user",
    ),
    (
        "hidden-willingness",
        "`experiment` with willingness hidden from the logs (willingness.observed = 0): only the survey history reveals who answers, and Eq. 13 stops short of the truth whatever the model",
    ),
    (
        "targeted-surveys",
        "`experiment` with surveys targeted at videos the content classifier scores as risky (survey.targeting = by_risk): the surveyed slice carries more issues than the feed that ranking scores",
    ),
    (
        "no-bias",
        "everyone answers every survey and surveys are uniform: the naive estimates are unbiased",
    ),
    (
        "strong-response-bias",
        "willingness varies widely and tracks sensitivity closely (mostly visible in the logs): a large bias that Eq. 13 can remove",
    ),
    (
        "answer-dependent",
        "people answer more readily when the answer is negative (missing not at random), willingness tied to sensitivity too, with a panel",
    ),
    (
        "extreme-rarity",
        "surveys ten times rarer than the paper's setting",
    ),
];

impl Scenario {
    /// A preset by name; see [`PRESETS`].
    pub fn preset(name: &str) -> Result<Scenario> {
        let mut s = Scenario {
            name: name.to_string(),
            ..Scenario::default()
        };
        match name {
            "paper" => {}
            "no-bias" => {
                s.willingness.mean = 1.0;
                s.willingness.spread = 0.0;
                s.willingness.corr_sensitivity = 0.0;
                s.willingness.corr_activity = 0.0;
                s.willingness.inappropriate_offset = 0.0;
                s.willingness.hour_effect = [0.0; HOURS];
                s.survey.targeting = Targeting::Uniform;
                s.survey.rate = 4e-3;
            }
            "strong-response-bias" => {
                s.willingness.spread = 2.5;
                s.willingness.corr_sensitivity = 0.85;
                s.willingness.mean = 0.1;
                s.survey.rate = 4e-3;
            }
            "answer-dependent" => {
                s.willingness.answer_dependence = 2.0;
                s.willingness.spread = 0.8;
                s.panel.rate = 1e-3;
                s.survey.rate = 4e-3;
            }
            "extreme-rarity" => {
                s.survey.rate = 8e-6;
            }
            "experiment" => {
                s.population.users = 80_000;
                s.survey.rate = 1.5e-2;
            }
            "targeted-surveys" => {
                s.population.users = 80_000;
                s.survey.rate = 1.5e-2;
                s.survey.targeting = Targeting::ByRisk;
                s.survey.targeting_strength = 1.0;
            }
            "hidden-willingness" => {
                s.population.users = 80_000;
                s.survey.rate = 1.5e-2;
                s.willingness.observed = 0.0;
            }
            other => {
                let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
                return Err(SimError::UnknownPreset {
                    name: other.to_string(),
                    known: names.join(", "),
                });
            }
        }
        Ok(s)
    }

    /// Reads a scenario from TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario> {
        toml::from_str(text).map_err(|e| SimError::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// The scenario as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Sets one field by dotted path (`survey.rate=1e-3`, `content.issue_base=[-4,-4,-5,-4,-3,-2]`).
    /// The value is read as a TOML value, or as a string when that fails.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        *self = set_by_path(self, assignment)?;
        Ok(())
    }

    /// Checks every field and returns the checked scenario, the only form the population and
    /// the runner take. The error names the field, its value and the allowed range.
    pub fn check(self) -> Result<ValidScenario> {
        self.validate()?;
        Ok(ValidScenario(self))
    }

    /// Checks every field: the error names the field, its value and the allowed range.
    /// [`Scenario::check`] keeps the result.
    pub fn validate(&self) -> Result<()> {
        let p = &self.population;
        int_in("population.users", p.users as f64, 1.0, 50_000_000.0)?;
        int_in("population.items", p.items as f64, 2.0, 10_000_000.0)?;
        int_in("population.authors", p.authors as f64, 1.0, p.items as f64)?;
        int_in("population.categories", p.categories as f64, 1.0, 1000.0)?;
        int_in(
            "population.taste_dim",
            p.taste_dim as f64,
            1.0,
            MAX_TASTE_DIM as f64,
        )?;
        int_in("population.days", p.days as f64, 1.0, 10_000.0)?;
        num_in(
            "population.requests_per_day",
            p.requests_per_day,
            0.01,
            1000.0,
        )?;
        num_in("population.activity_spread", p.activity_spread, 0.0, 3.0)?;
        num_in(
            "population.sensitivity_spread",
            p.sensitivity_spread,
            0.0,
            5.0,
        )?;
        num_in("population.age_sensitivity", p.age_sensitivity, -2.0, 2.0)?;
        num_in(
            "population.engagement_spread",
            p.engagement_spread,
            0.0,
            3.0,
        )?;
        let c = &self.content;
        for (k, &b) in c.issue_base.iter().enumerate() {
            num_in(
                &format!("content.issue_base[{k}] ({})", ISSUES[k]),
                b,
                -15.0,
                5.0,
            )?;
        }
        num_in(
            "content.author_issue_spread",
            c.author_issue_spread,
            0.0,
            5.0,
        )?;
        num_in("content.item_issue_spread", c.item_issue_spread, 0.0, 5.0)?;
        num_in(
            "content.category_issue_spread",
            c.category_issue_spread,
            0.0,
            5.0,
        )?;
        num_in("content.quality_spread", c.quality_spread, 0.0, 5.0)?;
        num_in("content.popularity_zipf", c.popularity_zipf, 0.0, 3.0)?;
        num_in("content.taste_weight", c.taste_weight, 0.0, 10.0)?;
        num_in("content.issue_penalty", c.issue_penalty, 0.0, 100.0)?;
        num_in(
            "content.dislike_threshold",
            c.dislike_threshold,
            -20.0,
            20.0,
        )?;
        num_in(
            "content.like_threshold",
            c.like_threshold,
            c.dislike_threshold,
            20.0,
        )?;
        num_in("content.adult_only_share", c.adult_only_share, 0.0, 1.0)?;
        num_in("content.risk_signal_noise", c.risk_signal_noise, 0.0, 100.0)?;
        let f = &self.feed;
        int_in("feed.k", f.k as f64, 1.0, 100.0)?;
        int_in("feed.candidates", f.candidates as f64, f.k as f64, 10_000.0)?;
        num_in("feed.explore", f.explore, 0.0, 1.0)?;
        num_in("feed.personalization", f.personalization, -10.0, 10.0)?;
        num_in("feed.popularity_bias", f.popularity_bias, -10.0, 10.0)?;
        num_in("feed.quality_weight", f.quality_weight, -10.0, 10.0)?;
        num_in("feed.noise", f.noise, 0.0, 10.0)?;
        let s = &self.survey;
        if !(s.rate.is_finite() && s.rate > 0.0 && s.rate <= 1.0) {
            return Err(SimError::field("survey.rate", s.rate, "(0, 1]"));
        }
        num_in("survey.satisfaction_share", s.satisfaction_share, 0.0, 1.0)?;
        int_in("survey.cap_per_day", s.cap_per_day as f64, 1.0, 100_000.0)?;
        num_in("survey.tenure_days", s.tenure_days, 0.0, 10_000.0)?;
        num_in("survey.targeting_strength", s.targeting_strength, -5.0, 5.0)?;
        let w = &self.willingness;
        if !(w.mean.is_finite() && w.mean > 0.0 && w.mean <= 1.0) {
            return Err(SimError::field("willingness.mean", w.mean, "(0, 1]"));
        }
        num_in("willingness.spread", w.spread, 0.0, 5.0)?;
        num_in(
            "willingness.corr_sensitivity",
            w.corr_sensitivity,
            -1.0,
            1.0,
        )?;
        num_in("willingness.corr_activity", w.corr_activity, -1.0, 1.0)?;
        num_in("willingness.observed", w.observed, 0.0, 1.0)?;
        let r2 = w.corr_sensitivity * w.corr_sensitivity + w.corr_activity * w.corr_activity;
        if r2 > 1.0 + 1e-12 {
            return Err(SimError::field(
                "willingness.corr_activity",
                w.corr_activity,
                &format!("|corr| with corr_sensitivity^2 + corr_activity^2 <= 1 (now {r2:.3})"),
            ));
        }
        num_in(
            "willingness.answer_dependence",
            w.answer_dependence,
            -10.0,
            10.0,
        )?;
        num_in(
            "willingness.inappropriate_offset",
            w.inappropriate_offset,
            -10.0,
            10.0,
        )?;
        for (h, &e) in w.hour_effect.iter().enumerate() {
            num_in(&format!("willingness.hour_effect[{h}]"), e, -10.0, 10.0)?;
        }
        num_in("panel.rate", self.panel.rate, 0.0, 1.0)?;
        if s.rate + self.panel.rate > 1.0 {
            return Err(SimError::field(
                "panel.rate",
                self.panel.rate,
                &format!(
                    "[0, {}] so that survey.rate + panel.rate <= 1",
                    1.0 - s.rate
                ),
            ));
        }
        let b = &self.behaviour;
        for (name, v) in [
            ("behaviour.like_if_liked", b.like_if_liked),
            ("behaviour.like_otherwise", b.like_otherwise),
            ("behaviour.share_if_liked", b.share_if_liked),
            ("behaviour.favorite_if_liked", b.favorite_if_liked),
            ("behaviour.dislike_if_disliked", b.dislike_if_disliked),
            ("behaviour.dislike_if_issue", b.dislike_if_issue),
            ("behaviour.dislike_otherwise", b.dislike_otherwise),
            ("behaviour.report_if_issue", b.report_if_issue),
            ("behaviour.report_otherwise", b.report_otherwise),
            ("retention.daily_leave", self.retention.daily_leave),
            (
                "retention.leave_per_bad_share",
                self.retention.leave_per_bad_share,
            ),
        ] {
            num_in(name, v, 0.0, 1.0)?;
        }
        Ok(())
    }
}

/// A scenario whose every field has been checked, made by [`Scenario::check`]: what
/// [`crate::population::Population::draw`] and [`crate::runner::run`] take, so neither checks
/// again or trusts its caller.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidScenario(Scenario);

impl ValidScenario {
    /// The scenario, to change and check again.
    pub fn into_inner(self) -> Scenario {
        self.0
    }

    /// A copy changed by `f`, checked again.
    pub fn with(&self, f: impl FnOnce(&mut Scenario)) -> Result<ValidScenario> {
        let mut s = self.0.clone();
        f(&mut s);
        s.check()
    }
}

impl std::ops::Deref for ValidScenario {
    type Target = Scenario;

    fn deref(&self) -> &Scenario {
        &self.0
    }
}

/// Applies one `dotted.key=value` to any serialisable config and returns the updated copy.
/// The value is read as a TOML value, or as a string when that fails; an integer given for a
/// float field is taken as a float. An unknown key is an error listing the keys at its level, and
/// a value of the wrong type is an error naming the assignment.
pub fn set_by_path<T: Serialize + serde::de::DeserializeOwned>(
    config: &T,
    assignment: &str,
) -> Result<T> {
    let (key, raw) = assignment
        .split_once('=')
        .ok_or_else(|| SimError::BadAssignment {
            given: assignment.to_string(),
        })?;
    let key = key.trim();
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {}", raw.trim()))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.trim().to_string()));
    let mut root = toml::Value::try_from(config).map_err(|e| SimError::Parse {
        origin: format!("--set {assignment}"),
        message: e.to_string(),
    })?;
    let mut node = &mut root;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let table = node.as_table_mut().ok_or_else(|| SimError::UnknownKey {
            key: key.to_string(),
            known: String::new(),
        })?;
        if !table.contains_key(*part) {
            let known: Vec<String> = table.keys().cloned().collect();
            return Err(SimError::UnknownKey {
                key: key.to_string(),
                known: known.join(", "),
            });
        }
        if i + 1 == parts.len() {
            let value = match (&table[*part], value) {
                (toml::Value::Float(_), toml::Value::Integer(v)) => toml::Value::Float(v as f64),
                (_, v) => v,
            };
            table.insert(part.to_string(), value);
            break;
        }
        node = table.get_mut(*part).expect("checked above");
    }
    root.try_into()
        .map_err(|e: toml::de::Error| SimError::Parse {
            origin: format!("--set {assignment}"),
            message: e.to_string(),
        })
}

fn num_in(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(SimError::field(field, v, &format!("[{lo}, {hi}]")))
    }
}

fn int_in(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v >= lo && v <= hi {
        Ok(())
    } else {
        Err(SimError::field(field, v, &format!("{lo}..={hi}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_round_trip_through_toml() {
        for (name, _) in PRESETS {
            let s = Scenario::preset(name).unwrap();
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = Scenario::from_toml(&s.to_toml(), name).unwrap();
            assert_eq!(s, back, "{name}");
        }
        assert!(
            Scenario::preset("nope")
                .unwrap_err()
                .to_string()
                .contains("paper")
        );
    }

    #[test]
    fn default_survey_rate_is_the_papers_order() {
        assert!(Scenario::default().survey.rate < 1e-4);
    }

    #[test]
    fn set_changes_one_field_and_names_bad_keys() {
        let mut s = Scenario::default();
        s.set("survey.rate=0.01").unwrap();
        assert_eq!(s.survey.rate, 0.01);
        s.set("population.users = 500").unwrap();
        assert_eq!(s.population.users, 500);
        s.set("willingness.spread=2").unwrap();
        assert_eq!(s.willingness.spread, 2.0);
        s.set("survey.targeting=by_activity").unwrap();
        assert_eq!(s.survey.targeting, Targeting::ByActivity);
        let e = s.set("survey.rat=0.1").unwrap_err().to_string();
        assert!(e.contains("survey.rat") && e.contains("rate"), "{e}");
        let e = s.set("population.users=-3").unwrap_err().to_string();
        assert!(e.contains("population.users") || e.contains("--set"), "{e}");
        assert!(s.set("novalue").is_err());
    }

    #[test]
    fn validate_names_field_value_and_range() {
        let mut s = Scenario::default();
        s.survey.rate = 0.0;
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("survey.rate") && e.contains("0") && e.contains("(0, 1]"),
            "{e}"
        );
        let mut s = Scenario::default();
        s.willingness.corr_sensitivity = 0.9;
        s.willingness.corr_activity = 0.9;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("corr_activity")
        );
        let mut s = Scenario::default();
        s.feed.candidates = 2;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("feed.candidates")
        );
        let e = Scenario::from_toml("[survey]\nrat = 1", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("rat"), "{e}");
    }
}
