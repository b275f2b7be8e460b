//! The module's entry points for JavaScript: the page's [`start`] and the worker's
//! [`worker_run`].

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::{app, job};

thread_local! {
    /// The message of the last panic, for the worker to report (a panic ends the module).
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The message of the last panic in this module, if any.
#[wasm_bindgen]
pub fn last_panic() -> Option<String> {
    PANIC.with(|p| p.borrow().clone())
}

/// Draws the page into the element with id `app`.
#[wasm_bindgen]
pub fn start() -> Result<(), JsValue> {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .ok_or_else(|| JsValue::from_str("the page has no element with id `app`"))?;
    yew::Renderer::<app::App>::with_root(root).render();
    Ok(())
}

/// Runs one job (a [`job::Request`] as JSON) in the worker: each progress [`job::Reply`] goes
/// to `emit` as JSON text, and the last (result or error) is returned.
#[wasm_bindgen]
pub fn worker_run(request: &str, emit: &js_sys::Function) -> String {
    std::panic::set_hook(Box::new(|info| {
        PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
    }));
    let mut send = |r: &job::Reply| {
        let text = serde_json::to_string(r).expect("a reply serialises");
        // A failed post leaves the page without this update, nothing more.
        let _ = emit.call1(&JsValue::NULL, &JsValue::from_str(&text));
    };
    let clock = || js_sys::Date::now() / 1000.0;
    let last = job::run_json(request, &mut send, &clock);
    serde_json::to_string(&last).expect("a reply serialises")
}
