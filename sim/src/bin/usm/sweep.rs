//! `usm sweep`: one experiment per value of one or two scenario fields, replicates in parallel.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result};
use usm_sim::experiment::{Event, ExperimentConfig, Results, aggregate_replicates, run_replicate};
use usm_sim::output::Staging;
use usm_sim::svg::{Line, lines};

use super::{RunArgs, bar, device, experiment_config};

struct Point {
    values: Vec<String>,
    cfg: ExperimentConfig,
}

const COLS: [&str; 6] = [
    "rate_true",
    "rate_naive",
    "rate_debiased",
    "rate_debiased_true_propensity",
    "rate_panel",
    "rate_dr",
];

pub fn sweep(
    run: &RunArgs,
    param: &str,
    values: &[String],
    param2: Option<&str>,
    values2: &[String],
    with_ab: bool,
) -> Result<()> {
    let base = experiment_config(run)?;
    let second: Vec<Option<&String>> = if param2.is_some() {
        anyhow::ensure!(!values2.is_empty(), "--param2 needs --values2");
        values2.iter().map(Some).collect()
    } else {
        vec![None]
    };
    let mut points = Vec::new();
    for v in values {
        for v2 in &second {
            let mut cfg = base.clone();
            cfg.set(&format!("{param}={v}"))
                .with_context(|| format!("sweep value {param}={v}"))?;
            let mut vals = vec![v.clone()];
            if let (Some(p2), Some(v2)) = (param2, v2) {
                cfg.set(&format!("{p2}={v2}"))
                    .with_context(|| format!("sweep value {p2}={v2}"))?;
                vals.push((*v2).clone());
            }
            if !with_ab {
                cfg.ab.enabled = false;
            }
            cfg.validate()
                .with_context(|| format!("sweep point {vals:?}"))?;
            points.push(Point { values: vals, cfg });
        }
    }
    let jobs: Vec<(usize, usize)> = points
        .iter()
        .enumerate()
        .flat_map(|(p, pt)| (0..pt.cfg.replicates).map(move |r| (p, r)))
        .collect();
    eprintln!(
        "sweeping {param}{} over {} points x {} replicate(s): {} runs",
        param2.map(|p| format!(" and {p}")).unwrap_or_default(),
        points.len(),
        base.replicates,
        jobs.len()
    );
    let pb = bar(jobs.len() as u64, "sweep");
    let t0 = Instant::now();
    let dev = device(run.device);
    use rayon::prelude::*;
    let done: Vec<_> = jobs
        .par_iter()
        .map(|&(p, r)| {
            let t = Instant::now();
            let out = run_replicate(&points[p].cfg, r, &dev, &mut |_: Event| {});
            pb.inc(1);
            out.map(|rep| (p, rep, t.elapsed().as_secs_f64()))
        })
        .collect();
    pb.finish_and_clear();
    let mut per_point: Vec<(Vec<_>, Vec<f64>)> = (0..points.len())
        .map(|_| (Vec::new(), Vec::new()))
        .collect();
    for d in done {
        let (p, rep, secs) = d?;
        per_point[p].0.push(rep);
        per_point[p].1.push(secs);
    }
    let results: Vec<Results> = per_point
        .into_iter()
        .enumerate()
        .map(|(p, (mut reps, secs))| {
            reps.sort_by_key(|r| r.seed);
            aggregate_replicates(&points[p].cfg, &reps, secs)
        })
        .collect();

    // Table.
    let mut csv = format!(
        "{param},{}head",
        param2.map(|p| format!("{p},")).unwrap_or_default()
    );
    for c in COLS {
        let _ = write!(csv, ",{c}");
    }
    csv += ",bias_naive,bias_debiased,oracle_auc_shown_baseline,oracle_auc_shown_response_debias,uauc_baseline,uauc_distillation_response_debias\n";
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<14} {:<14} {:>9} {:>9} {:>9} {:>11} {:>11}",
        param, "head", "true", "naive", "Eq. 13", "AUC base", "AUC resp.d"
    );
    for (pt, res) in points.iter().zip(&results) {
        for (h, m) in &res.rates {
            let t = m.get("rate_true");
            let oa = |v: &str| {
                res.variants
                    .get(v)
                    .and_then(|o| o.heads[h].get("oracle_auc_shown"))
            };
            let ua = |v: &str| res.variants.get(v).and_then(|o| o.heads[h].get("uauc"));
            let _ = write!(csv, "{},{h}", pt.values.join(","));
            for c in COLS {
                let _ = write!(
                    csv,
                    ",{}",
                    m.get(c).map_or(String::new(), |v| v.to_string())
                );
            }
            let bias = |k: &str| m.get(k).zip(t).map(|(v, t)| v - t);
            let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
            let _ = writeln!(
                csv,
                ",{},{},{},{},{},{}",
                opt(bias("rate_naive")),
                opt(bias("rate_debiased")),
                opt(oa("baseline")),
                opt(oa("response_debias")),
                opt(ua("baseline")),
                opt(ua("distillation_response_debias"))
            );
            let f = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.4}"));
            let _ = writeln!(
                table,
                "{:<14} {:<14} {:>9} {:>9} {:>9} {:>11} {:>11}",
                pt.values.join("/"),
                h,
                f(t),
                f(m.get("rate_naive")),
                f(m.get("rate_debiased")),
                f(oa("baseline")),
                f(oa("response_debias"))
            );
        }
    }
    print!("{table}");

    // Plots: bias of each estimate against the swept field, one per value of the second field.
    let staging = Staging::new(&run.out)?;
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>usm sweep</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>usm sweep over <code>{param}</code>{}</h1>",
        param2
            .map(|p| format!(" and <code>{p}</code>"))
            .unwrap_or_default()
    );
    for v2 in &second {
        let idx: Vec<usize> = (0..points.len())
            .filter(|&i| v2.is_none_or(|v| points[i].values.get(1) == Some(v)))
            .collect();
        let x: Vec<f64> = idx
            .iter()
            .map(|&i| points[i].values[0].parse::<f64>().unwrap_or(i as f64))
            .collect();
        let mut ls = Vec::new();
        for h in &base.heads {
            for (k, label, dashed) in [
                ("rate_naive", "naive", false),
                ("rate_debiased", "Eq. 13", true),
            ] {
                let pts: Vec<(f64, f64)> = idx
                    .iter()
                    .zip(&x)
                    .filter_map(|(&i, &xv)| {
                        let m = results[i].rates.get(h)?;
                        Some((xv, m.get(k)? / m.get("rate_true")? - 1.0))
                    })
                    .collect();
                ls.push(Line {
                    name: format!("{h}: {label}"),
                    points: pts,
                    dashed,
                });
            }
        }
        let title = format!(
            "Relative bias of the survey rate against {param}{}",
            v2.map(|v| format!(" ({} = {v})", param2.unwrap_or("")))
                .unwrap_or_default()
        );
        let svg = lines(&title, param, "estimate / true rate - 1", &ls, true);
        let name = match v2 {
            Some(v) => format!("bias_{}_{}.svg", param.replace('.', "_"), v),
            None => format!("bias_{}.svg", param.replace('.', "_")),
        };
        staging.write(&name, &svg)?;
        html += &svg;
    }
    let _ = write!(html, "<pre>{}</pre>", table.replace('<', "&lt;"));
    for (pt, res) in points.iter().zip(&results) {
        let dir = format!("point-{}", pt.values.join("-"));
        for (name, text) in usm_sim::report::files(res) {
            staging.write(&format!("{dir}/{name}"), text)?;
        }
        let _ = write!(
            html,
            "<h3><a href=\"{dir}/report.html\">{param} = {}</a></h3><ul>",
            pt.values.join(", ")
        );
        for c in &res.claims {
            let _ = write!(
                html,
                "<li>{}: <b>{}</b></li>",
                c.statement,
                c.holds.map_or("n/a", |b| if b { "holds" } else { "fails" })
            );
        }
        html += "</ul>";
    }
    html += "</body></html>";
    staging.write("sweep.csv", &csv)?;
    staging.write("report.html", &html)?;
    staging.commit()?;
    println!(
        "\nfinished in {:.1} s; wrote {} (open {})",
        t0.elapsed().as_secs_f64(),
        run.out.display(),
        run.out.join("report.html").display()
    );
    Ok(())
}
