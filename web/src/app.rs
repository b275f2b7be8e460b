//! The page: knobs for the scenario's biases, a simulation that shows the response bias at
//! once, and the whole experiment (train, correct, evaluate, A/B test) with its verdicts and
//! plots. The work runs in a Web Worker (`web/worker.js`, the same wasm module), so the page
//! keeps drawing its progress bar.

use usm_sim::experiment::Event as Progress;
use usm_sim::experiment::results::Verdict;
use usm_sim::scenario::PRESETS;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    HtmlInputElement, HtmlSelectElement, MessageEvent, Worker, WorkerOptions, WorkerType,
};
use yew::prelude::*;

use crate::job::{
    DeviceChoice, Finished, KNOBS, Reply, Request, Simulated, build_config, demo_sets,
    first_look_sets, first_look_text, first_look_value, is_preset, page_sets, value_of,
};
use crate::link::{PageState, from_query, to_query};
use crate::tour;

/// The values of the knobs in the page's demo experiment on `preset`, as text (empty where the
/// preset cannot be built, which the tests rule out).
fn knob_values(preset: &str) -> Vec<String> {
    let cfg = build_config(preset, &demo_sets()).ok();
    KNOBS
        .iter()
        .map(|k| {
            cfg.as_ref()
                .and_then(|c| value_of(c, k.key))
                .unwrap_or_default()
        })
        .collect()
}

/// The plots an experiment's result opens with, beside its verdicts.
const HEADLINE: [&str; 2] = ["rates.svg", "calibration_dislike.svg"];

/// The page's state without a link: the default experiment.
fn default_state() -> PageState {
    PageState {
        preset: "experiment".into(),
        values: knob_values("experiment"),
        ab: true,
        device: DeviceChoice::Auto,
    }
}

/// The settings a result was made with: the scenario (a preset's name or an imported TOML) and
/// the page's assignments. A result whose settings are not the page's is stale.
type Settings = (String, Vec<(String, String)>);

/// What the worker is doing.
#[derive(Clone, Debug, Default, PartialEq)]
struct Busy {
    /// The page's settings when it started (for the first look, those it stands for).
    settings: Settings,
    /// `simulate`, `experiment`, or the page's own `first look` and `full run`.
    what: &'static str,
    /// Started by the page on load, not by the person: anything they do first cancels it.
    auto: bool,
    stage: String,
    total: u64,
    pos: u64,
    msg: String,
    stages_done: usize,
}

/// A result file offered for download.
struct Download {
    name: String,
    url: String,
}

/// The page.
pub struct App {
    preset: String,
    values: Vec<String>,
    ab: bool,
    device: DeviceChoice,
    worker: Option<Worker>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
    busy: Option<Busy>,
    error: Option<String>,
    /// What the page changed of the last imported TOML (its users, past the page's cap).
    import_note: Option<String>,
    simulated: Option<Simulated>,
    /// The settings of the simulation shown.
    simulated_for: Option<Settings>,
    finished: Option<Finished>,
    /// The settings of the experiment shown.
    finished_for: Option<Settings>,
    downloads: Vec<Download>,
    /// A slider moved while a simulation ran: simulate again when it ends.
    resimulate: bool,
    /// The scenario TOML box.
    toml_box: NodeRef,
    /// The tour's step, while it is open.
    tour: Option<usize>,
    /// The finished experiment's results, read back from its `results.json` for the tour.
    results: Option<usm_sim::experiment::Results>,
    /// The result shown is the first look's (`job::FIRST_LOOK`), not the page's size.
    first_look: bool,
}

/// What changes the page.
pub enum Msg {
    /// A preset was picked.
    Preset(String),
    /// Knob `i` got a new value in its box.
    Knob(usize, String),
    /// Knob `i`'s slider moved: the value changes and the simulation reruns at once.
    Slide(usize, String),
    /// A scenario TOML was imported: it replaces the preset as the knobs' base.
    ImportToml(String),
    /// The tour opened at a step, or closed (`None`).
    Tour(Option<usize>),
    /// The A/B test was switched on or off.
    Ab(bool),
    /// A device was picked (its [`DeviceChoice::name`]).
    Device(String),
    /// Simulate only.
    Simulate,
    /// The whole experiment.
    Run,
    /// Stop the job: the worker is ended, and the next job starts a fresh one.
    Stop,
    /// A message from the worker.
    Reply(Reply),
    /// The worker failed outside a job (it could not load, or panicked).
    WorkerFailed(String),
    /// The page opened: a first look, then the run at the page's own size.
    FirstLook,
}

fn object_url(text: &str, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("csv") => "text/csv",
        _ => "text/plain",
    }
}

impl App {
    fn start_worker(&mut self, ctx: &Context<Self>) -> Result<(), String> {
        let opts = WorkerOptions::new();
        opts.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("web/worker.js", &opts)
            .map_err(|e| format!("could not start the worker web/worker.js: {e:?}"))?;
        let link = ctx.link().clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let msg = match e.data().as_string() {
                Some(text) => match serde_json::from_str::<Reply>(&text) {
                    Ok(r) => Msg::Reply(r),
                    Err(err) => {
                        Msg::WorkerFailed(format!("unreadable message from the worker: {err}"))
                    }
                },
                None => Msg::WorkerFailed("the worker sent a message that is not text".into()),
            };
            link.send_message(msg);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let link = ctx.link().clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let text = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "no message".into());
            link.send_message(Msg::WorkerFailed(format!("the worker stopped: {text}")));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The module the page compiled (index.html): the worker instantiates it rather than
        // compiling its own. Without it, the worker compiles the module itself.
        if let Ok(module) = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("usmModule"))
            && module.is_instance_of::<js_sys::WebAssembly::Module>()
        {
            worker
                .post_message(&module)
                .map_err(|e| format!("could not hand the module to the worker: {e:?}"))?;
        }
        self.worker = Some(worker);
        self._on_message = Some(on_message);
        self._on_error = Some(on_error);
        Ok(())
    }

    fn sets(&self) -> Vec<(String, String)> {
        page_sets(&self.values, self.ab)
    }

    /// The page's settings now.
    fn settings(&self) -> Settings {
        (self.preset.clone(), self.sets())
    }

    /// Whether a result made with `made` is stale: the page's settings have changed since.
    fn stale(&self, made: &Option<Settings>) -> bool {
        made.as_ref().is_some_and(|m| *m != self.settings())
    }

    /// Starts a job the person asked for: any work the page started by itself ends first.
    fn send(&mut self, ctx: &Context<Self>, what: &'static str) {
        self.cancel_auto();
        self.error = None;
        self.dispatch(ctx, what, self.sets(), false);
    }

    /// What the worker said: progress, a simulation, a finished experiment, or a failure.
    fn on_reply(&mut self, ctx: &Context<Self>, r: Reply) {
        match r {
            Reply::Event(Progress::Stage { name, total }) => {
                if let Some(b) = &mut self.busy {
                    b.stages_done += usize::from(!b.stage.is_empty());
                    (b.stage, b.total, b.pos, b.msg) = (name, total, 0, String::new());
                }
            }
            Reply::Event(Progress::Progress { pos, msg }) => {
                if let Some(b) = &mut self.busy {
                    (b.pos, b.msg) = (pos, msg);
                }
            }
            // The worker keeps epochs to itself (they make its throughput figure).
            Reply::Event(Progress::Epoch { .. }) => {}
            Reply::Simulated(s) => {
                self.simulated_for = self.busy.take().map(|b| b.settings);
                self.simulated = Some(*s);
                if std::mem::take(&mut self.resimulate) {
                    self.send(ctx, "simulate");
                }
            }
            Reply::Finished(f) => {
                let was = self.busy.take();
                self.first_look = was.as_ref().is_some_and(|b| b.what == "first look");
                self.finished_for = was.map(|b| b.settings);
                if self.first_look {
                    self.dispatch(ctx, "full run", self.sets(), true);
                }
                self.clear_downloads();
                self.downloads = f
                    .files
                    .iter()
                    .filter_map(|(name, text)| {
                        object_url(text, mime(name)).map(|url| Download {
                            name: name.clone(),
                            url,
                        })
                    })
                    .collect();
                self.results = f
                    .files
                    .iter()
                    .find(|(n, _)| n == "results.json")
                    .and_then(|(_, text)| serde_json::from_str(text).ok());
                self.finished = Some(*f);
            }
            Reply::Failed { error } => {
                let was = self.busy.take();
                if was.is_some_and(|b| b.what == "first look") {
                    // Too small for this scenario, say: the page's own size may not be.
                    self.dispatch(ctx, "full run", self.sets(), true);
                } else {
                    self.error = Some(error);
                }
            }
        }
    }

    /// Ends the page's own work (the first look or the full run after it), if it runs.
    fn cancel_auto(&mut self) {
        if self.busy.as_ref().is_some_and(|b| b.auto) {
            self.busy = None;
            self.end_worker();
        }
    }

    /// Whether a job the person started runs (the page's own work blocks nothing).
    fn blocking(&self) -> bool {
        self.busy.as_ref().is_some_and(|b| !b.auto)
    }

    fn dispatch(
        &mut self,
        ctx: &Context<Self>,
        what: &'static str,
        sets: Vec<(String, String)>,
        auto: bool,
    ) {
        let cfg = match build_config(&self.preset, &sets) {
            Ok(c) => Box::new(c),
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let request = if what == "simulate" {
            Request::Simulate { config: cfg }
        } else {
            Request::Experiment {
                config: cfg,
                device: self.device,
            }
        };
        if self.worker.is_none()
            && let Err(e) = self.start_worker(ctx)
        {
            self.error = Some(e);
            return;
        }
        let text = serde_json::to_string(&request).expect("a request serialises");
        if let Some(w) = &self.worker {
            match w.post_message(&JsValue::from_str(&text)) {
                Ok(()) => {
                    self.busy = Some(Busy {
                        what,
                        auto,
                        settings: self.settings(),
                        ..Busy::default()
                    })
                }
                Err(e) => self.error = Some(format!("could not reach the worker: {e:?}")),
            }
        }
    }

    /// Writes the page's state into its URL, so that the link reproduces it.
    fn remember(&self) {
        let state = PageState {
            preset: self.preset.clone(),
            values: self.values.clone(),
            ab: self.ab,
            device: self.device,
        };
        let query = to_query(&state, &knob_values(&self.preset));
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&query));
        }
    }

    fn end_worker(&mut self) {
        if let Some(w) = self.worker.take() {
            w.terminate();
        }
        self._on_message = None;
        self._on_error = None;
    }

    fn clear_downloads(&mut self) {
        for d in self.downloads.drain(..) {
            let _ = web_sys::Url::revoke_object_url(&d.url);
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        // The link's state, if it has one and it is valid; else the defaults, and why.
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let (state, error) = match from_query(&search, &knob_values) {
            Ok(Some(s)) => (s, None),
            Ok(None) => (default_state(), None),
            Err(e) => (
                default_state(),
                Some(format!(
                    "This link's settings were not used, and the page shows its defaults: {e}."
                )),
            ),
        };
        App {
            values: state.values,
            preset: state.preset,
            ab: state.ab,
            device: state.device,
            worker: None,
            _on_message: None,
            _on_error: None,
            busy: None,
            error,
            import_note: None,
            simulated: None,
            simulated_for: None,
            finished: None,
            finished_for: None,
            downloads: Vec::new(),
            resimulate: false,
            toml_box: NodeRef::default(),
            tour: None,
            results: None,
            first_look: false,
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            ctx.link().send_message(Msg::FirstLook);
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        // A change of the knobs makes the page's own run stale: it ends.
        if matches!(
            msg,
            Msg::Preset(_) | Msg::Knob(..) | Msg::ImportToml(_) | Msg::Ab(_) | Msg::Device(_)
        ) {
            self.cancel_auto();
        }
        match msg {
            Msg::FirstLook => {
                // Only where it builds: a link's knobs that do not fit the first look's sizes
                // leave the page waiting for the person, with no error they did not cause.
                let sets = first_look_sets(self.sets());
                if build_config(&self.preset, &sets).is_ok() {
                    self.dispatch(ctx, "first look", sets, true);
                }
            }
            Msg::Preset(p) => {
                self.values = knob_values(&p);
                self.preset = p;
                self.error = None;
                self.import_note = None;
                self.remember();
            }
            Msg::Knob(i, v) => {
                self.values[i] = v;
                self.remember();
            }
            Msg::Tour(at) => self.tour = at.map(|i| i.min(tour::STEPS - 1)),
            Msg::ImportToml(text) => match crate::link::import_toml(&text) {
                Ok((toml, values, note)) => {
                    self.values = values;
                    self.preset = toml;
                    self.error = None;
                    self.import_note = note;
                    self.remember();
                }
                Err(e) => self.error = Some(format!("The TOML was not imported: {e}")),
            },
            Msg::Slide(i, v) => {
                self.values[i] = v;
                self.remember();
                match self.busy.as_ref().map(|b| (b.what, b.auto)) {
                    None | Some((_, true)) => self.send(ctx, "simulate"),
                    Some(("simulate", _)) => self.resimulate = true,
                    // An experiment runs on the value it started with.
                    Some(_) => {}
                }
            }
            Msg::Ab(on) => {
                self.ab = on;
                self.remember();
            }
            Msg::Device(name) => {
                self.device = DeviceChoice::from_name(&name).unwrap_or_default();
                self.remember();
            }
            Msg::Simulate => self.send(ctx, "simulate"),
            Msg::Run => self.send(ctx, "experiment"),
            Msg::Reply(r) => self.on_reply(ctx, r),
            Msg::WorkerFailed(e) => {
                self.busy = None;
                self.error = Some(e);
                self.end_worker();
            }
            Msg::Stop => {
                if let Some(b) = self.busy.take() {
                    self.end_worker();
                    let at = if b.stage.is_empty() {
                        "its start"
                    } else {
                        &b.stage
                    };
                    self.error = Some(format!("Stopped the {} at: {at}.", b.what));
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let busy = self.blocking();
        let on_preset = link.callback(|e: Event| {
            Msg::Preset(e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        let knobs = KNOBS.iter().enumerate().map(|(i, k)| {
            let on_change = link.callback(move |e: Event| Msg::Knob(i, e.target_unchecked_into::<HtmlInputElement>().value()));
            // Each keystroke too, so a redraw never puts back the old value while the person types.
            let on_type = link.callback(move |e: InputEvent| Msg::Knob(i, e.target_unchecked_into::<HtmlInputElement>().value()));
            let on_slide = link.callback(move |e: InputEvent| Msg::Slide(i, e.target_unchecked_into::<HtmlInputElement>().value()));
            let id = format!("knob-{}", k.key.replace('.', "-"));
            let (lo, hi, step) = k.slider;
            let at = self.values[i].trim().parse::<f64>().unwrap_or(lo).clamp(lo, hi);
            // Only an experiment locks the knobs: a slider moved during a simulation queues the next.
            let running = self.busy.as_ref().is_some_and(|b| !b.auto && b.what != "simulate");
            html! {
                <label class="knob" for={id.clone()} title={k.help()}>
                    <span class="name">{ k.label }</span>
                    <span class="value">
                        <input id={format!("{id}-slider")} type="range" min={lo.to_string()} max={hi.to_string()} step={step.to_string()} value={at.to_string()} oninput={on_slide} disabled={running} aria-label={k.label} />
                        <input id={id} type="text" inputmode="decimal" value={self.values[i].clone()} oninput={on_type} onchange={on_change} disabled={busy} />
                    </span>
                    <span class="help">{ k.help() }</span>
                </label>
            }
        });
        let on_ab = link
            .callback(|e: Event| Msg::Ab(e.target_unchecked_into::<HtmlInputElement>().checked()));
        let on_device = link.callback(|e: Event| {
            Msg::Device(e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        let (stale_sim, stale_run) = (
            self.stale(&self.simulated_for),
            self.stale(&self.finished_for),
        );
        // The newer-looking result first: a simulation above an experiment of other settings.
        let sim_first = self.finished.is_none() || (stale_run && !stale_sim);
        html! {
            <main>
                <header class="top">
                    <h1>{ "usm: unbiased survey modeling, live" }</h1>
                    <button id="tour-open" class="tour-open" onclick={link.callback(|_| Msg::Tour(Some(0)))}>{ "Take the tour" }</button>
                    <p class="lead">{ "A synthetic short-video feed whose viewers answer in-feed surveys, with the truth of every exposure known: see the USM paper's two biases (who answers, which exposures get asked) and its corrections (inverse propensity weights from a survey-submit model; teacher/student pseudo-label distillation) work or fail. Everything runs in this page, in Rust compiled to WebAssembly: the same code as the usm command line." }</p>
                </header>
                <div class="runbar" id="runbar">
                    <div class="buttons">
                        <button id="simulate" onclick={link.callback(|_| Msg::Simulate)} disabled={busy}>{ "Simulate: see the bias" }</button>
                        <button id="run" onclick={link.callback(|_| Msg::Run)} disabled={busy}>{ "Run the experiment: train, correct, evaluate" }</button>
                    </div>
                    { self.view_status(ctx) }
                </div>
                <div class="workspace">
                    <section class="controls" aria-label="The scenario and the experiment">
                        <label class="knob wide" for="preset">
                            <span class="name">{ "Scenario" }</span>
                            <select id="preset" onchange={on_preset} disabled={busy}>
                                { for PRESETS.iter().map(|(name, about)| html! {
                                    <option value={*name} selected={*name == self.preset} title={*about}>{ *name }</option>
                                }) }
                                if !is_preset(&self.preset) {
                                    <option value="" selected=true disabled=true>{ "imported TOML" }</option>
                                }
                            </select>
                            <span class="help">{ self.scenario_help() }</span>
                        </label>
                        { for knobs }
                        <label class="knob" for="ab-enabled">
                            <span class="name">{ "A/B test" }</span>
                            <input id="ab-enabled" type="checkbox" checked={self.ab} onchange={on_ab} disabled={busy} />
                            <span class="help">{ "rank by the model (Eq. 3) in a closed-loop test against control" }</span>
                        </label>
                        <label class="knob wide" for="device">
                            <span class="name">{ "Train on" }</span>
                            <select id="device" onchange={on_device} disabled={busy}>
                                { for DeviceChoice::ALL.iter().map(|d| html! {
                                    <option value={d.name()} selected={*d == self.device}>{ d.label() }</option>
                                }) }
                            </select>
                            <span class="help">{ "where the models train: WebGPU runs burn's wgpu backend on this machine's GPU; the CPU runs burn's flex on the worker's one thread. The simulated feed of the A/B test ranks on the CPU either way" }</span>
                        </label>
                        { self.view_toml(ctx) }
                    </section>
                    <section class="results" id="results">
                        { self.view_tour(ctx) }
                        if self.finished.is_none() && self.simulated.is_none() {
                            <p class="placeholder" id="placeholder">{ "Results appear here, beside the knobs that made them: a first look runs by itself when the page opens (its progress is above)." }</p>
                        }
                        if sim_first { { self.view_simulated(stale_sim) } }
                        { self.view_finished(stale_run) }
                        if !sim_first { { self.view_simulated(stale_sim) } }
                    </section>
                </div>
            </main>
        }
    }
}

impl App {
    /// The tour's open step: its text with the live numbers, its plot, and the way on.
    fn view_tour(&self, ctx: &Context<Self>) -> Html {
        let Some(i) = self.tour else {
            return html! {};
        };
        let step = tour::step(i, self.simulated.as_ref(), self.results.as_ref());
        let link = ctx.link();
        let plot = step.plot.and_then(|name| {
            self.finished
                .as_ref()?
                .files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, svg)| Html::from_html_unchecked(AttrValue::from(svg.clone())))
        });
        let busy = self.blocking();
        let action = match step.needs {
            Some("simulate") => {
                html! { <button id="tour-act" onclick={link.callback(|_| Msg::Simulate)} disabled={busy}>{ "Simulate" }</button> }
            }
            Some(_) => {
                html! { <button id="tour-act" onclick={link.callback(|_| Msg::Run)} disabled={busy}>{ "Run the experiment" }</button> }
            }
            None => html! {},
        };
        html! {
            <section id="tour" class="tour" aria-live="polite">
                <h2 id="tour-title">{ step.title }</h2>
                <p id="tour-text">{ step.text }</p>
                { action }
                if let Some(p) = plot { <div class="plot">{ p }</div> }
                <div class="buttons">
                    <button id="tour-back" onclick={link.callback(move |_| Msg::Tour(Some(i.saturating_sub(1))))} disabled={i == 0}>{ "Back" }</button>
                    <span>{ format!("{} of {}", i + 1, tour::STEPS) }</span>
                    <button id="tour-next" onclick={link.callback(move |_| Msg::Tour(Some(i + 1)))} disabled={i + 1 == tour::STEPS}>{ "Next" }</button>
                    <button id="tour-close" onclick={link.callback(|_| Msg::Tour(None))}>{ "Close" }</button>
                </div>
            </section>
        }
    }

    /// The scenario as TOML: to read, download, edit and import (the CLI's errors for a bad one).
    fn view_toml(&self, ctx: &Context<Self>) -> Html {
        let toml = build_config(&self.preset, &self.sets())
            .map(|c| c.scenario.to_toml())
            .unwrap_or_default();
        let href = format!(
            "data:application/toml;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(&toml))
        );
        let area = self.toml_box.clone();
        let on_import = ctx.link().callback(move |_| {
            let text = area
                .cast::<web_sys::HtmlTextAreaElement>()
                .map(|t| t.value())
                .unwrap_or_default();
            Msg::ImportToml(text)
        });
        let busy = self.blocking();
        let key = toml.clone();
        html! {
            <details class="toml" id="toml">
                <summary>{ "The scenario as TOML: export it, or paste one to import (as `usm run --scenario FILE` reads it)" }</summary>
                // Not a controlled value: a redraw (progress, say) must not wipe what the person is
                // editing. A new scenario draws a new box (its key).
                <textarea {key} id="toml-text" ref={self.toml_box.clone()} rows="14" spellcheck="false" defaultvalue={toml} />
                if let Some(n) = &self.import_note {
                    <p class="note" id="toml-note" role="status">{ n }</p>
                }
                <div class="buttons">
                    <button id="toml-import" onclick={on_import} disabled={busy}>{ "Import this TOML" }</button>
                    <a id="toml-export" download="scenario.toml" href={href}>{ "Download scenario.toml" }</a>
                </div>
            </details>
        }
    }

    /// The scenario's description beside its menu: the preset's own, whose sizes are the command
    /// line's, with the size this page runs it at.
    fn scenario_help(&self) -> String {
        match PRESETS.iter().find(|p| p.0 == self.preset) {
            Some(p) => format!(
                "{} (those are the command line's sizes: this page runs it at the Users knob's {} users)",
                p.1,
                self.knob("population.users")
            ),
            None => "a scenario imported as TOML (below)".into(),
        }
    }

    /// The value of the knob with `key`, as its box holds it.
    fn knob(&self, key: &str) -> &str {
        KNOBS
            .iter()
            .position(|k| k.key == key)
            .and_then(|i| self.values.get(i))
            .map_or("", |v| v.as_str())
    }

    fn view_status(&self, ctx: &Context<Self>) -> Html {
        let stop = ctx.link().callback(|_| Msg::Stop);
        let error = self
            .error
            .as_ref()
            .map(|e| html! { <p class="error" id="error" role="alert">{ e }</p> });
        let busy = self.busy.as_ref().map(|b| {
            let frac = if b.total > 0 { (b.pos as f64 / b.total as f64).min(1.0) } else { 0.0 };
            let stage = if b.stage.is_empty() { "starting" } else { &b.stage };
            if b.auto {
                // The page's own work: a quieter line, no Stop (anything the person does ends it).
                let about = if b.what == "first look" {
                    format!("First look: every variant trained, evaluated and A/B tested at {} users with dense surveys, so that a result is here in seconds", first_look_value("population.users").unwrap_or_default())
                } else {
                    format!("Refining: the same at the page's own size ({} users); the first look stays until it ends", self.knob("population.users"))
                };
                return html! {
                    <div class="progress auto" id="auto-status" role="status">
                        <div class="stage">{ format!("{about} — stage {}: {stage}", b.stages_done + 1) }</div>
                        <progress max="1" value={frac.to_string()}></progress>
                    </div>
                };
            }
            html! {
                <div class="progress" id="progress" role="status">
                    <div class="stage">{ format!("{} — stage {}: {stage}", b.what, b.stages_done + 1) }</div>
                    <div class="bar">
                        <progress max="1" value={frac.to_string()}></progress>
                        <button id="stop" onclick={stop}>{ "Stop" }</button>
                    </div>
                    <span class="msg">{ format!("{:.0}% {}", 100.0 * frac, b.msg) }</span>
                </div>
            }
        });
        html! { <>{ for error }{ for busy }</> }
    }

    /// What differs between the page's settings and `made`'s, by the knobs' labels.
    fn changed(&self, made: &Option<Settings>) -> String {
        let Some((preset, sets)) = made else {
            return String::new();
        };
        let now = self.sets();
        let mut out: Vec<&str> = Vec::new();
        if *preset != self.preset {
            out.push("Scenario");
        }
        // Both lists are `page_sets`: the same keys in the same places.
        for ((k, v), (_, old)) in now.iter().zip(sets) {
            let label = match k.as_str() {
                "ab.enabled" => "A/B test",
                key => KNOBS.iter().find(|x| x.key == key).map_or(key, |x| x.label),
            };
            if v != old && !out.contains(&label) {
                out.push(label);
            }
        }
        out.join(", ")
    }

    /// The note over a stale result: `what` it is, and the `button` that makes it anew.
    fn stale_note(
        &self,
        id: &'static str,
        made: &Option<Settings>,
        (what, button): (&str, &str),
    ) -> Html {
        html! {
            <p class="stale-note" {id} role="status">{ format!(
                "Stale: {what} was made before {} changed. It describes the earlier settings, not the knobs beside it; press {button} for these.",
                self.changed(made),
            ) }</p>
        }
    }

    fn view_simulated(&self, stale: bool) -> Html {
        let Some(s) = &self.simulated else {
            return html! {};
        };
        let pct = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{:.2}%", 100.0 * v));
        html! {
            <section id="simulated" class={classes!("result", stale.then_some("stale"))}>
                if stale { { self.stale_note("simulated-stale", &self.simulated_for, ("this simulation", "Simulate")) } }
                <h2>{ format!("Simulation: {} exposures in {:.1} s", s.exposures, s.seconds) }</h2>
                <p>{ "What a platform sees (the share of submitted answers naming an issue, the paper's Eq. 2) against the truth over the same surveyed exposures. When willingness to answer tracks sensitivity, the observed rate overshoots. The interval treats the answers as independent draws: where it includes zero, the gap is within noise at this size." }</p>
                <table>
                    <thead><tr><th>{ "issue" }</th><th>{ "true, all exposures" }</th><th>{ "true, surveyed exposures" }</th><th>{ "observed (Eq. 2)" }</th><th>{ "error of observed (95%)" }</th><th>{ "answers" }</th></tr></thead>
                    <tbody>
                        { for s.rates.iter().map(|r| html! {
                            <tr><td>{ &r.head }</td><td>{ pct(Some(r.truth)) }</td><td>{ pct(r.truth_shown) }</td><td>{ pct(r.observed) }</td><td>{ r.error_text() }</td><td>{ r.answers }</td></tr>
                        }) }
                    </tbody>
                </table>
                <div class="plot">{ Html::from_html_unchecked(AttrValue::from(s.chart.clone())) }</div>
                <details><summary>{ "The simulator's summary" }</summary><pre>{ &s.summary }</pre></details>
            </section>
        }
    }

    fn view_finished(&self, stale: bool) -> Html {
        let Some(f) = &self.finished else {
            return html! {};
        };
        let count = |v: Verdict| f.claims.iter().filter(|c| c.verdict == v).count();
        let decided = f.claims.iter().filter(|c| c.verdict.decided()).count();
        let tally: Vec<String> = [
            (Verdict::Holds, "hold"),
            (Verdict::Fails, "fail"),
            (Verdict::NoEffect, "no effect"),
            (Verdict::SmallerThanPaper, "smaller than the paper's"),
        ]
        .into_iter()
        .filter(|(v, _)| count(*v) > 0)
        .map(|(v, w)| format!("{} {w}", count(v)))
        .collect();
        let scope = if f.replicates < 2 {
            "in this world"
        } else {
            "across worlds"
        };
        html! {
            <section id="finished" class={classes!("result", stale.then_some("stale"))}>
                if stale { { self.stale_note("finished-stale", &self.finished_for, ("this experiment", "Run the experiment")) } }
                <h2>{ format!("Experiment, in {:.0} s", f.seconds) }</h2>
                <p class="tally" id="tally">{ format!(
                    "{decided} of {} claims decided ({scope}): {}; {} undecided.",
                    f.claims.len(),
                    if tally.is_empty() { "none".to_string() } else { tally.join(", ") },
                    f.claims.len() - decided
                ) }</p>
                if self.first_look {
                    <p class="caveat" id="first-look-note">{ first_look_text(self.busy.as_ref().is_some_and(|b| b.what == "full run"), self.knob("population.users")) }</p>
                }
                // What to look at first: each rate estimate against the truth, and whether the
                // models learnt (a calibration curve with slope, not a vertical line).
                <div class="plots headline">
                    { for HEADLINE.iter().filter_map(|name| f.files.iter().find(|(n, _)| n == name)).map(|(_, svg)| html! {
                        <div class="plot">{ Html::from_html_unchecked(AttrValue::from(svg.clone())) }</div>
                    }) }
                </div>
                <p class="describe">{ &f.describe }</p>
                <p class="device" id="device-used">{ match f.training.per_second() {
                    Some(rate) => format!("Trained on {}: {:.0} samples/s ({} samples in {:.1} s, validation passes included).", f.device, rate, f.training.samples, f.training.seconds),
                    None => format!("Trained on {}.", f.device),
                } }</p>
                <h3>{ "The paper's claims in this scenario" }</h3>
                if f.replicates < 2 {
                    <p class="caveat" id="one-replicate">{ "One replicate: each verdict here is in this world, decided by the interval over its users with these trained models held fixed, and says so; it says nothing of another draw of the world or of the training. Raise Replicates for verdicts across worlds; the command line's default (cargo run --release, 12 replicates) is the run to read the paper's directions from." }</p>
                }
                <ul class="claims">
                    { for f.claims.iter().map(|c| {
                        let (class, word) = (c.verdict.class(), c.verdict.word());
                        html! {
                            <li class={classes!("claim", class)}>
                                <span class="verdict">{ word }</span>
                                <span class="scope">{ usm_sim::report::tables::scope_text(c) }</span>
                                <span class="statement">{ &c.statement }</span>
                                <div class="prediction">{ usm_sim::report::tables::prediction_text(c) }</div>
                                <div class="evidence">{ &c.evidence }</div>
                                <div class="power">{ usm_sim::report::power_text(c) }</div>
                            </li>
                        }
                    }) }
                </ul>
                <h3>{ "Plots" }</h3>
                <div class="plots">
                    // The A/B plots list many metrics: they get the whole width.
                    { for f.files.iter().filter(|(n, _)| n.ends_with(".svg") && !HEADLINE.contains(&n.as_str())).map(|(n, svg)| html! {
                        <div class={classes!("plot", n.starts_with("ab").then_some("wide"))}>{ Html::from_html_unchecked(AttrValue::from(svg.clone())) }</div>
                    }) }
                </div>
                <h3>{ "Files" }</h3>
                <p>{ "The same files usm run writes: report.html opens offline; results.json follows docs/results-schema.md." }</p>
                <ul class="downloads">
                    { for self.downloads.iter().map(|d| html! { <li><a href={d.url.clone()} download={d.name.clone()}>{ &d.name }</a></li> }) }
                </ul>
                <details><summary>{ "The tables, as the command line prints them" }</summary><pre>{ &f.text }</pre></details>
            </section>
        }
    }
}
