//! The paper's claims, as one table of specifications ([`SPECS`]: what each states, where the
//! paper makes it, what it measures, in which direction, within which margin, and the paper's
//! own effect), decided by a few evaluators on aggregated results. A claim that fails is reported
//! as failing, and one whose effect is too small to matter as no effect.
//!
//! Every claim reads an interval ([`Interval`]). Across worlds (two or more replicates, each a
//! fresh world and fresh training) it is the t interval of the replicates' values, on `k - 1`
//! degrees of freedom: it covers at three replicates, where a normal quantile on a
//! random-effects variance did not (`stats`' coverage test). In this world (one replicate) it is
//! the interval over that replicate's users, where the run has one (the model-against-model gaps,
//! the A/B test, the rates' errors against the truth), and the verdict says so; what has none
//! reads NO INTERVAL.
//!
//! A claim of a direction **holds** when its 95% interval excludes zero on the claimed side and
//! **fails** on the other; it has **no effect** when its 90% interval (two one-sided tests) lies
//! inside its margin, and is **smaller than the paper's** when the interval includes zero and its
//! one-sided 95% bound is under half the paper's effect. A claim of nearness (a rate within 5% of
//! the truth) holds when its 90% interval lies inside the margin and fails when its 95% interval
//! lies outside it. A claim over every head is an intersection–union test: it holds only when each
//! head holds, and fails when one fails.

use super::ab::PAIRS;
use super::measured::Estimate;
use super::names::{AbKey, ClaimId, GapId, Metric, Variant, VariantPair};
use super::results::{AbOut, Claim, Metrics, Needed, Results, Scope, Verdict};
use super::stats::{Interval, t95, t975};
use crate::heads::HeadDef;
use crate::scenario::Scenario;

/// The equivalence margins, each chosen from the paper's own numbers before any run (never tuned
/// to a result). An effect inside its margin is too small to matter.
pub mod margin {
    /// Ranking against the truth (regAUC): a fifth of Table 1's smallest AUC gain, +0.0117 (its
    /// gains are +0.0248, +0.0277, +0.0117).
    pub const RANKING: f64 = 0.005;
    /// AUC inside a band of the submit score (Table 2), where the paper's gains run from +0.023
    /// to +0.145 on far fewer answers.
    pub const BAND_AUC: f64 = 0.02;
    /// The reluctant quarter's extra regAUC gain: as for ranking.
    pub const RELUCTANT: f64 = 0.005;
    /// UAUC (Table 3): half the combination's smallest gain over distillation, +0.0022 (its
    /// gains are +0.0022, +0.0049, +0.0048).
    pub const UAUC: f64 = 0.001;
    /// A relative change in the A/B test: below §4.2's smallest, −1.44% (and Fig. 6's reported
    /// changes, −0.47% to −3.9%, are mostly beyond it).
    pub const AB: f64 = 0.01;
    /// Fig. 5: one point of relative change, against the 2.46 points by which Eq. 13 fell
    /// further than Eq. 2 (−3.9% against −1.44%).
    pub const FIG5: f64 = 0.01;
    /// A rate against the truth, relative: 5%.
    pub const RATE: f64 = 0.05;
}

/// The paper's effects, in each claim's unit and direction.
pub mod paper {
    /// Table 1: response debias's AUC gain, the mean of +0.0248, +0.0277, +0.0117.
    pub const RANKING: f64 = (0.0248 + 0.0277 + 0.0117) / 3.0;
    /// Table 2: the gain inside the two low bands, the mean of the six.
    pub const BAND_AUC: f64 = (0.145 + 0.0465 + 0.1167 + 0.023 + 0.0254 + 0.0562) / 6.0;
    /// Table 3: distillation's UAUC gain over the baseline.
    pub const UAUC_DISTILLATION: f64 = (0.0134 + 0.0079 + 0.0232) / 3.0;
    /// Table 3: the combination's over distillation.
    pub const UAUC_COMBINATION: f64 = (0.0022 + 0.0049 + 0.0048) / 3.0;
    /// §4.2: response debias lowers the survey sexual and inappropriate rates by 1.44% and 3.53%.
    pub const AB_RESPONSE_DEBIAS: f64 = (0.0144 + 0.0353) / 2.0;
    /// Fig. 6: distillation lowers the dislike rate by 2.27%, the survey inappropriate and
    /// sexual rates by 1.62% and 0.47%.
    pub const AB_DISTILLATION: f64 = (0.0227 + 0.0162 + 0.0047) / 3.0;
    /// Fig. 6: the combination against distillation, by 2% and 1.95%.
    pub const AB_COMBINATION: f64 = (0.02 + 0.0195) / 2.0;
    /// After launch: reports, dislikes and the inappropriate rate down 1.75%, 2.57%, 2.06%.
    pub const AB_LAUNCH: f64 = (0.0175 + 0.0257 + 0.0206) / 3.0;
    /// Fig. 5: Eq. 13 fell 3.9% where Eq. 2 fell 1.44%.
    pub const FIG5: f64 = 0.039 - 0.0144;
}

/// Which way a claim points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Direction {
    /// The difference is positive.
    Up,
    /// It is negative.
    Down,
    /// It is not zero, either way (a bias).
    Either,
    /// It is within the margin of zero (a rate that recovers the truth).
    Near,
}

/// Which heads a per-head claim needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Heads {
    /// Every head (intersection–union).
    Every,
    /// Some head (union).
    Some,
}

/// What a claim measures.
#[derive(Clone, Copy, Debug)]
pub enum Measure {
    /// Model-against-model gaps (`experiment::gaps`): each must hold.
    Gaps(&'static [GapId]),
    /// Per head, the relative error of a rate estimate against the true rate,
    /// `estimate / true - 1`.
    RateError(Metric),
    /// Per head, how much closer `estimate` is to the true rate than `than`, in relative error:
    /// `|than / true - 1| - |estimate / true - 1|`.
    RateCloser {
        /// The estimate claimed closer.
        estimate: Metric,
        /// The one it is compared with.
        than: Metric,
    },
    /// Per head, an A/B metric of a treatment against control.
    AbArm(Variant, fn(HeadDef) -> AbKey),
    /// Per head, an A/B metric of one model against another.
    AbPair(VariantPair, fn(HeadDef) -> AbKey),
}

/// A claim's specification.
pub struct Spec {
    /// Its id.
    pub id: ClaimId,
    /// What it states.
    pub statement: &'static str,
    /// Where the paper makes it.
    pub source: &'static str,
    /// What it measures.
    pub measure: Measure,
    /// Which way it points.
    pub direction: Direction,
    /// Which heads a per-head measure needs.
    pub heads: Heads,
    /// Its equivalence margin, in the measure's unit.
    pub margin: f64,
    /// The paper's effect, in the measure's unit and the claim's direction.
    pub paper: Option<f64>,
    /// A fidelity check, not a finding.
    pub check: bool,
    /// Decided on logs without the truth too (submitted answers, behaviour).
    pub without_truth: bool,
}

const fn spec(id: ClaimId, statement: &'static str, source: &'static str) -> Spec {
    Spec {
        id,
        statement,
        source,
        measure: Measure::Gaps(&[]),
        direction: Direction::Up,
        heads: Heads::Every,
        margin: 0.0,
        paper: None,
        check: false,
        without_truth: false,
    }
}

fn true_rate(h: HeadDef) -> AbKey {
    AbKey::TrueRate(h)
}

fn debiased_minus_survey(h: HeadDef) -> AbKey {
    AbKey::DebiasedMinusSurvey(h)
}

fn eq13_closer(h: HeadDef) -> AbKey {
    AbKey::Eq13CloserToTruth(h)
}

use ClaimId as C;
use Direction::{Down, Either, Near, Up};

/// Every claim, in report order.
pub const SPECS: &[Spec] = &[
    Spec {
        measure: Measure::RateError(Metric::RATE_NAIVE),
        direction: Either,
        heads: Heads::Some,
        margin: margin::RATE,
        ..spec(
            C::NaiveRateBiased,
            "The naive survey issue rate (Eq. 2) is off the true rate, for some head",
            "§3.2.1, Eq. 2 against Eq. 5",
        )
    },
    Spec {
        measure: Measure::RateCloser {
            estimate: Metric::RATE_DEBIASED,
            than: Metric::RATE_NAIVE,
        },
        margin: margin::RATE,
        ..spec(
            C::Eq13TowardTruth,
            "The debiased rate (Eq. 13) is closer to the true rate than the naive rate, for every head",
            "§4.1.4, Eq. 13",
        )
    },
    Spec {
        measure: Measure::RateError(Metric::RATE_DEBIASED),
        direction: Near,
        margin: margin::RATE,
        ..spec(
            C::Eq13RecoversTruth,
            "The debiased rate (Eq. 13) is within 5% of the true rate, for every head",
            "§4.1.4, Eq. 13",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::ResponseDebiasRegaucShown]),
        margin: margin::RANKING,
        paper: Some(paper::RANKING),
        ..spec(
            C::ResponseDebiasRanksBetter,
            "Response debias ranks all survey shows (answerers and non-answerers) better than the baseline, against the truth",
            "Table 1, §4.2",
        )
    },
    Spec {
        measure: Measure::RateError(Metric::RATE_EQ5_RESPONSE_DEBIAS),
        direction: Near,
        margin: margin::RATE,
        ..spec(
            C::ResponseDebiasCalibrated,
            "Response debias's mean prediction over all survey shows is within 5% of the true rate (Eq. 5 against the truth), for every head",
            "Table 1 (calibration), Eq. 5",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::ResponseDebiasBand0Auc, GapId::ResponseDebiasBand1Auc]),
        margin: margin::BAND_AUC,
        paper: Some(paper::BAND_AUC),
        without_truth: true,
        ..spec(
            C::ResponseDebiasBetterInLowBands,
            "Inside the low-willingness bands of the submit score ([0, P25) and [P25, P50)), response debias has a higher AUC on submitted answers than the baseline",
            "Table 2",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::ResponseDebiasGainReluctantMinusWilling]),
        margin: margin::RELUCTANT,
        ..spec(
            C::ResponseDebiasMostForReluctant,
            "Response debias improves ranking against the truth more for reluctant answerers (the lowest quarter of the submit score) than for the rest",
            "a reading of Table 2 only a simulator can check",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::DistillationUauc]),
        margin: margin::UAUC,
        paper: Some(paper::UAUC_DISTILLATION),
        without_truth: true,
        ..spec(
            C::DistillationImprovesUauc,
            "Pseudo-label distillation improves Nfb/Pfb UAUC over the baseline",
            "Table 3",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::DistillationRegaucExposed]),
        margin: margin::RANKING,
        ..spec(
            C::DistillationRanksExposuresBetter,
            "Pseudo-label distillation ranks every exposure better than the baseline against the truth (regAUC over all evaluation exposures)",
            "§3.3, against the truth only a simulator knows",
        )
    },
    Spec {
        measure: Measure::Gaps(&[
            GapId::CombinationUaucVsBaseline,
            GapId::CombinationUaucVsResponseDebias,
            GapId::CombinationUaucVsDistillation,
        ]),
        margin: margin::UAUC,
        paper: Some(paper::UAUC_COMBINATION),
        without_truth: true,
        ..spec(
            C::CombinationBest,
            "Distillation + response debias has the best UAUC of the four variants",
            "Table 3",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::DistillationRegaucVsTeacher]),
        margin: margin::RANKING,
        check: true,
        without_truth: true,
        ..spec(
            C::StudentRanksLikeTeacher,
            "The distillation student ranks exposures closer to its teacher's pseudo labels than the baseline does (a check that it learnt from them)",
            "§4.1.1, regAUC",
        )
    },
    Spec {
        measure: Measure::AbArm(Variant::DistillationResponseDebias, true_rate),
        direction: Down,
        margin: margin::AB,
        paper: Some(paper::AB_LAUNCH),
        ..spec(
            C::AbLowersTrueRates,
            "Ranking with the survey model (Eq. 3, distillation + response debias) lowers the true rate of every issue against control",
            "§4.1.3, after launch",
        )
    },
    Spec {
        measure: Measure::AbPair(PAIRS[0], true_rate),
        direction: Down,
        margin: margin::AB,
        paper: Some(paper::AB_RESPONSE_DEBIAS),
        ..spec(
            C::AbResponseDebiasVsBaseline,
            "In the A/B test, ranking with response debias lowers the true rate of every issue against ranking with the baseline",
            "§4.2",
        )
    },
    Spec {
        measure: Measure::AbPair(PAIRS[1], true_rate),
        direction: Down,
        margin: margin::AB,
        paper: Some(paper::AB_DISTILLATION),
        ..spec(
            C::AbDistillationVsBaseline,
            "In the A/B test, ranking with distillation lowers the true rate of every issue against ranking with the baseline",
            "Fig. 6",
        )
    },
    Spec {
        measure: Measure::AbPair(PAIRS[2], true_rate),
        direction: Down,
        margin: margin::AB,
        paper: Some(paper::AB_COMBINATION),
        ..spec(
            C::AbCombinationVsDistillation,
            "In the A/B test, ranking with distillation + response debias lowers the true rate of every issue against ranking with distillation",
            "Fig. 6",
        )
    },
    Spec {
        measure: Measure::AbPair(PAIRS[0], debiased_minus_survey),
        direction: Down,
        margin: margin::FIG5,
        paper: Some(paper::FIG5),
        ..spec(
            C::Fig5DebiasedFallsFurther,
            "In the A/B test of response debias against the baseline, the debiased survey rate (Eq. 13) falls further than the naive one (Eq. 2), for every head",
            "Fig. 5",
        )
    },
    Spec {
        measure: Measure::AbPair(PAIRS[0], eq13_closer),
        margin: margin::FIG5,
        ..spec(
            C::Fig5Eq13CloserToTruth,
            "In that A/B test, the debiased rate's change (Eq. 13) is closer to the true rate's change than the naive rate's (Eq. 2), for every head: the reasoning of Fig. 5, against the truth",
            "Fig. 5, against the truth only a simulator knows",
        )
    },
    Spec {
        measure: Measure::RateCloser {
            estimate: Metric::RATE_DR,
            than: Metric::RATE_DEBIASED,
        },
        margin: margin::RATE,
        ..spec(
            C::PanelDrCloserThanEq13,
            "With a panel, the doubly robust rate (answer-dependent propensities) is closer to the true rate than Eq. 13, for every head",
            "beyond the paper",
        )
    },
    Spec {
        measure: Measure::Gaps(&[GapId::PanelCalibrationShown]),
        margin: margin::RATE,
        ..spec(
            C::PanelVariantBetterCalibrated,
            "The panel-weighted model is better calibrated against the truth over all shows than the response-debias model (mean |calibration| over heads)",
            "beyond the paper",
        )
    },
];

/// One part of a claim (a head, a gap): its interval, and across worlds or in one.
struct Part {
    label: String,
    iv: Option<Interval>,
    scope: Option<Scope>,
}

impl Part {
    /// A part from per-replicate values: their t interval across worlds, none in one world.
    fn of_values(label: String, values: &[Option<f64>]) -> Part {
        let iv = Interval::of_values(values);
        Part {
            label,
            scope: iv.map(|_| Scope::AcrossWorlds),
            iv,
        }
    }

    /// A part from per-replicate values and, where the run measures them, their standard errors
    /// over users: the values' t interval across worlds; with one replicate, its users'
    /// interval (in this world), or none.
    fn of_series(label: String, values: &[Option<f64>], se: Option<&[Option<f64>]>) -> Part {
        match (values, se) {
            ([Some(v)], Some([Some(se)])) => Part::of_estimates(label, &[(*v, *se)]),
            _ => Part::of_values(label, values),
        }
    }

    /// A part from per-replicate estimates with errors over users: across worlds the t interval
    /// of the values; with one replicate, its users' interval (in this world).
    fn of_estimates(label: String, est: &[(f64, f64)]) -> Part {
        let ok: Vec<(f64, f64)> = est
            .iter()
            .copied()
            .filter(|(v, se)| v.is_finite() && se.is_finite())
            .collect();
        match ok.len() {
            0 => Part {
                label,
                iv: None,
                scope: None,
            },
            1 => Part {
                label,
                iv: Some(Interval {
                    mean: ok[0].0,
                    se: ok[0].1,
                    df: None,
                }),
                scope: Some(Scope::InThisWorld),
            },
            _ => Part::of_values(label, &ok.iter().map(|e| Some(e.0)).collect::<Vec<_>>()),
        }
    }
}

/// The verdict of one interval on a claim of `direction`, `margin` and the paper's effect.
pub fn decide(
    iv: Option<Interval>,
    direction: Direction,
    margin: f64,
    paper: Option<f64>,
) -> Verdict {
    let Some(iv) = iv.filter(|iv| iv.mean.is_finite() && iv.se.is_finite()) else {
        return Verdict::NoInterval;
    };
    let ([lo95, hi95], [lo90, hi90]) = (iv.ci95(), iv.ci90());
    let inside = lo90 > -margin && hi90 < margin;
    let (lo95, hi95, hi90) = match direction {
        Down => (-hi95, -lo95, -lo90),
        _ => (lo95, hi95, hi90),
    };
    match direction {
        Near if inside => Verdict::Holds,
        Near if lo95 > margin || hi95 < -margin => Verdict::Fails,
        Near => Verdict::Inconclusive,
        Either if lo95 > 0.0 || hi95 < 0.0 => Verdict::Holds,
        Up | Down if lo95 > 0.0 => Verdict::Holds,
        Up | Down if hi95 < 0.0 => Verdict::Fails,
        _ if inside => Verdict::NoEffect,
        Up | Down if paper.is_some_and(|p| hi90 < p / 2.0) => Verdict::SmallerThanPaper,
        _ => Verdict::Inconclusive,
    }
}

/// The verdict of a claim over parts that must each hold (intersection–union): fails if one
/// fails, holds if all hold, no interval if one has none; otherwise no effect if one has no
/// effect (the claim does not hold for it), smaller than the paper's if each is that or
/// better, and inconclusive.
pub fn every(verdicts: &[Verdict]) -> Verdict {
    use Verdict::*;
    let any = |v: Verdict| verdicts.contains(&v);
    if verdicts.is_empty() {
        NoInterval
    } else if any(Fails) {
        Fails
    } else if verdicts.iter().all(|v| *v == Holds) {
        Holds
    } else if any(NoInterval) {
        NoInterval
    } else if any(NoEffect) && !any(Inconclusive) {
        NoEffect
    } else if verdicts
        .iter()
        .all(|v| matches!(v, Holds | NoEffect | SmallerThanPaper))
    {
        SmallerThanPaper
    } else {
        Inconclusive
    }
}

/// The verdict of a claim that needs one part to hold (union): holds if one holds, no effect if
/// all have none, no interval if one has none, and inconclusive otherwise.
pub fn some(verdicts: &[Verdict]) -> Verdict {
    use Verdict::*;
    if verdicts.contains(&Holds) {
        Holds
    } else if !verdicts.is_empty() && verdicts.iter().all(|v| *v == NoEffect) {
        NoEffect
    } else if verdicts.is_empty() || verdicts.contains(&NoInterval) {
        NoInterval
    } else {
        Inconclusive
    }
}

/// The parts a claim measures in `res`, one per head or gap.
fn parts(res: &Results, measure: Measure) -> Vec<Part> {
    let reps = res.seeds.len().max(1);
    let series = |m: Option<&Metrics>, k: Metric| match m {
        Some(m) => m.series(k),
        None => vec![None; reps],
    };
    let rate_error = |est: &[Option<f64>], truth: &[Option<f64>]| -> Vec<Option<f64>> {
        est.iter()
            .zip(truth)
            .map(|(e, t)| match (e, t) {
                (Some(e), Some(t)) if *t > 0.0 => Some(e / t - 1.0),
                _ => None,
            })
            .collect()
    };
    let ab = |t: Option<&AbOut>| -> Vec<(f64, f64)> {
        t.map_or(Vec::new(), |x| {
            x.replicates.iter().map(|r| (r.rel_change, r.se)).collect()
        })
    };
    match measure {
        // A gap no replicate has (the panel's, without a panel) makes no claim.
        Measure::Gaps(ids) if !ids.iter().any(|id| res.comparisons.contains_key(id)) => Vec::new(),
        Measure::Gaps(ids) => ids
            .iter()
            .map(|id| {
                let est: Vec<(f64, f64)> = res
                    .comparisons
                    .get(id)
                    .map_or(&[][..], |v| v)
                    .iter()
                    .flatten()
                    .map(|e: &Estimate| (e.value, e.se))
                    .collect();
                Part::of_estimates(id.name().to_string(), &est)
            })
            .collect(),
        Measure::RateError(k) => res
            .rates
            .iter()
            .filter(|(_, m)| m.get(k).is_some())
            .map(|(h, m)| {
                let e = rate_error(&series(Some(m), k), &series(Some(m), Metric::RATE_TRUE));
                let se = k.error_se().map(|s| series(Some(m), s));
                Part::of_series(h.name().to_string(), &e, se.as_deref())
            })
            .collect(),
        Measure::RateCloser { estimate, than } => res
            .rates
            .iter()
            .filter(|(_, m)| m.get(estimate).is_some() && m.get(than).is_some())
            .map(|(h, m)| {
                let t = series(Some(m), Metric::RATE_TRUE);
                let (a, b) = (
                    rate_error(&series(Some(m), estimate), &t),
                    rate_error(&series(Some(m), than), &t),
                );
                let gain: Vec<Option<f64>> = a
                    .iter()
                    .zip(&b)
                    .map(|(a, b)| Some(b.as_ref()?.abs() - a.as_ref()?.abs()))
                    .collect();
                let se = estimate.gain_se(than).map(|s| series(Some(m), s));
                Part::of_series(h.name().to_string(), &gain, se.as_deref())
            })
            .collect(),
        Measure::AbArm(v, key) => res
            .ab
            .get(&v)
            .map(|t| {
                res.heads()
                    .iter()
                    .map(|h| Part::of_estimates(h.name().to_string(), &ab(t.get(&key(*h)))))
                    .collect()
            })
            .unwrap_or_default(),
        Measure::AbPair(p, key) => res
            .ab_pairs
            .get(&p)
            .map(|t| {
                res.heads()
                    .iter()
                    .map(|h| Part::of_estimates(h.name().to_string(), &ab(t.get(&key(*h)))))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A number of the claim's unit: percentages for relative changes and errors.
fn unit(measure: Measure) -> (f64, &'static str) {
    match measure {
        Measure::Gaps(_) => (1.0, ""),
        _ => (100.0, "%"),
    }
}

/// One part's estimate and intervals in words.
fn evidence(p: &Part, scale: f64, u: &str) -> String {
    match p.iv {
        Some(iv) => {
            let ([a, b], [c, d]) = (iv.ci95(), iv.ci90());
            format!(
                "{} {:+.4}{u} [{:+.4}, {:+.4}] (90%: [{:+.4}, {:+.4}])",
                p.label,
                iv.mean * scale,
                a * scale,
                b * scale,
                c * scale,
                d * scale
            )
        }
        None => format!("{} no interval", p.label),
    }
}

/// How many replicates would decide an inconclusive part at the difference and spread measured
/// across worlds: the first `n` at which its t interval would exclude zero, or its 90% interval
/// fit inside the margin. With the spread's own 95% range (it rests on `k - 1` degrees of
/// freedom).
fn needed(iv: &Interval, margin: f64) -> Option<Needed> {
    let df = iv.df?;
    let sd = iv.se * ((df + 1) as f64).sqrt();
    let at = |sd: f64| {
        (2..=1000).find(|&n| {
            let se = sd / (n as f64).sqrt();
            iv.mean.abs() > t975(n - 1) * se || iv.mean.abs() + t95(n - 1) * se < margin
        })
    };
    let (lo, hi) = chi2_95(df);
    Some(Needed {
        estimate: at(sd),
        low: at(sd * (df as f64 / hi).sqrt()),
        high: at(sd * (df as f64 / lo).sqrt()),
    })
}

/// The 2.5% and 97.5% points of the chi-square distribution on `df` degrees of freedom (a table
/// to 30, the Wilson–Hilferty approximation beyond).
fn chi2_95(df: usize) -> (f64, f64) {
    const LO: [f64; 30] = [
        0.000982, 0.0506, 0.2158, 0.4844, 0.8312, 1.237, 1.690, 2.180, 2.700, 3.247, 3.816, 4.404,
        5.009, 5.629, 6.262, 6.908, 7.564, 8.231, 8.907, 9.591, 10.283, 10.982, 11.689, 12.401,
        13.120, 13.844, 14.573, 15.308, 16.047, 16.791,
    ];
    const HI: [f64; 30] = [
        5.024, 7.378, 9.348, 11.143, 12.833, 14.449, 16.013, 17.535, 19.023, 20.483, 21.920,
        23.337, 24.736, 26.119, 27.488, 28.845, 30.191, 31.526, 32.852, 34.170, 35.479, 36.781,
        38.076, 39.364, 40.646, 41.923, 43.195, 44.461, 45.722, 46.979,
    ];
    match df {
        0 => (f64::NAN, f64::NAN),
        1..=30 => (LO[df - 1], HI[df - 1]),
        _ => {
            let k = df as f64;
            let wh = |z: f64| k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
            (wh(-1.96), wh(1.96))
        }
    }
}

/// Decides one claim on `res`.
fn claim(res: &Results, s: &Spec) -> Option<Claim> {
    let parts = parts(res, s.measure);
    if parts.is_empty() {
        return None;
    }
    let verdicts: Vec<Verdict> = parts
        .iter()
        .map(|p| decide(p.iv, s.direction, s.margin, s.paper))
        .collect();
    let verdict = match s.heads {
        Heads::Some => some(&verdicts),
        Heads::Every => every(&verdicts),
    };
    let (scale, u) = unit(s.measure);
    let mut ev: Vec<String> = parts.iter().map(|p| evidence(p, scale, u)).collect();
    let scope = if parts.iter().all(|p| p.scope == Some(Scope::AcrossWorlds)) {
        Some(Scope::AcrossWorlds)
    } else if parts.iter().any(|p| p.scope == Some(Scope::InThisWorld)) {
        ev.push("in this world: one replicate, its interval over users".into());
        Some(Scope::InThisWorld)
    } else {
        None
    };
    // The part nearest to deciding an undecided claim: the one that needs the most replicates.
    let replicates_needed = (!verdict.decided())
        .then(|| {
            parts
                .iter()
                .zip(&verdicts)
                .filter(|(_, v)| !v.decided())
                .filter_map(|(p, _)| needed(p.iv.as_ref()?, s.margin))
                .max_by_key(|n| n.estimate.unwrap_or(usize::MAX))
        })
        .flatten();
    Some(Claim {
        id: s.id,
        statement: s.statement.into(),
        source: s.source.into(),
        check: s.check,
        verdict,
        scope,
        evidence: ev.join("; "),
        margin: s.margin,
        paper_effect: s.paper,
        predicted: predicted(res, s.id),
        replicates_needed,
    })
}

/// Checks every claim that applies against aggregated results: on logs without the truth, only
/// those decided on submitted answers and behaviour.
pub fn check_claims(res: &Results) -> Vec<Claim> {
    let without_truth = res.logs.as_ref().is_some_and(|l| !l.oracle);
    SPECS
        .iter()
        .filter(|s| s.without_truth || !without_truth)
        .filter_map(|s| claim(res, s))
        .collect()
}

/// What theory predicts of each claim in a preset's regime, where it says: the presets' reason
/// for being. A run of the preset as shipped (only its seed changed) shows each prediction beside
/// its verdict.
pub const PREDICTIONS: &[(&str, &[(ClaimId, Verdict)])] = {
    use Verdict::*;
    &[
        (
            // Willingness tracks sensitivity, mostly visible in the logged profile: Eq. 13 can
            // correct the rate; a shift of each user's level does not change the ranking.
            "experiment",
            &[
                (C::NaiveRateBiased, Holds),
                (C::Eq13TowardTruth, Holds),
                (C::ResponseDebiasRanksBetter, NoEffect),
                (C::ResponseDebiasMostForReluctant, NoEffect),
                (C::DistillationImprovesUauc, Holds),
                (C::DistillationRanksExposuresBetter, Holds),
                (C::StudentRanksLikeTeacher, Holds),
                (C::AbLowersTrueRates, Holds),
                (C::AbResponseDebiasVsBaseline, NoEffect),
            ],
        ),
        (
            // Willingness hidden from the logs: no propensity from them recovers the truth.
            "hidden-willingness",
            &[
                (C::NaiveRateBiased, Holds),
                (C::Eq13RecoversTruth, Fails),
                (C::ResponseDebiasRanksBetter, NoEffect),
                (C::DistillationImprovesUauc, Holds),
            ],
        ),
        (
            // Everyone answers: every correction has nothing to correct.
            "no-bias",
            &[
                (C::NaiveRateBiased, NoEffect),
                (C::Eq13TowardTruth, NoEffect),
                (C::Eq13RecoversTruth, Holds),
                (C::ResponseDebiasRanksBetter, NoEffect),
                (C::ResponseDebiasBetterInLowBands, NoEffect),
                (C::ResponseDebiasMostForReluctant, NoEffect),
                (C::AbResponseDebiasVsBaseline, NoEffect),
                (C::Fig5DebiasedFallsFurther, NoEffect),
            ],
        ),
        (
            // Answering depends on the answer: a propensity from features cannot remove the
            // bias; the panel's answer-dependent propensities can.
            "answer-dependent",
            &[
                (C::NaiveRateBiased, Holds),
                (C::Eq13RecoversTruth, Fails),
                (C::PanelDrCloserThanEq13, Holds),
            ],
        ),
        (
            // Willingness tied to which content a user finds bad, hidden from the features:
            // the answers over-represent one kind of taste, and the weights restore the rest.
            "content-tied-willingness",
            &[
                (C::NaiveRateBiased, Holds),
                (C::ResponseDebiasRanksBetter, Holds),
                (C::ResponseDebiasBetterInLowBands, Holds),
                (C::ResponseDebiasMostForReluctant, Holds),
            ],
        ),
    ]
};

/// The prediction for claim `id` where the results are a preset's as shipped (its seed aside).
fn predicted(res: &Results, id: ClaimId) -> Option<Verdict> {
    if res.logs.is_some() {
        return None;
    }
    let s = &res.config.scenario;
    let preset = Scenario::preset(&s.name).ok()?;
    if (Scenario {
        seed: s.seed,
        ..preset
    }) != *s
    {
        return None;
    }
    PREDICTIONS
        .iter()
        .find(|(p, _)| *p == s.name)?
        .1
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::ExperimentConfig;
    use crate::experiment::results::{AbOut, AbReplicate};
    use crate::heads::HeadDef::Dislike;

    fn iv(mean: f64, se: f64, df: Option<usize>) -> Option<Interval> {
        Some(Interval { mean, se, df })
    }

    #[test]
    fn tost_and_directions_hand_values() {
        use Verdict::*;
        // 0.010 ± 0.002 (z): 95% [0.0061, 0.0139] excludes zero above.
        assert_eq!(decide(iv(0.010, 0.002, None), Up, 0.005, None), Holds);
        assert_eq!(decide(iv(0.010, 0.002, None), Down, 0.005, None), Fails);
        // 0.001 ± 0.001: 95% [−0.00096, 0.00296] straddles zero; 90% [−0.000645, 0.002645]
        // lies inside ±0.005: no effect.
        assert_eq!(decide(iv(0.001, 0.001, None), Up, 0.005, None), NoEffect);
        // Exactly zero, no spread: no effect (it failed before).
        assert_eq!(decide(iv(0.0, 0.0, Some(2)), Up, 0.005, None), NoEffect);
        // 0.002 ± 0.0025 on 2 df: 95% [−0.00876, 0.01276] straddles zero; 90% [−0.0053,
        // 0.0093] is not inside ±0.005; its upper bound is under half of 0.0214 (0.0107): smaller
        // than the paper's.
        let small = iv(0.002, 0.0025, Some(2));
        assert_eq!(decide(small, Up, 0.005, Some(0.0214)), SmallerThanPaper);
        // Without the paper's effect, or with a bound above half of it (0.009): inconclusive.
        assert_eq!(decide(small, Up, 0.005, None), Inconclusive);
        assert_eq!(decide(small, Up, 0.005, Some(0.018)), Inconclusive);
        // Down reads the bound on the other side: −0.002 ± 0.0025 is smaller than a fall of
        // 0.0214.
        let fall = iv(-0.002, 0.0025, Some(2));
        assert_eq!(decide(fall, Down, 0.005, Some(0.0214)), SmallerThanPaper);
        // A bias either way.
        assert_eq!(decide(iv(-0.3, 0.05, Some(2)), Either, 0.05, None), Holds);
        assert_eq!(
            decide(iv(0.01, 0.005, Some(2)), Either, 0.05, None),
            NoEffect
        );
        // Nearness: 0.01 ± 0.005 on 2 df, 90% [−0.0046, 0.0246] inside ±0.05: holds; 0.3 ± 0.05,
        // 95% [0.085, 0.515] beyond 0.05: fails; 0.05 ± 0.02 straddles the margin: inconclusive.
        assert_eq!(decide(iv(0.01, 0.005, Some(2)), Near, 0.05, None), Holds);
        assert_eq!(decide(iv(0.3, 0.05, Some(2)), Near, 0.05, None), Fails);
        assert_eq!(
            decide(iv(0.05, 0.02, Some(2)), Near, 0.05, None),
            Inconclusive
        );
        assert_eq!(decide(None, Up, 0.005, None), NoInterval);
    }

    #[test]
    fn intersection_union_hand_values() {
        use Verdict::*;
        assert_eq!(every(&[Holds, Holds]), Holds);
        assert_eq!(every(&[Holds, Fails, NoInterval]), Fails);
        assert_eq!(every(&[Holds, NoInterval]), NoInterval);
        assert_eq!(every(&[Holds, NoEffect]), NoEffect);
        assert_eq!(every(&[NoEffect, Inconclusive]), Inconclusive);
        assert_eq!(every(&[Holds, SmallerThanPaper, NoEffect]), NoEffect);
        assert_eq!(every(&[Holds, SmallerThanPaper]), SmallerThanPaper);
        assert_eq!(every(&[]), NoInterval);
        assert_eq!(some(&[Inconclusive, Holds]), Holds);
        assert_eq!(some(&[NoEffect, NoEffect]), NoEffect);
        assert_eq!(some(&[NoEffect, Inconclusive]), Inconclusive);
    }

    #[test]
    fn replicates_needed_hand_values() {
        // A mean of 0.002 with a spread of 0.004 a replicate (se 0.004 / sqrt(3) on 2 df): zero
        // is excluded once t975(n − 1) · 0.004 / sqrt(n) < 0.002, at n = 18 (2.110 · 0.000943
        // = 0.00199), and no sooner can the 90% interval fit inside ±0.001.
        let sd = 0.004;
        let n = needed(
            &Interval {
                mean: 0.002,
                se: sd / 3f64.sqrt(),
                df: Some(2),
            },
            0.001,
        )
        .unwrap();
        assert_eq!(n.estimate, Some(18));
        assert!(
            n.low.unwrap() < 18 && n.high.is_none_or(|h| h > 18),
            "{n:?}"
        );
        let (lo, hi) = chi2_95(2);
        assert_eq!((lo, hi), (0.0506, 7.378));
        // Wilson–Hilferty beyond the table is within 1% of the exact 95% points at 40 df.
        let (lo, hi) = chi2_95(40);
        assert!((lo / 24.433 - 1.0).abs() < 0.01 && (hi / 59.342 - 1.0).abs() < 0.01);
    }

    /// An experiment of the "don't like" head alone.
    fn dislike_only() -> ExperimentConfig {
        ExperimentConfig {
            heads: vec!["dislike".into()],
            ab: crate::experiment::config::AbConfig {
                weights: vec![-2.0],
                ..Default::default()
            },
            ..ExperimentConfig::default()
        }
    }

    fn out(per_replicate: &[(f64, f64)]) -> AbOut {
        AbOut {
            rel_change: 0.0,
            ci95: [0.0, 0.0],
            control: 0.1,
            treatment: 0.1,
            replicates: per_replicate
                .iter()
                .map(|&(rel_change, se)| AbReplicate { rel_change, se })
                .collect(),
        }
    }

    #[test]
    fn fig5_reads_response_debias_against_the_baseline() {
        let mut res = Results::empty(dislike_only(), vec![1, 2, 3]);
        // In the A/B test of response debias against the baseline: Eq. 13 fell further than
        // Eq. 2 by 3, 2.5 and 3.5 points, and its change was closer to the truth's by 1 point
        // in each replicate (t interval: mean −0.03, sd 0.005, se 0.002887 on 2 df, 95% upper
        // end −0.03 + 4.303 · 0.002887 = −0.0176 < 0).
        res.ab_pairs.insert(
            VariantPair(Variant::ResponseDebias, Variant::Baseline),
            [
                (
                    AbKey::DebiasedMinusSurvey(Dislike),
                    out(&[(-0.03, 0.01), (-0.025, 0.01), (-0.035, 0.01)]),
                ),
                (
                    AbKey::Eq13CloserToTruth(Dislike),
                    out(&[(0.01, 0.001), (0.01, 0.001), (0.01, 0.001)]),
                ),
            ]
            .into(),
        );
        // Against control, the same changes would read otherwise: Fig. 5 no longer reads them.
        res.ab.insert(
            Variant::ResponseDebias,
            [(AbKey::DebiasedMinusSurvey(Dislike), out(&[(0.05, 0.01); 3]))].into(),
        );
        let claims = check_claims(&res);
        let v = |id| {
            claims
                .iter()
                .find(|c| c.id == id)
                .map(|c| (c.verdict, c.scope))
        };
        let across = Some(Scope::AcrossWorlds);
        assert_eq!(
            v(C::Fig5DebiasedFallsFurther),
            Some((Verdict::Holds, across))
        );
        // Exactly 1 point closer in every replicate: no spread, and the interval [0.01, 0.01]
        // excludes zero above.
        assert_eq!(v(C::Fig5Eq13CloserToTruth), Some((Verdict::Holds, across)));
        // With one replicate, the users decide, in this world.
        let mut one = Results::empty(dislike_only(), vec![1]);
        one.ab_pairs = res.ab_pairs.clone();
        for t in one.ab_pairs.values_mut() {
            for o in t.values_mut() {
                o.replicates.truncate(1);
            }
        }
        let claims = check_claims(&one);
        let c = claims
            .iter()
            .find(|c| c.id == C::Fig5DebiasedFallsFurther)
            .unwrap();
        // −0.03 ± 1.96 · 0.01: [−0.0496, −0.0104].
        assert_eq!(
            (c.verdict, c.scope),
            (Verdict::Holds, Some(Scope::InThisWorld))
        );
        assert!(c.evidence.contains("in this world"), "{}", c.evidence);
    }

    #[test]
    fn rates_decide_across_worlds_and_in_one() {
        let mut res = Results::empty(dislike_only(), vec![1, 2, 3]);
        let mut rates = Metrics::default();
        // Truth 0.10; naive 30% above it; Eq. 13 within 1% of it.
        for (k, v) in [
            (Metric::RATE_TRUE, [0.10, 0.10, 0.10]),
            (Metric::RATE_NAIVE, [0.13, 0.131, 0.129]),
            (Metric::RATE_DEBIASED, [0.101, 0.099, 0.1005]),
        ] {
            rates.values.insert(k, Some(v.iter().sum::<f64>() / 3.0));
            rates
                .replicates
                .insert(k, v.iter().map(|x| Some(*x)).collect());
        }
        res.rates.insert(Dislike, rates);
        let claims = check_claims(&res);
        let v = |id| claims.iter().find(|c| c.id == id).unwrap().verdict;
        assert_eq!(v(C::NaiveRateBiased), Verdict::Holds);
        assert_eq!(v(C::Eq13TowardTruth), Verdict::Holds);
        assert_eq!(v(C::Eq13RecoversTruth), Verdict::Holds);
        // The sign is kept: the naive rate is 30% above the truth, not "30% off".
        let naive = claims.iter().find(|c| c.id == C::NaiveRateBiased).unwrap();
        assert!(
            naive.evidence.contains("dislike +30.0000%"),
            "{}",
            naive.evidence
        );
        // One replicate: no interval across worlds, and none over users for a rate.
        let mut one = res.clone();
        one.seeds = vec![1];
        for m in one.rates.values_mut() {
            m.replicates.clear();
        }
        let claims = check_claims(&one);
        let c = claims.iter().find(|c| c.id == C::NaiveRateBiased).unwrap();
        assert_eq!((c.verdict, c.scope), (Verdict::NoInterval, None));
        // With the errors' standard errors over users, one replicate decides in this world:
        // naive 0.13 against 0.10 is +0.30 ± 1.96 · 0.05, above zero; Eq. 13's gain
        // 0.30 − 0.01 = 0.29 ± 1.96 · 0.2 includes zero; Eq. 13's error +0.01 with se 0.01 has
        // the 90% interval 0.01 ± 0.0164, inside ±0.05.
        one.seeds = vec![1];
        let m = one.rates.get_mut(&Dislike).unwrap();
        m.values.insert(Metric::RATE_NAIVE, Some(0.13));
        m.values.insert(Metric::RATE_DEBIASED, Some(0.101));
        m.values.insert(Metric::RATE_TRUE, Some(0.10));
        m.values.insert(Metric::RATE_NAIVE_ERROR_SE, Some(0.05));
        m.values.insert(Metric::RATE_DEBIASED_GAIN_SE, Some(0.2));
        m.values.insert(Metric::RATE_DEBIASED_ERROR_SE, Some(0.01));
        let claims = check_claims(&one);
        let c = |id| claims.iter().find(|c| c.id == id).unwrap();
        let scope = Some(Scope::InThisWorld);
        assert_eq!(
            (c(C::NaiveRateBiased).verdict, c(C::NaiveRateBiased).scope),
            (Verdict::Holds, scope)
        );
        assert_eq!(c(C::Eq13TowardTruth).verdict, Verdict::Inconclusive);
        assert_eq!(c(C::Eq13RecoversTruth).verdict, Verdict::Holds);
        assert!(
            c(C::NaiveRateBiased)
                .evidence
                .contains("dislike +30.0000% [+20.2000, +39.8000]"),
            "{}",
            c(C::NaiveRateBiased).evidence
        );
    }

    #[test]
    fn every_spec_has_its_own_id_and_margin() {
        let mut ids: Vec<&str> = SPECS.iter().map(|s| s.id.name()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), SPECS.len());
        assert_eq!(ids.len(), ClaimId::ALL.len());
        for s in SPECS {
            assert!(s.margin > 0.0, "{}", s.id);
            assert!(
                s.paper.is_none_or(|p| p > s.margin),
                "{}: the paper's effect inside the margin",
                s.id
            );
        }
        for (preset, predictions) in PREDICTIONS {
            assert!(Scenario::preset(preset).is_ok(), "{preset}");
            assert!(!predictions.is_empty());
        }
    }
}
