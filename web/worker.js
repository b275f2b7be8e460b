// The demo's worker: loads the same WebAssembly module as the page and runs its jobs, so the
// page stays responsive. Each message in is a job (JSON text); each message out is a reply
// (JSON text): progress, then one result or error. A panic ends the module: the worker then
// raises an error, which the page reports before it starts a fresh worker for the next job.
//
// The page's first message is the module it compiled itself (a WebAssembly.Module): the worker
// instantiates that one rather than fetching and compiling the 16 MB again. A worker started
// without it (a test's own) compiles the module at its first job.
import init, { worker_run, last_panic } from "../dist/usm_web.js";

let ready;

self.onmessage = async (event) => {
  if (event.data instanceof WebAssembly.Module) {
    ready ??= init({ module_or_path: event.data });
    return;
  }
  ready ??= init();
  try {
    await ready;
    const last = await worker_run(event.data, (reply) => self.postMessage(reply));
    self.postMessage(last);
  } catch (e) {
    let why = String(e);
    try {
      why = last_panic() ?? why;
    } catch (_) {
      // The module is gone: keep the JavaScript error.
    }
    setTimeout(() => {
      throw new Error(`the worker crashed: ${why}`);
    });
  }
};
