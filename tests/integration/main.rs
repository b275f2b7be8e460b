//! Workspace integration tests: one binary, one module per concern.

mod common;
mod core_models;
mod determinism;
mod directions;
mod logs;
mod regimes;
