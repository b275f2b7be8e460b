//! usm-core end to end on a planted signal: the models learn, save and reload exactly, refuse bad
//! input with a named error, and run on wgpu as on flex.

use usm_core::prelude::*;
use usm_core::rng::Rng;

use crate::common::temp_dir;

fn tiny_arch() -> ArchConfig {
    ArchConfig {
        embedding_dim: 4,
        hidden: vec![16, 8],
        head_hidden: vec![8],
        se_reduction: 2,
    }
}

/// Two heads; head 0 depends on dense feature 0, head 1 on the item id's parity. Only some rows
/// are labelled for each head.
fn planted(n: usize, seed: u64) -> (Features, Labels, Posterior) {
    let mut r = Rng::new(seed, 0);
    let vocab = Vocab {
        users: 50,
        items: 40,
        authors: 10,
    };
    let mut x = Features {
        n_dense: 2,
        ..Features::default()
    };
    let mut y = Vec::new();
    let mut mask = Vec::new();
    let mut post = Vec::new();
    for _ in 0..n {
        let item = r.below(vocab.items as u64) as u32;
        x.user.push(r.below(vocab.users as u64) as u32);
        x.item.push(item);
        x.author.push(item % 10);
        let d0 = r.normal() as f32;
        x.dense.extend_from_slice(&[d0, r.normal() as f32]);
        let y0 = r.bernoulli(1.0 / (1.0 + (-2.5 * d0 as f64).exp()));
        let y1 = r.bernoulli(if item.is_multiple_of(2) { 0.7 } else { 0.1 });
        y.extend_from_slice(&[y0 as u8 as f32, y1 as u8 as f32]);
        let first = r.bernoulli(0.5);
        mask.extend_from_slice(&[first, !first]);
        post.push(if y0 { 1.0 } else { 0.0 });
    }
    (
        x,
        Labels::new(vec!["a".into(), "b".into()], y, mask).unwrap(),
        Posterior::new(post, 1).unwrap(),
    )
}

fn cfg() -> SurveyModelConfig {
    SurveyModelConfig {
        arch: tiny_arch(),
        ..SurveyModelConfig::new(
            vec!["a".into(), "b".into()],
            Vocab {
                users: 50,
                items: 40,
                authors: 10,
            },
            2,
        )
    }
}

fn head_auc(p: &Predictions, y: &Labels, k: usize) -> f64 {
    let (yy, m) = y.column(k);
    let pk = p.column(k);
    let s: Vec<f32> = (0..pk.len()).filter(|&i| m[i]).map(|i| pk[i]).collect();
    let l: Vec<bool> = (0..pk.len())
        .filter(|&i| m[i])
        .map(|i| yy[i] > 0.5)
        .collect();
    metrics::auc(&s, &l).unwrap()
}

fn train() -> TrainConfig {
    TrainConfig {
        epochs: 6,
        batch_size: 128,
        learning_rate: 5e-3,
        embedding_learning_rate: 2e-2,
        ..TrainConfig::default()
    }
}

#[test]
fn learns_a_planted_signal_and_reloads_exactly() {
    let device = Device::flex();
    let (x, y, _) = planted(6000, 1);
    let (xt, yt, _) = planted(3000, 2);
    let mut m = SurveyModel::new(&cfg(), &device).unwrap();
    let rep = m.fit(&x, &y, None, &train(), &mut |_| {}).unwrap();
    assert!(rep.history.len() >= 2 && rep.val_rows > 0);
    let p = m.predict(&xt).unwrap();
    assert!(
        head_auc(&p, &yt, 0) > 0.8,
        "head a: {}",
        head_auc(&p, &yt, 0)
    );
    assert!(
        head_auc(&p, &yt, 1) > 0.75,
        "head b: {}",
        head_auc(&p, &yt, 1)
    );
    let dir = temp_dir("save").join("model");
    m.save(&dir).unwrap();
    let back = SurveyModel::load(&dir, &device).unwrap();
    assert_eq!(back.predict(&xt).unwrap().p, p.p);
    // A saved survey model is not a teacher, and the other way round.
    assert!(
        TeacherModel::load(&dir, &device)
            .err()
            .unwrap()
            .to_string()
            .contains("Survey")
    );
}

#[test]
fn teacher_reads_posterior_and_beats_the_student_on_it() {
    let device = Device::flex();
    let (x, y, post) = planted(4000, 3);
    let (xt, yt, post_t) = planted(2000, 4);
    let mut t = TeacherModel::new(
        &TeacherConfig {
            survey: cfg(),
            n_posterior: 1,
        },
        &device,
    )
    .unwrap();
    t.fit(&x, &post, &y, None, &train(), &mut |_| {}).unwrap();
    let pt = t.predict(&xt, &post_t).unwrap();
    let mut s = SurveyModel::new(&cfg(), &device).unwrap();
    s.fit(&x, &y, None, &train(), &mut |_| {}).unwrap();
    let ps = s.predict(&xt).unwrap();
    // The posterior is the head-a label itself: the teacher is near perfect there.
    assert!(head_auc(&pt, &yt, 0) > 0.97 && head_auc(&pt, &yt, 0) > head_auc(&ps, &yt, 0));
    assert!(
        TeacherModel::new(
            &TeacherConfig {
                survey: cfg(),
                n_posterior: 0
            },
            &device
        )
        .is_err()
    );
}

#[test]
fn bad_inputs_are_named_errors() {
    let device = Device::flex();
    let (x, y, _) = planted(500, 5);
    let mut c = cfg();
    c.arch.hidden = vec![16, 0];
    let e = SurveyModel::new(&c, &device).err().unwrap().to_string();
    assert!(e.contains("arch.hidden[1]"), "{e}");
    let mut m = SurveyModel::new(&cfg(), &device).unwrap();
    // A head with no positive label.
    let mut y0 = y.clone();
    for k in (1..y0.y.len()).step_by(2) {
        y0.y[k] = 0.0;
    }
    let e = m
        .fit(&x, &y0, None, &train(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("head `b`") && e.contains("positive"), "{e}");
    // An id outside the vocabulary.
    let mut xb = x.clone();
    xb.item[7] = 40;
    let e = m
        .fit(&xb, &y, None, &train(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("item id 40 at row 7"), "{e}");
    // A NaN feature.
    let mut xn = x.clone();
    xn.dense[5] = f32::NAN;
    let e = m.predict(&xn).unwrap_err().to_string();
    assert!(e.contains("index 5"), "{e}");
    // Weights of the wrong length, a negative weight.
    let e = m
        .fit(&x, &y, Some(&[1.0; 3]), &train(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("weights"), "{e}");
    // A zero batch size.
    let e = m
        .fit(
            &x,
            &y,
            None,
            &TrainConfig {
                batch_size: 0,
                ..train()
            },
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("train.batch_size"), "{e}");
}

#[test]
fn a_loss_that_blows_up_stops_the_run_at_its_step() {
    let device = Device::flex();
    let (x, y, _) = planted(600, 6);
    let mut m = SurveyModel::new(&cfg(), &device).unwrap();
    let w = vec![f32::MAX; x.len() * 2];
    let e = m
        .fit(
            &x,
            &y,
            Some(&w),
            &TrainConfig {
                val_fraction: 0.0,
                ..train()
            },
            &mut |_| {},
        )
        .unwrap_err();
    match e {
        CoreError::Diverged {
            epoch, global_step, ..
        } => assert_eq!((epoch, global_step), (1, 1)),
        other => panic!("expected a divergence error, got {other}"),
    }
}

/// A wgpu device, or why there is none: the first use of the device finds an adapter or
/// panics, so a one-element sum is run under `catch_unwind`.
pub(crate) fn wgpu_device() -> std::result::Result<Device, String> {
    std::panic::catch_unwind(|| {
        let gpu = Device::wgpu(Default::default());
        let t = burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &gpu);
        let sum = t.sum().into_scalar::<f32>();
        assert_eq!(sum, 3.0, "wgpu adds 1 + 2 wrong");
        gpu
    })
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "wgpu panicked".into())
    })
}

#[test]
fn wgpu_trains_a_tiny_model_that_flex_can_load() {
    // Where no adapter exists the test says so and skips, unless USM_REQUIRE_WGPU is set (CI
    // sets it, so a machine that loses its adapter fails there rather than skipping quietly).
    let gpu = match wgpu_device() {
        Ok(gpu) => gpu,
        Err(why) if std::env::var_os("USM_REQUIRE_WGPU").is_none() => {
            eprintln!("wgpu test skipped: no usable wgpu adapter ({why})");
            return;
        }
        Err(why) => panic!("USM_REQUIRE_WGPU is set but wgpu has no usable adapter: {why}"),
    };
    let (x, y, _) = planted(2000, 7);
    let (xt, yt, _) = planted(1000, 8);
    let mut m = SurveyModel::new(&cfg(), &gpu).unwrap();
    m.fit(
        &x,
        &y,
        None,
        &TrainConfig {
            epochs: 4,
            batch_size: 256,
            ..train()
        },
        &mut |_| {},
    )
    .unwrap();
    let p = m.predict(&xt).unwrap();
    assert!(
        head_auc(&p, &yt, 0) > 0.75,
        "wgpu head a: {}",
        head_auc(&p, &yt, 0)
    );
    let dir = temp_dir("wgpu").join("model");
    m.save(&dir).unwrap();
    let on_cpu = SurveyModel::load(&dir, &Device::flex())
        .unwrap()
        .predict(&xt)
        .unwrap();
    let max_diff =
        p.p.iter()
            .zip(&on_cpu.p)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
    assert!(max_diff < 1e-4, "wgpu and flex disagree by {max_diff}");
}

#[test]
fn a_head_no_row_labels_trains_beside_the_others_but_one_without_positives_is_an_error() {
    let device = Device::flex();
    let (x, y, _) = planted(3000, 5);
    let (xt, yt, _) = planted(2000, 6);
    // Head b labels no row at all (a survey type the logs never show): head a still learns.
    let mask: Vec<bool> = y
        .mask
        .iter()
        .enumerate()
        .map(|(i, &m)| m && i % 2 == 0)
        .collect();
    let only_a = Labels::new(y.heads.clone(), y.y.clone(), mask.clone()).unwrap();
    let mut m = SurveyModel::new(&cfg(), &device).unwrap();
    m.fit(&x, &only_a, None, &train(), &mut |_| {}).unwrap();
    let p = m.predict(&xt).unwrap();
    assert!(
        head_auc(&p, &yt, 0) > 0.75,
        "head a: {}",
        head_auc(&p, &yt, 0)
    );
    // Head b labels rows, none of them positive: the error names it.
    let mask_b: Vec<bool> = y
        .mask
        .iter()
        .enumerate()
        .map(|(i, &m)| m || i % 2 == 1)
        .collect();
    let y_b: Vec<f32> =
        y.y.iter()
            .enumerate()
            .map(|(i, &v)| if i % 2 == 1 { 0.0 } else { v })
            .collect();
    let no_pos = Labels::new(y.heads.clone(), y_b, mask_b).unwrap();
    let mut m = SurveyModel::new(&cfg(), &device).unwrap();
    let e = m
        .fit(&x, &no_pos, None, &train(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("`b`") && e.contains("positive"), "{e}");
}

#[test]
fn wgpu_and_flex_train_the_same_model_from_a_seed() {
    let gpu = match wgpu_device() {
        Ok(gpu) => gpu,
        Err(why) if std::env::var_os("USM_REQUIRE_WGPU").is_none() => {
            eprintln!("wgpu test skipped: no usable wgpu adapter ({why})");
            return;
        }
        Err(why) => panic!("USM_REQUIRE_WGPU is set but wgpu has no usable adapter: {why}"),
    };
    let (x, y, _) = planted(1000, 11);
    let fit = |device: &Device| {
        let mut m = SurveyModel::new(&cfg(), device).unwrap();
        let rep = m
            .fit(
                &x,
                &y,
                None,
                &TrainConfig {
                    epochs: 3,
                    batch_size: 256,
                    ..train()
                },
                &mut |_| {},
            )
            .unwrap();
        (rep, m.predict(&x).unwrap())
    };
    let ((rg, pg), (rc, pc)) = (fit(&gpu), fit(&Device::flex()));
    // The same starting weights (drawn on the CPU whatever the device), the same batches: the
    // losses of each epoch agree to float rounding.
    assert_eq!(rg.history.len(), rc.history.len());
    for (g, c) in rg.history.iter().zip(&rc.history) {
        let (a, b) = (g.val_loss.unwrap(), c.val_loss.unwrap());
        assert!(
            (a - b).abs() < 1e-3 * b,
            "epoch {}: wgpu {:?}, flex {:?}",
            g.epoch,
            rg.history,
            rc.history
        );
    }
    let worst =
        pg.p.iter()
            .zip(&pc.p)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
    assert!(worst < 1e-3, "wgpu and flex predictions differ by {worst}");
}

#[test]
fn models_trained_side_by_side_are_the_models_trained_alone() {
    // burn draws initial weights lazily from one random stream a device: every weight is drawn
    // at once under a lock, so another model training on another thread cannot take the draws.
    let (x, y, _) = planted(1500, 21);
    let fit = |seed: u64| {
        let mut m = SurveyModel::new(&cfg(), &Device::flex()).unwrap();
        m.fit(
            &x,
            &y,
            None,
            &TrainConfig {
                epochs: 2,
                batch_size: 256,
                seed,
                ..train()
            },
            &mut |_| {},
        )
        .unwrap();
        m.predict(&x).unwrap().p
    };
    let alone = (fit(1), fit(2));
    for _ in 0..3 {
        let side_by_side = std::thread::scope(|s| {
            let a = s.spawn(|| fit(1));
            let b = s.spawn(|| fit(2));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(
            side_by_side == alone,
            "a model trained beside another came out different"
        );
    }
}
