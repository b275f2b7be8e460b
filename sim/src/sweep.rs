//! A sweep: one experiment per value of one or two fields (scenario or experiment keys), its
//! replicates run as independent jobs, then one table, one CSV, plots of each estimate's bias
//! and a report per point. The CLI runs the jobs in parallel; the page could run them in turn.

use std::fmt::Write as _;

use crate::error::{Result, SimError};
use crate::experiment::shard::{Shard, read_part, shards_to_rerun};
use crate::experiment::{
    Experiment, ExperimentConfig, Metric, Replicate, Results, Variant, conclude,
};
use crate::svg::{Line, lines};

/// The fields swept and their values.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    /// First field, e.g. `willingness.spread`.
    pub param: String,
    /// Its values, as `--set` reads them.
    pub values: Vec<String>,
    /// A second field and its values, every pair with the first.
    pub second: Option<(String, Vec<String>)>,
    /// Run the A/B test at every point too (slow).
    pub with_ab: bool,
}

/// One point of the grid: its values and its checked experiment.
#[derive(Clone, Debug)]
pub struct Point {
    /// The value of each swept field.
    pub values: Vec<String>,
    /// The experiment at this point.
    pub exp: Experiment,
}

/// The rate estimates in the table, in column order.
const COLS: [Metric; 6] = [
    Metric::RATE_TRUE,
    Metric::RATE_NAIVE,
    Metric::RATE_DEBIASED,
    Metric::RATE_DEBIASED_TRUE_PROPENSITY,
    Metric::RANDOM_RATE,
    Metric::RATE_DR,
];

impl Grid {
    /// Every point: `base` with each value (pair) set, checked. An error names the point.
    pub fn points(&self, base: &Experiment) -> Result<Vec<Point>> {
        if self.values.is_empty() {
            return Err(SimError::field(
                "values",
                "[]",
                &format!("at least one value of {}", self.param),
            ));
        }
        let second: Vec<Option<(&str, &String)>> = match &self.second {
            Some((p2, v2)) if v2.is_empty() => {
                return Err(SimError::field(
                    "values2",
                    "[]",
                    &format!("at least one value of {p2}"),
                ));
            }
            Some((p2, v2)) => v2.iter().map(|v| Some((p2.as_str(), v))).collect(),
            None => vec![None],
        };
        let mut points = Vec::new();
        for v in &self.values {
            for v2 in &second {
                let mut sets = vec![format!("{}={v}", self.param)];
                let mut values = vec![v.clone()];
                if let Some((p2, v2)) = v2 {
                    sets.push(format!("{p2}={v2}"));
                    values.push((*v2).clone());
                }
                if !self.with_ab {
                    sets.push("ab.enabled=false".into());
                }
                let exp =
                    ExperimentConfig::resolve(base.config().clone(), None, &sets).map_err(|e| {
                        SimError::Experiment(format!("sweep point {}: {e}", sets.join(", ")))
                    })?;
                points.push(Point { values, exp });
            }
        }
        Ok(points)
    }

    /// `param` (and ` and param2`), for titles.
    fn fields(&self) -> String {
        match &self.second {
            Some((p2, _)) => format!("{} and {p2}", self.param),
            None => self.param.clone(),
        }
    }
}

/// Every (point, replicate) job of a sweep.
pub fn jobs(points: &[Point]) -> Vec<(usize, usize)> {
    points
        .iter()
        .enumerate()
        .flat_map(|(p, pt)| (0..pt.exp.replicates).map(move |r| (p, r)))
        .collect()
}

/// What a sweep's part says it is.
pub const SWEEP_PART_FORMAT: &str = "usm sweep part 1";

/// One job of a sweep's part: its point and replicate, its seconds and what it measured.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SweepJob {
    /// The point's index in [`Grid::points`] order.
    pub point: usize,
    /// The replicate's index at that point (its seeds follow from it).
    pub replicate: usize,
    /// Wall seconds.
    pub seconds: f64,
    /// What it measured.
    pub measured: Replicate,
}

/// What `usm sweep --shard I/K` writes: the sweep (its base experiment and grid), which shard,
/// and its jobs: job `j` of [`jobs`] when `j % K == I - 1`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SweepPart {
    /// [`SWEEP_PART_FORMAT`].
    pub format: String,
    /// The experiment every point starts from.
    pub base: ExperimentConfig,
    /// The fields swept.
    pub grid: Grid,
    /// Which shard ran.
    pub shard: Shard,
    /// Its jobs.
    pub jobs: Vec<SweepJob>,
}

impl SweepPart {
    /// The jobs of [`jobs`] that shard `shard` runs.
    pub fn share(all: &[(usize, usize)], shard: Shard) -> Vec<(usize, usize)> {
        shard
            .replicates(all.len())
            .into_iter()
            .map(|j| all[j])
            .collect()
    }

    /// A part read from `origin`'s text.
    pub fn from_json(origin: &str, text: &str) -> Result<SweepPart> {
        read_part(
            origin,
            text,
            SWEEP_PART_FORMAT,
            ("sweep's part", "usm sweep --shard"),
        )
    }
}

/// The sweep of the parts of all its shards, its points, and every job's measurements: what one
/// machine running the whole sweep would aggregate ([`aggregate`]). An error names the part at
/// fault: one of another sweep, a job in two parts, jobs missing (with the shards to run).
#[allow(clippy::type_complexity)]
pub fn gather(
    parts: &[(String, SweepPart)],
) -> Result<(Grid, Vec<Point>, Vec<(usize, Replicate, f64)>)> {
    let bad = |origin: &str, message: String| SimError::Parse {
        origin: origin.to_string(),
        message,
    };
    let Some((first_origin, first)) = parts.first() else {
        return Err(bad("usm pool", "no parts given".into()));
    };
    let points = first.grid.points(&first.base.clone().check()?)?;
    let all = jobs(&points);
    let mut slot: std::collections::HashMap<(usize, usize), &str> = Default::default();
    let mut done = Vec::with_capacity(all.len());
    for (origin, p) in parts {
        if p.base != first.base || p.grid != first.grid || p.shard.of != first.shard.of {
            return Err(bad(
                origin,
                format!(
                    "its sweep differs from {first_origin}'s (the experiment, the grid or the shard count): only parts of one sweep pool"
                ),
            ));
        }
        for j in &p.jobs {
            if !all.contains(&(j.point, j.replicate)) {
                return Err(bad(
                    origin,
                    format!(
                        "it holds point {} replicate {}, which the sweep does not have",
                        j.point, j.replicate
                    ),
                ));
            }
            if let Some(other) = slot.insert((j.point, j.replicate), origin) {
                return Err(bad(
                    origin,
                    format!(
                        "point {} replicate {} is in {other} too",
                        j.point, j.replicate
                    ),
                ));
            }
            done.push((j.point, j.measured.clone(), j.seconds));
        }
    }
    let missing: Vec<usize> = (0..all.len())
        .filter(|&j| !slot.contains_key(&all[j]))
        .collect();
    if !missing.is_empty() {
        return Err(bad(
            "usm pool",
            format!(
                "{} of the sweep's {} runs are missing: run shard(s) {} and pool again",
                missing.len(),
                all.len(),
                shards_to_rerun(first.shard.of, &missing)
            ),
        ));
    }
    Ok((first.grid.clone(), points, done))
}

/// Aggregates finished jobs (point, replicate, seconds), in any order, into one result per
/// point.
pub fn aggregate(points: &[Point], done: Vec<(usize, Replicate, f64)>) -> Vec<Results> {
    let mut per_point: Vec<Vec<(Replicate, f64)>> = (0..points.len()).map(|_| Vec::new()).collect();
    for (p, rep, secs) in done {
        per_point[p].push((rep, secs));
    }
    per_point
        .into_iter()
        .zip(points)
        .map(|(mut reps, pt)| {
            reps.sort_by_key(|(r, _)| r.seed);
            let (reps, secs): (Vec<Replicate>, Vec<f64>) = reps.into_iter().unzip();
            conclude(&pt.exp, &reps, secs)
        })
        .collect()
}

/// The sweep's rates as a terminal table and as CSV (one row per point and head).
pub fn table(grid: &Grid, points: &[Point], results: &[Results]) -> (String, String) {
    let mut csv = format!(
        "{},{}head",
        grid.param,
        grid.second
            .as_ref()
            .map(|(p, _)| format!("{p},"))
            .unwrap_or_default()
    );
    for c in COLS {
        let _ = write!(csv, ",{c}");
    }
    csv += ",bias_naive,bias_debiased,oracle_auc_shown_baseline,oracle_auc_shown_response_debias,uauc_baseline,uauc_distillation_response_debias\n";
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<14} {:<14} {:>9} {:>9} {:>9} {:>11} {:>11}",
        grid.param, "head", "true", "naive", "Eq. 13", "AUC base", "AUC resp.d"
    );
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let f = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.4}"));
    for (pt, res) in points.iter().zip(results) {
        for (h, m) in &res.rates {
            let t = m.get(Metric::RATE_TRUE);
            let of = |v: Variant, k: Metric| {
                res.variants
                    .get(&v)
                    .and_then(|o| o.heads.get(h))
                    .and_then(|m| m.get(k))
            };
            let _ = write!(csv, "{},{h}", pt.values.join(","));
            for c in COLS {
                let _ = write!(csv, ",{}", opt(m.get(c)));
            }
            let bias = |k: Metric| m.get(k).zip(t).map(|(v, t)| v - t);
            let _ = writeln!(
                csv,
                ",{},{},{},{},{},{}",
                opt(bias(Metric::RATE_NAIVE)),
                opt(bias(Metric::RATE_DEBIASED)),
                opt(of(Variant::Baseline, Metric::ORACLE_AUC_SHOWN)),
                opt(of(Variant::ResponseDebias, Metric::ORACLE_AUC_SHOWN)),
                opt(of(Variant::Baseline, Metric::UAUC)),
                opt(of(Variant::DistillationResponseDebias, Metric::UAUC))
            );
            let _ = writeln!(
                text,
                "{:<14} {:<14} {:>9} {:>9} {:>9} {:>11} {:>11}",
                pt.values.join("/"),
                h,
                f(t),
                f(m.get(Metric::RATE_NAIVE)),
                f(m.get(Metric::RATE_DEBIASED)),
                f(of(Variant::Baseline, Metric::ORACLE_AUC_SHOWN)),
                f(of(Variant::ResponseDebias, Metric::ORACLE_AUC_SHOWN))
            );
        }
    }
    (text, csv)
}

/// The relative bias of the naive and Eq. 13 rates against the first field, one plot per value
/// of the second: file name → SVG.
pub fn plots(grid: &Grid, points: &[Point], results: &[Results]) -> Vec<(String, String)> {
    let second: Vec<Option<&String>> = match &grid.second {
        Some((_, v2)) => v2.iter().map(Some).collect(),
        None => vec![None],
    };
    let heads = points
        .first()
        .map(|p| p.exp.heads().to_vec())
        .unwrap_or_default();
    let mut out = Vec::new();
    for v2 in second {
        let idx: Vec<usize> = (0..points.len())
            .filter(|&i| v2.is_none_or(|v| points[i].values.get(1) == Some(v)))
            .collect();
        let x: Vec<f64> = idx
            .iter()
            .map(|&i| points[i].values[0].parse::<f64>().unwrap_or(i as f64))
            .collect();
        let mut ls = Vec::new();
        for h in &heads {
            for (k, label, dashed) in [
                (Metric::RATE_NAIVE, "naive", false),
                (Metric::RATE_DEBIASED, "Eq. 13", true),
            ] {
                let pts: Vec<(f64, f64)> = idx
                    .iter()
                    .zip(&x)
                    .filter_map(|(&i, &xv)| {
                        let m = results[i].rates.get(h)?;
                        Some((xv, m.get(k)? / m.get(Metric::RATE_TRUE)? - 1.0))
                    })
                    .collect();
                ls.push(Line {
                    name: format!("{h}: {label}"),
                    points: pts,
                    dashed,
                });
            }
        }
        let p2 = grid.second.as_ref().map_or("", |(p, _)| p.as_str());
        let title = format!(
            "Relative bias of the survey rate against {}{}",
            grid.param,
            v2.map(|v| format!(" ({p2} = {v})")).unwrap_or_default()
        );
        let svg = lines(&title, &grid.param, "estimate / true rate - 1", &ls, true);
        let stem = grid.param.replace('.', "_");
        let name = match v2 {
            Some(v) => format!("bias_{stem}_{v}.svg"),
            None => format!("bias_{stem}.svg"),
        };
        out.push((name, svg));
    }
    out
}

/// Every file of a sweep's report: `sweep.csv`, `report.html`, the plots, and each point's own
/// report under `point-VALUES/`. Returns the terminal table too.
pub fn files(
    grid: &Grid,
    points: &[Point],
    results: &[Results],
) -> (String, Vec<(String, String)>) {
    use crate::report::escape;
    let (text, csv) = table(grid, points, results);
    let svgs = plots(grid, points, results);
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>usm sweep</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}</style></head><body>",
    );
    let fields: Vec<String> = std::iter::once(&grid.param)
        .chain(grid.second.as_ref().map(|(p, _)| p))
        .map(|p| format!("<code>{}</code>", escape(p)))
        .collect();
    let _ = write!(html, "<h1>usm sweep over {}</h1>", fields.join(" and "));
    for (_, svg) in &svgs {
        html += svg;
    }
    let _ = write!(html, "<pre>{}</pre>", escape(&text));
    let mut out = Vec::new();
    for (pt, res) in points.iter().zip(results) {
        let dir = format!("point-{}", pt.values.join("-"));
        for (name, text) in crate::report::files(res) {
            out.push((format!("{dir}/{name}"), text));
        }
        let _ = write!(
            html,
            "<h3><a href=\"{}/report.html\">{} = {}</a></h3><ul>",
            escape(&dir),
            escape(&grid.fields()),
            escape(&pt.values.join(", "))
        );
        for c in &res.claims {
            let _ = write!(
                html,
                "<li>{}: <b>{}</b></li>",
                escape(&c.statement),
                c.verdict.word()
            );
        }
        html += "</ul>";
    }
    html += "</body></html>";
    out.extend(svgs);
    out.push(("sweep.csv".into(), csv));
    out.push(("report.html".into(), html));
    (text, out)
}
