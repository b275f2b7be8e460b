// The browser demo, driven as a person would: index.html served over HTTP on the loopback,
// opened in headless Chromium, knobs typed in, buttons clicked, results read off the page.
// Needs `bash web/build.sh` first (dist/), Debian's chromium, and `npm ci` in this folder.
// Run: node --test tests/web/   (USM_CHROMIUM overrides /usr/bin/chromium)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const shots = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "web-test");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

let server;
let base;
let browser;

before(async () => {
  await stat(path.join(root, "dist", "usm_web_bg.wasm")).catch(() => {
    throw new Error("dist/usm_web_bg.wasm is missing: run `bash web/build.sh` first");
  });
  // Static files under the repository root, nothing outside it.
  server = http.createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.join(root, rel === "/" ? "index.html" : rel);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await launch([]);
  await mkdir(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/// Headless Chromium, with `extra` flags.
function launch(extra) {
  return chromium.launch({
    executablePath: process.env.USM_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extra,
    ],
  });
}

/// The results.json of the result on the page.
function pageResults(page) {
  return page.evaluate(async () => {
    const a = [...document.querySelectorAll(".downloads a")].find((x) => x.download === "results.json");
    return JSON.parse(await (await fetch(a.href)).text());
  });
}

/// A fresh page on the demo, with every page error and console error collected.
async function open(query = "", on = browser, init = null) {
  const page = await on.newPage({ viewport: { width: 1200, height: 900 } });
  if (init) await page.addInitScript(init);
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()}`);
  });
  await page.goto(base + query);
  await page.waitForSelector("#simulate", { timeout: 60_000 });
  return { page, errors };
}

/// Types `value` into a knob and commits it (a change event), as leaving the field does.
async function knob(page, key, value) {
  const sel = `#knob-${key.replaceAll(".", "-")}`;
  await page.fill(sel, value);
  await page.dispatchEvent(sel, "change");
}

/// Starts a 3,000-user experiment and waits for its progress bar.
async function startSmallExperiment(page) {
  await knob(page, "population.users", "3000");
  await knob(page, "ab.users", "1000");
  await page.click("#run");
  await page.waitForSelector("#progress", { timeout: 30_000 });
}

test("on load, a first complete result comes by itself, and the page's own size follows", async () => {
  // The page's own clock (from the start of navigation) at the moment the result enters the
  // page: the test's polling adds nothing to it.
  const stamp = () => {
    new MutationObserver((_, obs) => {
      if (document.querySelector("#first-look-note")) {
        window.firstResultAt = performance.now();
        obs.disconnect();
      }
    }).observe(document, { subtree: true, childList: true });
  };
  const { page, errors } = await open("", browser, stamp);
  // Nothing pressed: the page runs a first look at a small size by itself.
  await page.waitForSelector("#first-look-note", { timeout: 180_000 });
  const at = await page.evaluate(() => window.firstResultAt / 1000);
  console.log(`# first complete result ${at.toFixed(1)} s after opening (the page's clock)`);
  const verdicts = await page.$$eval(".claim .verdict", (v) => v.map((x) => x.textContent));
  assert.ok(verdicts.length >= 10, `claims: ${verdicts}`);
  const results = await page.evaluate(async () => {
    const a = [...document.querySelectorAll(".downloads a")].find((x) => x.download === "results.json");
    return JSON.parse(await (await fetch(a.href)).text());
  });
  assert.equal(results.config.scenario.population.users, 3000);
  // It teaches: most claims decided (in this world, and labelled so), and models that learnt:
  // every variant's calibration curve spans a range of predictions, not one vertical line.
  const decided = results.claims.filter((c) => !["inconclusive", "no_interval"].includes(c.verdict));
  console.log(`# first look: ${decided.length} of ${results.claims.length} claims decided`);
  assert.match(await page.textContent("#tally"), new RegExp(`^${decided.length} of ${results.claims.length} claims decided \\(in this world\\)`));
  // At the page's seed it decides 11 of 17; over seeds 42, 1-4 (natively) 9 to 11, so the
  // guard sits at half, below that spread: models that learnt nothing decided 2 of 16.
  assert.ok(decided.length >= 0.5 * results.claims.length, `decided: ${decided.map((c) => c.id)}`);
  for (const c of decided) assert.equal(c.scope, "in_this_world", c.id);
  for (const [variant, heads] of Object.entries(results.curves)) {
    for (const [head, curve] of Object.entries(heads)) {
      // (Relative: "sexual" runs near 1%.) A model that learnt nothing predicts about one
      // value in every bin (the earlier first look's ran 0.205 to 0.206).
      const p = curve.predicted.filter((x) => x !== null);
      assert.ok(Math.max(...p) > 1.5 * Math.min(...p), `${variant} ${head}: predictions ${p}`);
    }
  }
  assert.match(await page.textContent("#first-look-note"), /a survey on 30% of exposures/);
  // The controls and the result share the first screen; the run controls stay in view below.
  const inView = async (sel) => {
    const b = await page.locator(sel).first().boundingBox();
    return b !== null && b.y >= 0 && b.y + Math.min(b.height, 40) <= 900;
  };
  for (const sel of ["#run", "#simulate", "#knob-population-users", "#tally", ".headline .plot svg"]) {
    assert.ok(await inView(sel), `${sel} is out of view`);
  }
  await page.screenshot({ path: path.join(shots, "first-look.png") });
  await page.mouse.wheel(0, 3000);
  await page.waitForFunction(() => window.scrollY > 1000);
  for (const sel of ["#run", "#auto-status"]) assert.ok(await inView(sel), `${sel} scrolled away`);
  await page.evaluate(() => window.scrollTo(0, 0));
  // This browser offers no WebGPU adapter: the page trains on the CPU and says why, and how fast.
  const used = await page.textContent("#device-used");
  assert.match(used, /^Trained on CPU \(burn flex\) \(no WebGPU adapter here\): \d+ samples\/s \(\d+ samples in [\d.]+ s/);
  console.log(`# ${used}`);
  for (const v of ["baseline", "response_debias", "distillation", "distillation_response_debias"]) {
    assert.equal(typeof results.variants[v].heads.dislike.uauc, "number", v);
  }
  assert.equal(typeof results.rates.dislike.rate_debiased, "number");
  // The run at the page's size follows, and blocks nothing: a knob the person moves ends it.
  assert.match(await page.textContent("#auto-status"), /^Refining: the same at the page's own size \(10000 users\)/);
  assert.equal(await page.isEnabled("#run"), true);
  await knob(page, "population.users", "3000");
  assert.equal(await page.$("#auto-status"), null);
  assert.match(await page.textContent("#first-look-note"), /Run the experiment for the page's own size/);
  // The result now describes other settings: it says so, naming what changed.
  assert.match(await page.textContent("#finished-stale"), /^Stale: this experiment was made before Users changed/);
  assert.ok(await page.$("#finished.stale"));
  await knob(page, "population.users", "10000");
  assert.equal(await page.$("#finished-stale"), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the page draws the knobs with the demo's defaults", async () => {
  // The preset's description gives the command line's sizes; the page says its own beside them.
  {
    const { page } = await open();
    assert.match(await page.textContent("label[for=preset] .help"), /80k users.*this page runs it at the Users knob's 10000 users/);
    await page.close();
  }
  const { page, errors } = await open();
  assert.equal(await page.inputValue("#knob-population-users"), "10000");
  assert.equal(await page.inputValue("#knob-replicates"), "1");
  assert.equal(await page.inputValue("#preset"), "experiment");
  // Another preset fills the knobs with its own values.
  await page.selectOption("#preset", "no-bias");
  assert.equal(await page.inputValue("#knob-willingness-spread"), "0.0");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the URL holds the page's state, and a hostile URL falls back to the defaults", async () => {
  // A link sets the preset, a knob and the A/B switch.
  let { page, errors } = await open("?preset=no-bias&population.users=12000&ab=false");
  assert.equal(await page.inputValue("#preset"), "no-bias");
  assert.equal(await page.inputValue("#knob-population-users"), "12000");
  assert.equal(await page.isChecked("#ab-enabled"), false);
  assert.equal(await page.$("#error"), null);
  // Moving a knob writes it into the URL, and that link opens the same state.
  await knob(page, "survey.rate", "0.03");
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("survey.rate"), "0.03");
  assert.equal(url.searchParams.get("population.users"), "12000");
  const again = await open(url.search);
  assert.equal(await again.page.inputValue("#knob-survey-rate"), "0.03");
  assert.equal(await again.page.inputValue("#preset"), "no-bias");
  assert.deepEqual([...errors, ...again.errors], []);
  await page.close();
  await again.page.close();
  // Absurd sizes, unknown keys and huge strings: a message, and the defaults.
  for (const q of ["?population.users=99999999999", "?nope=1", `?seed=${"9".repeat(5000)}`]) {
    ({ page, errors } = await open(q));
    assert.match(await page.textContent("#error"), /This link's settings were not used/);
    assert.equal(await page.inputValue("#knob-population-users"), "10000");
    assert.equal(await page.inputValue("#preset"), "experiment");
    assert.deepEqual(errors, []);
    await page.close();
  }
  // Each refusal says what is wrong, in the link's own terms.
  const said = [
    ["?population.users=NaN", /`population.users` is `NaN`: not a number/],
    ["?seed=1&seed=2", /sets `seed` twice/],
    ["?preset=no-bias&scenario=name%3D%22x%22", /sets `scenario` twice/],
    [`?scenario=name%3D%22${"x".repeat(9000)}%22`, /`scenario` is too long: 9007 characters \(at most 8192\)/],
  ];
  for (const [q, message] of said) {
    ({ page, errors } = await open(q));
    assert.match(await page.textContent("#error"), message, q.slice(0, 80));
    // Where the eye is: in the first screen, beside the run buttons.
    const box = await page.locator("#error").boundingBox();
    assert.ok(box.y >= 0 && box.y < 300, `the error sits at y = ${box.y}`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

/// Moves a knob's slider to `value`, as a drag does (input events).
async function slide(page, key, value) {
  await page.$eval(`#knob-${key.replaceAll(".", "-")}-slider`, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

test("a slider drag re-simulates at once and redraws the bias", async () => {
  const { page, errors } = await open();
  await slide(page, "population.users", "3000");
  await page.waitForSelector("#simulated", { timeout: 60_000 });
  assert.equal(await page.inputValue("#knob-population-users"), "3000");
  assert.equal(new URL(page.url()).searchParams.get("population.users"), "3000");
  const first = await page.textContent("#simulated h2");
  // Dragging on: each position simulates again (positions passed during a run queue one more).
  for (const v of ["4000", "5000", "6000"]) await slide(page, "population.users", v);
  await page.waitForFunction(
    (before) => {
      const h = document.querySelector("#simulated h2");
      return h && h.textContent !== before && !document.querySelector("#progress");
    },
    first,
    { timeout: 60_000 },
  );
  assert.equal(await page.inputValue("#knob-population-users"), "6000");
  // The last position's simulation is the one shown: 6,000 users make more exposures than 3,000.
  await page.waitForFunction(() => !document.querySelector("#progress"), null, { timeout: 60_000 });
  const n = (t) => Number(t.match(/Simulation: (\d+) exposures/)[1]);
  assert.ok(n(await page.textContent("#simulated h2")) > 1.5 * n(first));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the scenario exports as TOML, and a TOML imports, good or bad", async () => {
  const { page, errors } = await open();
  await page.click("#toml summary");
  const exported = await page.inputValue("#toml-text");
  assert.match(exported, /name = "experiment"/);
  const href = await page.getAttribute("#toml-export", "href");
  assert.equal(decodeURIComponent(href.split(",").slice(1).join(",")), exported);
  // A bad TOML: the CLI's error, and nothing changes.
  await page.fill("#toml-text", exported.replace("[population]", "[population]\nuserz = 3"));
  await page.click("#toml-import");
  assert.match(await page.textContent("#error"), /The TOML was not imported:[\s\S]*userz/);
  assert.equal(await page.inputValue("#preset"), "experiment");
  // A good one: its values fill the knobs, it becomes the base, and the link carries it.
  const ours = exported.replace('name = "experiment"', 'name = "ours"').replace(/\nrate = [0-9.e-]+/, "\nrate = 0.021");
  await page.fill("#toml-text", ours);
  await page.click("#toml-import");
  assert.equal(await page.$("#error"), null);
  assert.equal(await page.inputValue("#knob-survey-rate"), "0.021");
  const url = new URL(page.url());
  assert.match(url.searchParams.get("scenario"), /name = "ours"/);
  const again = await open(url.search);
  assert.equal(await again.page.inputValue("#knob-survey-rate"), "0.021");
  assert.deepEqual([...errors, ...again.errors], []);
  await again.page.close();
  // An empty TOML is refused, not read as the default scenario.
  await page.fill("#toml-text", "# nothing here\n");
  await page.click("#toml-import");
  assert.match(await page.textContent("#error"), /The TOML was not imported: .*sets no field/);
  // The TOML's users are kept (the Users knob), up to the page's cap, which is said.
  await page.fill("#toml-text", ours.replace(/\nusers = \d+/, "\nusers = 40000"));
  await page.click("#toml-import");
  assert.equal(await page.inputValue("#knob-population-users"), "40000");
  assert.equal(await page.$("#toml-note"), null);
  await page.fill("#toml-text", ours.replace(/\nusers = \d+/, "\nusers = 200000"));
  await page.click("#toml-import");
  assert.equal(await page.inputValue("#knob-population-users"), "100000");
  assert.match(await page.textContent("#toml-note"), /population.users = 200000 is more than this page runs: it runs 100000 here/);
  // A TOML longer than a link carries (comments, as `usm scenario` writes them) travels as its
  // scenario: what the page writes, it accepts.
  const commented = ours + "\n" + "# a long comment\n".repeat(600);
  await page.fill("#toml-text", commented);
  await page.click("#toml-import");
  assert.equal(await page.$("#error"), null);
  const long = new URL(page.url());
  const third = await open(long.search);
  assert.equal(await third.page.$("#error"), null);
  assert.equal(await third.page.inputValue("#knob-survey-rate"), "0.021");
  assert.deepEqual([...errors, ...third.errors], []);
  await page.close();
  await third.page.close();
});

test("the tour walks through the four steps with the live numbers", async () => {
  const { page, errors } = await open();
  await knob(page, "population.users", "3000");
  await knob(page, "ab.users", "1000");
  await page.click("#tour-open");
  assert.match(await page.textContent("#tour-title"), /^1\. Who answers/);
  assert.match(await page.textContent("#tour-text"), /Press Simulate/);
  await page.click("#tour-act");
  await page.waitForSelector("#simulated", { timeout: 60_000 });
  // The gap is quoted with its interval, and what it shows is read off that interval.
  assert.match(await page.textContent("#tour-text"), /of the \d+ submitted answers say it: [+-]\d+\.\d% \[[+-]\d+\.\d, [+-]\d+\.\d\] \(95%/);
  assert.match(await page.textContent("#tour-text"), /The interval (excludes zero: a gap larger than the noise|includes zero: within noise at this size)/);
  await page.click("#tour-next");
  assert.match(await page.textContent("#tour-title"), /^2\. Eq\. 13/);
  assert.match(await page.textContent("#tour-text"), /Press Run the experiment/);
  await page.click("#tour-act");
  await page.waitForSelector("#finished", { timeout: 240_000 });
  assert.match(await page.textContent("#tour-text"), /\(Eq\. 13\): on "don't like", \d+\.\d+% against the truth \d+\.\d+%/);
  assert.match(await page.textContent("#tour-text"), /than the naive rate on every head\? (HOLDS|FAILS|NO EFFECT|SMALLER THAN THE PAPER'S) \(in this world\)|than the naive rate on every head\? undecided at this size \(in this world\)/);
  assert.ok(await page.$("#tour .plot svg"), "the calibration curve beside step 2");
  await page.click("#tour-next");
  assert.match(await page.textContent("#tour-text"), /the student's UAUC is 0\.\d+ against the baseline's/);
  await page.click("#tour-next");
  assert.match(await page.textContent("#tour-text"), /by [+-]\d+\.\d+% \[/);
  assert.ok(await page.$("#tour .plot svg"), "the A/B bars beside step 4");
  assert.equal(await page.isDisabled("#tour-next"), true);
  await page.click("#tour-close");
  assert.equal(await page.$("#tour"), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a bad knob is named, and nothing runs", async () => {
  const { page, errors } = await open();
  await knob(page, "population.users", "0");
  await page.click("#simulate");
  const text = await page.textContent("#error");
  assert.match(text, /population\.users/);
  assert.equal(await page.$("#progress"), null);
  assert.equal(await page.$("#simulated"), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a running experiment can be stopped, and the next job runs in a fresh worker", async () => {
  const { page, errors } = await open();
  await startSmallExperiment(page);
  await page.click("#stop");
  assert.match(await page.textContent("#error"), /^Stopped the experiment at: /);
  assert.equal(await page.$("#progress"), null);
  assert.equal(await page.isEnabled("#run"), true);
  await page.click("#simulate");
  await page.waitForSelector("#simulated", { timeout: 120_000 });
  assert.equal(await page.$("#finished"), null);
  assert.equal(await page.$("#error"), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a simulation shows the truth against what surveys observe", async () => {
  const { page, errors } = await open();
  await page.selectOption("#preset", "strong-response-bias");
  await knob(page, "population.users", "3000");
  await knob(page, "population.days", "4");
  await knob(page, "survey.rate", "0.02");
  await knob(page, "ab.users", "1000");
  await page.click("#simulate");
  await page.waitForSelector("#simulated", { timeout: 120_000 });
  const rows = await page.$$eval("#simulated tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
  );
  assert.deepEqual(rows.map((r) => r[0]), ["dislike", "inappropriate", "sexual"]);
  for (const r of rows) assert.match(r[1], /^\d+\.\d\d%$/, `truth of ${r[0]}: ${r[1]}`);
  assert.equal(await page.$$eval("#simulated svg", (s) => s.length), 1);
  assert.match(await page.textContent("#simulated h2"), /^Simulation: \d+ exposures/);
  await page.screenshot({ path: path.join(shots, "simulate.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("an experiment ends with the paper's claims, plots and the report files", async () => {
  const { page, errors } = await open();
  await startSmallExperiment(page);
  await page.waitForSelector("#finished", { timeout: 480_000 });
  const verdicts = await page.$$eval(".claim .verdict", (v) => v.map((x) => x.textContent));
  assert.ok(verdicts.length >= 5, `claims: ${verdicts}`);
  for (const v of verdicts) {
    assert.match(v, /^(HOLDS|FAILS|NO EFFECT|SMALLER THAN THE PAPER'S|INCONCLUSIVE|NO INTERVAL)$/);
  }
  // One replicate: the page says its verdicts are in this world, and each decided one says so.
  assert.ok(await page.$("#one-replicate"));
  const scopes = await page.$$eval(".claim .scope", (v) => v.map((x) => x.textContent));
  assert.ok(scopes.includes("in this world"), `scopes: ${scopes}`);
  assert.ok((await page.$$eval("#finished .plot svg", (s) => s.length)) >= 3);
  const names = await page.$$eval(".downloads a", (as) => as.map((a) => a.getAttribute("download")));
  for (const want of ["report.html", "results.json", "scenario.toml", "experiment.toml"]) {
    assert.ok(names.includes(want), `${want} missing from ${names}`);
  }
  // The results file is the CLI's results.json, for the experiment set on the page.
  const results = await page.evaluate(async () => {
    const a = [...document.querySelectorAll(".downloads a")].find((x) => x.download === "results.json");
    return JSON.parse(await (await fetch(a.href)).text());
  });
  assert.equal(results.config.scenario.population.users, 3000);
  assert.equal(results.config.ab.users, 1000);
  assert.equal(results.claims.length, verdicts.length);
  await page.screenshot({ path: path.join(shots, "experiment.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

/// Runs one job in a fresh worker of the page, as the page does (`web/worker.js`, the same
/// module): the last reply, the stages seen, and the seconds taken. A job that does not end in
/// `limit_ms` fails with the last stage it reached.
async function workerJob(page, request, limit_ms) {
  await page.evaluate((text) => {
    window.__job = { stages: [], last: null, t0: performance.now() };
    const w = new Worker("web/worker.js", { type: "module" });
    w.onmessage = (e) => {
      const r = JSON.parse(e.data);
      if (r.type === "event") {
        if (r.stage) window.__job.stages.push(r.stage.name);
      } else {
        window.__job.last = r;
        window.__job.seconds = (performance.now() - window.__job.t0) / 1000;
        w.terminate();
      }
    };
    w.onerror = (e) => {
      window.__job.last = { type: "failed", error: `worker error: ${e.message}` };
    };
    w.postMessage(text);
  }, JSON.stringify(request));
  try {
    await page.waitForFunction(() => window.__job.last !== null, null, { timeout: limit_ms, polling: 500 });
  } catch (e) {
    const stages = await page.evaluate(() => window.__job.stages);
    throw new Error(`the job did not end in ${limit_ms / 1000} s; its stages: ${stages.join(" | ")}`);
  }
  return page.evaluate(() => window.__job);
}

test("over WebGPU (SwiftShader), the experiment trains on the GPU and agrees with the CPU", async () => {
  const gpu = await launch([
    "--enable-unsafe-webgpu",
    "--enable-unsafe-swiftshader",
    "--use-webgpu-adapter=swiftshader",
  ]);
  try {
    // The page itself on WebGPU: its device menu reads the link.
    const { page, errors } = await open("?device=webgpu", gpu);
    assert.equal(await page.inputValue("#device"), "webgpu");
    // A small experiment, as the page sends it, once on each device (the first look's config,
    // read from the page's own defaults, made smaller: software WebGPU is slow).
    const config = await page.evaluate(async () => {
      const { default: init, first_look_config } = await import("./dist/usm_web.js");
      await init();
      return JSON.parse(first_look_config());
    });
    // About 500 users and 1,000 pseudo-label rows: SwiftShader trains some 25 samples/s.
    config.scenario.population.users = 500;
    Object.assign(config, { pseudo_rows: 1000 });
    config.train.epochs = 1;
    config.submit_train.epochs = 1;
    // SwiftShader's time goes by steps: the first look's dense surveys and small batches, made
    // for learning in seconds on the CPU, would take it an hour.
    config.scenario.survey.rate = 0.05;
    config.eval_user_share = 0.1;
    config.train.batch_size = 512;
    config.submit_train.batch_size = 1024;
    Object.assign(config.ab, { users: 300, days: 1 });
    // "auto" never takes a software adapter: SwiftShader trains slower than the CPU path.
    const auto = await workerJob(page, { kind: "experiment", config, device: "auto" }, 120_000);
    assert.equal(auto.last.type, "finished", JSON.stringify(auto.last).slice(0, 400));
    assert.match(auto.last.device, /^CPU \(burn flex\) \(WebGPU's adapter here is a software one \(.+\), slower than the CPU\)$/);
    const cpu = await workerJob(page, { kind: "experiment", config, device: "cpu" }, 120_000);
    const webgpu = await workerJob(page, { kind: "experiment", config, device: "webgpu" }, 900_000);
    for (const j of [cpu, webgpu]) assert.equal(j.last.type, "finished", JSON.stringify(j.last).slice(0, 400));
    const [c, g] = [cpu.last, webgpu.last];
    assert.equal(c.device, "CPU (burn flex)");
    assert.equal(g.device, "WebGPU (burn wgpu)");
    const rate = (f) => f.training.samples / f.training.seconds;
    console.log(`# the same experiment, SwiftShader WebGPU: ${webgpu.seconds.toFixed(1)} s, training ${rate(g).toFixed(0)} samples/s`);
    console.log(`# in the same browser on the CPU: ${cpu.seconds.toFixed(1)} s, training ${rate(c).toFixed(0)} samples/s`);
    // The same seed: the same simulation, and models trained alike to float rounding.
    const res = (f) => JSON.parse(f.files.find(([n]) => n === "results.json")[1]);
    const [rc, rg] = [res(c), res(g)];
    assert.deepEqual(rg.data, rc.data);
    assert.deepEqual(rg.simulation, rc.simulation);
    for (const v of ["baseline", "response_debias", "distillation", "distillation_response_debias"]) {
      for (const h of ["dislike", "inappropriate"]) {
        for (const k of ["labeled_auc", "oracle_auc_exposed"]) {
          const [a, b] = [rg.variants[v].heads[h][k], rc.variants[v].heads[h][k]];
          assert.ok(Math.abs(a - b) < 0.02, `${v} ${h} ${k}: WebGPU ${a}, CPU ${b}`);
        }
      }
    }
    await page.close();
    assert.deepEqual(errors, []);
  } finally {
    await gpu.close();
  }
});
