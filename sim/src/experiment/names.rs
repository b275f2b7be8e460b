//! The names the experiment writes and reads: survey-model variants and metric keys. Each is a
//! type, so a misspelt name fails to compile instead of coming back `None` and reading as
//! "inconclusive". In `results.json` they are the same strings as always.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Orders, prints and (de)serialises a name type by its `name()`, and reads it back with its
/// `parse()`: each sorts as its string always has in `results.json`, and an unknown name fails
/// to load, naming itself.
macro_rules! by_name {
    ($t:ty, $what:literal) => {
        impl Ord for $t {
            fn cmp(&self, other: &Self) -> Ordering {
                AsRef::<str>::as_ref(&self.name()).cmp(AsRef::<str>::as_ref(&other.name()))
            }
        }

        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(AsRef::<str>::as_ref(&self.name()))
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(AsRef::<str>::as_ref(&self.name()))
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                <$t>::parse(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!(concat!("unknown ", $what, " `{}`"), name))
                })
            }
        }
    };
}

/// An enum of names: its variants, each with its string, every one listed in `ALL`.
macro_rules! names {
    (
        $(#[$meta:meta])*
        pub enum $t:ident ($what:literal) {
            $($(#[$vmeta:meta])* $v:ident = $s:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $t {
            $($(#[$vmeta])* $v,)*
        }

        impl $t {
            /// Every one, in declaration order.
            pub const ALL: &'static [$t] = &[$($t::$v),*];

            /// The name in `results.json`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($t::$v => $s,)*
                }
            }

            /// The one of a name, if there is one.
            pub fn parse(name: &str) -> Option<$t> {
                $t::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        by_name!($t, $what);
    };
}

/// A survey-model variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Trained on submitted answers as they come (section 3.1).
    Baseline,
    /// Weighted by the inverse of the submit model's propensity (section 3.2).
    ResponseDebias,
    /// A student trained on the teacher's pseudo labels (section 3.3).
    Distillation,
    /// Distillation with inverse propensity weights on the labelled rows and the teacher.
    DistillationResponseDebias,
    /// Beyond the paper: answer-dependent propensities from an always-answered panel.
    PanelDebias,
    /// Weighted by the inverse of the answer's propensity alone, from the random slice's answers
    /// against the submitted ones (naive Bayes, Schnabel et al. 2016).
    NaiveBayesDebias,
    /// Not a survey model: a logistic regression on one-hot user, item and author ids and the
    /// dense features, trained on the same submitted answers; the yardstick beside them.
    Logistic,
}

impl Variant {
    /// Every variant, in report order.
    pub const ALL: [Variant; 7] = [
        Variant::Baseline,
        Variant::ResponseDebias,
        Variant::Distillation,
        Variant::DistillationResponseDebias,
        Variant::PanelDebias,
        Variant::NaiveBayesDebias,
        Variant::Logistic,
    ];

    /// The name in `results.json`, CSV files and file names.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::ResponseDebias => "response_debias",
            Variant::Distillation => "distillation",
            Variant::DistillationResponseDebias => "distillation_response_debias",
            Variant::PanelDebias => "panel_debias",
            Variant::NaiveBayesDebias => "naive_bayes_debias",
            Variant::Logistic => "logistic_regression",
        }
    }

    /// The name in tables and plots.
    pub const fn label(self) -> &'static str {
        match self {
            Variant::Baseline => "Baseline",
            Variant::ResponseDebias => "Response debias",
            Variant::Distillation => "Distillation",
            Variant::DistillationResponseDebias => "Distill. + resp. debias",
            Variant::PanelDebias => "Panel debias (ours)",
            Variant::NaiveBayesDebias => "Naive-Bayes debias",
            Variant::Logistic => "Logistic regression",
        }
    }

    /// The variant of a name, if there is one.
    pub fn parse(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

by_name!(Variant, "variant");

/// A metric key. Only the constants below exist, so every key that is written or read is one
/// the compiler knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Metric(&'static str);

macro_rules! metrics {
    ($($(#[$doc:meta])* $name:ident = $key:literal;)*) => {
        impl Metric {
            $($(#[$doc])* pub const $name: Metric = Metric($key);)*
            /// Every metric key.
            pub const ALL: &'static [Metric] = &[$(Metric::$name),*];
        }
    };
}

metrics! {
    // What a platform sees: submitted answers of the evaluation period.
    /// Submitted answers of the head's survey.
    LABELED_N = "labeled_n";
    /// AUC on submitted answers.
    LABELED_AUC = "labeled_auc";
    /// Calibration (Eq. 10) on submitted answers.
    LABELED_CALIBRATION = "labeled_calibration";
    /// AUC on submitted answers, weighted by inverse propensity.
    LABELED_AUC_IPW = "labeled_auc_ipw";
    /// Calibration on submitted answers, weighted by inverse propensity.
    LABELED_CALIBRATION_IPW = "labeled_calibration_ipw";
    /// Log loss on submitted answers.
    LABELED_LOGLOSS = "labeled_logloss";
    // The random slice (panel answers of the evaluation period): the real-world stand-in for
    // the oracle, since everyone asked answers.
    /// Random-slice answers of the head's survey.
    RANDOM_N = "random_n";
    /// AUC on the random slice.
    RANDOM_AUC = "random_auc";
    /// Calibration (Eq. 10) on the random slice.
    RANDOM_CALIBRATION = "random_calibration";
    /// Log loss on the random slice.
    RANDOM_LOGLOSS = "random_logloss";
    /// AUC in the lowest quarter of the submit score (Table 2).
    BAND_P0_P25_AUC = "band_p0_p25_auc";
    /// Calibration in the lowest quarter of the submit score.
    BAND_P0_P25_CALIBRATION = "band_p0_p25_calibration";
    /// AUC in the second quarter of the submit score.
    BAND_P25_P50_AUC = "band_p25_p50_auc";
    /// Calibration in the second quarter.
    BAND_P25_P50_CALIBRATION = "band_p25_p50_calibration";
    /// AUC in the third quarter.
    BAND_P50_P75_AUC = "band_p50_p75_auc";
    /// Calibration in the third quarter.
    BAND_P50_P75_CALIBRATION = "band_p50_p75_calibration";
    /// AUC in the top quarter.
    BAND_P75_P100_AUC = "band_p75_p100_auc";
    /// Calibration in the top quarter.
    BAND_P75_P100_CALIBRATION = "band_p75_p100_calibration";
    // What only the simulator knows.
    /// AUC against the latent answer over every survey show, answered or not.
    ORACLE_AUC_SHOWN = "oracle_auc_shown";
    /// Calibration against the true probability over every show.
    ORACLE_CALIBRATION_SHOWN = "oracle_calibration_shown";
    /// regAUC against the true probability over every show.
    ORACLE_REGAUC_SHOWN = "oracle_regauc_shown";
    /// AUC over the shows in the lowest quarter of predicted willingness.
    ORACLE_AUC_RELUCTANT = "oracle_auc_reluctant";
    /// AUC over the other three quarters.
    ORACLE_AUC_WILLING = "oracle_auc_willing";
    /// Calibration over the reluctant quarter.
    ORACLE_CALIBRATION_RELUCTANT = "oracle_calibration_reluctant";
    /// Calibration over the other three quarters.
    ORACLE_CALIBRATION_WILLING = "oracle_calibration_willing";
    /// regAUC over the reluctant quarter.
    ORACLE_REGAUC_RELUCTANT = "oracle_regauc_reluctant";
    /// regAUC over the other three quarters.
    ORACLE_REGAUC_WILLING = "oracle_regauc_willing";
    /// AUC against the latent answer over every exposure of the evaluation users.
    ORACLE_AUC_EXPOSED = "oracle_auc_exposed";
    /// Calibration over every exposure.
    ORACLE_CALIBRATION_EXPOSED = "oracle_calibration_exposed";
    /// regAUC over every exposure.
    ORACLE_REGAUC_EXPOSED = "oracle_regauc_exposed";
    /// regAUC against the true probability over recalled candidates the feed left unshown.
    ORACLE_REGAUC_UNSHOWN = "oracle_regauc_unshown";
    /// Calibration against the true probability over those candidates.
    ORACLE_CALIBRATION_UNSHOWN = "oracle_calibration_unshown";
    /// regAUC against the (unweighted) teacher's pseudo labels over every exposure of the
    /// evaluation users: how closely a model ranks like the teacher (section 4.1.1).
    REGAUC_VS_TEACHER = "regauc_vs_teacher";
    /// Nfb UAUC (Eq. 11–12): dislikes and reports.
    UAUC_NFB = "uauc_nfb";
    /// Pfb UAUC: likes, shares and favourites.
    UAUC_PFB = "uauc_pfb";
    /// The paper's UAUC for the head: Pfb for `dislike`, Nfb for the others.
    UAUC = "uauc";
    /// Users counted in that UAUC.
    UAUC_USERS = "uauc_users";
    // Rates of a head (evaluation period).
    /// Mean true probability over every show.
    RATE_TRUE = "rate_true";
    /// Mean true probability over every exposure of the evaluation users.
    RATE_TRUE_EXPOSED = "rate_true_exposed";
    /// Eq. 2 on submitted answers.
    RATE_NAIVE = "rate_naive";
    /// Eq. 13 with the submit model's propensity.
    RATE_DEBIASED = "rate_debiased";
    /// Eq. 13 with the true (feature-level) propensity.
    RATE_DEBIASED_TRUE_PROPENSITY = "rate_debiased_true_propensity";
    /// Eq. 13 with the propensity the logging policy recorded (the Open Bandit Dataset).
    RATE_DEBIASED_LOGGED_PROPENSITY = "rate_debiased_logged_propensity";
    /// Eq. 13 with the best propensity computable from the logs.
    RATE_DEBIASED_CEILING_PROPENSITY = "rate_debiased_ceiling_propensity";
    /// Eq. 5: the response-debias model's mean prediction over every show.
    RATE_EQ5_RESPONSE_DEBIAS = "rate_eq5_response_debias";
    /// Eq. 2 on the random slice's (panel's) answers: unbiased, and noisy.
    RANDOM_RATE = "random_rate";
    /// Its standard error, over users (a user's answers move together).
    RANDOM_RATE_SE = "random_rate_se";
    /// Eq. 13 with the answer's naive-Bayes propensity (Schnabel et al. 2016):
    /// `P(submit | y) ∝ P(y | submit) / P(y)`, `P(y)` from the training period's random slice.
    RATE_IPW_NAIVE_BAYES = "rate_ipw_naive_bayes";
    /// Its standard error: a bootstrap over users of the three samples it reads.
    RATE_IPW_NAIVE_BAYES_SE = "rate_ipw_naive_bayes_se";
    /// Doubly robust with that propensity: the naive-Bayes-weighted model's mean over the random
    /// slice's rows (their features, not their answers), plus the naive-Bayes-weighted mean of
    /// its errors on the submitted answers.
    RATE_DR_NAIVE_BAYES = "rate_dr_naive_bayes";
    /// The doubly robust rate with answer-dependent propensities.
    RATE_DR = "rate_dr";
    // In this world: the standard errors over the evaluation users of the rates' relative
    // errors against the truth over shows (`rates::errors_over_users`), the submit model and the
    // trained models held fixed.
    /// Of Eq. 2's relative error, `naive / true - 1`.
    RATE_NAIVE_ERROR_SE = "rate_naive_error_se";
    /// Of Eq. 13's relative error.
    RATE_DEBIASED_ERROR_SE = "rate_debiased_error_se";
    /// Of Eq. 5's relative error (the response-debias model's calibration over shows).
    RATE_EQ5_ERROR_SE = "rate_eq5_error_se";
    /// Of how much closer Eq. 13 is to the truth than Eq. 2, `|naive error| - |Eq. 13 error|`.
    RATE_DEBIASED_GAIN_SE = "rate_debiased_gain_se";
    /// Eq. 13 with the same answer-dependent propensities as the doubly robust rate, so each
    /// step's gain shows: the propensity's (Eq. 13 to this), the outcome model's (this to DR).
    RATE_IPW_PANEL = "rate_ipw_panel";
    // The survey-submit model.
    /// AUC of submission over evaluation shows.
    AUC = "auc";
    /// Calibration of submission.
    CALIBRATION = "calibration";
    /// Pearson correlation of the fitted propensity with the one the logging policy recorded,
    /// over the evaluation submits that have one.
    CORR_WITH_LOGGED_PROPENSITY = "corr_with_logged_propensity";
    /// AUC the true propensity reaches.
    AUC_TRUE_PROPENSITY = "auc_true_propensity";
    /// AUC the best propensity computable from the logs reaches (`experiment::ceiling`).
    AUC_CEILING_PROPENSITY = "auc_ceiling_propensity";
    /// Pearson correlation of the ceiling propensity with the true propensity.
    CORR_CEILING_WITH_TRUE_PROPENSITY = "corr_ceiling_with_true_propensity";
    /// Pearson correlation with the true propensity.
    CORR_WITH_TRUE_PROPENSITY = "corr_with_true_propensity";
    /// Mean absolute error against the true propensity.
    MEAN_ABS_ERROR = "mean_abs_error";
    /// Mean predicted propensity.
    MEAN_PREDICTED = "mean_predicted";
    /// Mean true propensity.
    MEAN_TRUE = "mean_true";
}

impl Metric {
    /// The key in `results.json` and the CSV tables.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The metric of a key, if there is one.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.0 == name)
    }

    /// The standard error over users of a rate's relative error against the truth, where the
    /// run measures one (`rates::errors_over_users`): of Eq. 2, Eq. 13 and Eq. 5.
    pub fn error_se(self) -> Option<Metric> {
        [
            (Metric::RATE_NAIVE, Metric::RATE_NAIVE_ERROR_SE),
            (Metric::RATE_DEBIASED, Metric::RATE_DEBIASED_ERROR_SE),
            (Metric::RATE_EQ5_RESPONSE_DEBIAS, Metric::RATE_EQ5_ERROR_SE),
        ]
        .into_iter()
        .find_map(|(rate, se)| (rate == self).then_some(se))
    }

    /// The standard error over users of how much closer `self` is to the truth than `than`,
    /// where the run measures one: Eq. 13 against Eq. 2.
    pub fn gain_se(self, than: Metric) -> Option<Metric> {
        (self == Metric::RATE_DEBIASED && than == Metric::RATE_NAIVE)
            .then_some(Metric::RATE_DEBIASED_GAIN_SE)
    }

    /// AUC and calibration of submit-score band `b` of [`SUBMIT_BANDS`].
    pub const fn band(b: usize) -> (Metric, Metric) {
        const BANDS: [(Metric, Metric); 4] = [
            (Metric::BAND_P0_P25_AUC, Metric::BAND_P0_P25_CALIBRATION),
            (Metric::BAND_P25_P50_AUC, Metric::BAND_P25_P50_CALIBRATION),
            (Metric::BAND_P50_P75_AUC, Metric::BAND_P50_P75_CALIBRATION),
            (Metric::BAND_P75_P100_AUC, Metric::BAND_P75_P100_CALIBRATION),
        ];
        BANDS[b]
    }
}

/// The quantile edges of the submit-score bands of Table 2.
pub const SUBMIT_BANDS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

by_name!(Metric, "metric");

/// A metric of the closed-loop A/B test: per head, or one of the buttons and totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AbKey {
    /// Mean true probability of the head's issue per exposure.
    TrueRate(crate::heads::HeadDef),
    /// Eq. 2 on the arm's submitted answers.
    SurveyRate(crate::heads::HeadDef),
    /// Eq. 13 on the arm's submitted answers.
    DebiasedRate(crate::heads::HeadDef),
    /// Fig. 5: the Eq. 13 rate's relative change minus the Eq. 2 rate's, in the same resamples
    /// (negative: the debiased metric falls further). Its `control` and `treatment` hold the two
    /// relative changes.
    DebiasedMinusSurvey(crate::heads::HeadDef),
    /// Fig. 5's reading: how much closer the Eq. 13 rate's relative change is to the true
    /// rate's than the Eq. 2 rate's is, `|survey - true| - |debiased - true|`, in the same
    /// resamples (positive: Eq. 13 is closer). Its `control` and `treatment` hold the Eq. 2 and
    /// Eq. 13 changes' distances to the true change.
    Eq13CloserToTruth(crate::heads::HeadDef),
    /// Dislikes per exposure.
    DislikeRate,
    /// Reports per exposure.
    ReportRate,
    /// Likes per exposure.
    LikeRate,
    /// Shares per exposure.
    ShareRate,
    /// Share of users still active at the end.
    Retention,
    /// Exposures per user.
    ExposuresPerUser,
}

impl AbKey {
    /// The buttons, in the order the A/B test counts them.
    pub const BUTTONS: [AbKey; 4] = [
        AbKey::DislikeRate,
        AbKey::ReportRate,
        AbKey::LikeRate,
        AbKey::ShareRate,
    ];

    /// The key in `results.json`: `true_rate_sexual`, `dislike_rate`, ...
    pub fn name(&self) -> String {
        match self {
            AbKey::TrueRate(h) => format!("true_rate_{}", h.name()),
            AbKey::SurveyRate(h) => format!("survey_rate_{}", h.name()),
            AbKey::DebiasedRate(h) => format!("debiased_rate_{}", h.name()),
            AbKey::DebiasedMinusSurvey(h) => format!("debiased_minus_survey_change_{}", h.name()),
            AbKey::Eq13CloserToTruth(h) => format!("eq13_change_closer_to_truth_{}", h.name()),
            AbKey::DislikeRate => "dislike_rate".into(),
            AbKey::ReportRate => "report_rate".into(),
            AbKey::LikeRate => "like_rate".into(),
            AbKey::ShareRate => "share_rate".into(),
            AbKey::Retention => "retention".into(),
            AbKey::ExposuresPerUser => "exposures_per_user".into(),
        }
    }

    /// The key of a name, if there is one.
    pub fn parse(name: &str) -> Option<AbKey> {
        use crate::heads::HeadDef;
        let head = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|h| HeadDef::parse(h).ok())
        };
        if let Some(h) = head("true_rate_") {
            return Some(AbKey::TrueRate(h));
        }
        if let Some(h) = head("survey_rate_") {
            return Some(AbKey::SurveyRate(h));
        }
        if let Some(h) = head("debiased_rate_") {
            return Some(AbKey::DebiasedRate(h));
        }
        if let Some(h) = head("debiased_minus_survey_change_") {
            return Some(AbKey::DebiasedMinusSurvey(h));
        }
        if let Some(h) = head("eq13_change_closer_to_truth_") {
            return Some(AbKey::Eq13CloserToTruth(h));
        }
        [
            AbKey::DislikeRate,
            AbKey::ReportRate,
            AbKey::LikeRate,
            AbKey::ShareRate,
            AbKey::Retention,
            AbKey::ExposuresPerUser,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// What the surveys say, as against what happened.
    pub fn is_surveyed(&self) -> bool {
        matches!(
            self,
            AbKey::SurveyRate(_)
                | AbKey::DebiasedRate(_)
                | AbKey::DebiasedMinusSurvey(_)
                | AbKey::Eq13CloserToTruth(_)
        )
    }
}

by_name!(AbKey, "A/B metric");

names! {
    /// A model-against-model difference the claims read (`experiment::gaps` defines each), by
    /// its id in `results.json` (`comparisons`).
    pub enum GapId ("gap") {
        /// regAUC against the truth over all shows, response debias minus the baseline.
        ResponseDebiasRegaucShown = "response_debias_regauc_shown",
        /// |calibration| over all shows, the baseline's minus response debias's.
        ResponseDebiasCalibrationShown = "response_debias_calibration_shown",
        /// AUC on submitted answers in the lowest quarter of the submit score.
        ResponseDebiasBand0Auc = "response_debias_band0_auc",
        /// The same in the second quarter.
        ResponseDebiasBand1Auc = "response_debias_band1_auc",
        /// regAUC against the truth in the reluctant quarter.
        ResponseDebiasRegaucReluctant = "response_debias_regauc_reluctant",
        /// The same over the other three quarters.
        ResponseDebiasRegaucWilling = "response_debias_regauc_willing",
        /// The reluctant quarter's regAUC gain minus the rest's.
        ResponseDebiasGainReluctantMinusWilling = "response_debias_gain_reluctant_minus_willing",
        /// UAUC, distillation minus the baseline.
        DistillationUauc = "distillation_uauc",
        /// regAUC against the teacher's pseudo labels, distillation minus the baseline.
        DistillationRegaucVsTeacher = "distillation_regauc_vs_teacher",
        /// regAUC against the truth over every exposure of the evaluation users, distillation
        /// minus the baseline.
        DistillationRegaucExposed = "distillation_regauc_exposed",
        /// UAUC, distillation + response debias minus the baseline.
        CombinationUaucVsBaseline = "combination_uauc_vs_baseline",
        /// The same against response debias.
        CombinationUaucVsResponseDebias = "combination_uauc_vs_response_debias",
        /// The same against distillation.
        CombinationUaucVsDistillation = "combination_uauc_vs_distillation",
        /// |calibration| over all shows, response debias's minus the panel variant's.
        PanelCalibrationShown = "panel_calibration_shown",
        /// regAUC against the truth over all shows, the panel variant minus response debias.
        PanelRegaucShown = "panel_regauc_shown",
    }
}

names! {
    /// A model a replicate trains, by its name in `results.json` (`training`).
    pub enum ModelId ("model") {
        /// The survey-submit model.
        Submit = "submit",
        /// The baseline survey model.
        Baseline = "baseline",
        /// The response-debias survey model.
        ResponseDebias = "response_debias",
        /// The unweighted teacher.
        Teacher = "teacher",
        /// Its student (the distillation variant).
        Student = "student",
        /// The teacher trained with inverse propensity weights.
        TeacherResponseDebias = "teacher_response_debias",
        /// Its student (distillation + response debias).
        StudentResponseDebias = "student_response_debias",
        /// A model of the panel's answers, P(answer | x).
        PanelAnswers = "panel_answers",
        /// The panel-weighted survey model.
        PanelDebias = "panel_debias",
        /// The survey model weighted by the answer's naive-Bayes propensity.
        NaiveBayesDebias = "naive_bayes_debias",
        /// The logistic regression beside the survey models.
        Logistic = "logistic_regression",
    }
}

names! {
    /// A claim of the paper (or beyond it), by its id in `results.json` (`claims`);
    /// `experiment::claims::SPECS` says what each states and how it is decided.
    pub enum ClaimId ("claim") {
        /// The naive rate (Eq. 2) is off the truth for some head.
        NaiveRateBiased = "naive_rate_biased",
        /// Eq. 13 is closer to the truth than Eq. 2, every head.
        Eq13TowardTruth = "eq13_moves_toward_truth",
        /// Eq. 13 is within 5% of the truth, every head.
        Eq13RecoversTruth = "eq13_recovers_truth",
        /// Response debias ranks all shows better than the baseline, against the truth.
        ResponseDebiasRanksBetter = "response_debias_ranks_better",
        /// Response debias's mean prediction over shows is within 5% of the truth, every head.
        ResponseDebiasCalibrated = "response_debias_calibrated",
        /// Table 2: in the low-willingness bands, response debias's AUC beats the baseline's.
        ResponseDebiasBetterInLowBands = "response_debias_better_in_low_bands",
        /// Response debias's gain is largest for the reluctant quarter.
        ResponseDebiasMostForReluctant = "response_debias_most_for_reluctant",
        /// Table 3: distillation's UAUC beats the baseline's.
        DistillationImprovesUauc = "distillation_improves_uauc",
        /// Distillation ranks every exposure better against the truth.
        DistillationRanksExposuresBetter = "distillation_ranks_exposures_better",
        /// Distillation + response debias has the best UAUC of the four.
        CombinationBest = "combination_best",
        /// A check: the student ranks like its teacher's pseudo labels.
        StudentRanksLikeTeacher = "student_ranks_like_its_teacher",
        /// Eq. 3 lowers true bad exposures against control, every head.
        AbLowersTrueRates = "ab_lowers_true_bad_exposures",
        /// The A/B: response debias against the baseline.
        AbResponseDebiasVsBaseline = "ab_response_debias_vs_baseline",
        /// The A/B: distillation against the baseline.
        AbDistillationVsBaseline = "ab_distillation_vs_baseline",
        /// The A/B: both corrections against distillation.
        AbCombinationVsDistillation = "ab_combination_vs_distillation",
        /// Fig. 5: in response debias's A/B against the baseline, Eq. 13 falls further than Eq. 2.
        Fig5DebiasedFallsFurther = "fig5_debiased_rate_falls_further",
        /// Fig. 5's reading: Eq. 13's change is closer to the true change than Eq. 2's.
        Fig5Eq13CloserToTruth = "fig5_eq13_change_closer_to_truth",
        /// With a panel: the doubly robust rate is closer to the truth than Eq. 13.
        PanelDrCloserThanEq13 = "panel_dr_closer_than_eq13",
        /// With a panel: the panel-weighted model is better calibrated than response debias.
        PanelVariantBetterCalibrated = "panel_variant_better_calibrated",
    }
}

/// An arm of the A/B test: control, which ranks without a survey model, or a variant's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arm {
    /// Ranking without a survey model.
    Control,
    /// Ranking with a variant's model (Eq. 3).
    Treatment(Variant),
}

impl Arm {
    /// The name in `results.json`: `control`, or the variant's.
    pub const fn name(self) -> &'static str {
        match self {
            Arm::Control => "control",
            Arm::Treatment(v) => v.name(),
        }
    }

    /// The arm of a name, if there is one.
    pub fn parse(name: &str) -> Option<Arm> {
        if name == "control" {
            return Some(Arm::Control);
        }
        Variant::parse(name).map(Arm::Treatment)
    }
}

by_name!(Arm, "A/B arm");

/// Two variants compared model against model, as the paper's A/B tests compare them: the first
/// against the second. In `results.json`, `first_vs_second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VariantPair(pub Variant, pub Variant);

impl VariantPair {
    /// `response_debias_vs_baseline`.
    pub fn name(self) -> String {
        format!("{}_vs_{}", self.0.name(), self.1.name())
    }

    /// The pair of a name, if there is one.
    pub fn parse(name: &str) -> Option<VariantPair> {
        let (a, b) = name.split_once("_vs_")?;
        Some(VariantPair(Variant::parse(a)?, Variant::parse(b)?))
    }
}

by_name!(VariantPair, "pair of variants");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heads::HeadDef;

    #[test]
    fn names_round_trip_and_sort_as_strings() {
        for v in Variant::ALL {
            assert_eq!(Variant::parse(v.name()), Some(v));
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(*m));
            assert!(seen.insert(m.name()), "{m} twice");
        }
        let mut vs = Variant::ALL.to_vec();
        vs.sort();
        let mut names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        names.sort();
        assert_eq!(vs.iter().map(|v| v.name()).collect::<Vec<_>>(), names);
        let k = AbKey::TrueRate(HeadDef::Reason(0));
        assert_eq!(k.name(), "true_rate_sexual");
        assert_eq!(AbKey::parse("true_rate_sexual"), Some(k));
        assert_eq!(AbKey::parse("retention"), Some(AbKey::Retention));
        assert_eq!(AbKey::parse("true_rate_nonsense"), None);
    }

    #[test]
    fn an_unknown_name_fails_loudly() {
        let e = serde_json::from_str::<Metric>("\"oracle_regauc_shwn\"").unwrap_err();
        assert!(e.to_string().contains("oracle_regauc_shwn"), "{e}");
        let e = serde_json::from_str::<Variant>("\"basline\"").unwrap_err();
        assert!(e.to_string().contains("basline"), "{e}");
    }
}
