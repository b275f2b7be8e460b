//! One experiment path on every device: `run_experiment` is `run_experiment_async` driven to
//! its end, and nothing in it reads a tensor synchronously, so the page's WebGPU worker and
//! `usm run --device wgpu` take the same path. Here it runs on native wgpu (Mesa's software
//! adapter in CI) beside flex, at a tiny size.

use burn::prelude::Device;
use usm_sim::experiment::{
    ExperimentConfig, Metric, Results, Variant, replicates_at_once, run_experiment,
};
use usm_sim::heads::HeadDef;

use crate::core_models::wgpu_device;

fn tiny(device: &Device) -> Results {
    let mut cfg = ExperimentConfig::default();
    for a in [
        "population.users=1500",
        "replicates=1",
        "pseudo_rows=10000",
        "train.epochs=2",
        "submit_train.epochs=2",
        "ab.users=600",
        "ab.days=2",
    ] {
        cfg.set(a).unwrap();
    }
    let exp = cfg.check().unwrap();
    run_experiment(&exp, device, &mut |_| {}, &|| 0.0).unwrap()
}

#[test]
fn the_experiment_runs_on_wgpu_as_on_flex() {
    // As in core_models: CI sets USM_REQUIRE_WGPU, so a lost adapter fails there.
    let gpu = match wgpu_device() {
        Ok(gpu) => gpu,
        Err(why) if std::env::var_os("USM_REQUIRE_WGPU").is_none() => {
            eprintln!("wgpu experiment test skipped: no usable wgpu adapter ({why})");
            return;
        }
        Err(why) => panic!("USM_REQUIRE_WGPU is set but wgpu has no usable adapter: {why}"),
    };
    let (on_gpu, on_cpu) = (tiny(&gpu), tiny(&Device::flex()));
    // The same simulation: the same rows, exposures and survey rates.
    assert_eq!(on_gpu.data, on_cpu.data);
    assert_eq!(on_gpu.simulation, on_cpu.simulation);
    // The same training to float rounding: each model's metrics close, on every head.
    let variants = [
        Variant::Baseline,
        Variant::ResponseDebias,
        Variant::Distillation,
        Variant::DistillationResponseDebias,
    ];
    let mut worst = 0f64;
    for v in variants {
        for h in [HeadDef::Dislike, HeadDef::Inappropriate] {
            let m = |r: &Results, k: Metric| r.variants[&v].heads[&h].get(k).unwrap();
            for k in [Metric::LABELED_AUC, Metric::ORACLE_AUC_EXPOSED] {
                let (a, b) = (m(&on_gpu, k), m(&on_cpu, k));
                worst = worst.max((a - b).abs());
                assert!(
                    (a - b).abs() < 0.02,
                    "{v:?} {h:?} {k:?}: wgpu {a}, flex {b}"
                );
            }
        }
    }
    eprintln!("largest AUC difference, wgpu against flex: {worst:.2e}");
    // The A/B test ran every treatment (its feed ranks through a CPU copy of each model).
    let ab = on_gpu.ab_detail.as_ref().expect("the A/B test ran");
    assert_eq!(ab.treatments.len(), variants.len());
    assert_eq!(ab.exposures.len(), variants.len() + 1);
}

#[test]
fn replicates_side_by_side_give_the_results_of_one_after_another() {
    let mut cfg = ExperimentConfig::default();
    for a in [
        "population.users=1200",
        "replicates=2",
        "pseudo_rows=4000",
        "train.epochs=1",
        "submit_train.epochs=1",
        "ab.users=400",
        "ab.days=1",
    ] {
        cfg.set(a).unwrap();
    }
    let exp = cfg.check().unwrap();
    let cpu = Device::flex();
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
    };
    let run = |threads: usize| {
        pool(threads).install(|| {
            assert_eq!(
                replicates_at_once(&exp, &cpu),
                if threads > 1 { 2 } else { 1 }
            );
            let mut stages = Vec::new();
            let res = run_experiment(
                &exp,
                &cpu,
                &mut |e| {
                    if let usm_sim::experiment::Event::Stage { name, .. } = e {
                        stages.push(name)
                    }
                },
                &|| 0.0,
            )
            .unwrap();
            (serde_json::to_string(&res).unwrap(), stages)
        })
    };
    let (alone, alone_stages) = run(1);
    let (beside, beside_stages) = run(3);
    assert!(
        alone == beside,
        "two replicates side by side gave other results than one after the other"
    );
    // One after the other, the bar hears both replicates; side by side, the first, named so.
    assert!(alone_stages.iter().any(|s| s.contains("replicate 2")));
    assert!(!beside_stages.iter().any(|s| s.contains("replicate 2")));
    assert!(
        beside_stages
            .iter()
            .all(|s| s.ends_with(", 2 replicates side by side"))
    );
}
