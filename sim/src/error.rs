//! The one error type of `usm-sim`.

use thiserror::Error;

/// Everything that can go wrong in `usm-sim`.
#[derive(Debug, Error)]
pub enum SimError {
    /// A scenario or experiment field is outside its allowed range.
    #[error("invalid `{field}` = {value}: allowed {allowed}")]
    Field {
        /// Dotted path.
        field: String,
        /// The value given.
        value: String,
        /// The allowed range.
        allowed: String,
    },
    /// `--set` named a key the scenario (or experiment) does not have.
    #[error("unknown key `{key}`{}", if known.is_empty() { String::new() } else { format!(" (known here: {known})") })]
    UnknownKey {
        /// The key given.
        key: String,
        /// Keys at that level.
        known: String,
    },
    /// `--set` was not `key=value`.
    #[error("`{given}` is not key=value")]
    BadAssignment {
        /// The text given.
        given: String,
    },
    /// No preset has that name.
    #[error("unknown preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The name given.
        name: String,
        /// The presets.
        known: String,
    },
    /// A scenario or log file could not be parsed.
    #[error("{origin}: {message}")]
    Parse {
        /// File, or `--set ...`.
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// A log file has a bad value.
    #[error("{file}, row {row}, column `{column}`: {message}")]
    BadCell {
        /// The file.
        file: String,
        /// Data row, from 1 (the header is row 0).
        row: usize,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// An error from `usm-core`.
    #[error(transparent)]
    Core(#[from] usm_core::error::CoreError),
    /// An experiment cannot run as configured.
    #[error("{0}")]
    Experiment(String),
}

/// `Result` with [`SimError`].
pub type Result<T> = std::result::Result<T, SimError>;

impl SimError {
    /// Shorthand for [`SimError::Field`].
    pub fn field(field: &str, value: impl std::fmt::Display, allowed: &str) -> Self {
        SimError::Field {
            field: field.to_string(),
            value: value.to_string(),
            allowed: allowed.to_string(),
        }
    }

    /// Shorthand for [`SimError::Io`].
    pub fn io(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> Self {
        SimError::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}
