//! Workspace integration tests: one binary, one module per concern.

mod bad_logs;
mod common;
mod core_models;
mod determinism;
mod devices;
mod directions;
mod import;
mod layers;
mod logs;
mod regimes;
mod report;
