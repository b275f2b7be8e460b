//! One replicate of the experiment: simulate → datasets → submit model → the survey-model
//! variants → evaluation against what a platform sees and against the oracle.

use std::collections::BTreeMap;

use burn::prelude::Device;
use usm_core::data::{Features, Labels};
use usm_core::metrics;
use usm_core::models::{
    SubmitModel, SubmitModelConfig, SurveyModel, SurveyModelConfig, TeacherConfig, TeacherModel,
};
use usm_core::train::{TrainConfig, TrainEvent, TrainReport};

use super::ab::{AbResult, run_ab};
use super::collect::{Collected, collect};
use super::config::ExperimentConfig;
use crate::datasets::{
    HeadDef, POSTERIOR, history, parse_heads, posterior, submit_labels, survey_index, survey_labels,
};
use crate::error::{Result, SimError};
use crate::population::Population;
use crate::records::{Answer, ExposureRecord, SurveyKind};

/// Progress of an experiment, for a CLI bar or a browser view.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A stage starts; `total` units of work.
    Stage {
        /// What it is.
        name: String,
        /// Units of work.
        total: u64,
    },
    /// Work done in the current stage.
    Progress {
        /// Units done.
        pos: u64,
        /// Detail.
        msg: String,
    },
}

/// The survey-model variants, in report order.
pub const VARIANTS: [&str; 5] = [
    "baseline",
    "response_debias",
    "distillation",
    "distillation_response_debias",
    "panel_debias",
];

/// Metric name → value (`None` where undefined, e.g. a head without positives).
pub type MetricMap = BTreeMap<String, Option<f64>>;

/// Row counts of one replicate.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataCounts {
    /// Training-period survey shows.
    pub train_shows: usize,
    /// Of which submitted.
    pub train_submits: usize,
    /// Training-period panel answers.
    pub train_panel: usize,
    /// Pseudo-label stream rows.
    pub pseudo_rows: usize,
    /// Pseudo-label cells kept by Eq. 8 (over heads).
    pub pseudo_cells_kept: usize,
    /// Evaluation-period survey shows.
    pub eval_shows: usize,
    /// Of which submitted.
    pub eval_submits: usize,
    /// Evaluation-period exposures of evaluation users.
    pub eval_exposures: usize,
}

/// A calibration curve: bins by predicted probability over evaluation exposures.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Curve {
    /// Mean prediction per bin.
    pub predicted: Vec<f64>,
    /// Mean true probability per bin.
    pub truth: Vec<f64>,
}

/// Everything one replicate measured.
#[derive(Clone, Debug, Default)]
pub struct Replicate {
    /// Seed of the replicate.
    pub seed: u64,
    /// variant → head → metric.
    pub variants: BTreeMap<String, BTreeMap<String, MetricMap>>,
    /// head → rate estimate.
    pub rates: BTreeMap<String, MetricMap>,
    /// Submit model quality.
    pub submit: MetricMap,
    /// head → teacher metrics.
    pub teacher: BTreeMap<String, MetricMap>,
    /// head → oracle metrics of the true probabilities.
    pub reference: BTreeMap<String, MetricMap>,
    /// variant → head → calibration curve over evaluation exposures.
    pub curves: BTreeMap<String, BTreeMap<String, Curve>>,
    /// The A/B test.
    pub ab: Option<AbResult>,
    /// Simulation totals.
    pub stats: crate::summary::RunStats,
    /// Row counts.
    pub data: DataCounts,
    /// model name → training report.
    pub training: BTreeMap<String, TrainReport>,
}

fn train_note<'a>(name: &'a str, report: &'a mut dyn FnMut(Event)) -> impl FnMut(&TrainEvent) + 'a {
    move |e: &TrainEvent| match e {
        TrainEvent::Started {
            steps_per_epoch,
            epochs,
            train_rows,
            ..
        } => report(Event::Stage {
            name: format!("train {name} ({train_rows} rows)"),
            total: (*steps_per_epoch * *epochs) as u64,
        }),
        TrainEvent::Step {
            global_step,
            epoch,
            loss,
        } => {
            if global_step % 8 == 0 {
                report(Event::Progress {
                    pos: *global_step as u64,
                    msg: format!("epoch {epoch}, loss {loss:.4}"),
                })
            }
        }
        TrainEvent::Epoch(_) => {}
    }
}

/// Repeats per-row weights over heads.
fn per_cell(w: &[f32], heads: usize) -> Vec<f32> {
    w.iter()
        .flat_map(|&v| std::iter::repeat_n(v, heads))
        .collect()
}

/// The submit model's P(submit | shown) for each row, for the survey type shown.
fn propensity(
    submit: &SubmitModel,
    rows: &[&ExposureRecord],
    spec: &crate::datasets::FeatureSpec,
) -> Result<Vec<f32>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let p = submit.predict(
        &spec.features(rows.iter().copied()),
        &history(rows.iter().copied()),
    )?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| p.p[i * 2 + survey_index(r.survey).unwrap_or(0)])
        .collect())
}

/// Answer-dependent propensity from a panel (naive Bayes over answers, Schnabel et al. 2016):
/// `P(submit | answer) = P(answer | submit) P(submit) / P(answer)`, with `P(answer)` from the
/// panel, which answers at random. Returned as the likelihood ratio `P(submit | answer) /
/// P(submit)` per (survey, answer), to multiply a feature-based propensity by.
pub fn panel_ratios(
    shows: &[ExposureRecord],
    panel: &[ExposureRecord],
) -> BTreeMap<(SurveyKind, Answer), f64> {
    let mut out = BTreeMap::new();
    for kind in [SurveyKind::Satisfaction, SurveyKind::Inappropriate] {
        let answers: &[Answer] = if kind == SurveyKind::Satisfaction {
            &[Answer::Like, Answer::Neutral, Answer::Dislike]
        } else {
            &[Answer::Suitable, Answer::AdultOnly, Answer::NotSuitable]
        };
        let subs: Vec<&ExposureRecord> = shows
            .iter()
            .filter(|r| r.survey == kind && r.submitted)
            .collect();
        let pan: Vec<&ExposureRecord> = panel.iter().filter(|r| r.survey == kind).collect();
        for &a in answers {
            // Add-one smoothing keeps rare answers finite.
            let p_a_sub = (subs.iter().filter(|r| r.answer == a).count() as f64 + 1.0)
                / (subs.len() as f64 + answers.len() as f64);
            let p_a = (pan.iter().filter(|r| r.answer == a).count() as f64 + 1.0)
                / (pan.len() as f64 + answers.len() as f64);
            out.insert((kind, a), p_a_sub / p_a);
        }
    }
    out
}

fn ok(x: usm_core::error::Result<f64>) -> Option<f64> {
    x.ok().filter(|v| v.is_finite())
}

fn bools(rows: &[&ExposureRecord], f: impl Fn(&ExposureRecord) -> bool) -> Vec<bool> {
    rows.iter().map(|r| f(r)).collect()
}

/// Evaluates one model's predictions for one head.
struct EvalSets<'a> {
    submits: Vec<&'a ExposureRecord>,
    submit_p: Vec<f32>,
    shows: Vec<&'a ExposureRecord>,
    show_p: Vec<f32>,
    exposures: Vec<&'a ExposureRecord>,
}

fn head_metrics(
    h: &HeadDef,
    k: usize,
    sets: &EvalSets,
    pred_sub: &[f32],
    pred_show: &[f32],
    pred_exp: &[f32],
    n_heads: usize,
    clip: f64,
) -> MetricMap {
    let mut m = MetricMap::new();
    let t = h.survey();
    let col = |p: &[f32], i: usize| p[i * n_heads + k] as f64;
    // What a platform sees: submitted answers of this survey.
    let idx: Vec<usize> = (0..sets.submits.len())
        .filter(|&i| sets.submits[i].survey == t)
        .collect();
    let p: Vec<f64> = idx.iter().map(|&i| col(pred_sub, i)).collect();
    let y: Vec<bool> = idx
        .iter()
        .map(|&i| h.label(sets.submits[i].answer, sets.submits[i].reasons))
        .collect();
    let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
    let ps: Vec<f64> = idx.iter().map(|&i| sets.submit_p[i] as f64).collect();
    let w: Vec<f64> = ps.iter().map(|&q| 1.0 / q.max(clip)).collect();
    m.insert("labeled_n".into(), Some(p.len() as f64));
    m.insert("labeled_auc".into(), ok(metrics::auc(&p, &y)));
    m.insert(
        "labeled_calibration".into(),
        ok(metrics::calibration(&p, &yf, None)),
    );
    m.insert(
        "labeled_auc_ipw".into(),
        ok(metrics::weighted_auc(&p, &y, Some(&w))),
    );
    m.insert(
        "labeled_calibration_ipw".into(),
        ok(metrics::calibration(&p, &yf, Some(&w))),
    );
    m.insert(
        "labeled_logloss".into(),
        ok(metrics::log_loss(&p, &yf, None)),
    );
    if let Ok(bands) = metrics::by_submit_band(&ps, &p, &y, None, &[0.0, 0.25, 0.5, 0.75, 1.0]) {
        for (b, band) in bands.iter().enumerate() {
            let name = ["p0_p25", "p25_p50", "p50_p75", "p75_p100"][b];
            m.insert(format!("band_{name}_auc"), band.auc);
            m.insert(format!("band_{name}_calibration"), band.calibration);
        }
    }
    // What only the simulator knows: every show of this survey, answered or not.
    let sidx: Vec<usize> = (0..sets.shows.len())
        .filter(|&i| sets.shows[i].survey == t)
        .collect();
    let sp: Vec<f64> = sidx.iter().map(|&i| col(pred_show, i)).collect();
    let sy: Vec<bool> = sidx
        .iter()
        .map(|&i| h.latent(&sets.shows[i].oracle.unwrap_or_default()))
        .collect();
    let st: Vec<f64> = sidx
        .iter()
        .map(|&i| h.truth(&sets.shows[i].oracle.unwrap_or_default()) as f64)
        .collect();
    m.insert("oracle_auc_shown".into(), ok(metrics::auc(&sp, &sy)));
    m.insert(
        "oracle_calibration_shown".into(),
        ok(metrics::calibration(&sp, &st, None)),
    );
    // Against the true probability: no answer-draw noise, so differences show with fewer rows.
    m.insert("oracle_regauc_shown".into(), ok(metrics::reg_auc(&sp, &st)));
    // Reluctant answerers: the lowest quarter of predicted willingness among these shows.
    let sprop: Vec<f64> = sidx.iter().map(|&i| sets.show_p[i] as f64).collect();
    if let Ok(bands) = metrics::by_submit_band(&sprop, &sp, &sy, None, &[0.0, 0.25, 1.0]) {
        m.insert("oracle_auc_reluctant".into(), bands[0].auc);
        m.insert("oracle_auc_willing".into(), bands[1].auc);
    }
    let mut order: Vec<usize> = (0..sidx.len()).collect();
    order.sort_by(|&a, &b| sprop[a].total_cmp(&sprop[b]));
    let q = order.len() / 4;
    if q > 0 {
        for (name, part) in [("reluctant", &order[..q]), ("willing", &order[q..])] {
            let lp: Vec<f64> = part.iter().map(|&i| sp[i]).collect();
            let lt: Vec<f64> = part.iter().map(|&i| st[i]).collect();
            m.insert(
                format!("oracle_calibration_{name}"),
                ok(metrics::calibration(&lp, &lt, None)),
            );
            m.insert(
                format!("oracle_regauc_{name}"),
                ok(metrics::reg_auc(&lp, &lt)),
            );
        }
    }
    // Every exposure of the evaluation users.
    let ep: Vec<f64> = (0..sets.exposures.len())
        .map(|i| col(pred_exp, i))
        .collect();
    let ey = bools(&sets.exposures, |r| h.latent(&r.oracle.unwrap_or_default()));
    let et: Vec<f64> = sets
        .exposures
        .iter()
        .map(|r| h.truth(&r.oracle.unwrap_or_default()) as f64)
        .collect();
    m.insert("oracle_auc_exposed".into(), ok(metrics::auc(&ep, &ey)));
    m.insert(
        "oracle_calibration_exposed".into(),
        ok(metrics::calibration(&ep, &et, None)),
    );
    m.insert(
        "oracle_regauc_exposed".into(),
        ok(metrics::reg_auc(&ep, &et)),
    );
    // Nfb / Pfb UAUC against buttons every user has (Eq. 11–12).
    let users: Vec<u32> = sets.exposures.iter().map(|r| r.user_id).collect();
    let nfb = bools(&sets.exposures, |r| r.dislike || r.report);
    let pfb = bools(&sets.exposures, |r| r.like || r.share || r.favorite);
    let neg: Vec<f64> = ep.iter().map(|p| 1.0 - p).collect();
    let u_n = metrics::uauc(&users, &ep, &nfb).ok();
    let u_p = metrics::uauc(&users, &neg, &pfb).ok();
    m.insert("uauc_nfb".into(), u_n.as_ref().map(|u| u.uauc));
    m.insert("uauc_pfb".into(), u_p.as_ref().map(|u| u.uauc));
    let paper = if matches!(h, HeadDef::Dislike) {
        u_p
    } else {
        u_n
    };
    m.insert("uauc".into(), paper.as_ref().map(|u| u.uauc));
    m.insert(
        "uauc_users".into(),
        paper.as_ref().map(|u| u.users_counted as f64),
    );
    m
}

fn curve(pred: &[f64], truth: &[f64], bins: usize) -> Curve {
    let mut order: Vec<usize> = (0..pred.len()).collect();
    order.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]));
    let mut c = Curve::default();
    for b in 0..bins {
        let lo = b * order.len() / bins;
        let hi = (b + 1) * order.len() / bins;
        if hi > lo {
            let n = (hi - lo) as f64;
            c.predicted
                .push(order[lo..hi].iter().map(|&i| pred[i]).sum::<f64>() / n);
            c.truth
                .push(order[lo..hi].iter().map(|&i| truth[i]).sum::<f64>() / n);
        }
    }
    c
}

fn check_heads(heads: &[HeadDef], labels: &Labels, n_submits: usize) -> Result<()> {
    for (k, h) in heads.iter().enumerate() {
        let (n, pos) = labels.head_counts(k);
        if pos == 0 {
            return Err(SimError::Experiment(format!(
                "head `{}` has no positive answer among {n} training answers ({n_submits} submits in all): \
                 raise survey.rate or population.users, or drop the head",
                h.name()
            )));
        }
    }
    Ok(())
}

/// Runs one replicate: `r` shifts the scenario's seed and every training seed.
pub fn run_replicate(
    cfg: &ExperimentConfig,
    r: usize,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Replicate> {
    let heads = parse_heads(&cfg.heads)?;
    let names: Vec<String> = heads.iter().map(HeadDef::name).collect();
    let nh = heads.len();
    let mut scenario = cfg.scenario.clone();
    scenario.seed = cfg.scenario.seed.wrapping_add(r as u64);
    let seed = scenario.seed;
    let pop = Population::draw(&scenario);
    let days = scenario.population.days as u64;
    let users = scenario.population.users as u64;
    report(Event::Stage {
        name: format!("simulate (replicate {}, seed {seed})", r + 1),
        total: days * users,
    });
    let data: Collected = collect(
        &scenario,
        &pop,
        cfg.eval_days,
        cfg.eval_user_share,
        cfg.pseudo_rows,
        &mut |p| {
            report(Event::Progress {
                pos: p.day as u64 * users + p.users_done as u64,
                msg: format!("{} exposures", p.exposures),
            })
        },
    )?;
    let spec = data.spec;
    let train_submits: Vec<&ExposureRecord> =
        data.train_shows.iter().filter(|r| r.submitted).collect();
    let eval_submits: Vec<&ExposureRecord> =
        data.eval_shows.iter().filter(|r| r.submitted).collect();
    if data.train_shows.is_empty() || train_submits.is_empty() {
        return Err(SimError::Experiment(format!(
            "the training period has {} survey shows and {} submits: too few to train on; raise survey.rate or population.users",
            data.train_shows.len(),
            train_submits.len()
        )));
    }
    if eval_submits.is_empty() || data.eval_exposures.is_empty() {
        return Err(SimError::Experiment("the evaluation period has no submits or no exposures: raise eval_days, survey.rate or eval_user_share".into()));
    }
    let train_labels = survey_labels(&heads, train_submits.iter().copied());
    check_heads(&heads, &train_labels, train_submits.len())?;
    let mut out = Replicate {
        seed,
        stats: data.stats.clone(),
        ..Replicate::default()
    };
    let seeded = |t: &TrainConfig, k: u64| TrainConfig {
        seed: t.seed.wrapping_add(seed.wrapping_mul(1000) + k),
        ..t.clone()
    };

    // Survey-submit model (section 3.2.2).
    let mut submit = SubmitModel::new(
        &SubmitModelConfig {
            survey_types: crate::datasets::SURVEY_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            vocab: spec.vocab,
            n_dense: spec.n_dense(),
            arch: cfg.arch.clone(),
            seed,
        },
        device,
    )?;
    let shows: Vec<&ExposureRecord> = data.train_shows.iter().collect();
    let rep = submit.fit(
        &spec.features(shows.iter().copied()),
        &history(shows.iter().copied()),
        &submit_labels(shows.iter().copied()),
        &seeded(&cfg.submit_train, 1),
        &mut train_note("submit model", report),
    )?;
    out.training.insert("submit".into(), rep);
    let train_prop = propensity(&submit, &train_submits, &spec)?;
    let eval_show_refs: Vec<&ExposureRecord> = data.eval_shows.iter().collect();
    let eval_show_prop = propensity(&submit, &eval_show_refs, &spec)?;
    let eval_sub_prop: Vec<f32> = data
        .eval_shows
        .iter()
        .zip(&eval_show_prop)
        .filter(|(r, _)| r.submitted)
        .map(|(_, &p)| p)
        .collect();
    {
        let y: Vec<bool> = data.eval_shows.iter().map(|r| r.submitted).collect();
        let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
        let truth: Vec<f64> = data
            .eval_shows
            .iter()
            .map(|r| {
                r.oracle.unwrap_or_default().p_submit[survey_index(r.survey).unwrap_or(0)] as f64
            })
            .collect();
        let p: Vec<f64> = eval_show_prop.iter().map(|&v| v as f64).collect();
        out.submit.insert("auc".into(), ok(metrics::auc(&p, &y)));
        out.submit.insert(
            "calibration".into(),
            ok(metrics::calibration(&p, &yf, None)),
        );
        out.submit
            .insert("auc_true_propensity".into(), ok(metrics::auc(&truth, &y)));
        out.submit
            .insert("corr_with_true_propensity".into(), pearson(&p, &truth));
        out.submit.insert(
            "mean_abs_error".into(),
            Some(
                p.iter()
                    .zip(&truth)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f64>()
                    / p.len().max(1) as f64,
            ),
        );
        out.submit.insert(
            "mean_predicted".into(),
            Some(p.iter().sum::<f64>() / p.len().max(1) as f64),
        );
        out.submit.insert(
            "mean_true".into(),
            Some(truth.iter().sum::<f64>() / truth.len().max(1) as f64),
        );
    }

    // Datasets of the survey models.
    let x_train = spec.features(train_submits.iter().copied());
    let post_train = posterior(train_submits.iter().copied());
    let ipw_rows = cfg.ipw.weights(&train_prop)?;
    let ipw = per_cell(&ipw_rows, nh);
    let mcfg = SurveyModelConfig {
        heads: names.clone(),
        vocab: spec.vocab,
        n_dense: spec.n_dense(),
        arch: cfg.arch.clone(),
        lhuc: true,
        seed,
    };
    let mut models: Vec<(&str, SurveyModel)> = Vec::new();

    let fit_survey = |name: &'static str,
                      x: &Features,
                      y: &Labels,
                      w: Option<&[f32]>,
                      k: u64,
                      report: &mut dyn FnMut(Event),
                      training: &mut BTreeMap<String, TrainReport>|
     -> Result<SurveyModel> {
        let mut m = SurveyModel::new(&mcfg, device)?;
        let rep = m.fit(
            x,
            y,
            w,
            &seeded(&cfg.train, k),
            &mut train_note(name, report),
        )?;
        training.insert(name.into(), rep);
        Ok(m)
    };
    models.push((
        "baseline",
        fit_survey(
            "baseline",
            &x_train,
            &train_labels,
            None,
            2,
            report,
            &mut out.training,
        )?,
    ));
    models.push((
        "response_debias",
        fit_survey(
            "response_debias",
            &x_train,
            &train_labels,
            Some(&ipw),
            3,
            report,
            &mut out.training,
        )?,
    ));

    // Teachers (Eq. 7) and students (Eq. 8–9).
    let tcfg = TeacherConfig {
        survey: mcfg.clone(),
        n_posterior: POSTERIOR.len(),
    };
    let pseudo_refs: Vec<&ExposureRecord> = data.pseudo.iter().collect();
    let x_pseudo = spec.features(pseudo_refs.iter().copied());
    let post_pseudo = posterior(pseudo_refs.iter().copied());
    let x_eval_sub = spec.features(eval_submits.iter().copied());
    let post_eval_sub = posterior(eval_submits.iter().copied());
    out.data = DataCounts {
        train_shows: data.train_shows.len(),
        train_submits: train_submits.len(),
        train_panel: data.train_panel.len(),
        pseudo_rows: data.pseudo.len(),
        pseudo_cells_kept: 0,
        eval_shows: data.eval_shows.len(),
        eval_submits: eval_submits.len(),
        eval_exposures: data.eval_exposures.len(),
    };
    for (variant, weighted, k) in [
        ("distillation", false, 4u64),
        ("distillation_response_debias", true, 6),
    ] {
        let mut teacher = TeacherModel::new(&tcfg, device)?;
        let tname = if weighted {
            "teacher_response_debias"
        } else {
            "teacher"
        };
        let w = weighted.then_some(ipw.as_slice());
        let rep = teacher.fit(
            &x_train,
            &post_train,
            &train_labels,
            w,
            &seeded(&cfg.train, k),
            &mut train_note(tname, report),
        )?;
        out.training.insert(tname.into(), rep);
        if !weighted {
            let tp = teacher.predict(&x_eval_sub, &post_eval_sub)?;
            for (hk, h) in heads.iter().enumerate() {
                let idx: Vec<usize> = (0..eval_submits.len())
                    .filter(|&i| eval_submits[i].survey == h.survey())
                    .collect();
                let p: Vec<f64> = idx.iter().map(|&i| tp.p[i * nh + hk] as f64).collect();
                let y: Vec<bool> = idx
                    .iter()
                    .map(|&i| h.label(eval_submits[i].answer, eval_submits[i].reasons))
                    .collect();
                out.teacher
                    .entry(h.name())
                    .or_default()
                    .insert("labeled_auc".into(), ok(metrics::auc(&p, &y)));
            }
        }
        let pseudo = if data.pseudo.is_empty() {
            Labels {
                heads: names.clone(),
                ..Labels::default()
            }
        } else {
            let tp = teacher.predict(&x_pseudo, &post_pseudo)?;
            cfg.distill.pseudo_labels(&names, &tp.p)?
        };
        out.data.pseudo_cells_kept = pseudo.mask.iter().filter(|&&b| b).count();
        let (xs, ys, ws) = cfg
            .distill
            .student_set((&x_train, &train_labels, w), (&x_pseudo, &pseudo))?;
        models.push((
            variant,
            fit_survey(
                if weighted {
                    "student_response_debias"
                } else {
                    "student"
                },
                &xs,
                &ys,
                Some(&ws),
                k + 1,
                report,
                &mut out.training,
            )?,
        ));
    }

    // Beyond the paper: answer-dependent propensities from the panel.
    let ratios =
        (!data.train_panel.is_empty()).then(|| panel_ratios(&data.train_shows, &data.train_panel));
    if let Some(ratios) = &ratios {
        let prop: Vec<f32> = train_submits
            .iter()
            .zip(&train_prop)
            .map(|(r, &p)| {
                ((p as f64) * ratios.get(&(r.survey, r.answer)).copied().unwrap_or(1.0))
                    .clamp(cfg.ipw.clip, 1.0) as f32
            })
            .collect();
        let mut wrows = cfg.ipw.weights(&prop)?;
        let mut x = x_train.clone();
        let mut y = train_labels.clone();
        let panel_refs: Vec<&ExposureRecord> = data.train_panel.iter().collect();
        x.extend(&spec.features(panel_refs.iter().copied()))?;
        y.extend(&survey_labels(&heads, panel_refs.iter().copied()))?;
        wrows.extend(std::iter::repeat_n(1.0, panel_refs.len()));
        let w = per_cell(&wrows, nh);
        models.push((
            "panel_debias",
            fit_survey(
                "panel_debias",
                &x,
                &y,
                Some(&w),
                8,
                report,
                &mut out.training,
            )?,
        ));
    }

    // Evaluation.
    report(Event::Stage {
        name: "evaluate".into(),
        total: models.len() as u64,
    });
    let sets = EvalSets {
        submits: eval_submits.clone(),
        submit_p: eval_sub_prop.clone(),
        shows: eval_show_refs.clone(),
        show_p: eval_show_prop.clone(),
        exposures: data.eval_exposures.iter().collect(),
    };
    let x_show = spec.features(sets.shows.iter().copied());
    let x_exp = spec.features(sets.exposures.iter().copied());
    // Submits are the answered shows, in the same order: their predictions come from the shows'.
    let submitted: Vec<usize> = (0..sets.shows.len())
        .filter(|&i| sets.shows[i].submitted)
        .collect();
    let mut show_preds: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    for (i, (name, m)) in models.iter().enumerate() {
        let psh = m.predict(&x_show)?.p;
        let ps = usm_core::data::select_rows(&psh, nh, &submitted);
        let pe = m.predict(&x_exp)?.p;
        let mut per_head = BTreeMap::new();
        let mut curves = BTreeMap::new();
        for (k, h) in heads.iter().enumerate() {
            per_head.insert(
                h.name(),
                head_metrics(h, k, &sets, &ps, &psh, &pe, nh, cfg.ipw.clip),
            );
            let pred: Vec<f64> = (0..sets.exposures.len())
                .map(|j| pe[j * nh + k] as f64)
                .collect();
            let truth: Vec<f64> = sets
                .exposures
                .iter()
                .map(|r| h.truth(&r.oracle.unwrap_or_default()) as f64)
                .collect();
            curves.insert(h.name(), curve(&pred, &truth, 10));
        }
        out.variants.insert(name.to_string(), per_head);
        out.curves.insert(name.to_string(), curves);
        show_preds.insert(name, psh);
        report(Event::Progress {
            pos: i as u64 + 1,
            msg: name.to_string(),
        });
    }

    // The ceiling: the true probabilities scored like a model.
    {
        let truth_of = |rows: &[&ExposureRecord]| -> Vec<f32> {
            rows.iter()
                .flat_map(|r| heads.iter().map(|h| h.truth(&r.oracle.unwrap_or_default())))
                .collect()
        };
        let (ts, tsh, te) = (
            truth_of(&sets.submits),
            truth_of(&sets.shows),
            truth_of(&sets.exposures),
        );
        for (k, h) in heads.iter().enumerate() {
            let m = head_metrics(h, k, &sets, &ts, &tsh, &te, nh, cfg.ipw.clip);
            let keep = [
                "labeled_auc",
                "oracle_auc_shown",
                "oracle_auc_exposed",
                "oracle_auc_reluctant",
                "uauc",
                "uauc_nfb",
                "uauc_pfb",
            ];
            out.reference.insert(
                h.name(),
                m.into_iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .collect(),
            );
        }
    }

    // Rates: truth, Eq. 2, Eq. 13, and with a panel the doubly robust estimate.
    for (k, h) in heads.iter().enumerate() {
        let t = h.survey();
        let mut m = MetricMap::new();
        let shows_t: Vec<usize> = (0..sets.shows.len())
            .filter(|&i| sets.shows[i].survey == t)
            .collect();
        let truth: Vec<f64> = shows_t
            .iter()
            .map(|&i| h.truth(&sets.shows[i].oracle.unwrap_or_default()) as f64)
            .collect();
        m.insert("rate_true".into(), ok(metrics::mean_rate(&truth)));
        let texp: Vec<f64> = sets
            .exposures
            .iter()
            .map(|r| h.truth(&r.oracle.unwrap_or_default()) as f64)
            .collect();
        m.insert("rate_true_exposed".into(), ok(metrics::mean_rate(&texp)));
        let sub_t: Vec<usize> = (0..sets.submits.len())
            .filter(|&i| sets.submits[i].survey == t)
            .collect();
        let ans: Vec<bool> = sub_t
            .iter()
            .map(|&i| h.label(sets.submits[i].answer, sets.submits[i].reasons))
            .collect();
        let prop: Vec<f64> = sub_t.iter().map(|&i| sets.submit_p[i] as f64).collect();
        let oprop: Vec<f64> = sub_t
            .iter()
            .map(|&i| {
                sets.submits[i].oracle.unwrap_or_default().p_submit[survey_index(t).unwrap_or(0)]
                    as f64
            })
            .collect();
        m.insert("rate_naive".into(), ok(metrics::survey_rate(&ans)));
        m.insert(
            "rate_debiased".into(),
            ok(metrics::debiased_rate(&ans, &prop, cfg.ipw.clip)),
        );
        m.insert(
            "rate_debiased_true_propensity".into(),
            ok(metrics::debiased_rate(&ans, &oprop, cfg.ipw.clip)),
        );
        let rd = &show_preds["response_debias"];
        let eq5: Vec<f64> = shows_t.iter().map(|&i| rd[i * nh + k] as f64).collect();
        m.insert(
            "rate_eq5_response_debias".into(),
            ok(metrics::mean_rate(&eq5)),
        );
        if let (Some(ratios), Some(pd)) = (&ratios, show_preds.get("panel_debias")) {
            let pan: Vec<bool> = data
                .eval_panel
                .iter()
                .filter(|r| r.survey == t)
                .map(|r| h.label(r.answer, r.reasons))
                .collect();
            m.insert("rate_panel".into(), ok(metrics::survey_rate(&pan)));
            // DR: mean over shows of m(x) + O (y - m(x)) / p(x, y).
            let mut s = 0.0;
            for &i in &shows_t {
                let r = sets.shows[i];
                let mx = pd[i * nh + k] as f64;
                s += mx;
                if r.submitted {
                    let p = ((sets.show_p[i] as f64)
                        * ratios.get(&(r.survey, r.answer)).copied().unwrap_or(1.0))
                    .clamp(cfg.ipw.clip, 1.0);
                    let y = h.label(r.answer, r.reasons) as u8 as f64;
                    s += (y - mx) / p;
                }
            }
            m.insert(
                "rate_dr".into(),
                (!shows_t.is_empty()).then(|| s / shows_t.len() as f64),
            );
        }
        out.rates.insert(h.name(), m);
    }

    // Closed-loop A/B.
    if cfg.ab.enabled {
        let treatments: Vec<(&str, &SurveyModel)> = models.iter().map(|(n, m)| (*n, m)).collect();
        out.ab = Some(run_ab(
            cfg,
            &scenario,
            &pop,
            &spec,
            &heads,
            &submit,
            &treatments,
            report,
        )?);
    }
    Ok(out)
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 {
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
