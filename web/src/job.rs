//! What the page asks of its worker, and what the worker answers, as JSON. The work is the same
//! library code the `usm` CLI calls: [`usm_sim::runner::run`] for a simulation,
//! [`usm_sim::experiment::run_experiment`] and [`usm_sim::report`] for an experiment.
//!
//! Nothing here touches the browser, so the native tests run it as the page would.

use serde::{Deserialize, Serialize};
use usm_core::prelude::Device;
use usm_sim::experiment::event::TrainingClock;
use usm_sim::experiment::{Claim, Event, ExperimentConfig, run_experiment_async};
use usm_sim::prelude::*;
use usm_sim::report;
use usm_sim::svg::{Series, bars};

/// The page's demo defaults: the `usm run` experiment, made small enough for one browser thread
/// (about a minute): 10,000 users, one replicate, a 3,000-user A/B test.
pub const DEMO_SETS: [(&str, &str); 3] = [
    ("population.users", "10000"),
    ("replicates", "1"),
    ("ab.users", "3000"),
];

/// One setting of the page's first look: a key as `usm run --set` takes it, its value, and why
/// the first look takes it (the page says so under the result).
pub struct Setting {
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub value: &'static str,
    /// Why, in words.
    pub why: &'static str,
}

/// The first look the page runs by itself on load, over the page's own assignments: every
/// variant trained, evaluated and A/B tested at a size one browser thread finishes in seconds,
/// with surveys dense enough and batches small enough that its models learn from what it
/// collects. The run at the page's own size follows it and replaces it.
pub const FIRST_LOOK: [Setting; 11] = [
    Setting {
        key: "population.users",
        value: "3000",
        why: "3000 users",
    },
    Setting {
        key: "replicates",
        value: "1",
        why: "one world",
    },
    Setting {
        key: "survey.rate",
        value: "0.3",
        why: "a survey on 30% of exposures",
    },
    Setting {
        key: "survey.cap_per_day",
        value: "3",
        why: "at most 3 a user a day (about ten times the answers per user that the knobs give)",
    },
    Setting {
        key: "eval_user_share",
        value: "0.3",
        why: "every exposure of 30% of the users evaluated",
    },
    Setting {
        key: "pseudo_rows",
        value: "8000",
        why: "8000 pseudo-label rows (with fewer, the student barely learns from its teacher)",
    },
    Setting {
        key: "train.batch_size",
        value: "64",
        why: "mini-batches of 64 (a few thousand answers make few steps in batches of 512)",
    },
    Setting {
        key: "submit_train.batch_size",
        value: "256",
        why: "the submit model's batches of 256",
    },
    Setting {
        key: "submit_train.epochs",
        value: "2",
        why: "over 2 epochs",
    },
    Setting {
        key: "ab.users",
        value: "1200",
        why: "an A/B test of 1200 users",
    },
    Setting {
        key: "ab.days",
        value: "1",
        why: "over one day",
    },
];

/// `sets` with the first look's settings after them (so they win).
pub fn first_look_sets(mut sets: Vec<(String, String)>) -> Vec<(String, String)> {
    sets.extend(
        FIRST_LOOK
            .iter()
            .map(|s| (s.key.to_string(), s.value.to_string())),
    );
    sets
}

/// What the first look ran, in words, and what follows it: the run at the page's own size
/// (`page_users`), running now (`refining`) or to be asked for.
pub fn first_look_text(refining: bool, page_users: &str) -> String {
    let what: Vec<&str> = FIRST_LOOK.iter().map(|s| s.why).collect();
    let next = if refining {
        format!(
            "The run at the page's own size ({page_users} users, the knobs' surveys and batches) replaces it when it ends."
        )
    } else {
        format!(
            "Run the experiment for the page's own size ({page_users} users, the knobs' surveys and batches)."
        )
    };
    format!(
        "A first look, made so that its models learn in seconds: {}. {next}",
        what.join(", ")
    )
}

/// The first look's value of `key`, if it sets one.
pub fn first_look_value(key: &str) -> Option<&'static str> {
    FIRST_LOOK.iter().find(|s| s.key == key).map(|s| s.value)
}

/// A knob: a config key the page shows as an input.
pub struct Knob {
    /// The key, as `usm run --set` takes it.
    pub key: &'static str,
    /// Its label on the page.
    pub label: &'static str,
    /// One line on what it does; `None` for a scenario field, whose own doc says
    /// ([`usm_sim::scenario::Field::summary`]).
    pub help: Option<&'static str>,
    /// The slider's range and step: `(min, max, step)`. The box beside it takes any value the
    /// CLI takes.
    pub slider: (f64, f64, f64),
}

impl Knob {
    /// Its one line of help: its own, or its scenario field's.
    pub fn help(&self) -> String {
        match self.help {
            Some(h) => h.to_string(),
            None => usm_sim::scenario::Scenario::field(self.key)
                .map(|f| f.summary())
                .unwrap_or_default(),
        }
    }
}

/// The knobs the page shows, in order.
pub const KNOBS: [Knob; 17] = [
    Knob {
        key: "population.users",
        label: "Users",
        help: None,
        slider: (1000.0, 100_000.0, 1000.0),
    },
    Knob {
        key: "population.days",
        label: "Days",
        help: None,
        slider: (4.0, 30.0, 1.0),
    },
    Knob {
        key: "survey.rate",
        label: "Survey rate",
        help: None,
        slider: (0.001, 0.1, 0.001),
    },
    Knob {
        key: "willingness.mean",
        label: "Willingness: mean",
        help: None,
        slider: (0.01, 1.0, 0.01),
    },
    Knob {
        key: "willingness.spread",
        label: "Willingness: spread",
        help: None,
        slider: (0.0, 5.0, 0.05),
    },
    Knob {
        key: "willingness.corr_sensitivity",
        label: "Willingness ~ sensitivity",
        help: None,
        slider: (-1.0, 1.0, 0.05),
    },
    Knob {
        key: "willingness.observed",
        label: "Willingness: in the logs",
        help: None,
        slider: (0.0, 1.0, 0.05),
    },
    Knob {
        key: "willingness.answer_dependence",
        label: "Answer dependence",
        help: None,
        slider: (-4.0, 4.0, 0.1),
    },
    Knob {
        key: "panel.rate",
        label: "Panel rate",
        help: None,
        slider: (0.0, 0.05, 0.001),
    },
    Knob {
        key: "feed.candidates",
        label: "Candidates a request",
        help: None,
        slider: (10.0, 200.0, 5.0),
    },
    Knob {
        key: "seed",
        label: "Seed",
        help: None,
        slider: (0.0, 1000.0, 1.0),
    },
    Knob {
        key: "replicates",
        label: "Replicates",
        help: Some("independent runs, for confidence intervals (each adds about a minute)"),
        slider: (1.0, 5.0, 1.0),
    },
    Knob {
        key: "ab.users",
        label: "A/B test users",
        help: Some("users in the closed-loop A/B test of ranking by the model (Eq. 3)"),
        slider: (500.0, 20_000.0, 500.0),
    },
    Knob {
        key: "ipw.clip",
        label: "IPW floor",
        help: Some(
            "the submit propensity is floored here: an inverse propensity weight is at most 1 / floor",
        ),
        slider: (0.001, 0.5, 0.001),
    },
    Knob {
        key: "distill.tau_n",
        label: "Distillation: τn",
        help: Some("a pseudo label below this is kept as a confident negative (Eq. 8)"),
        slider: (0.0, 1.0, 0.01),
    },
    Knob {
        key: "distill.tau_p",
        label: "Distillation: τp",
        help: Some(
            "a pseudo label above this is kept as a confident positive (Eq. 8; at least τn)",
        ),
        slider: (0.0, 1.0, 0.01),
    },
    Knob {
        key: "distill.alpha",
        label: "Distillation: α",
        help: Some(
            "weight of the labelled answers against the pseudo labels in the student's loss (Eq. 9)",
        ),
        slider: (0.0, 20.0, 0.5),
    },
];

/// The value of `key` (as [`ExperimentConfig::set`] takes it: an experiment key, or a
/// scenario key with or without `scenario.`) in `cfg`, as text that `set` reads back.
pub fn value_of(cfg: &ExperimentConfig, key: &str) -> Option<String> {
    let root = serde_json::to_value(cfg).ok()?;
    let own = key
        .split('.')
        .next()
        .is_some_and(|f| f != "scenario" && root.get(f).is_some());
    let path = if own || key.starts_with("scenario.") {
        key.to_string()
    } else {
        format!("scenario.{key}")
    };
    let mut v = &root;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    Some(match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// [`DEMO_SETS`] as owned pairs, the form [`build_config`] takes.
pub fn demo_sets() -> Vec<(String, String)> {
    DEMO_SETS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The assignments of the page's state: the demo's sizes, then each knob's value (in [`KNOBS`]
/// order), then the A/B switch.
pub fn page_sets(values: &[String], ab: bool) -> Vec<(String, String)> {
    let mut sets = demo_sets();
    sets.extend(
        KNOBS
            .iter()
            .zip(values)
            .map(|(k, v)| (k.key.to_string(), v.clone())),
    );
    sets.push(("ab.enabled".into(), ab.to_string()));
    sets
}

/// Where the page's knobs start from: a preset by name, or else the text of a scenario TOML
/// (imported), read as `usm run --scenario FILE` reads one: the same errors.
pub fn base_scenario(base: &str) -> Result<Scenario> {
    if is_preset(base) {
        Scenario::preset(base)
    } else {
        Scenario::from_toml(base, "the imported scenario")
    }
}

/// Whether `base` names a preset (else it is a scenario TOML).
pub fn is_preset(base: &str) -> bool {
    usm_sim::scenario::PRESETS.iter().any(|p| p.0 == base)
}

/// Builds an experiment: the scenario of `base` (a preset, or a scenario TOML, see
/// [`base_scenario`]), then each `key = value` in order, as `usm run --scenario PRESET|FILE
/// --set key=value` does (the same library call, [`ExperimentConfig::resolve`]), then checks
/// every field. The error names the bad key or field, its value and what is allowed.
pub fn build_config(base: &str, sets: &[(String, String)]) -> Result<ExperimentConfig> {
    let assignments: Vec<String> = sets
        .iter()
        .map(|(k, v)| format!("{}={}", k.trim(), v.trim()))
        .collect();
    let exp = ExperimentConfig::resolve(
        ExperimentConfig::default(),
        Some(base_scenario(base)?),
        &assignments,
    )?;
    Ok(exp.into_config())
}

/// Where the page asks the worker to train.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    /// WebGPU where the browser offers an adapter, else the CPU.
    #[default]
    Auto,
    /// The CPU: burn's `flex`, on the worker's one thread.
    Cpu,
    /// WebGPU (burn's `wgpu`); an error where the browser offers no adapter.
    Webgpu,
}

impl DeviceChoice {
    /// Every choice, in the page's order.
    pub const ALL: [DeviceChoice; 3] =
        [DeviceChoice::Auto, DeviceChoice::Cpu, DeviceChoice::Webgpu];

    /// Its name in a link and in the page's menu.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Webgpu => "webgpu",
        }
    }

    /// The choice a name gives.
    pub fn from_name(name: &str) -> Option<DeviceChoice> {
        DeviceChoice::ALL.into_iter().find(|d| d.name() == name)
    }

    /// What the page's menu says of it.
    pub fn label(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto: a hardware GPU, else CPU",
            DeviceChoice::Cpu => "CPU (burn flex)",
            DeviceChoice::Webgpu => "WebGPU (burn wgpu)",
        }
    }
}

/// The device a job runs on, and how the page names it.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The device.
    pub device: Device,
    /// What the page says ran the job: `CPU (burn flex)`, `WebGPU (burn wgpu)`, and why where
    /// it is not what was asked for.
    pub label: String,
}

impl Placed {
    /// The CPU, with the reason it was taken (empty: it was asked for).
    pub fn cpu(why: &str) -> Placed {
        let label = if why.is_empty() {
            DeviceChoice::Cpu.label().to_string()
        } else {
            format!("{} ({why})", DeviceChoice::Cpu.label())
        };
        Placed {
            device: Device::flex(),
            label,
        }
    }
}

/// A job for the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Simulate the scenario only: the logs' totals, and the survey rates as a platform sees
    /// them against the truth.
    Simulate {
        /// The experiment whose scenario is simulated.
        config: Box<ExperimentConfig>,
    },
    /// The whole experiment: simulate, train every variant, evaluate, A/B test, report.
    Experiment {
        /// The experiment.
        config: Box<ExperimentConfig>,
        /// Where to train.
        #[serde(default)]
        device: DeviceChoice,
    },
}

impl Request {
    /// The device the job asks for (a simulation needs none: the CPU).
    pub fn device(&self) -> DeviceChoice {
        match self {
            Request::Simulate { .. } => DeviceChoice::Cpu,
            Request::Experiment { device, .. } => *device,
        }
    }
}

/// One survey head in a simulation: the truth against what the surveys show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateRow {
    /// `dislike`, `inappropriate` or `sexual`.
    pub head: String,
    /// Mean true probability over all exposures.
    pub truth: f64,
    /// Share of surveyed exposures whose latent answer is the issue (what a survey answered by
    /// everyone would find); `None` without shows.
    pub truth_shown: Option<f64>,
    /// Share of submitted answers that name the issue (Eq. 2, what a platform sees); `None`
    /// without answers.
    pub observed: Option<f64>,
    /// Submitted answers it rests on.
    pub answers: u64,
}

impl RateRow {
    /// The observed rate's relative error against the truth over the same surveyed exposures,
    /// with its 95% interval treating the answers as independent draws
    /// (`observed ± 1.96 · sqrt(observed · (1 − observed) / answers)`, over the truth), and
    /// whether that interval excludes zero.
    pub fn error(&self) -> Option<(f64, [f64; 2], bool)> {
        let (t, o) = (self.truth_shown?, self.observed?);
        if t <= 0.0 || self.answers == 0 {
            return None;
        }
        let iv = usm_sim::experiment::stats::Interval {
            mean: o / t - 1.0,
            se: (o * (1.0 - o) / self.answers as f64).sqrt() / t,
            df: None,
        };
        let [lo, hi] = iv.ci95();
        Some((iv.mean, [lo, hi], lo > 0.0 || hi < 0.0))
    }

    /// [`RateRow::error`] in words: `+12.3% [+4.1, +20.5]`, and "within noise" where its
    /// interval includes zero.
    pub fn error_text(&self) -> String {
        match self.error() {
            Some((e, [lo, hi], real)) => format!(
                "{:+.1}% [{:+.1}, {:+.1}]{}",
                100.0 * e,
                100.0 * lo,
                100.0 * hi,
                if real { "" } else { ", within noise" }
            ),
            None => "n/a".into(),
        }
    }
}

/// What a simulation found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Simulated {
    /// The CLI's one-screen summary.
    pub summary: String,
    /// Per head: truth against observation.
    pub rates: Vec<RateRow>,
    /// The same as a bar chart (SVG).
    pub chart: String,
    /// Exposures simulated.
    pub exposures: u64,
    /// Seconds taken.
    pub seconds: f64,
}

/// What an experiment found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    /// One line on what ran.
    pub describe: String,
    /// Replicates run: with one, no verdict has an interval.
    pub replicates: usize,
    /// The paper's claims in this scenario, with verdicts.
    pub claims: Vec<Claim>,
    /// The paper-style tables as text, as the CLI prints them.
    pub text: String,
    /// The files `usm run` writes to its report folder, name and contents: `report.html`,
    /// `results.json` (docs/results-schema.md), TOML, CSV tables and SVG plots.
    pub files: Vec<(String, String)>,
    /// Seconds taken.
    pub seconds: f64,
    /// What trained the models ([`Placed::label`]).
    pub device: String,
    /// Every model's training, together.
    pub training: Throughput,
}

/// Training samples over the seconds the training stages took (each model's epochs, with the
/// validation pass after each).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Training rows processed, over every epoch of every model.
    pub samples: u64,
    /// Seconds the training stages took.
    pub seconds: f64,
}

impl Throughput {
    /// Samples per second (`None` before any time has passed).
    pub fn per_second(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.samples as f64 / self.seconds)
    }
}

/// A message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// Progress, as the experiment reports it (a stage starts, or units of it are done).
    Event(Event),
    /// A simulation's result.
    Simulated(Box<Simulated>),
    /// An experiment's result.
    Finished(Box<Finished>),
    /// The job failed; nothing else follows.
    Failed {
        /// What went wrong, naming the field or step.
        error: String,
    },
}

/// Reads a job sent as JSON; the error is the reply to send back.
pub fn parse_request(request: &str) -> std::result::Result<Request, Reply> {
    serde_json::from_str::<Request>(request).map_err(|e| Reply::Failed {
        error: format!("the page sent a request the worker cannot read: {e}"),
    })
}

/// Runs a job given as JSON on the CPU, sending progress to `emit` and returning the last reply
/// (a result or the error). `clock` gives seconds.
pub fn run_json(request: &str, emit: &mut dyn FnMut(&Reply), clock: &dyn Fn() -> f64) -> Reply {
    match parse_request(request) {
        Ok(r) => run(&r, emit, clock),
        Err(reply) => reply,
    }
}

/// Runs a job on the CPU, to the end.
pub fn run(request: &Request, emit: &mut dyn FnMut(&Reply), clock: &dyn Fn() -> f64) -> Reply {
    let on = Placed::cpu("");
    usm_core::block_on(async {
        Ok::<_, usm_sim::error::SimError>(run_on(request, &on, emit, clock).await)
    })
    .unwrap_or_else(|e| Reply::Failed {
        error: e.to_string(),
    })
}

/// Runs a job on `on`'s device. Nothing in it reads a tensor synchronously: the worker runs it
/// over WebGPU as over the CPU.
pub async fn run_on(
    request: &Request,
    on: &Placed,
    emit: &mut dyn FnMut(&Reply),
    clock: &dyn Fn() -> f64,
) -> Reply {
    let out = match request {
        Request::Simulate { config } => simulate(config, emit, clock)
            .map(Box::new)
            .map(Reply::Simulated),
        Request::Experiment { config, .. } => experiment(config, on, emit, clock)
            .await
            .map(Box::new)
            .map(Reply::Finished),
    };
    out.unwrap_or_else(|e| Reply::Failed {
        error: e.to_string(),
    })
}

fn simulate(
    cfg: &ExperimentConfig,
    emit: &mut dyn FnMut(&Reply),
    clock: &dyn Fn() -> f64,
) -> Result<Simulated> {
    let t0 = clock();
    let s = &cfg.scenario.clone().check()?;
    emit(&Reply::Event(Event::Stage {
        name: format!("draw {} users and their videos", s.population.users),
        total: 1,
    }));
    let pop = Population::draw(s);
    let (days, users) = (s.population.days as u64, s.population.users as u64);
    emit(&Reply::Event(Event::Stage {
        name: format!("simulate {days} days"),
        total: days * users,
    }));
    let stats = usm_sim::runner::run(
        s,
        &pop,
        None,
        RunOptions::default(),
        &mut |_: &[ExposureRecord]| Ok(()),
        &mut |p: &RunProgress| {
            emit(&Reply::Event(Event::Progress {
                pos: p.day as u64 * users + p.users_done as u64,
                msg: format!("day {} of {}, {} exposures", p.day + 1, p.days, p.exposures),
            }))
        },
    )?;
    // `None`, not NaN, where nothing was counted: JSON has no NaN.
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let rates: Vec<RateRow> = stats
        .heads()
        .iter()
        .map(|h| RateRow {
            head: h.name.into(),
            truth: h.truth,
            truth_shown: ratio(h.shown_latent, h.shows),
            observed: ratio(h.answers, h.submits),
            answers: h.submits,
        })
        .collect();
    let chart = rate_chart(&rates);
    Ok(Simulated {
        summary: stats.summary(),
        rates,
        chart,
        exposures: stats.exposures,
        seconds: clock() - t0,
    })
}

/// Truth against observation per head, as grouped bars (a head without answers has no bar).
fn rate_chart(rates: &[RateRow]) -> String {
    let bar = |x: Option<f64>| x.map(|v| (v, None));
    let groups: Vec<String> = rates.iter().map(|r| r.head.clone()).collect();
    let series = vec![
        Series {
            name: "true, all exposures".into(),
            values: rates.iter().map(|r| Some((r.truth, None))).collect(),
        },
        Series {
            name: "true, surveyed".into(),
            values: rates.iter().map(|r| bar(r.truth_shown)).collect(),
        },
        Series {
            name: "observed (Eq. 2)".into(),
            values: rates.iter().map(|r| bar(r.observed)).collect(),
        },
    ];
    bars(
        "Issue rate: the truth against what answered surveys show",
        &groups,
        &series,
        "rate",
        true,
        720.0,
    )
}

async fn experiment(
    cfg: &ExperimentConfig,
    on: &Placed,
    emit: &mut dyn FnMut(&Reply),
    clock: &dyn Fn() -> f64,
) -> Result<Finished> {
    let t0 = clock();
    // What the page sent is raw data: check it here, as the CLI checks its flags.
    let exp = cfg.clone().check()?;
    let mut trained = TrainingClock::default();
    let res = run_experiment_async(
        &exp,
        &on.device,
        &mut |e| {
            trained.on(&e, clock());
            if !matches!(e, Event::Epoch { .. }) {
                emit(&Reply::Event(e))
            }
        },
        clock,
    )
    .await?;
    Ok(Finished {
        describe: report::describe(&exp),
        replicates: exp.replicates,
        claims: res.claims.clone(),
        text: report::text(&res),
        files: report::files(&res),
        seconds: clock() - t0,
        device: on.label.clone(),
        training: Throughput {
            samples: trained.samples,
            seconds: trained.seconds,
        },
    })
}
