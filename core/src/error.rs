//! The one error type of `usm-core`.

use thiserror::Error;

/// Everything that can go wrong in `usm-core`. Each variant names the input, field, row or step
/// at fault, so a message is enough to find the problem.
#[derive(Debug, Error)]
pub enum CoreError {
    /// An input that must hold at least one value is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which input.
        what: String,
    },
    /// Two inputs that must line up have different lengths.
    #[error("{what}: length mismatch, {left_name} has {left} values but {right_name} has {right}")]
    LengthMismatch {
        /// The operation or input.
        what: String,
        /// Name of the first input.
        left_name: String,
        /// Its length.
        left: usize,
        /// Name of the second input.
        right_name: String,
        /// Its length.
        right: usize,
    },
    /// A value that must be finite is NaN or infinite.
    #[error("{what}: value {value} at index {index} is not finite")]
    NonFinite {
        /// Which input.
        what: String,
        /// Position of the bad value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A value lies outside its allowed range.
    #[error("{what}: value {value} at index {index} is outside {allowed}")]
    OutOfRange {
        /// Which input.
        what: String,
        /// Position of the bad value.
        index: usize,
        /// The value itself.
        value: f64,
        /// The allowed range, in words.
        allowed: String,
    },
    /// A configuration field has a value that is not allowed.
    #[error("invalid `{field}` = {value}: expected {expected}")]
    InvalidConfig {
        /// Dotted path of the field.
        field: String,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A metric needs both classes and one is missing.
    #[error("{what}: no {class} labels (n = {n})")]
    MissingClass {
        /// Which metric or head.
        what: String,
        /// "positive" or "negative".
        class: &'static str,
        /// Number of samples seen.
        n: usize,
    },
    /// An id is outside its embedding table.
    #[error("{table} id {id} at row {row} is outside the vocabulary of {vocab}")]
    IdOutOfRange {
        /// "user", "item" or "author".
        table: &'static str,
        /// The offending id.
        id: u32,
        /// Row in the input.
        row: usize,
        /// Vocabulary size.
        vocab: usize,
    },
    /// The loss became NaN or infinite during training.
    #[error(
        "training diverged: loss is {loss} at epoch {epoch}, step {step} (global step {global_step})"
    )]
    Diverged {
        /// Epoch, from 1.
        epoch: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// Step counted over the whole run, from 1.
        global_step: usize,
        /// The bad loss value.
        loss: f64,
    },
    /// A saved model could not be read or written.
    #[error("model store at {path}: {message}")]
    Store {
        /// File or folder.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The tensor backend failed.
    #[error("backend: {0}")]
    Backend(String),
}

/// `Result` with [`CoreError`].
pub type Result<T> = std::result::Result<T, CoreError>;

impl CoreError {
    /// Shorthand for [`CoreError::InvalidConfig`].
    pub fn config(
        field: impl Into<String>,
        value: impl ToString,
        expected: impl Into<String>,
    ) -> Self {
        CoreError::InvalidConfig {
            field: field.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Shorthand for [`CoreError::Empty`].
    pub fn empty(what: impl Into<String>) -> Self {
        CoreError::Empty { what: what.into() }
    }
}

/// Checks that two inputs have the same length.
pub fn same_len(
    what: &str,
    left_name: &str,
    left: usize,
    right_name: &str,
    right: usize,
) -> Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(CoreError::LengthMismatch {
            what: what.into(),
            left_name: left_name.into(),
            left,
            right_name: right_name.into(),
            right,
        })
    }
}

/// Checks that every value is finite.
pub fn all_finite<T: Copy + Into<f64>>(what: &str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !(*v).into().is_finite()) {
        None => Ok(()),
        Some(index) => Err(CoreError::NonFinite {
            what: what.into(),
            index,
            value: values[index].into(),
        }),
    }
}

/// Checks that every value lies in `[lo, hi]` (and is finite).
pub fn all_in_range<T: Copy + Into<f64>>(what: &str, values: &[T], lo: f64, hi: f64) -> Result<()> {
    all_finite(what, values)?;
    match values.iter().position(|v| {
        let v: f64 = (*v).into();
        v < lo || v > hi
    }) {
        None => Ok(()),
        Some(index) => Err(CoreError::OutOfRange {
            what: what.into(),
            index,
            value: values[index].into(),
            allowed: format!("[{lo}, {hi}]"),
        }),
    }
}
