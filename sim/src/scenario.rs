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

impl Targeting {
    /// Every policy.
    pub const ALL: [Targeting; 5] = [
        Targeting::Uniform,
        Targeting::ByActivity,
        Targeting::ByPopularity,
        Targeting::ByRisk,
        Targeting::ByEngagement,
    ];

    /// Its word in a scenario file: `uniform`, `by_activity`, ...
    pub fn name(self) -> &'static str {
        match self {
            Targeting::Uniform => "uniform",
            Targeting::ByActivity => "by_activity",
            Targeting::ByPopularity => "by_popularity",
            Targeting::ByRisk => "by_risk",
            Targeting::ByEngagement => "by_engagement",
        }
    }
}

/// How a field's value is checked. Bounds may name another field (`authors` at most `items`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    /// A whole number in `[lo, hi]`.
    Int(Bound, Bound),
    /// A finite number in `[lo, hi]`.
    Num(Bound, Bound),
    /// A finite number in `(lo, hi]`.
    AboveUpTo(f64, f64),
    /// Every element a finite number in `[lo, hi]`; `names` label the elements in errors.
    Each(f64, f64, Option<&'static [&'static str]>),
    /// Checked by its type alone (a name, a seed, one of a list of words), as the text says.
    Typed(&'static str),
}

/// One end of a range: a number, or the value of another field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// A number.
    At(f64),
    /// The value of the field with this key.
    Field(&'static str),
}

/// A field's value, as the checks and the documentation read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number (whole numbers too).
    Num(f64),
    /// A list of numbers.
    List(Vec<f64>),
    /// A word or a name.
    Text(String),
}

/// A scenario field, declared once with its section: its key, what it means and how it is
/// checked. [`Scenario::validate`], `usm scenario --print`, the page's knobs and
/// `docs/scenario.md` all read [`Scenario::FIELDS`].
pub struct Field {
    /// Its dotted key, as `--set` takes it: `population.users`.
    pub key: &'static str,
    /// What it means (its doc comment).
    pub doc: &'static str,
    /// How its value is checked.
    pub check: Check,
    /// Its value in a scenario.
    pub get: fn(&Scenario) -> Value,
}

/// A field's Rust type, as a [`Value`].
trait AsValue {
    fn as_value(&self) -> Value;
}

impl AsValue for u32 {
    fn as_value(&self) -> Value {
        Value::Num(*self as f64)
    }
}

impl AsValue for u64 {
    fn as_value(&self) -> Value {
        Value::Num(*self as f64)
    }
}

impl AsValue for usize {
    fn as_value(&self) -> Value {
        Value::Num(*self as f64)
    }
}

impl AsValue for f64 {
    fn as_value(&self) -> Value {
        Value::Num(*self)
    }
}

impl<const N: usize> AsValue for [f64; N] {
    fn as_value(&self) -> Value {
        Value::List(self.to_vec())
    }
}

impl AsValue for String {
    fn as_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl AsValue for Targeting {
    fn as_value(&self) -> Value {
        Value::Text(self.name().to_string())
    }
}

const fn int(lo: f64, hi: f64) -> Check {
    Check::Int(Bound::At(lo), Bound::At(hi))
}

const fn num(lo: f64, hi: f64) -> Check {
    Check::Num(Bound::At(lo), Bound::At(hi))
}

/// One section of the scenario (`[population]`, `[survey]`, ...): its struct, its defaults and
/// its fields' table, from one declaration of each field (doc, type, default, check).
macro_rules! section {
    (
        $(#[doc = $sdoc:literal])*
        $name:ident at $sec:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty = $default:expr, $check:expr;
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $($field: $default,)*
                }
            }
        }

        impl $name {
            /// This section's fields, in declaration order.
            pub const FIELDS: &'static [Field] = &[
                $(Field {
                    key: concat!(stringify!($sec), ".", stringify!($field)),
                    doc: concat!($($doc, "\n"),*),
                    check: $check,
                    get: {
                        fn get(s: &Scenario) -> Value {
                            s.$sec.$field.as_value()
                        }
                        get
                    },
                },)*
            ];
        }
    };
}

section! {
    /// Who is on the platform.
    PopulationConfig at population {
        /// Users in the synthetic population.
        users: u32 = 30_000, int(1.0, 50_000_000.0);
        /// Videos.
        items: u32 = 8_000, int(2.0, 10_000_000.0);
        /// Authors; each video has one.
        authors: u32 = 800, Check::Int(Bound::At(1.0), Bound::Field("population.items"));
        /// Content categories; a video's topic sits near its category's centre.
        categories: u32 = 12, int(1.0, 1000.0);
        /// Dimension of tastes and topics (at most 16).
        taste_dim: usize = 8, int(1.0, MAX_TASTE_DIM as f64);
        /// Mean of the first taste dimension over users: a taste most users share (0: tastes
        /// centred). With `willingness.corr_taste` of the other sign, those who answer readily
        /// are the minority that does not share it.
        taste_shared: f64 = 0.0, num(-3.0, 3.0);
        /// Simulated days (rounds); an experiment evaluates on the last `eval_days` of them.
        days: u32 = 8, int(1.0, 10_000.0);
        /// Mean feed requests per user per day; each request shows `feed.k` videos.
        requests_per_day: f64 = 1.5, num(0.01, 1000.0);
        /// Spread (log-normal sigma) of activity across users.
        activity_spread: f64 = 0.8, num(0.0, 3.0);
        /// Spread of users' sensitivity to issues (log-odds).
        sensitivity_spread: f64 = 1.0, num(0.0, 5.0);
        /// How much older age groups are more sensitive (log-odds per group step).
        age_sensitivity: f64 = 0.25, num(-2.0, 2.0);
        /// Spread (log-normal sigma) of users' engagement with like/dislike/report buttons.
        engagement_spread: f64 = 0.5, num(0.0, 3.0);
    }
}

section! {
    /// Videos and authors, and what viewers think of them.
    ContentConfig at content {
        /// Base log-odds that a viewer perceives each issue, in the order sexual, disgusting,
        /// hateful, violent, spam, uninteresting ([`ISSUES`]).
        issue_base: [f64; N_ISSUES] = [-5.6, -6.0, -6.4, -6.0, -5.2, -3.0],
            Check::Each(-15.0, 5.0, Some(&ISSUES));
        /// Spread of authors' issue levels (log-odds): authors shape their videos.
        author_issue_spread: f64 = 1.0, num(0.0, 5.0);
        /// Spread of a video's own issue level around its author's (log-odds).
        item_issue_spread: f64 = 0.7, num(0.0, 5.0);
        /// Spread of categories' issue levels (log-odds): some categories are riskier.
        category_issue_spread: f64 = 0.6, num(0.0, 5.0);
        /// Spread of video quality.
        quality_spread: f64 = 0.8, num(0.0, 5.0);
        /// Zipf exponent of popularity.
        popularity_zipf: f64 = 0.5, num(0.0, 3.0);
        /// Weight of taste match in how much a viewer likes a video.
        taste_weight: f64 = 1.2, num(0.0, 10.0);
        /// How much each perceived-issue probability lowers liking (per unit probability).
        issue_penalty: f64 = 6.0, num(0.0, 100.0);
        /// Utility threshold below which a viewer answers "don't like".
        dislike_threshold: f64 = -1.6, num(-20.0, 20.0);
        /// Utility threshold above which a viewer answers "like".
        like_threshold: f64 = 0.3,
            Check::Num(Bound::Field("content.dislike_threshold"), Bound::At(20.0));
        /// Noise of the platform's content-risk classifier score (an item feature) around the
        /// video's mean content-issue level. Large: the classifier says little.
        risk_signal_noise: f64 = 0.8, num(0.0, 100.0);
        /// Probability that an inappropriate answer about only sexual or violent content is
        /// "only 18+" rather than "not suitable".
        adult_only_share: f64 = 0.4, num(0.0, 1.0);
    }
}

section! {
    /// How the feed picks what each user sees: recall, rank, top-k.
    FeedConfig at feed {
        /// Videos shown per request (the paper: 8–10).
        k: usize = 8, int(1.0, 100.0);
        /// Candidates recalled per request before ranking (with replacement: a video recalled
        /// twice in a request is ranked once, with its better score).
        candidates: usize = 48, Check::Int(Bound::Field("feed.k"), Bound::At(10_000.0));
        /// Share of candidates drawn uniformly rather than by popularity.
        explore: f64 = 0.2, num(0.0, 1.0);
        /// Weight of the user's taste match in the ranking score.
        personalization: f64 = 1.0, num(-10.0, 10.0);
        /// Weight of log popularity in the ranking score.
        popularity_bias: f64 = 0.3, num(-10.0, 10.0);
        /// Weight of the observed quality signal in the ranking score.
        quality_weight: f64 = 0.5, num(-10.0, 10.0);
        /// Standard deviation of ranking noise (normal, rounded to 4,096 equally likely values).
        noise: f64 = 0.6, num(0.0, 10.0);
    }
}

section! {
    /// Who gets asked, how often.
    SurveyConfig at survey {
        /// Share of exposures that get a survey (the paper: under one in ten thousand).
        rate: f64 = 8e-5, Check::AboveUpTo(0.0, 1.0);
        /// Share of surveys that are the satisfaction survey; the rest are the inappropriate
        /// survey.
        satisfaction_share: f64 = 0.5, num(0.0, 1.0);
        /// Targeting policy: whom a survey is shown to (`by_popularity` and `by_risk` tilt it
        /// toward videos, `by_activity` and `by_engagement` toward users).
        targeting: Targeting = Targeting::Uniform,
            Check::Typed("`uniform`, `by_activity`, `by_popularity`, `by_risk`, `by_engagement`");
        /// How strongly `by_popularity`, `by_risk` and `by_engagement` tilt who gets asked: the
        /// per-exposure rate is multiplied by `exp(strength * z)`, `z` the standardised feature
        /// (log popularity, risk score, log engagement), normalised so the mean rate over the
        /// feed stays `rate` (0: uniform).
        targeting_strength: f64 = 1.0, num(-5.0, 5.0);
        /// Most surveys one user sees per day.
        cap_per_day: u32 = 1, int(1.0, 100_000.0);
        /// Days each user used the platform before the simulated period, at the same survey
        /// rate, targeting and response process: their past shows and submissions seed the
        /// logged history count. At the paper's rate a user sees about one survey a year.
        tenure_days: f64 = 60.0, num(0.0, 10_000.0);
    }
}

section! {
    /// Who answers a survey once shown. Response bias lives here.
    WillingnessConfig at willingness {
        /// Mean probability of submitting a shown satisfaction survey, for a typical user.
        mean: f64 = 0.15, Check::AboveUpTo(0.0, 1.0);
        /// Spread of users' willingness (standard deviation of their log-odds). 0: everyone
        /// alike.
        spread: f64 = 1.5, num(0.0, 5.0);
        /// Correlation of willingness with a user's general sensitivity to issues.
        corr_sensitivity: f64 = 0.6, num(-1.0, 1.0);
        /// Correlation of willingness with a user's activity (with `corr_sensitivity` and
        /// `corr_taste`, their squares sum to at most 1).
        corr_activity: f64 = 0.3, num(-1.0, 1.0);
        /// Correlation of willingness with the first dimension of a user's taste, which no
        /// feature carries: content-tied willingness. Those who answer readily like other
        /// content than those who do not, so the answers over-represent one taste, and a model
        /// trained on them ranks videos as the willing would. 0: none.
        corr_taste: f64 = 0.0, num(-1.0, 1.0);
        /// Share (0 to 1) of a user's general sensitivity that the logged user profile carries,
        /// and so of the part of willingness that tracks it (`corr_sensitivity`). The profile
        /// (`user_profile`, a feature every model reads, as a platform's user profile is) is
        /// `sqrt(observed)` times the general sensitivity plus `sqrt(1 - observed)` times
        /// independent noise. 1: a model on the logs can learn
        /// who answers and why; 0: only the survey history reveals it, and the propensity that
        /// Eq. 13 needs cannot be computed from the logs.
        observed: f64 = 0.8, num(0.0, 1.0);
        /// Log-odds added to submitting when the answer is negative ("don't like", "not
        /// suitable", "only 18+"): answer-dependent response, missing not at random. 0: none.
        answer_dependence: f64 = 0.0, num(-10.0, 10.0);
        /// Log-odds of submitting the inappropriate survey relative to the satisfaction survey.
        inappropriate_offset: f64 = -0.3, num(-10.0, 10.0);
        /// Log-odds effect of each hour bucket on submitting.
        hour_effect: [f64; HOURS] = [-0.3, 0.0, 0.2, 0.1], Check::Each(-10.0, 10.0, None);
    }
}

impl WillingnessConfig {
    /// The variance of willingness's standardised part that neither sensitivity, activity nor
    /// taste explains: `1 - corr_sensitivity^2 - corr_activity^2 - corr_taste^2` (negative where
    /// the correlations ask too much, which the check refuses).
    pub fn unexplained_var(&self) -> f64 {
        1.0 - self.corr_sensitivity * self.corr_sensitivity
            - self.corr_activity * self.corr_activity
            - self.corr_taste * self.corr_taste
    }
}

section! {
    /// A panel: a uniformly random slice of exposures whose survey is always answered (like
    /// crowd-sourced annotation), flagged in the logs.
    PanelConfig at panel {
        /// Share of exposures given a panel survey (with `survey.rate`, at most 1). 0 disables
        /// the panel.
        rate: f64 = 0.0, num(0.0, 1.0);
    }
}

section! {
    /// Behaviour after every exposure, conditional on what the viewer thinks of the video.
    BehaviourConfig at behaviour {
        /// P(like button) when the viewer likes the video, for a typical user.
        like_if_liked: f64 = 0.3, num(0.0, 1.0);
        /// P(like button) otherwise.
        like_otherwise: f64 = 0.02, num(0.0, 1.0);
        /// P(share) when liked.
        share_if_liked: f64 = 0.05, num(0.0, 1.0);
        /// P(favourite) when liked.
        favorite_if_liked: f64 = 0.06, num(0.0, 1.0);
        /// P(dislike button) when the viewer dislikes the video.
        dislike_if_disliked: f64 = 0.25, num(0.0, 1.0);
        /// P(dislike button) when the viewer perceives a content issue (and does not already
        /// dislike the video).
        dislike_if_issue: f64 = 0.15, num(0.0, 1.0);
        /// P(dislike button) otherwise.
        dislike_otherwise: f64 = 0.01, num(0.0, 1.0);
        /// P(report) when the viewer perceives a content issue.
        report_if_issue: f64 = 0.2, num(0.0, 1.0);
        /// P(report) otherwise.
        report_otherwise: f64 = 0.001, num(0.0, 1.0);
    }
}

section! {
    /// Users leaving the platform: the long-term retention proxy of the A/B test. A daily
    /// hazard: at the end of each day a user leaves with probability `daily_leave +
    /// leave_per_bad_share * (the day's share of bad experiences)`, so how often a user leaves
    /// follows how good their feed was, not how much of it they watched.
    RetentionConfig at retention {
        /// Probability of leaving at the end of any day.
        daily_leave: f64 = 0.003, num(0.0, 1.0);
        /// Added probability of leaving at the end of a day whose exposures were all bad
        /// experiences (disliked or an issue perceived), in proportion to the day's share of
        /// them.
        leave_per_bad_share: f64 = 0.035, num(0.0, 1.0);
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
pub const PRESETS: [(&str, &str); 9] = [
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
    (
        "content-tied-willingness",
        "`experiment` with willingness tied to taste, which no feature carries, not to sensitivity: the readiest to answer are the minority that does not share most users' taste, so the answers rank videos as that minority would, and weighting them by the inverse of their propensity ranks better",
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
            "content-tied-willingness" => {
                s.population.users = 80_000;
                s.survey.rate = 1.5e-2;
                s.population.taste_shared = 0.5;
                s.willingness.spread = 2.5;
                s.willingness.corr_sensitivity = 0.0;
                s.willingness.corr_taste = -0.9;
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
        let parse = |message: String| SimError::Parse {
            origin: origin.to_string(),
            message,
        };
        // A TOML that sets nothing would run the default scenario without a word.
        if toml::from_str::<toml::Table>(text).is_ok_and(|t| t.is_empty()) {
            return Err(parse(
                "sets no field: it is empty or all comments (`usm scenario --print` writes one with every field)"
                    .into(),
            ));
        }
        toml::from_str(text).map_err(|e| parse(e.to_string()))
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
        for f in Scenario::fields() {
            f.check_in(self)?;
        }
        // What no one field's range says.
        let w = &self.willingness;
        let r2 = 1.0 - w.unexplained_var();
        if r2 > 1.0 + 1e-12 {
            return Err(SimError::field(
                if w.corr_taste != 0.0 {
                    "willingness.corr_taste"
                } else {
                    "willingness.corr_activity"
                },
                if w.corr_taste != 0.0 {
                    w.corr_taste
                } else {
                    w.corr_activity
                },
                &format!(
                    "|corr| with corr_sensitivity^2 + corr_activity^2 + corr_taste^2 <= 1 (now {r2:.3})"
                ),
            ));
        }
        let (survey, panel) = (self.survey.rate, self.panel.rate);
        if survey + panel > 1.0 {
            return Err(SimError::field(
                "panel.rate",
                panel,
                &format!(
                    "[0, {}] so that survey.rate + panel.rate <= 1",
                    1.0 - survey
                ),
            ));
        }
        Ok(())
    }

    /// Every field, sections in file order: what `validate`, `usm scenario --print`, the page's
    /// knobs and `docs/scenario.md` read.
    pub fn fields() -> impl Iterator<Item = &'static Field> {
        const TOP: [Field; 2] = [
            Field {
                key: "name",
                doc: " Name shown in reports.",
                check: Check::Typed("any text"),
                get: |s| s.name.as_value(),
            },
            Field {
                key: "seed",
                doc: " Seed of everything random in the run.",
                check: Check::Typed("0..=18446744073709551615"),
                get: |s| s.seed.as_value(),
            },
        ];
        TOP.iter()
            .chain(PopulationConfig::FIELDS)
            .chain(ContentConfig::FIELDS)
            .chain(FeedConfig::FIELDS)
            .chain(SurveyConfig::FIELDS)
            .chain(WillingnessConfig::FIELDS)
            .chain(PanelConfig::FIELDS)
            .chain(BehaviourConfig::FIELDS)
            .chain(RetentionConfig::FIELDS)
    }

    /// The field of a key, if there is one.
    pub fn field(key: &str) -> Option<&'static Field> {
        Scenario::fields().find(|f| f.key == key)
    }

    /// The scenario as TOML with every field's meaning and allowed values above it, as `usm
    /// scenario --print` shows it. It reads back as the same scenario.
    pub fn to_documented_toml(&self) -> String {
        let root = toml::Value::try_from(self).expect("a scenario always serialises");
        let mut out = format!(
            "# usm scenario `{}`: every field, what it means and what it allows.\n",
            self.name
        );
        let mut section = "";
        for f in Scenario::fields() {
            let (sec, name) = f.key.split_once('.').unwrap_or(("", f.key));
            if sec != section {
                section = sec;
                out += &format!("\n[{sec}]\n");
            }
            for line in wrap(&f.text(), 98) {
                out += &format!("# {line}\n");
            }
            out += &format!("# allowed: {}\n", f.check.describe());
            let table = if sec.is_empty() { &root } else { &root[sec] };
            out += &format!("{name} = {}\n", table[name]);
        }
        out
    }

    /// `docs/scenario.md`: every field with its default (the `paper` preset), what it allows and
    /// what it means, and what each preset changes.
    pub fn reference() -> String {
        let paper = Scenario::default();
        let mut o = String::from(
            "# Scenario fields\n\nGenerated by `usm scenario --reference > docs/scenario.md` from the one \
             declaration of each field in `sim/src/scenario.rs` (a test keeps this file current). \
             Set any field with `--set key=value`, or in a scenario TOML (`usm scenario --print` \
             writes one, with these notes beside each value).\n\n\
             | field | default | allowed | what it is |\n|---|---|---|---|\n",
        );
        for f in Scenario::fields() {
            o += &format!(
                "| `{}` | {} | {} | {} |\n",
                f.key,
                (f.get)(&paper),
                f.check.describe(),
                f.text().replace('|', "\\|")
            );
        }
        o += "\n## Presets\n\nEach preset is `paper` with the fields below changed.\n\n\
              | preset | what it is | changes from `paper` |\n|---|---|---|\n";
        for (name, what) in PRESETS {
            let s = Scenario::preset(name).expect("a listed preset exists");
            let changes: Vec<String> = Scenario::fields()
                .filter(|f| f.key != "name" && (f.get)(&s) != (f.get)(&paper))
                .map(|f| format!("`{}` = {}", f.key, (f.get)(&s)))
                .collect();
            o += &format!(
                "| `{name}` | {what} | {} |\n",
                if changes.is_empty() {
                    "none".to_string()
                } else {
                    changes.join(", ")
                }
            );
        }
        o
    }
}

/// `text` in lines of at most `width` characters (a longer word alone on its line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

impl Field {
    /// Its doc comment as one line of text.
    pub fn text(&self) -> String {
        self.doc
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .replace("[`", "`")
            .replace("`]", "`")
            .trim()
            .to_string()
    }

    /// The first sentence of its doc: a knob's one-line help.
    pub fn summary(&self) -> String {
        let t = self.text();
        match t.find(". ") {
            Some(i) => t[..=i].to_string(),
            None => t,
        }
    }

    /// Checks its value in `s`; an error names the field (an element by its index, and its
    /// name where it has one), the value and what is allowed.
    pub fn check_in(&self, s: &Scenario) -> Result<()> {
        let bound = |b: Bound| match b {
            Bound::At(x) => x,
            Bound::Field(key) => match Scenario::field(key).map(|f| (f.get)(s)) {
                Some(Value::Num(x)) => x,
                _ => f64::NAN,
            },
        };
        let (lo_hi, value) = (|lo, hi| (bound(lo), bound(hi)), (self.get)(s));
        let bad = match (self.check, &value) {
            (Check::Int(lo, hi), &Value::Num(v)) => {
                let (lo, hi) = lo_hi(lo, hi);
                (!(v >= lo && v <= hi)).then(|| (v, format!("{lo}..={hi}")))
            }
            (Check::Num(lo, hi), &Value::Num(v)) => {
                let (lo, hi) = lo_hi(lo, hi);
                (!(v.is_finite() && v >= lo && v <= hi)).then(|| (v, format!("[{lo}, {hi}]")))
            }
            (Check::AboveUpTo(lo, hi), &Value::Num(v)) => {
                (!(v.is_finite() && v > lo && v <= hi)).then(|| (v, format!("({lo}, {hi}]")))
            }
            (Check::Each(lo, hi, names), Value::List(vs)) => {
                let bad = vs
                    .iter()
                    .position(|v| !(v.is_finite() && *v >= lo && *v <= hi));
                if let Some(k) = bad {
                    let name = match names {
                        Some(n) => format!("{}[{k}] ({})", self.key, n[k]),
                        None => format!("{}[{k}]", self.key),
                    };
                    return Err(SimError::field(&name, vs[k], &format!("[{lo}, {hi}]")));
                }
                None
            }
            _ => None,
        };
        match bad {
            Some((v, allowed)) => Err(SimError::field(self.key, v, &allowed)),
            None => Ok(()),
        }
    }
}

impl Check {
    /// What it allows, in words (`1..=50000000`, `[0, 1]`, `(0, 1]`).
    pub fn describe(&self) -> String {
        let b = |b: &Bound| match b {
            Bound::At(x) => x.to_string(),
            Bound::Field(key) => format!("`{key}`"),
        };
        match self {
            Check::Int(lo, hi) => format!("{}..={}", b(lo), b(hi)),
            Check::Num(lo, hi) => format!("[{}, {}]", b(lo), b(hi)),
            Check::AboveUpTo(lo, hi) => format!("({lo}, {hi}]"),
            Check::Each(lo, hi, _) => format!("each in [{lo}, {hi}]"),
            Check::Typed(what) => what.to_string(),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{x}"),
            Value::List(v) => {
                let items: Vec<String> = v.iter().map(f64::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
            Value::Text(t) => write!(f, "`{t}`"),
        }
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
    fn the_documented_toml_reads_back_and_names_every_field() {
        for (name, _) in PRESETS {
            let s = Scenario::preset(name).unwrap();
            let text = s.to_documented_toml();
            assert_eq!(Scenario::from_toml(&text, name).unwrap(), s, "{name}");
            for f in Scenario::fields() {
                let line = format!("{} = ", f.key.rsplit('.').next().unwrap());
                assert!(text.contains(&line), "{name}: {} missing", f.key);
            }
        }
        let text = Scenario::default().to_documented_toml();
        assert!(
            text.contains("# allowed: 1..=50000000\nusers = 30000\n"),
            "{text}"
        );
        assert!(
            text.contains("# allowed: (0, 1]\nrate = 0.00008\n"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    }

    #[test]
    fn every_field_is_a_key_of_the_scenario_and_each_key_a_field() {
        // The table and the serialised scenario name the same keys, in the same order.
        let root = toml::Value::try_from(Scenario::default()).unwrap();
        let mut keys = Vec::new();
        for (k, v) in root.as_table().unwrap() {
            match v.as_table() {
                Some(t) => keys.extend(t.keys().map(|f| format!("{k}.{f}"))),
                None => keys.push(k.clone()),
            }
        }
        let mut fields: Vec<String> = Scenario::fields().map(|f| f.key.to_string()).collect();
        keys.sort();
        fields.sort();
        assert_eq!(keys, fields);
        for f in Scenario::fields() {
            assert!(
                !f.text().is_empty() && f.summary().len() <= f.text().len(),
                "{}",
                f.key
            );
        }
        for t in Targeting::ALL {
            let v = toml::Value::try_from(t).unwrap();
            assert_eq!(v.as_str(), Some(t.name()));
        }
    }

    #[test]
    fn docs_scenario_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenario.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            doc == Scenario::reference(),
            "docs/scenario.md is stale: run `cargo run --release -- scenario --reference > docs/scenario.md`"
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
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("`feed.candidates` = 2") && e.contains("8..=10000"),
            "{e}"
        );
        let mut s = Scenario::default();
        s.content.issue_base[3] = 9.0;
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("content.issue_base[3] (violent)") && e.contains("[-15, 5]"),
            "{e}"
        );
        let mut s = Scenario::default();
        s.population.users = 0;
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("`population.users` = 0: allowed 1..=50000000"),
            "{e}"
        );
        let mut s = Scenario::default();
        s.willingness.mean = f64::NAN;
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("willingness.mean") && e.contains("(0, 1]"),
            "{e}"
        );
        let mut s = Scenario::default();
        s.survey.rate = 0.6;
        s.panel.rate = 0.5;
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("panel.rate") && e.contains("survey.rate + panel.rate"),
            "{e}"
        );
        let e = Scenario::from_toml("[survey]\nrat = 1", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("rat"), "{e}");
        for empty in ["", "  \n", "# only a comment\n"] {
            let e = Scenario::from_toml(empty, "x.toml")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("x.toml") && e.contains("sets no field"),
                "{empty:?}: {e}"
            );
        }
    }
}
