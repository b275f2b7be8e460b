//! The survey-submit model (section 3.2.2): who answers a survey that is shown, and the
//! propensities that the later stages weight by (Eq. 13, inverse propensity weights).

use burn::prelude::Device;
use usm_core::metrics;
use usm_core::models::{SubmitModel, SubmitModelConfig};

use super::ceiling::Ceiling;
use super::event::{Event, train_note};
use super::measured::MetricMap;
use super::names::Metric;
use super::stats::{defined, pearson};
use super::world::{Split, SubmitFit};
use crate::datasets::{Encoded, SURVEY_TYPES, submit_labels, survey_index};
use crate::error::Result;
use crate::records::ExposureRecord;

/// Trains the submit model on every training show (answered or not) and scores the rows.
pub async fn fit_submit_model(
    split: &Split<'_>,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<SubmitFit> {
    let exp = split.exp;
    let spec = split.spec;
    let mut model = SubmitModel::new(
        &SubmitModelConfig {
            survey_types: SURVEY_TYPES.iter().map(|s| s.to_string()).collect(),
            vocab: spec.vocab,
            n_dense: spec.n_dense(),
            arch: exp.arch.clone(),
            seed: split.seed,
        },
        device,
    )?;
    let shows = &split.train.shows;
    let rep = model
        .fit_async(
            &shows.x,
            &shows.history,
            &submit_labels(shows.rows.iter().copied()),
            &split.seeded(&exp.submit_train, 1),
            &mut train_note("submit model", report),
        )
        .await?;
    let train_prop = propensity(&model, &split.train.submits).await?;
    let show_prop = propensity(&model, &split.eval.shows).await?;
    let submit_prop = of_submitted(&split.eval.shows.rows, &show_prop);
    let (ceiling_show_prop, ceiling_submit_prop) = match &split.world.sim {
        Some(sim) => {
            let ceiling = Ceiling::new(&sim.scenario);
            let users = &sim.pop.users;
            // A posterior serves each show of the same user, history count and day.
            let mut posteriors = std::collections::BTreeMap::new();
            let show: Vec<f64> = split
                .eval
                .shows
                .rows
                .iter()
                .map(|r| {
                    let days = sim.scenario.survey.tenure_days + r.day as f64;
                    let post = posteriors
                        .entry((r.user_id, r.user_history_submits, r.day))
                        .or_insert_with(|| {
                            ceiling.posterior(
                                &users[r.user_id as usize],
                                r.user_history_submits,
                                days,
                            )
                        });
                    ceiling.propensity(post, r.survey, r.hour)
                })
                .collect();
            let submit = of_submitted(&split.eval.shows.rows, &show);
            (show, submit)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut metrics = submit_metrics(&split.eval.shows.rows, &show_prop, split.world.oracle);
    let logged = &split.world.logged_propensity;
    if !logged.is_empty() {
        let (fitted, recorded): (Vec<f64>, Vec<f64>) = split
            .eval
            .submits
            .rows
            .iter()
            .zip(&submit_prop)
            .filter_map(|(r, &p)| logged.get(&r.exposure_id).map(|&l| (p as f64, l)))
            .unzip();
        metrics.insert(
            Metric::CORR_WITH_LOGGED_PROPENSITY,
            pearson(&fitted, &recorded),
        );
    }
    let y: Vec<bool> = split.eval.shows.rows.iter().map(|r| r.submitted).collect();
    if !ceiling_show_prop.is_empty() {
        let truth: Vec<f64> = split
            .eval
            .shows
            .rows
            .iter()
            .map(|r| r.true_propensity())
            .collect();
        metrics.insert(
            Metric::AUC_CEILING_PROPENSITY,
            defined(metrics::auc(&ceiling_show_prop, &y)),
        );
        metrics.insert(
            Metric::CORR_CEILING_WITH_TRUE_PROPENSITY,
            pearson(&ceiling_show_prop, &truth),
        );
    }
    Ok(SubmitFit {
        model,
        train_prop,
        show_prop,
        submit_prop,
        ceiling_show_prop,
        ceiling_submit_prop,
        metrics,
        report: rep,
    })
}

/// The values of the submitted shows among `shows` (one value a show), in order: the evaluation
/// submits are the submitted shows.
fn of_submitted<T: Copy>(shows: &[&ExposureRecord], values: &[T]) -> Vec<T> {
    shows
        .iter()
        .zip(values)
        .filter(|(r, _)| r.submitted)
        .map(|(_, &v)| v)
        .collect()
}

/// The submit model's P(submit | shown) for each row, for the survey type shown.
pub async fn propensity(submit: &SubmitModel, set: &Encoded<'_>) -> Result<Vec<f32>> {
    if set.is_empty() {
        return Ok(Vec::new());
    }
    let p = submit.predict_async(&set.x, &set.history).await?;
    Ok(set
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| p.p[i * SURVEY_TYPES.len() + survey_index(r.survey).unwrap_or(0)])
        .collect())
}

/// How well `p` predicts who submits among `shows`, and, where the rows have the oracle, how
/// close it is to the true propensity.
fn submit_metrics(shows: &[&ExposureRecord], p: &[f32], oracle: bool) -> MetricMap {
    let y: Vec<bool> = shows.iter().map(|r| r.submitted).collect();
    let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
    let p: Vec<f64> = p.iter().map(|&v| v as f64).collect();
    let mut m = MetricMap::from([
        (Metric::AUC, defined(metrics::auc(&p, &y))),
        (
            Metric::CALIBRATION,
            defined(metrics::calibration(&p, &yf, None)),
        ),
        (Metric::MEAN_PREDICTED, Some(mean_or_zero(&p))),
    ]);
    if oracle {
        let truth: Vec<f64> = shows.iter().map(|r| r.true_propensity()).collect();
        let abs_err: Vec<f64> = p.iter().zip(&truth).map(|(a, b)| (a - b).abs()).collect();
        m.extend([
            (
                Metric::AUC_TRUE_PROPENSITY,
                defined(metrics::auc(&truth, &y)),
            ),
            (Metric::CORR_WITH_TRUE_PROPENSITY, pearson(&p, &truth)),
            (Metric::MEAN_ABS_ERROR, Some(mean_or_zero(&abs_err))),
            (Metric::MEAN_TRUE, Some(mean_or_zero(&truth))),
        ]);
    }
    m
}

/// The mean, 0 for no values.
fn mean_or_zero(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}
