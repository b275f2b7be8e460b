//! The claims' model-against-model differences, with power from the users inside a replicate.
//!
//! Each gap is a difference of head-averaged metrics between variants scored on the same
//! evaluation rows. Its standard error in a replicate comes from each evaluation user's
//! influence on every term (`usm_core::influence`): the paired bootstrap over users, to first
//! order, without its resamples: with one replicate it decides a claim in that world. Across
//! replicates the claims read the t interval of the replicates' values (`stats::Interval`),
//! which carries both the users' noise and the replicates' spread (a fresh world and fresh
//! training each).

use std::collections::BTreeMap;

use usm_core::influence::Influence;

use super::measured::Estimate;
use super::names::{GapId, Metric, Variant};
use crate::heads::HeadDef;

/// One term of a gap: `coef` times the head average of `metric` of `variant` (of its absolute
/// value where `abs`, as for calibration, whose best is 0).
pub struct Term {
    /// The sign (or weight) of the term.
    pub coef: f64,
    /// The model.
    pub variant: Variant,
    /// The metric.
    pub metric: Metric,
    /// Averaged as `|metric|`.
    pub abs: bool,
}

/// A difference the claims read, by id.
pub struct Gap {
    /// Its id in `results.json` (`comparisons`).
    pub id: GapId,
    /// Its terms.
    pub terms: &'static [Term],
}

const fn term(coef: f64, variant: Variant, metric: Metric) -> Term {
    Term {
        coef,
        variant,
        metric,
        abs: false,
    }
}

/// `metric` of `a` minus that of `b`: the common gap.
const fn diff(a: Variant, b: Variant, metric: Metric) -> [Term; 2] {
    [term(1.0, a, metric), term(-1.0, b, metric)]
}

const fn abs(coef: f64, variant: Variant, metric: Metric) -> Term {
    Term {
        coef,
        variant,
        metric,
        abs: true,
    }
}

use Variant::{Baseline as B, Distillation as D, DistillationResponseDebias as DR};
use Variant::{PanelDebias as P, ResponseDebias as R};

const REG: Metric = Metric::ORACLE_REGAUC_SHOWN;
const CAL: Metric = Metric::ORACLE_CALIBRATION_SHOWN;
const RELUCTANT: Metric = Metric::ORACLE_REGAUC_RELUCTANT;
const WILLING: Metric = Metric::ORACLE_REGAUC_WILLING;
const UAUC: Metric = Metric::UAUC;
const TEACHER: Metric = Metric::REGAUC_VS_TEACHER;

/// Every gap, in the order the claims read them.
pub const GAPS: &[Gap] = &[
    Gap {
        id: GapId::ResponseDebiasRegaucShown,
        terms: &diff(R, B, REG),
    },
    Gap {
        id: GapId::ResponseDebiasCalibrationShown,
        terms: &[abs(1.0, B, CAL), abs(-1.0, R, CAL)],
    },
    Gap {
        id: GapId::ResponseDebiasBand0Auc,
        terms: &diff(R, B, Metric::band(0).0),
    },
    Gap {
        id: GapId::ResponseDebiasBand1Auc,
        terms: &diff(R, B, Metric::band(1).0),
    },
    Gap {
        id: GapId::ResponseDebiasRegaucReluctant,
        terms: &diff(R, B, RELUCTANT),
    },
    Gap {
        id: GapId::ResponseDebiasRegaucWilling,
        terms: &diff(R, B, WILLING),
    },
    Gap {
        id: GapId::ResponseDebiasGainReluctantMinusWilling,
        terms: &[
            term(1.0, R, RELUCTANT),
            term(-1.0, B, RELUCTANT),
            term(-1.0, R, WILLING),
            term(1.0, B, WILLING),
        ],
    },
    Gap {
        id: GapId::DistillationUauc,
        terms: &diff(D, B, UAUC),
    },
    Gap {
        id: GapId::DistillationRegaucVsTeacher,
        terms: &diff(D, B, TEACHER),
    },
    Gap {
        id: GapId::DistillationRegaucExposed,
        terms: &diff(D, B, Metric::ORACLE_REGAUC_EXPOSED),
    },
    Gap {
        id: GapId::CombinationUaucVsBaseline,
        terms: &diff(DR, B, UAUC),
    },
    Gap {
        id: GapId::CombinationUaucVsResponseDebias,
        terms: &diff(DR, R, UAUC),
    },
    Gap {
        id: GapId::CombinationUaucVsDistillation,
        terms: &diff(DR, D, UAUC),
    },
    Gap {
        id: GapId::PanelCalibrationShown,
        terms: &[abs(1.0, R, CAL), abs(-1.0, P, CAL)],
    },
    Gap {
        id: GapId::PanelRegaucShown,
        terms: &diff(P, R, REG),
    },
];

/// Each (variant, head, metric) with its users' influences.
pub type Influences = BTreeMap<(Variant, HeadDef, Metric), Influence>;

/// Whether some gap reads `metric` of `variant`: the influences worth keeping.
pub fn needed(variant: Variant, metric: Metric) -> bool {
    GAPS.iter()
        .flat_map(|g| g.terms)
        .any(|t| t.variant == variant && t.metric == metric)
}

/// Every gap whose terms are all there for every head, with its standard error.
pub fn estimate(inf: &Influences, heads: &[HeadDef]) -> BTreeMap<GapId, Estimate> {
    let mut out = BTreeMap::new();
    'gaps: for g in GAPS {
        let mut parts: Vec<(f64, Influence)> = Vec::new();
        for h in heads {
            for t in g.terms {
                let Some(x) = inf.get(&(t.variant, *h, t.metric)) else {
                    continue 'gaps;
                };
                let x = if t.abs { x.clone().abs() } else { x.clone() };
                parts.push((t.coef / heads.len() as f64, x));
            }
        }
        let terms: Vec<(f64, &Influence)> = parts.iter().map(|(c, x)| (*c, x)).collect();
        if let Ok(sum) = Influence::combine(&terms)
            && !terms.is_empty()
            && sum.value.is_finite()
        {
            out.insert(
                g.id,
                Estimate {
                    value: sum.value,
                    se: sum.se(),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inf(value: f64, by_cluster: Vec<f64>) -> Influence {
        Influence { value, by_cluster }
    }

    #[test]
    fn a_gap_averages_heads_and_pairs_users() {
        let (h1, h2) = (HeadDef::Dislike, HeadDef::Inappropriate);
        let mut m = Influences::new();
        // UAUC of distillation and the baseline on two heads, three users.
        m.insert((D, h1, UAUC), inf(0.70, vec![0.01, -0.02, 0.01]));
        m.insert((B, h1, UAUC), inf(0.66, vec![0.01, -0.01, 0.0]));
        m.insert((D, h2, UAUC), inf(0.60, vec![0.0, 0.02, -0.02]));
        m.insert((B, h2, UAUC), inf(0.58, vec![0.0, 0.0, 0.0]));
        let e = estimate(&m, &[h1, h2]);
        let d = e[&GapId::DistillationUauc];
        // ((0.70 − 0.66) + (0.60 − 0.58)) / 2 = 0.03; per user ((D − B) summed over heads) / 2:
        // (0 + 0) / 2, (−0.01 + 0.02) / 2, (0.01 − 0.02) / 2 → se sqrt(0.005² · 2).
        assert!((d.value - 0.03).abs() < 1e-12);
        assert!((d.se - (2.0 * 0.005f64.powi(2)).sqrt()).abs() < 1e-12);
        // A gap with a term missing for some head is not estimated.
        assert!(!e.contains_key(&GapId::CombinationUaucVsBaseline));
        m.remove(&(B, h2, UAUC));
        assert!(!estimate(&m, &[h1, h2]).contains_key(&GapId::DistillationUauc));
    }

    #[test]
    fn calibration_gaps_compare_absolute_values() {
        let h = HeadDef::Dislike;
        let mut m = Influences::new();
        // Baseline over-predicts by 0.3, response debias under-predicts by 0.1: |0.3| − |−0.1|.
        m.insert((B, h, CAL), inf(0.3, vec![0.1, -0.1]));
        m.insert((R, h, CAL), inf(-0.1, vec![0.05, -0.05]));
        let e = estimate(&m, &[h])[&GapId::ResponseDebiasCalibrationShown];
        assert!((e.value - 0.2).abs() < 1e-12);
        // Influences: 0.1 − (−0.05) = 0.15 and −0.15.
        assert!((e.se - (2.0 * 0.15f64.powi(2)).sqrt()).abs() < 1e-12);
        assert!(needed(B, CAL) && !needed(D, CAL));
    }
}
