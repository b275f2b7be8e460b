//! The module's entry points for JavaScript: the page's [`start`] and the worker's
//! [`worker_run`].

use std::cell::RefCell;

use usm_core::prelude::Device;
use wasm_bindgen::prelude::*;

use crate::{app, job};

thread_local! {
    /// The message of the last panic, for the worker to report (a panic ends the module).
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs the module's static constructors (the `inventory` registrations of burn's cubecl) once,
/// when the module is instantiated. Called here, explicitly, the linker no longer wraps every
/// export in a call to them (its "command-style" linkage): it did, and each call from
/// JavaScript into the module ran them again, which made every redraw of the page cost most of
/// a second.
#[wasm_bindgen(start)]
#[allow(unsafe_code)]
pub fn run_constructors_once() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: the linker's synthetic function, called once, before any other code of the
    // module runs (wasm-bindgen calls the start function at instantiation).
    unsafe { __wasm_call_ctors() }
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

/// The page's first look at its defaults (`job::FIRST_LOOK` over the demo's sizes), as the
/// JSON of the experiment the page sends its worker: for tests that run jobs of their own.
#[wasm_bindgen]
pub fn first_look_config() -> Result<String, JsValue> {
    let cfg = job::build_config("experiment", &job::first_look_sets(job::demo_sets()))
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    serde_json::to_string(&cfg).map_err(|e| JsValue::from_str(&e.to_string()))
}

/// Runs one job (a [`job::Request`] as JSON) in the worker: each progress [`job::Reply`] goes
/// to `emit` as JSON text, and the last (result or error) is what the promise gives. The job
/// runs on the device it asks for ([`job::DeviceChoice`]): over WebGPU it awaits every read,
/// and the worker's event loop runs between them.
#[wasm_bindgen]
pub async fn worker_run(request: String, emit: js_sys::Function) -> String {
    std::panic::set_hook(Box::new(|info| {
        PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
    }));
    let mut send = |r: &job::Reply| {
        let text = serde_json::to_string(r).expect("a reply serialises");
        // A failed post leaves the page without this update, nothing more.
        let _ = emit.call1(&JsValue::NULL, &JsValue::from_str(&text));
    };
    let clock = || js_sys::Date::now() / 1000.0;
    let last = match job::parse_request(&request) {
        Ok(r) => match place(r.device()).await {
            Ok(on) => job::run_on(&r, &on, &mut send, &clock).await,
            Err(error) => job::Reply::Failed { error },
        },
        Err(reply) => reply,
    };
    serde_json::to_string(&last).expect("a reply serialises")
}

thread_local! {
    /// The worker's WebGPU device once asked for, or why there is none: burn's wgpu runtime
    /// initialises once a worker.
    static GPU: RefCell<Option<Result<Device, String>>> = const { RefCell::new(None) };
}

/// The device for a choice: WebGPU where it is asked for (or `auto`) and the browser offers an
/// adapter, else the CPU, saying why. `auto` never takes a software adapter (a fallback one, or
/// a CPU renderer such as SwiftShader or llvmpipe): it trains slower than the CPU path.
async fn place(choice: job::DeviceChoice) -> Result<job::Placed, String> {
    use job::DeviceChoice;
    if choice == DeviceChoice::Cpu {
        return Ok(job::Placed::cpu(""));
    }
    if choice == DeviceChoice::Auto
        && let Some(software) = software_adapter().await
    {
        return Ok(job::Placed::cpu(&format!(
            "WebGPU's adapter here is a software one ({software}), slower than the CPU"
        )));
    }
    match webgpu().await {
        Ok(device) => Ok(job::Placed {
            device,
            label: DeviceChoice::Webgpu.label().to_string(),
        }),
        Err(_) if choice == DeviceChoice::Auto => Ok(job::Placed::cpu("no WebGPU adapter here")),
        Err(why) => Err(format!(
            "WebGPU was asked for, but this browser gives none: {why}; choose the CPU"
        )),
    }
}

/// The worker's WebGPU device, made on first use.
async fn webgpu() -> Result<Device, String> {
    if let Some(known) = GPU.with(|g| g.borrow().clone()) {
        return known;
    }
    let got = if has_webgpu() {
        Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("no WebGPU adapter ({e})"))
    } else {
        Err("this browser has no WebGPU (`navigator.gpu`)".to_string())
    };
    GPU.with(|g| *g.borrow_mut() = Some(got.clone()));
    got
}

/// The name of the browser's WebGPU adapter if it is a software one: a fallback adapter
/// (`GPUAdapterInfo.isFallbackAdapter`), or one whose vendor, architecture or description names
/// a CPU renderer. `None` for a hardware adapter, or none at all.
async fn software_adapter() -> Option<String> {
    use js_sys::Reflect;
    if !has_webgpu() {
        return None;
    }
    let get = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).ok();
    let gpu = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "gpu"))?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = get(&adapter, "info").filter(|i| !i.is_undefined() && !i.is_null());
    let flag = |o: &JsValue| get(o, "isFallbackAdapter").and_then(|v| v.as_bool()) == Some(true);
    let text = |k: &str| {
        info.as_ref()
            .and_then(|i| get(i, k))
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let named = ["vendor", "architecture", "description", "device"]
        .iter()
        .map(|k| text(k))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let lower = named.to_lowercase();
    let cpu_renderer = [
        "swiftshader",
        "llvmpipe",
        "lavapipe",
        "softpipe",
        "basic render",
    ]
    .iter()
    .any(|r| lower.contains(r));
    let fallback = flag(&adapter) || info.as_ref().is_some_and(flag);
    (fallback || cpu_renderer).then(|| {
        if named.is_empty() {
            "a fallback adapter".to_string()
        } else {
            named
        }
    })
}

/// Whether the worker's `navigator.gpu` exists.
fn has_webgpu() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"));
    navigator
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("gpu")))
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}
