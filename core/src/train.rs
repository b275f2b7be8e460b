//! Training settings, progress events and the report a fit returns.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// How the summed loss of a batch is divided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LossNorm {
    /// By the number of labelled (sample, head) cells: weights change the balance and the scale.
    #[default]
    Count,
    /// By the sum of weights: weights change only the balance within a batch.
    SelfNormalized,
}

/// Minibatch Adam settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training rows at most.
    pub epochs: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// Adam learning rate of the dense layers.
    pub learning_rate: f64,
    /// Adam learning rate of the id embeddings.
    pub embedding_learning_rate: f64,
    /// L2 penalty of the dense layers (Adam's coupled weight decay). 0: none.
    pub weight_decay: f64,
    /// Decoupled weight decay of the id embeddings, applied to the rows a batch touches. Ids seen
    /// a handful of times memorise their labels without it.
    pub embedding_weight_decay: f64,
    /// Share of labelled rows held out for validation and early stopping (0 disables both).
    pub val_fraction: f64,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    /// Seed of the weights, the split and the shuffles.
    pub seed: u64,
    /// Loss normalisation.
    pub loss_norm: LossNorm,
    /// Rows per inference batch.
    pub predict_batch_size: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 5,
            batch_size: 1024,
            learning_rate: 1e-3,
            embedding_learning_rate: 1e-2,
            weight_decay: 0.0,
            embedding_weight_decay: 0.0,
            val_fraction: 0.1,
            patience: 1,
            seed: 0,
            loss_norm: LossNorm::Count,
            predict_batch_size: 8192,
        }
    }
}

impl TrainConfig {
    /// Checks every field, naming each `train.FIELD`.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("train")
    }

    /// Checks every field, naming each `AT.FIELD`: an experiment holds two training configs
    /// (`train`, `submit_train`), and an error names the one at fault.
    pub fn validate_at(&self, at: &str) -> Result<()> {
        let field = |name: &str| format!("{at}.{name}");
        if self.epochs == 0 {
            return Err(CoreError::config(field("epochs"), 0, "at least 1"));
        }
        if self.batch_size == 0 {
            return Err(CoreError::config(field("batch_size"), 0, "at least 1"));
        }
        if self.predict_batch_size == 0 {
            return Err(CoreError::config(
                field("predict_batch_size"),
                0,
                "at least 1",
            ));
        }
        for (name, v) in [
            (field("learning_rate"), self.learning_rate),
            (
                field("embedding_learning_rate"),
                self.embedding_learning_rate,
            ),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 10.0) {
                return Err(CoreError::config(name, v, "a finite rate in (0, 10]"));
            }
        }
        for (name, v) in [
            (field("weight_decay"), self.weight_decay),
            (field("embedding_weight_decay"), self.embedding_weight_decay),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(CoreError::config(name, v, "a decay in [0, 1]"));
            }
        }
        if !(self.val_fraction.is_finite() && (0.0..=0.5).contains(&self.val_fraction)) {
            return Err(CoreError::config(
                field("val_fraction"),
                self.val_fraction,
                "a share in [0, 0.5]",
            ));
        }
        Ok(())
    }
}

/// What a fit reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainEvent {
    /// Before the first step.
    Started {
        /// Rows trained on.
        train_rows: usize,
        /// Rows held out.
        val_rows: usize,
        /// Steps in one epoch.
        steps_per_epoch: usize,
        /// Epochs at most.
        epochs: usize,
    },
    /// After each step.
    Step {
        /// Epoch, from 1.
        epoch: usize,
        /// Step over the whole run, from 1.
        global_step: usize,
        /// Batch loss.
        loss: f64,
    },
    /// After each epoch.
    Epoch(EpochStats),
}

/// Losses of one epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean batch loss.
    pub train_loss: f64,
    /// Validation loss, when there is a validation split.
    pub val_loss: Option<f64>,
}

/// What a finished fit returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// One entry per epoch run.
    pub history: Vec<EpochStats>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Rows trained on, held out.
    pub train_rows: usize,
    /// Rows held out.
    pub val_rows: usize,
    /// Training rows processed over all epochs.
    pub samples_seen: usize,
}
