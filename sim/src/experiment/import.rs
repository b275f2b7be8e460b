//! Real logs in: a log set, checked whole ([`crate::logs::set::scan`]), then streamed once more
//! into the same [`Collector`] the simulator feeds, so that every later stage runs on it as on a
//! simulated replicate. The last `eval_days` days of the logs are the evaluation period.

use burn::prelude::Device;

use super::claims::check_claims;
use super::collect::Collector;
use super::config::Experiment;
use super::event::Event;
use super::replicate::run_world;
use super::results::{Results, aggregate_replicates};
use super::world::{Collected, LogSource, World};
use crate::datasets::FeatureSpec;
use crate::error::{Result, SimError};
use crate::logs::set::{LogFile, Scan, for_each_in, scan};
use crate::records::ExposureRecord;
use crate::summary::RunStats;

/// Problems an import quotes before it gives up (`usm validate` lists them all).
const PROBLEMS_QUOTED: usize = 10;

/// Reads a log set into a world for [`run_world`]: checks it whole first (an
/// unusable set is an error that quotes its first problems), then keeps the experiment's rows.
/// `progress` gets the rows read so far, over both passes.
pub fn import(
    files: &[LogFile],
    exp: &Experiment,
    progress: &mut dyn FnMut(u64),
) -> Result<(World, LogSource)> {
    let s = scan(files, progress)?;
    let mut read = s.rows;
    let (world, mut source) = world_of(&s, exp, &mut |keep| {
        for_each_in(files, &mut |r| {
            keep(&r?);
            read += 1;
            if read.is_multiple_of(65_536) {
                progress(read);
            }
            Ok(())
        })
        .map(|_| ())
    })?;
    source.path = common_folder(files);
    source.notes = s
        .repairs
        .iter()
        .map(|(what, n)| format!("repaired {what} in {n} file(s)"))
        .collect();
    Ok((world, source))
}

/// The one file of a set, or the deepest folder that holds all its files.
fn common_folder(files: &[LogFile]) -> String {
    let Some(first) = files.first() else {
        return String::new();
    };
    if files.len() == 1 {
        return first.path.display().to_string();
    }
    let mut common: Vec<_> = first
        .path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .collect();
    for f in &files[1..] {
        let parts: Vec<_> = f.path.components().collect();
        let n = common
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(n);
    }
    common
        .iter()
        .collect::<std::path::PathBuf>()
        .display()
        .to_string()
}

/// A world of rows already in memory (a format converted to the log schema), checked like a
/// log set.
pub fn import_rows(rows: &[ExposureRecord], exp: &Experiment) -> Result<(World, LogSource)> {
    let s = Scan::of_rows(rows);
    world_of(&s, exp, &mut |keep| {
        rows.iter().for_each(keep);
        Ok(())
    })
}

/// The world of a scanned set: `stream` hands every row to its callback once more.
fn world_of(
    s: &Scan,
    exp: &Experiment,
    stream: &mut dyn FnMut(&mut dyn FnMut(&ExposureRecord)) -> Result<()>,
) -> Result<(World, LogSource)> {
    if !s.usable() {
        return Err(unusable(s));
    }
    let (first, last) = match (s.days.keys().next(), s.days.keys().last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Err(unusable(s)),
    };
    let eval_from = (last + 1).saturating_sub(exp.eval_days);
    if eval_from <= first {
        return Err(SimError::field(
            "eval_days",
            exp.eval_days,
            &format!(
                "fewer than the {} day(s) the logs span (days {first}..={last}), so that some train",
                last - first + 1
            ),
        ));
    }
    let spec = FeatureSpec::new(
        s.vocab[0] as usize,
        s.vocab[1] as usize,
        s.vocab[2] as usize,
        s.vocab[3] as usize,
    );
    let train_rows = s.rows_before(eval_from).max(1);
    let pseudo_rate = (exp.pseudo_rows as f64 / train_rows as f64).min(1.0);
    let seed = exp.valid_scenario().seed;
    let mut c = Collector::new(spec, eval_from, exp.eval_user_share, pseudo_rate, seed);
    let mut stats = RunStats::new(s.vocab[0] as usize);
    stream(&mut |r| {
        c.push(r);
        stats.add(std::slice::from_ref(r));
    })?;
    stats.users_active_end = stats.users;
    let mut data: Collected = c.data;
    data.stats = stats;
    let source = LogSource {
        path: String::new(),
        format: "log".into(),
        files: s.files,
        rows: s.rows,
        days: [first, last],
        eval_from,
        oracle: s.oracle,
        random_slice: [data.train_panel.len() as u64, data.eval_panel.len() as u64],
        notes: Vec::new(),
    };
    let world = World {
        sim: None,
        seed,
        oracle: s.oracle,
        data,
        unshown: Vec::new(),
        logged_propensity: Default::default(),
    };
    Ok((world, source))
}

/// `usm fit`: imports a log set and runs every stage of the experiment on it (no A/B test: that
/// needs the simulator), as one replicate. The results say where the rows came from.
pub fn fit(
    files: &[LogFile],
    exp: &Experiment,
    device: &Device,
    report: &mut dyn FnMut(Event),
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    let t0 = clock();
    report(Event::Stage {
        name: "read the logs (check, then keep)".into(),
        total: 0,
    });
    let (world, source) = import(files, exp, &mut |rows| {
        report(Event::Progress {
            pos: rows,
            msg: format!("{rows} rows"),
        })
    })?;
    fit_world(exp, &world, source, device, report, clock() - t0, clock)
}

/// Runs the stages on an imported world and labels the results with its source.
pub fn fit_world(
    exp: &Experiment,
    world: &World,
    source: LogSource,
    device: &Device,
    report: &mut dyn FnMut(Event),
    read_seconds: f64,
    clock: &dyn Fn() -> f64,
) -> Result<Results> {
    let t0 = clock();
    let rep = run_world(exp, world, device, report)?;
    let mut res = aggregate_replicates(exp, &[rep], vec![read_seconds + clock() - t0]);
    res.logs = Some(source);
    res.claims = check_claims(&res);
    Ok(res)
}

/// The error of an unusable log set: its first problems, and where to see them all.
fn unusable(s: &Scan) -> SimError {
    let mut m = format!(
        "the logs have {} problem(s){}:",
        s.problem_count,
        if s.problem_count as usize > PROBLEMS_QUOTED {
            format!(", the first {PROBLEMS_QUOTED}")
        } else {
            String::new()
        }
    );
    for p in s.problems.iter().take(PROBLEMS_QUOTED) {
        m += "\n  ";
        m += p;
    }
    if s.problem_count as usize > PROBLEMS_QUOTED {
        m += "\n(`usm validate --logs PATH` lists them all)";
    }
    SimError::Experiment(m)
}
