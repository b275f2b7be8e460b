//! Holder of the workspace-level integration tests in `integration/` (one test binary,
//! `cargo test --release`); no library code lives here.
