//! The survey-submit model (section 3.2.2): who answers a survey that is shown, and the
//! propensities that the later stages weight by (Eq. 13, inverse propensity weights).

use burn::prelude::Device;
use usm_core::metrics;
use usm_core::models::{SubmitModel, SubmitModelConfig};
use usm_core::train::TrainReport;

use super::ceiling::Ceiling;
use super::event::{Event, train_note};
use super::names::Metric;
use super::replicate::{MetricMap, Split};
use crate::datasets::{FeatureSpec, SURVEY_TYPES, history, submit_labels, survey_index};
use crate::error::Result;
use crate::records::ExposureRecord;

/// The fitted submit model and the propensities it gives.
pub struct SubmitFit {
    /// The model.
    pub model: SubmitModel,
    /// P(submit | shown) of each submitted training show, in `Split::train_submits` order.
    pub train_prop: Vec<f32>,
    /// Of each evaluation show, in `EvalSets::shows` order.
    pub show_prop: Vec<f32>,
    /// Of each evaluation submit, in `EvalSets::submits` order.
    pub submit_prop: Vec<f32>,
    /// The ceiling propensity (`experiment::ceiling`) of each evaluation show.
    pub ceiling_show_prop: Vec<f64>,
    /// Of each evaluation submit.
    pub ceiling_submit_prop: Vec<f64>,
    /// Its quality against what was submitted and against the true propensity.
    pub metrics: MetricMap,
    /// Its training.
    pub report: TrainReport,
}

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
    let shows: Vec<&ExposureRecord> = split.world.data.train_shows.iter().collect();
    let rep = model
        .fit_async(
            &spec.features(shows.iter().copied()),
            &history(shows.iter().copied()),
            &submit_labels(shows.iter().copied()),
            &split.seeded(&exp.submit_train, 1),
            &mut train_note("submit model", report),
        )
        .await?;
    let train_prop = propensity(&model, &split.train_submits, &spec).await?;
    let show_prop = propensity(&model, &split.eval.shows, &spec).await?;
    let submit_prop = of_submitted(&split.eval.shows, &show_prop);
    let (ceiling_show_prop, ceiling_submit_prop) = match &split.world.sim {
        Some(sim) => {
            let ceiling = Ceiling::new(&sim.scenario);
            let users = &sim.pop.users;
            // A user's posterior serves each of their shows.
            let mut posteriors = std::collections::BTreeMap::new();
            let show: Vec<f64> = split
                .eval
                .shows
                .iter()
                .map(|r| {
                    let post = posteriors
                        .entry(r.user_id)
                        .or_insert_with(|| ceiling.posterior(&users[r.user_id as usize]));
                    ceiling.propensity(post, r.survey, r.hour)
                })
                .collect();
            let submit = of_submitted(&split.eval.shows, &show);
            (show, submit)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut metrics = submit_metrics(&split.eval.shows, &show_prop, split.world.oracle);
    let logged = &split.world.logged_propensity;
    if !logged.is_empty() {
        let (fitted, recorded): (Vec<f64>, Vec<f64>) = split
            .eval
            .submits
            .iter()
            .zip(&submit_prop)
            .filter_map(|(r, &p)| logged.get(&r.exposure_id).map(|&l| (p as f64, l)))
            .unzip();
        metrics.insert(
            Metric::CORR_WITH_LOGGED_PROPENSITY,
            pearson(&fitted, &recorded),
        );
    }
    let y: Vec<bool> = split.eval.shows.iter().map(|r| r.submitted).collect();
    if !ceiling_show_prop.is_empty() {
        let truth: Vec<f64> = split
            .eval
            .shows
            .iter()
            .map(|r| true_propensity(r))
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
pub async fn propensity(
    submit: &SubmitModel,
    rows: &[&ExposureRecord],
    spec: &FeatureSpec,
) -> Result<Vec<f32>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let p = submit
        .predict_async(
            &spec.features(rows.iter().copied()),
            &history(rows.iter().copied()),
        )
        .await?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| p.p[i * SURVEY_TYPES.len() + survey_index(r.survey).unwrap_or(0)])
        .collect())
}

/// The true P(submit | shown) of a row, for the survey type shown (simulator truth).
pub fn true_propensity(r: &ExposureRecord) -> f64 {
    r.oracle.unwrap_or_default().p_submit[survey_index(r.survey).unwrap_or(0)] as f64
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
        let truth: Vec<f64> = shows.iter().map(|r| true_propensity(r)).collect();
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

/// A metric's value where it is defined and finite.
pub fn defined(x: usm_core::error::Result<f64>) -> Option<f64> {
    x.ok().filter(|v| v.is_finite())
}

/// The mean, 0 for no values.
fn mean_or_zero(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Pearson's correlation of two equally long series; `None` below two values or without spread.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    let r = sab / (saa * sbb).sqrt();
    r.is_finite().then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_hand_values() {
        // x = 1, 2, 3; y = 2, 4, 7: means 2 and 13/3; sxy = 5, sxx = 2, syy = 38/3.
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!(
            (r - 5.0 / (2.0f64 * 38.0 / 3.0).sqrt()).abs() < 1e-12,
            "{r}"
        );
        assert_eq!(pearson(&[1.0, 2.0], &[3.0, 1.0]), Some(-1.0));
        // No spread, one value, or unequal lengths: undefined.
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0, 2.0, 3.0]), None);
    }
}
