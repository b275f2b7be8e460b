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
    /// A training epoch ended (its validation pass too), over `rows` training rows: with the
    /// time since the stage began, what a training throughput is measured from.
    Epoch {
        /// Rows the epoch trained on.
        rows: u64,
    },
}

/// A training run's events as experiment progress: a stage per model, a step every eighth
/// batch, and the end of each epoch.
pub fn train_note<'a>(
    name: &'a str,
    report: &'a mut dyn FnMut(Event),
) -> impl FnMut(&TrainEvent) + 'a {
    let mut rows = 0u64;
    move |e: &TrainEvent| match e {
        TrainEvent::Started {
            steps_per_epoch,
            epochs,
            train_rows,
            ..
        } => {
            rows = *train_rows as u64;
            report(Event::Stage {
                name: format!("train {name} ({train_rows} rows)"),
                total: (*steps_per_epoch * *epochs) as u64,
            })
        }
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
        TrainEvent::Epoch(_) => report(Event::Epoch { rows }),
    }
}

/// Training throughput from an experiment's events: the rows of every epoch, over the time from
/// each training stage's start to its last epoch's end. Feed it every event with the clock's
/// reading when it came.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingClock {
    /// Rows trained on, over every epoch of every model.
    pub samples: u64,
    /// Seconds spent training.
    pub seconds: f64,
    /// When the current training interval began (a stage's start, or the last epoch's end).
    mark: Option<f64>,
}

impl TrainingClock {
    /// Takes in one event that came at `now` seconds.
    pub fn on(&mut self, e: &Event, now: f64) {
        match e {
            Event::Stage { .. } => self.mark = Some(now),
            Event::Epoch { rows } => {
                if let Some(t) = self.mark {
                    self.seconds += now - t;
                }
                self.samples += rows;
                self.mark = Some(now);
            }
            Event::Progress { .. } => {}
        }
    }

    /// Samples a second (`None` before any training time).
    pub fn per_second(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.samples as f64 / self.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_clock_counts_epochs_and_only_training_time() {
        let mut c = TrainingClock::default();
        let stage = |name: &str| Event::Stage {
            name: name.into(),
            total: 1,
        };
        // A simulation (10 s) has no epoch: none of its time counts.
        c.on(&stage("simulate"), 0.0);
        c.on(
            &Event::Progress {
                pos: 1,
                msg: String::new(),
            },
            5.0,
        );
        // Training: 2 epochs of 100 rows over 3 s.
        c.on(&stage("train baseline (100 rows)"), 10.0);
        c.on(&Event::Epoch { rows: 100 }, 12.0);
        c.on(&Event::Epoch { rows: 100 }, 13.0);
        // Evaluation (7 s) does not count; another model: 1 epoch of 50 rows in 1 s.
        c.on(&stage("evaluate"), 13.5);
        c.on(&stage("train student (50 rows)"), 20.5);
        c.on(&Event::Epoch { rows: 50 }, 21.5);
        assert_eq!(c.samples, 250);
        assert!((c.seconds - 4.0).abs() < 1e-12, "{}", c.seconds);
        assert_eq!(c.per_second(), Some(62.5));
        assert_eq!(TrainingClock::default().per_second(), None);
    }
}
