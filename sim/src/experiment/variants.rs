//! The survey-model variants: the baseline (section 3.1), response debias by inverse propensity
//! weights (3.2), pseudo-label distillation with and without them (3.3, Eq. 7–9), and, where the
//! scenario has a panel, answer-dependent propensities (beyond the paper).

use std::collections::BTreeMap;

use burn::prelude::Device;
use usm_core::data::{Features, Labels};
use usm_core::logistic::{LogisticConfig, LogisticModel};
use usm_core::metrics;
use usm_core::models::{SurveyModel, SurveyModelConfig, TeacherConfig, TeacherModel};
use usm_core::train::TrainReport;

use super::event::{Event, train_note};
use super::measured::MetricMap;
use super::names::{Metric, ModelId, Variant};
use super::stats::defined;
use super::world::{MarginalRatios, PanelRatios, Split, SubmitFit, Trained, answer_propensity};
use crate::datasets::{Encoded, POSTERIOR, survey_labels};
use crate::error::Result;
use crate::heads::HeadDef;
use crate::records::{ExposureRecord, SurveyKind};

/// The training seed of every survey model of a replicate (baseline, response debias, the
/// students, the panel variant): common random numbers, so variants that share an architecture
/// start from the same weights and see their rows in the same order, and a paired difference
/// carries the correction's effect rather than two draws of initial weights and batch order.
const SURVEY_SEED: u64 = 2;
/// The training seed of both teachers, likewise.
const TEACHER_SEED: u64 = 4;

/// The panel's answer-dependent ratios ([`PanelRatios`]), with `P(y | x, submit)` from the
/// baseline (trained on submitted answers) and `P(y | x)` from a model trained on the panel,
/// which everyone answers. Unlike the marginal naive-Bayes ratio, it does not count twice the
/// part of the answer's effect that the features already carry (when willingness and the answer
/// both follow sensitivity). `y` is whether the answer is negative: the `dislike` head for the
/// satisfaction survey, `inappropriate` for the other; a survey type whose head the experiment
/// lacks falls back to the marginal ratio.
async fn answer_ratios(
    split: &Split<'_>,
    baseline: &SurveyModel,
    panel_model: &SurveyModel,
    marginal: &MarginalRatios,
) -> Result<PanelRatios> {
    let heads = split.heads();
    let col = |kind: SurveyKind| {
        let want = if kind == SurveyKind::Satisfaction {
            HeadDef::Dislike
        } else {
            HeadDef::Inappropriate
        };
        heads.iter().position(|h| *h == want)
    };
    let ratios = async |set: &Encoded<'_>| -> Result<Vec<f64>> {
        let given_submit = baseline.predict_async(&set.x).await?.p;
        let overall = panel_model.predict_async(&set.x).await?.p;
        Ok(set
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if !r.submitted {
                    return 1.0;
                }
                let Some(k) = col(r.survey) else {
                    return marginal.get(&(r.survey, r.answer)).copied().unwrap_or(1.0);
                };
                let clamp = |p: f32| (p as f64).clamp(1e-4, 1.0 - 1e-4);
                let (s, a) = (
                    clamp(given_submit[i * heads.len() + k]),
                    clamp(overall[i * heads.len() + k]),
                );
                if r.answer.is_negative() {
                    s / a
                } else {
                    (1.0 - s) / (1.0 - a)
                }
            })
            .collect())
    };
    Ok(PanelRatios {
        train: ratios(&split.train.submits).await?,
        eval_shows: ratios(&split.eval.shows).await?,
        marginal: marginal.clone(),
    })
}

/// Everything the variants train on: the labelled rows' weights and the model shape.
struct Training<'a, 'b> {
    split: &'a Split<'b>,
    device: &'a Device,
    /// Inverse propensity weights, one per cell (row × head).
    ipw: Vec<f32>,
    survey: SurveyModelConfig,
    reports: BTreeMap<ModelId, TrainReport>,
}

impl Training<'_, '_> {
    /// Trains one survey model (student or not) as `id` with training seed `k`.
    async fn fit(
        &mut self,
        id: ModelId,
        (x, y, w): (&Features, &Labels, Option<&[f32]>),
        k: u64,
        report: &mut dyn FnMut(Event),
    ) -> Result<SurveyModel> {
        let mut m = SurveyModel::new(&self.survey, self.device)?;
        let rep = m
            .fit_async(
                x,
                y,
                w,
                &self.split.seeded(&self.split.exp.train, k),
                &mut train_note(id.name(), report),
            )
            .await?;
        self.reports.insert(id, rep);
        Ok(m)
    }
}

/// Trains every variant that applies, in a fixed order (each seed is fixed by its place).
pub async fn train_variants(
    split: &Split<'_>,
    submit: &SubmitFit,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Trained> {
    let exp = split.exp;
    let spec = split.spec;
    let nh = split.heads().len();
    let mut t = Training {
        split,
        device,
        ipw: per_cell(&exp.ipw.weights(&submit.train_prop)?, nh),
        survey: SurveyModelConfig {
            heads: split.heads().iter().map(|h| h.name().to_string()).collect(),
            vocab: spec.vocab,
            n_dense: spec.n_dense(),
            arch: exp.arch.clone(),
            lhuc: true,
            seed: split.seed,
        },
        reports: BTreeMap::new(),
    };
    let (x, y) = (&split.train.submits.x, &split.train.labels);
    let mut models = vec![(
        Variant::Baseline,
        t.fit(ModelId::Baseline, (x, y, None), SURVEY_SEED, report)
            .await?,
    )];
    let logistic = fit_logistic(&mut t, report)?;
    let ipw = t.ipw.clone();
    models.push((
        Variant::ResponseDebias,
        t.fit(
            ModelId::ResponseDebias,
            (x, y, Some(&ipw)),
            SURVEY_SEED,
            report,
        )
        .await?,
    ));
    let distilled = distill(&mut t, report).await?;
    models.extend(distilled.students);
    let panel = &split.train.panel;
    let ratios = if panel.is_empty() {
        None
    } else {
        // P(answer | x): a model of the panel's answers, which everyone gives.
        let y = survey_labels(split.heads(), panel.rows.iter().copied());
        let answers = t
            .fit(
                ModelId::PanelAnswers,
                (&panel.x, &y, None),
                SURVEY_SEED,
                report,
            )
            .await?;
        let data = &split.world.data;
        let marginal = panel_ratios(&data.train_shows, &data.train_panel);
        Some(answer_ratios(split, &models[0].1, &answers, &marginal).await?)
    };
    if let Some(r) = &ratios {
        let model = train_panel_variant(&mut t, submit, r, report).await?;
        models.push((Variant::PanelDebias, model));
        let model = train_naive_bayes_variant(&mut t, r, report).await?;
        models.push((Variant::NaiveBayesDebias, model));
    }
    Ok(Trained {
        models,
        logistic,
        teacher: distilled.teacher,
        pseudo_cells_kept: distilled.pseudo_cells_kept,
        teacher_exposed: distilled.teacher_exposed,
        panel: ratios,
        training: t.reports,
    })
}

/// The logistic regression on the submitted answers, unweighted, seeded like the survey models.
fn fit_logistic(t: &mut Training<'_, '_>, report: &mut dyn FnMut(Event)) -> Result<LogisticModel> {
    let split = t.split;
    let mut m = LogisticModel::new(
        t.survey.heads.clone(),
        split.spec.vocab,
        split.spec.n_dense(),
    )?;
    let cfg = LogisticConfig {
        seed: split.seeded(&split.exp.train, SURVEY_SEED).seed,
        ..LogisticConfig::default()
    };
    report(Event::Stage {
        name: ModelId::Logistic.name().into(),
        total: 1,
    });
    let rep = m.fit(&split.train.submits.x, &split.train.labels, None, &cfg)?;
    report(Event::Progress {
        pos: 1,
        msg: format!("{} epochs of Adagrad", cfg.epochs),
    });
    t.reports.insert(ModelId::Logistic, rep);
    Ok(m)
}

/// What distillation produced.
struct Distilled {
    students: Vec<(Variant, SurveyModel)>,
    teacher: BTreeMap<HeadDef, MetricMap>,
    pseudo_cells_kept: usize,
    teacher_exposed: Vec<f32>,
}

/// Teachers (Eq. 7) label the pseudo-label stream; students learn from it (Eq. 8–9). Once
/// unweighted (distillation), once with inverse propensity weights (distillation + response
/// debias).
async fn distill(t: &mut Training<'_, '_>, report: &mut dyn FnMut(Event)) -> Result<Distilled> {
    let split = t.split;
    let exp = split.exp;
    let names = t.survey.heads.clone();
    let tcfg = TeacherConfig {
        survey: t.survey.clone(),
        n_posterior: POSTERIOR.len(),
    };
    let (train, pseudo) = (&split.train.submits, &split.train.pseudo);
    let ipw = t.ipw.clone();
    let mut out = Distilled {
        students: Vec::new(),
        teacher: BTreeMap::new(),
        pseudo_cells_kept: 0,
        teacher_exposed: Vec::new(),
    };
    for (variant, weighted) in [
        (Variant::Distillation, false),
        (Variant::DistillationResponseDebias, true),
    ] {
        let (tid, sid) = if weighted {
            (
                ModelId::TeacherResponseDebias,
                ModelId::StudentResponseDebias,
            )
        } else {
            (ModelId::Teacher, ModelId::Student)
        };
        let mut teacher = TeacherModel::new(&tcfg, t.device)?;
        let w = weighted.then_some(ipw.as_slice());
        let rep = teacher
            .fit_async(
                &train.x,
                &train.posterior,
                &split.train.labels,
                w,
                &split.seeded(&exp.train, TEACHER_SEED),
                &mut train_note(tid.name(), report),
            )
            .await?;
        t.reports.insert(tid, rep);
        if !weighted {
            let exposed = &split.eval.exposures;
            out.teacher_exposed = teacher
                .predict_async(&exposed.x, &exposed.posterior)
                .await?
                .p;
            out.teacher = teacher_metrics(split, &teacher).await?;
        }
        let pseudo_labels = if pseudo.is_empty() {
            Labels {
                heads: names.clone(),
                ..Labels::default()
            }
        } else {
            let tp = teacher.predict_async(&pseudo.x, &pseudo.posterior).await?;
            exp.distill.pseudo_labels(&names, &tp.p)?
        };
        out.pseudo_cells_kept = pseudo_labels.mask.iter().filter(|&&b| b).count();
        let (xs, ys, ws) = exp.distill.student_set(
            (&train.x, &split.train.labels, w),
            (&pseudo.x, &pseudo_labels),
        )?;
        let student = t
            .fit(sid, (&xs, &ys, Some(&ws)), SURVEY_SEED, report)
            .await?;
        out.students.push((variant, student));
    }
    Ok(out)
}

/// head → the teacher's AUC on the evaluation period's submitted answers.
async fn teacher_metrics(
    split: &Split<'_>,
    teacher: &TeacherModel,
) -> Result<BTreeMap<HeadDef, MetricMap>> {
    let submits = &split.eval.submits;
    let tp = teacher
        .predict_async(&submits.x, &submits.posterior)
        .await?;
    let heads = split.heads();
    let nh = heads.len();
    let mut out = BTreeMap::new();
    for (hk, h) in heads.iter().enumerate() {
        let idx: Vec<usize> = (0..submits.len())
            .filter(|&i| submits.rows[i].survey == h.survey())
            .collect();
        let p: Vec<f64> = idx.iter().map(|&i| tp.p[i * nh + hk] as f64).collect();
        let y: Vec<bool> = idx
            .iter()
            .map(|&i| h.label(submits.rows[i].answer, submits.rows[i].reasons))
            .collect();
        out.entry(*h)
            .or_insert_with(MetricMap::new)
            .insert(Metric::LABELED_AUC, defined(metrics::auc(&p, &y)));
    }
    Ok(out)
}

/// The panel variant: submitted answers weighted by answer-dependent propensities, plus the
/// panel's own answers at weight 1.
async fn train_panel_variant(
    t: &mut Training<'_, '_>,
    submit: &SubmitFit,
    ratios: &PanelRatios,
    report: &mut dyn FnMut(Event),
) -> Result<SurveyModel> {
    let split = t.split;
    let exp = split.exp;
    let prop: Vec<f32> = submit
        .train_prop
        .iter()
        .zip(&ratios.train)
        .map(|(&p, &ratio)| answer_propensity(p as f64, ratio, exp.ipw.clip) as f32)
        .collect();
    let mut wrows = exp.ipw.weights(&prop)?;
    let mut x = split.train.submits.x.clone();
    let mut y = split.train.labels.clone();
    let panel = &split.train.panel;
    x.extend(&panel.x)?;
    y.extend(&survey_labels(split.heads(), panel.rows.iter().copied()))?;
    wrows.extend(std::iter::repeat_n(1.0, panel.len()));
    let w = per_cell(&wrows, split.heads().len());
    t.fit(
        ModelId::PanelDebias,
        (&x, &y, Some(&w)),
        SURVEY_SEED,
        report,
    )
    .await
}

/// The naive-Bayes variant: submitted answers weighted by the inverse of their answer's
/// propensity, `1 / (P(y | submit) / P(y))`, normalised to a mean of 1 (Schnabel et al.'s
/// IPS-weighted model). The random slice sets `P(y)` and trains nothing itself.
async fn train_naive_bayes_variant(
    t: &mut Training<'_, '_>,
    ratios: &PanelRatios,
    report: &mut dyn FnMut(Event),
) -> Result<SurveyModel> {
    let split = t.split;
    let w = naive_bayes_weights(&split.train.submits.rows, &ratios.marginal);
    let w = per_cell(&w, split.heads().len());
    t.fit(
        ModelId::NaiveBayesDebias,
        (&split.train.submits.x, &split.train.labels, Some(&w)),
        SURVEY_SEED,
        report,
    )
    .await
}

/// Each submitted row's weight `1 / ratio(survey, answer)`, normalised to a mean of 1; a pair
/// without a ratio weighs 1 before the normalisation.
pub fn naive_bayes_weights(rows: &[&ExposureRecord], marginal: &MarginalRatios) -> Vec<f32> {
    let w: Vec<f64> = rows
        .iter()
        .map(|r| 1.0 / marginal.get(&(r.survey, r.answer)).copied().unwrap_or(1.0))
        .collect();
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    w.iter().map(|&v| (v / mean) as f32).collect()
}

/// Repeats per-row weights over heads.
fn per_cell(w: &[f32], heads: usize) -> Vec<f32> {
    w.iter()
        .flat_map(|&v| std::iter::repeat_n(v, heads))
        .collect()
}

/// Answer-dependent propensity from a panel (naive Bayes over answers, Schnabel et al. 2016):
/// `P(submit | answer) = P(answer | submit) P(submit) / P(answer)`, with `P(answer)` from the
/// panel, which answers at random. Returned as the likelihood ratio `P(submit | answer) /
/// P(submit)` per (survey, answer), to multiply a feature-based propensity by.
pub fn panel_ratios(shows: &[ExposureRecord], panel: &[ExposureRecord]) -> MarginalRatios {
    let mut out = BTreeMap::new();
    for kind in [SurveyKind::Satisfaction, SurveyKind::Inappropriate] {
        let answers = kind.answers();
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
