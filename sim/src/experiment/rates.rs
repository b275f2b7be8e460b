//! The survey issue rate of each head, estimated every way the experiment knows: the truth,
//! Eq. 2 (naive), Eq. 13 (debiased) with the submit model's and with the true propensity,
//! Eq. 5 (the response-debias model's mean), and with a panel its own rate and the doubly
//! robust estimate.

use std::collections::BTreeMap;

use usm_core::metrics;

use super::measured::MetricMap;
use super::names::{Metric, Variant};
use super::stats::defined;
use super::world::{PanelRatios, Split, SubmitFit, answer_propensity};
use crate::heads::HeadDef;

/// head → every rate estimate of the evaluation period.
pub fn estimate_rates(
    split: &Split,
    submit: &SubmitFit,
    show_preds: &BTreeMap<Variant, Vec<f32>>,
    panel: Option<&PanelRatios>,
) -> BTreeMap<HeadDef, MetricMap> {
    let sets = &split.eval;
    let heads = split.heads();
    let nh = heads.len();
    let clip = split.exp.ipw.clip;
    let mut out = BTreeMap::new();
    for (k, h) in heads.iter().enumerate() {
        let t = h.survey();
        let mut m = MetricMap::new();
        let shows_t: Vec<usize> = (0..sets.shows.len())
            .filter(|&i| sets.shows.rows[i].survey == t)
            .collect();
        let oracle = split.world.oracle;
        if oracle {
            let truth: Vec<f64> = shows_t
                .iter()
                .map(|&i| h.truth(&sets.shows.rows[i].oracle.unwrap_or_default()) as f64)
                .collect();
            m.insert(Metric::RATE_TRUE, defined(metrics::mean_rate(&truth)));
            let texp = h.truths(&sets.exposures.rows);
            m.insert(
                Metric::RATE_TRUE_EXPOSED,
                defined(metrics::mean_rate(&texp)),
            );
        }
        let sub_t: Vec<usize> = (0..sets.submits.len())
            .filter(|&i| sets.submits.rows[i].survey == t)
            .collect();
        let ans: Vec<bool> = sub_t
            .iter()
            .map(|&i| h.label(sets.submits.rows[i].answer, sets.submits.rows[i].reasons))
            .collect();
        let prop: Vec<f64> = sub_t
            .iter()
            .map(|&i| submit.submit_prop[i] as f64)
            .collect();
        let oprop: Vec<f64> = sub_t
            .iter()
            .map(|&i| sets.submits.rows[i].true_propensity())
            .collect();
        m.insert(Metric::RATE_NAIVE, defined(metrics::survey_rate(&ans)));
        m.insert(
            Metric::RATE_DEBIASED,
            defined(metrics::debiased_rate(&ans, &prop, clip)),
        );
        if oracle {
            m.insert(
                Metric::RATE_DEBIASED_TRUE_PROPENSITY,
                defined(metrics::debiased_rate(&ans, &oprop, clip)),
            );
        }
        let logged = &split.world.logged_propensity;
        if !logged.is_empty() {
            let (a, p): (Vec<bool>, Vec<f64>) = sub_t
                .iter()
                .filter_map(|&i| {
                    let r = sets.submits.rows[i];
                    let l = logged.get(&r.exposure_id)?;
                    Some((h.label(r.answer, r.reasons), *l))
                })
                .unzip();
            m.insert(
                Metric::RATE_DEBIASED_LOGGED_PROPENSITY,
                defined(metrics::debiased_rate(&a, &p, clip)),
            );
        }
        if !submit.ceiling_submit_prop.is_empty() {
            let cprop: Vec<f64> = sub_t
                .iter()
                .map(|&i| submit.ceiling_submit_prop[i])
                .collect();
            m.insert(
                Metric::RATE_DEBIASED_CEILING_PROPENSITY,
                defined(metrics::debiased_rate(&ans, &cprop, clip)),
            );
        }
        let rd = &show_preds[&Variant::ResponseDebias];
        let eq5: Vec<f64> = shows_t.iter().map(|&i| rd[i * nh + k] as f64).collect();
        m.insert(
            Metric::RATE_EQ5_RESPONSE_DEBIAS,
            defined(metrics::mean_rate(&eq5)),
        );
        // The random slice's own rate: unbiased, and noisy.
        let pan: Vec<bool> = split
            .world
            .data
            .eval_panel
            .iter()
            .filter(|r| r.survey == t)
            .map(|r| h.label(r.answer, r.reasons))
            .collect();
        if !pan.is_empty() {
            m.insert(Metric::RANDOM_RATE, defined(metrics::survey_rate(&pan)));
        }
        if let (Some(ratios), Some(pd)) = (panel, show_preds.get(&Variant::PanelDebias)) {
            let rows: Vec<DrRow> = shows_t
                .iter()
                .map(|&i| {
                    let r = sets.shows.rows[i];
                    DrRow {
                        model: pd[i * nh + k] as f64,
                        answered: r.submitted.then(|| {
                            (
                                h.label(r.answer, r.reasons),
                                answer_propensity(
                                    submit.show_prop[i] as f64,
                                    ratios.eval_shows[i],
                                    clip,
                                ),
                            )
                        }),
                    }
                })
                .collect();
            m.insert(Metric::RATE_DR, doubly_robust(&rows));
            m.insert(Metric::RATE_IPW_PANEL, ipw_rate(&rows));
        }
        out.insert(*h, m);
    }
    out
}

/// One show in the doubly robust estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrRow {
    /// The outcome model's probability `m(x)`.
    pub model: f64,
    /// Where the show was answered: the label and its propensity `p(x, y)`.
    pub answered: Option<(bool, f64)>,
}

/// The doubly robust rate: the mean over shows of `m(x) + O (y - m(x)) / p(x, y)`, where `O` is
/// whether the show was answered. `None` without shows.
pub fn doubly_robust(rows: &[DrRow]) -> Option<f64> {
    let mut s = 0.0;
    for r in rows {
        s += r.model;
        if let Some((y, p)) = r.answered {
            s += (y as u8 as f64 - r.model) / p;
        }
    }
    (!rows.is_empty()).then(|| s / rows.len() as f64)
}

/// Eq. 13 (self-normalised inverse propensity weights) over the answered rows, with their
/// propensities: `sum(y / p) / sum(1 / p)`. `None` without answers.
pub fn ipw_rate(rows: &[DrRow]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for (y, p) in rows.iter().filter_map(|r| r.answered) {
        num += y as u8 as f64 / p;
        den += 1.0 / p;
    }
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipw_rate_hand_value() {
        // Answered yes at p = 0.5 (weight 2) and no at p = 0.25 (weight 4): 2 / 6.
        let rows = [
            DrRow {
                model: 0.9,
                answered: Some((true, 0.5)),
            },
            DrRow {
                model: 0.1,
                answered: Some((false, 0.25)),
            },
            DrRow {
                model: 0.5,
                answered: None,
            },
        ];
        assert!((ipw_rate(&rows).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(ipw_rate(&rows[2..]), None);
    }

    #[test]
    fn doubly_robust_hand_value() {
        // Three shows with m = 0.2, 0.4, 0.1. The first answered yes at p = 0.5: 0.2 + 0.8 / 0.5
        // = 1.8. The second answered no at p = 0.25: 0.4 - 0.4 / 0.25 = -1.2. The third
        // unanswered: 0.1. Mean (1.8 - 1.2 + 0.1) / 3 = 0.7 / 3.
        let rows = [
            DrRow {
                model: 0.2,
                answered: Some((true, 0.5)),
            },
            DrRow {
                model: 0.4,
                answered: Some((false, 0.25)),
            },
            DrRow {
                model: 0.1,
                answered: None,
            },
        ];
        let dr = doubly_robust(&rows).unwrap();
        assert!((dr - 0.7 / 3.0).abs() < 1e-12, "{dr}");
        // With a perfect outcome model the corrections vanish whatever the propensity.
        let exact = [
            DrRow {
                model: 1.0,
                answered: Some((true, 0.01)),
            },
            DrRow {
                model: 0.0,
                answered: Some((false, 0.9)),
            },
        ];
        assert_eq!(doubly_robust(&exact), Some(0.5));
        assert_eq!(doubly_robust(&[]), None);
    }
}
