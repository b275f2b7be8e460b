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
    let mut out = BTreeMap::new();
    for (k, h) in split.heads().iter().enumerate() {
        let t = h.survey();
        let head = Head {
            h,
            k,
            shows: (0..sets.shows.len())
                .filter(|&i| sets.shows.rows[i].survey == t)
                .collect(),
            submits: (0..sets.submits.len())
                .filter(|&i| sets.submits.rows[i].survey == t)
                .collect(),
        };
        let mut m = MetricMap::new();
        if split.world.oracle {
            true_rates(split, &head, &mut m);
        }
        answered_rates(split, submit, &head, &mut m);
        model_rates(split, submit, (show_preds, panel), &head, &mut m);
        out.insert(*h, m);
    }
    out
}

/// One head and the evaluation rows of its survey.
struct Head<'a> {
    h: &'a HeadDef,
    /// Its column among the heads.
    k: usize,
    /// Its survey's shows, as indices into `EvalSets::shows`.
    shows: Vec<usize>,
    /// Its survey's submits, as indices into `EvalSets::submits`.
    submits: Vec<usize>,
}

/// The truth: over the head's shows, and over every exposure of the evaluation users.
fn true_rates(split: &Split, head: &Head, m: &mut MetricMap) {
    let (sets, h) = (&split.eval, head.h);
    let truth: Vec<f64> = head
        .shows
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

/// From the submitted answers: Eq. 2, and Eq. 13 with every propensity the run has (the submit
/// model's; the truth's, the logged one and the ceiling's where there are).
fn answered_rates(split: &Split, submit: &SubmitFit, head: &Head, m: &mut MetricMap) {
    let (sets, h, clip) = (&split.eval, head.h, split.exp.ipw.clip);
    let rows: Vec<_> = head.submits.iter().map(|&i| sets.submits.rows[i]).collect();
    let ans: Vec<bool> = rows.iter().map(|r| h.label(r.answer, r.reasons)).collect();
    let of =
        |p: &dyn Fn(usize) -> f64| -> Vec<f64> { head.submits.iter().map(|&i| p(i)).collect() };
    let eq13 = |p: &[f64]| defined(metrics::debiased_rate(&ans, p, clip));
    m.insert(Metric::RATE_NAIVE, defined(metrics::survey_rate(&ans)));
    m.insert(
        Metric::RATE_DEBIASED,
        eq13(&of(&|i| submit.submit_prop[i] as f64)),
    );
    if split.world.oracle {
        let truth = of(&|i| sets.submits.rows[i].true_propensity());
        m.insert(Metric::RATE_DEBIASED_TRUE_PROPENSITY, eq13(&truth));
    }
    let logged = &split.world.logged_propensity;
    if !logged.is_empty() {
        let (a, p): (Vec<bool>, Vec<f64>) = rows
            .iter()
            .filter_map(|r| {
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
        let ceiling = of(&|i| submit.ceiling_submit_prop[i]);
        m.insert(Metric::RATE_DEBIASED_CEILING_PROPENSITY, eq13(&ceiling));
    }
}

/// Through models and the random slice: Eq. 5 (the response-debias model's mean over the
/// shows), the random slice's own rate (unbiased, and noisy), and with a panel the doubly
/// robust rate and Eq. 13 on the same answer-dependent propensities.
fn model_rates(
    split: &Split,
    submit: &SubmitFit,
    (show_preds, panel): (&BTreeMap<Variant, Vec<f32>>, Option<&PanelRatios>),
    head: &Head,
    m: &mut MetricMap,
) {
    let (sets, h, k) = (&split.eval, head.h, head.k);
    let (nh, clip) = (split.heads().len(), split.exp.ipw.clip);
    let rd = &show_preds[&Variant::ResponseDebias];
    let eq5: Vec<f64> = head.shows.iter().map(|&i| rd[i * nh + k] as f64).collect();
    m.insert(
        Metric::RATE_EQ5_RESPONSE_DEBIAS,
        defined(metrics::mean_rate(&eq5)),
    );
    let pan: Vec<bool> = split
        .world
        .data
        .eval_panel
        .iter()
        .filter(|r| r.survey == h.survey())
        .map(|r| h.label(r.answer, r.reasons))
        .collect();
    if !pan.is_empty() {
        m.insert(Metric::RANDOM_RATE, defined(metrics::survey_rate(&pan)));
    }
    let (Some(ratios), Some(pd)) = (panel, show_preds.get(&Variant::PanelDebias)) else {
        return;
    };
    let rows: Vec<DrRow> = head
        .shows
        .iter()
        .map(|&i| {
            let r = sets.shows.rows[i];
            DrRow {
                model: pd[i * nh + k] as f64,
                answered: r.submitted.then(|| {
                    let p =
                        answer_propensity(submit.show_prop[i] as f64, ratios.eval_shows[i], clip);
                    (h.label(r.answer, r.reasons), p)
                }),
            }
        })
        .collect();
    m.insert(Metric::RATE_DR, doubly_robust(&rows));
    m.insert(Metric::RATE_IPW_PANEL, ipw_rate(&rows));
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
