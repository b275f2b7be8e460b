//! Progress bars: one for a long loop, one per stage of an experiment.

use indicatif::{ProgressBar, ProgressStyle};
use usm_sim::experiment::Event;

/// A bar of `len` steps labelled `what`.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what:<10} [{{bar:36}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}, eta {{eta}})"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}

/// A progress bar per stage of an experiment.
pub struct Bars {
    pub pb: Option<ProgressBar>,
}

impl Bars {
    pub fn on(&mut self, e: Event) {
        match e {
            Event::Stage { name, total } => {
                if let Some(pb) = self.pb.take() {
                    pb.finish_and_clear();
                }
                let pb = bar(total.max(1), "");
                pb.set_prefix(name.clone());
                pb.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix:<44} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                self.pb = Some(pb);
            }
            Event::Progress { pos, msg } => {
                if let Some(pb) = &self.pb {
                    pb.set_position(pos);
                    pb.set_message(msg);
                }
            }
            Event::Epoch { .. } => {}
        }
    }

    pub fn done(&mut self) {
        if let Some(pb) = self.pb.take() {
            pb.finish_and_clear();
        }
    }
}
