//! Progress of an experiment, for a CLI bar or a browser view. Every stage reports through it;
//! it imports nothing of the experiment, so any stage can use it.

use usm_core::train::TrainEvent;

/// Progress of an experiment.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// A training run's events as experiment progress: a stage per model, a step every eighth batch.
pub fn train_note<'a>(
    name: &'a str,
    report: &'a mut dyn FnMut(Event),
) -> impl FnMut(&TrainEvent) + 'a {
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
