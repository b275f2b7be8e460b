//! # usm-web
//!
//! The browser demo. `index.html` loads this crate's WebAssembly module (built by
//! `web/build.sh`) and calls `start`, which draws the page (the `app` module); the page hands its jobs
//! to a Web Worker (`web/worker.js`) that loads the same module and calls `worker_run`, which
//! runs them through [`job`]: the simulator and the experiments of `usm-sim`, the code the `usm`
//! command line runs.

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod job;
pub mod link;
pub mod tour;

#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
pub use entry::{first_look_config, last_panic, start, worker_run};
