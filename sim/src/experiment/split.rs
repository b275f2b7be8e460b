//! The split: the world's rows sorted into the training and evaluation sets every later stage
//! reads, each encoded once ([`Encoded`]), and the refusal of a run with too little to train or
//! evaluate on.

use usm_core::data::Labels;

use super::config::Experiment;
use super::world::{EvalSets, Split, TrainSets, World};
use crate::datasets::{Encoded, survey_labels};
use crate::error::{Result, SimError};
use crate::heads::HeadDef;
use crate::records::ExposureRecord;

/// Splits the world's rows for the stages, and refuses a run with too little to train or
/// evaluate on.
pub fn split<'a>(exp: &'a Experiment, world: &'a World) -> Result<Split<'a>> {
    let data = &world.data;
    let spec = data.spec;
    let encode = |rows: &'a [ExposureRecord]| Encoded::new(&spec, rows.iter().collect());
    let train_shows = encode(&data.train_shows);
    let train_submits = train_shows.select(&submitted(&train_shows));
    let eval_shows = encode(&data.eval_shows);
    let eval_submits = eval_shows.select(&submitted(&eval_shows));
    if train_shows.is_empty() || train_submits.is_empty() {
        return Err(SimError::Experiment(format!(
            "the training period has {} survey shows and {} submits: too few to train on; raise survey.rate or population.users",
            train_shows.len(),
            train_submits.len()
        )));
    }
    if eval_submits.is_empty() || data.eval_exposures.is_empty() {
        return Err(SimError::Experiment("the evaluation period has no submits or no exposures: raise eval_days, survey.rate or eval_user_share".into()));
    }
    let labels = survey_labels(exp.heads(), train_submits.rows.iter().copied());
    check_heads(exp.heads(), &labels, train_submits.len())?;
    Ok(Split {
        exp,
        world,
        spec,
        seed: world.seed,
        train: TrainSets {
            shows: train_shows,
            submits: train_submits,
            labels,
            pseudo: encode(&data.pseudo),
            panel: encode(&data.train_panel),
        },
        eval: EvalSets {
            submits: eval_submits,
            shows: eval_shows,
            exposures: encode(&data.eval_exposures),
            unshown: encode(&world.unshown),
            panel: encode(&data.eval_panel),
        },
    })
}

/// The positions of the submitted rows.
fn submitted(shows: &Encoded) -> Vec<usize> {
    (0..shows.len())
        .filter(|&i| shows.rows[i].submitted)
        .collect()
}

/// Every head needs a positive training answer.
fn check_heads(heads: &[HeadDef], labels: &Labels, n_submits: usize) -> Result<()> {
    for (k, h) in heads.iter().enumerate() {
        let (n, pos) = labels.head_counts(k);
        if pos == 0 {
            return Err(SimError::Experiment(format!(
                "head `{h}` has no positive answer among {n} training answers ({n_submits} submits in all): \
                 raise survey.rate or population.users, or drop the head"
            )));
        }
    }
    Ok(())
}
