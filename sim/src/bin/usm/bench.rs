//! `usm bench`: throughput of the simulator, of training and inference of the paper's
//! architecture, and of AUC / UAUC. Fixed seeds; wall-clock, so run it on a quiet machine.

use std::time::Instant;

use anyhow::Result;
use usm_core::prelude::*;
use usm_core::rng::Rng;
use usm_sim::prelude::*;

fn random_features(n: usize, vocab: Vocab, n_dense: usize, seed: u64) -> Features {
    let mut r = Rng::new(seed, 0);
    Features {
        user: (0..n).map(|_| r.below(vocab.users as u64) as u32).collect(),
        item: (0..n).map(|_| r.below(vocab.items as u64) as u32).collect(),
        author: (0..n)
            .map(|_| r.below(vocab.authors as u64) as u32)
            .collect(),
        dense: (0..n * n_dense).map(|_| r.normal() as f32).collect(),
        n_dense,
    }
}

pub fn bench(
    quick: bool,
    device: Device,
    only: &[String],
    sets: &[String],
    repeat: Option<usize>,
) -> Result<()> {
    for o in only {
        anyhow::ensure!(
            ["sim", "model", "metrics"].contains(&o.as_str()),
            "--only takes sim, model or metrics, not `{o}`"
        );
    }
    let want = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    let threads = rayon::current_num_threads();
    println!(
        "usm bench ({}, {threads} threads{})\n",
        if quick { "quick" } else { "full" },
        if quick {
            ""
        } else {
            "; `--quick` for a short run"
        }
    );

    if want("sim") {
        bench_sim(quick, sets, repeat.unwrap_or(if quick { 1 } else { 5 }))?;
    }
    if want("model") {
        bench_model(quick, &device)?;
    }
    if want("metrics") {
        bench_metrics(quick)?;
    }
    Ok(())
}

fn bench_sim(quick: bool, sets: &[String], repeat: usize) -> Result<()> {
    // Simulator: the experiment preset, feed ranking included, exposures dropped.
    let mut s = Scenario::preset("experiment")?;
    s.population.users = if quick { 20_000 } else { 200_000 };
    s.population.days = 4;
    for kv in sets {
        s.set(kv)?;
    }
    let s = s.check()?;
    let t = Instant::now();
    let pop = Population::draw(&s);
    let t_pop = t.elapsed().as_secs_f64();
    // Several runs of the same seed: one run's rate moves with the other tenants of a shared
    // machine, the median much less. Every run must come out the same.
    anyhow::ensure!(repeat >= 1, "--repeat takes at least 1 run");
    let mut runs = Vec::new();
    let mut first: Option<RunStats> = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let stats = run(
            &s,
            &pop,
            None,
            RunOptions::default(),
            &mut |_: &[ExposureRecord]| Ok(()),
            &mut |_| {},
        )?;
        runs.push(stats.exposures as f64 / t.elapsed().as_secs_f64() / 1e6);
        match &first {
            None => first = Some(stats),
            Some(f) => anyhow::ensure!(
                *f == stats,
                "two runs of the same seed differ: the simulator is not deterministic"
            ),
        }
    }
    let exposures = first.map_or(0, |f| f.exposures);
    runs.sort_by(f64::total_cmp);
    let n = runs.len();
    let rate = (runs[(n - 1) / 2] + runs[n / 2]) / 2.0;
    let secs = exposures as f64 / rate / 1e6;
    let spread = if n > 1 {
        format!(
            ", median of {n} runs (range {:.2} to {:.2})",
            runs[0],
            runs[n - 1]
        )
    } else {
        String::new()
    };
    println!(
        "simulate   {:>10} exposures ({} users x {} days, top-{} of {} candidates): {:.2} M exposures/s{spread} ({:.1} s a run; population {:.2} s)",
        exposures,
        s.population.users,
        s.population.days,
        s.feed.k,
        s.feed.candidates,
        rate,
        secs,
        t_pop
    );

    Ok(())
}

fn bench_model(quick: bool, device: &Device) -> Result<()> {
    // The paper's architecture at batch 1024.
    let vocab = Vocab {
        users: 100_000,
        items: 50_000,
        authors: 10_000,
    };
    let n_dense = 64;
    let heads: Vec<String> = ["satisfaction", "sexual", "inappropriate"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cfg = SurveyModelConfig::new(heads.clone(), vocab, n_dense);
    let steps = if quick { 12 } else { 60 };
    let n = 1024 * steps;
    let x = random_features(n, vocab, n_dense, 1);
    let mut r = Rng::new(2, 0);
    let y = Labels::new(
        heads.clone(),
        (0..n * 3).map(|_| r.bernoulli(0.2) as u8 as f32).collect(),
        vec![true; n * 3],
    )?;
    let mut model = SurveyModel::new(&cfg, device)?;
    let tc = TrainConfig {
        epochs: 1,
        batch_size: 1024,
        val_fraction: 0.0,
        ..TrainConfig::default()
    };
    // Warm-up epoch on a slice, then the timed one.
    let warm = x.select(&(0..4096).collect::<Vec<_>>());
    model.fit(
        &warm,
        &y.select(&(0..4096).collect::<Vec<_>>()),
        None,
        &tc,
        &mut |_| {},
    )?;
    // Timed from the end of the first step to the end of the last, as the PyTorch yardstick
    // times its steps after a warm-up: building the tables and the optimiser's state is left
    // out on both sides.
    let t = Instant::now();
    let mut marks: Vec<(usize, f64)> = Vec::new();
    model.fit(&x, &y, None, &tc, &mut |e| {
        if let TrainEvent::Step { global_step, .. } = e {
            marks.push((*global_step, t.elapsed().as_secs_f64()));
        }
    })?;
    let whole = n as f64 / t.elapsed().as_secs_f64();
    let train = match (marks.first(), marks.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => ((b.0 - a.0) * 1024) as f64 / (b.1 - a.1),
        _ => whole,
    };
    // Inference is short: time five passes and report the median and the range.
    let mut rates = Vec::new();
    let mut rows = 0;
    for _ in 0..5 {
        let t = Instant::now();
        rows = model.predict_batched(&x, 1024)?.len();
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let infer = rates[2];
    println!(
        "train      paper model (vocab 100k/50k/10k, emb 32, 64 dense, 512-256-128, 3 heads), batch 1024: {:.0} samples/s over the steps; {:.0} samples/s for the whole fit, building the tables included   (PyTorch on the same algorithm, alternating with this: bash sim/benches/model_vs_torch.sh)",
        train, whole
    );
    println!(
        "infer      same model, batch 1024: {:.0} samples/s, median of 5 passes over {} rows (range {:.0} to {:.0})",
        infer, rows, rates[0], rates[4]
    );

    Ok(())
}

fn bench_metrics(quick: bool) -> Result<()> {
    // Metrics.
    let m = if quick { 1_000_000 } else { 10_000_000 };
    let mut r = Rng::new(3, 0);
    let scores: Vec<f32> = (0..m).map(|_| r.uniform() as f32).collect();
    let labels: Vec<bool> = scores
        .iter()
        .map(|&s| r.bernoulli(0.1 + 0.3 * s as f64))
        .collect();
    let users: Vec<u32> = (0..m).map(|_| r.below(100_000) as u32).collect();
    let t = Instant::now();
    let a = metrics::auc(&scores, &labels)?;
    let t_auc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let u = metrics::uauc(&users, &scores, &labels)?;
    let t_uauc = t.elapsed().as_secs_f64();
    // regAUC against a continuous target (a true probability, as the evaluation has it).
    let targets: Vec<f32> = scores
        .iter()
        .map(|&s| (0.5 * s as f64 + 0.5 * r.uniform()) as f32)
        .collect();
    let t = Instant::now();
    let g = metrics::reg_auc(&scores, &targets)?;
    let t_reg = t.elapsed().as_secs_f64();
    println!(
        "metrics    AUC over {m} scores: {t_auc:.2} s ({a:.4}); UAUC over {m} scores, 100k users: {t_uauc:.2} s ({:.4}, {} users); regAUC over {m}: {t_reg:.2} s ({g:.4})",
        u.uauc, u.users_counted
    );
    Ok(())
}
