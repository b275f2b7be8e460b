//! Simulate once and keep what the experiment needs, in bounded memory: every survey show, a
//! uniform sample of training-period exposures (the pseudo-label stream), and every
//! evaluation-period exposure of a random share of users.

use usm_core::rng::hash_unit;

use super::world::Collected;
use crate::datasets::FeatureSpec;
use crate::error::Result;
use crate::population::Population;
use crate::records::{ExposureRecord, SurveyKind};
use crate::runner::{RunOptions, RunProgress, run};
use crate::scenario::ValidScenario;

/// Whether a user is an evaluation user.
pub fn is_eval_user(seed: u64, user: u32, share: f64) -> bool {
    hash_unit(seed ^ 0xE7A1, user as u64) < share
}

/// How a collector draws its pseudo-label sample and its evaluation users.
#[derive(Clone, Copy, Debug)]
pub enum Draw {
    /// The simulator's hash ([`hash_unit`]) at the collector's rates.
    Mix,
    /// The hash every scan engine computes ([`crate::logs::sample`]), at these thresholds: a
    /// log set's.
    Md5 {
        /// Of the pseudo-label sample.
        pseudo_below: u64,
        /// Of the evaluation users.
        eval_below: u64,
    },
}

/// Sorts rows into a [`Collected`] as they stream past, keeping only what the experiment needs:
/// the simulator's sink, and the importer's for real logs.
pub struct Collector {
    /// Rows and counts so far.
    pub data: Collected,
    train_days: u32,
    eval_user_share: f64,
    pseudo_rate: f64,
    seed: u64,
    draw: Draw,
}

impl Collector {
    /// Days before `train_days` are the training period. `pseudo_rate` is the share of training
    /// rows without a survey kept as the pseudo-label stream; `seed` picks them and the
    /// evaluation users.
    pub fn new(
        spec: FeatureSpec,
        train_days: u32,
        eval_user_share: f64,
        pseudo_rate: f64,
        seed: u64,
    ) -> Collector {
        Collector {
            data: Collected {
                spec,
                ..Collected::default()
            },
            train_days,
            eval_user_share,
            pseudo_rate,
            seed,
            draw: Draw::Mix,
        }
    }

    /// The collector of a log set: its samples drawn as every scan engine draws them.
    pub fn with_md5_draw(mut self) -> Collector {
        self.draw = Draw::Md5 {
            pseudo_below: crate::logs::sample::below(self.pseudo_rate),
            eval_below: crate::logs::sample::below(self.eval_user_share),
        };
        self
    }

    /// How it draws.
    pub fn draw(&self) -> Draw {
        self.draw
    }

    fn pseudo(&self, exposure_id: u64) -> bool {
        match self.draw {
            Draw::Mix => hash_unit(self.seed ^ 0x95E0, exposure_id) < self.pseudo_rate,
            Draw::Md5 { pseudo_below, .. } => {
                crate::logs::sample::pseudo(self.seed, exposure_id, pseudo_below)
            }
        }
    }

    fn eval_user(&self, user: u32) -> bool {
        match self.draw {
            Draw::Mix => is_eval_user(self.seed, user, self.eval_user_share),
            Draw::Md5 { eval_below, .. } => {
                crate::logs::sample::eval_user(self.seed, user, eval_below)
            }
        }
    }

    /// Sorts one row.
    pub fn push(&mut self, r: &ExposureRecord) {
        let c = &mut self.data;
        let train = r.day < self.train_days;
        let shown = r.survey != SurveyKind::None;
        match (train, shown, r.panel) {
            (true, true, false) => c.train_shows.push(r.clone()),
            (true, true, true) => c.train_panel.push(r.clone()),
            (false, true, false) => c.eval_shows.push(r.clone()),
            (false, true, true) => c.eval_panel.push(r.clone()),
            _ => {}
        }
        // A uniform sample over the whole period (no cap, which would favour early days).
        if train && !shown && self.pseudo(r.exposure_id) {
            self.data.pseudo.push(r.clone());
        }
        if !train && self.eval_user(r.user_id) {
            self.data.eval_exposures.push(r.clone());
        }
    }
}

/// Runs the scenario and keeps the experiment's rows.
pub fn collect(
    s: &ValidScenario,
    pop: &Population,
    eval_days: u32,
    eval_user_share: f64,
    pseudo_rows: usize,
    progress: &mut dyn FnMut(&RunProgress),
) -> Result<Collected> {
    let train_days = s.population.days - eval_days;
    let expected = pop.users.iter().map(|u| u.activity as f64).sum::<f64>()
        * train_days as f64
        * s.feed.k as f64;
    let pseudo_rate = (pseudo_rows as f64 / expected.max(1.0)).min(1.0);
    let spec = FeatureSpec::new(
        pop.users.len(),
        pop.items.len(),
        pop.authors.len(),
        pop.categories.len(),
    );
    let mut c = Collector::new(spec, train_days, eval_user_share, pseudo_rate, s.seed);
    let mut sink = |block: &[ExposureRecord]| -> Result<()> {
        block.iter().for_each(|r| c.push(r));
        Ok(())
    };
    let stats = run(s, pop, None, RunOptions::default(), &mut sink, progress)?;
    c.data.stats = stats;
    Ok(c.data)
}
