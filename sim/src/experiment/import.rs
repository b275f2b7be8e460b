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
use crate::logs::sample;
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
    let mut fixed = [0i64; 3];
    let mut stream = |keep: &mut dyn FnMut(&ExposureRecord)| {
        for_each_in(files, &mut |r| {
            let r = r?;
            for (f, x) in fixed.iter_mut().zip(sample::fixed_truths(&r)) {
                *f += x;
            }
            keep(&r);
            read += 1;
            if read.is_multiple_of(65_536) {
                progress(read);
            }
            Ok(())
        })
        .map(|_| ())
    };
    let (mut world, mut source) = world_of(&s, exp, Rows::LogSet(&mut stream))?;
    sample::set_truth_sums(&mut world.data.stats, fixed);
    source.path = common_folder(files);
    source.notes = s
        .repairs
        .iter()
        .map(|(what, n)| format!("repaired {what} in {n} file(s)"))
        .collect();
    Ok((world, source))
}

/// Reads a Parquet log set through an engine's scan (`sim/engines/scan.sql`): the same world
/// as [`import`] gives for the same logs and seed, the engine reading every row and usm only
/// the rows it keeps. On DuckDB the set is first checked whole as `usm validate` checks it; on
/// Spark only duplicates and every value the totals read. Also returns how many rows came back
/// from the engine.
#[cfg(not(target_arch = "wasm32"))]
pub fn import_on_engine(
    logs: &std::path::Path,
    launch: &crate::logs::engine::Launch,
    exp: &Experiment,
) -> Result<(World, LogSource, usize)> {
    use crate::logs::engine::{Draws, Engine, reduce, validate};
    // DuckDB checks the set whole first, as usm's reader does before it keeps rows.
    if launch.engine == Engine::DuckDb {
        let checked = validate(logs, launch)?;
        if !checked.usable() {
            return Err(unusable(&checked));
        }
    }
    let reduced = reduce(logs, launch, &mut |shape| {
        let p = plan(&shape.days, exp)?;
        Ok(Draws {
            eval_from: p.eval_from,
            seed: p.seed,
            pseudo_below: sample::below(p.pseudo_rate),
            eval_below: sample::below(exp.eval_user_share),
        })
    })?;
    let kept = reduced.kept;
    let (world, mut source) = world_of(
        &reduced.scan,
        exp,
        Rows::Reduced(&kept, Box::new(reduced.stats)),
    )?;
    let d = &world.data;
    let held: std::collections::HashSet<u64> = [
        &d.train_shows,
        &d.train_panel,
        &d.pseudo,
        &d.eval_shows,
        &d.eval_panel,
        &d.eval_exposures,
    ]
    .into_iter()
    .flatten()
    .map(|r| r.exposure_id)
    .collect();
    if held.len() != kept.len() {
        return Err(SimError::Experiment(format!(
            "the scan on {} kept {} rows where usm's own draws keep {} of them: the engine \
             drew another sample (scan.sql and logs::sample must hash alike)",
            launch.engine.name(),
            kept.len(),
            held.len()
        )));
    }
    // Named as usm's reader names it, where the set is on this machine.
    source.path = crate::logs::set::files(logs)
        .map(|f| common_folder(&f))
        .unwrap_or_else(|_| logs.display().to_string());
    Ok((world, source, kept.len()))
}

/// How a log set's rows split and which are drawn, from its days and the experiment.
struct Plan {
    first: u32,
    last: u32,
    eval_from: u32,
    pseudo_rate: f64,
    seed: u64,
}

fn plan(days: &std::collections::BTreeMap<u32, u64>, exp: &Experiment) -> Result<Plan> {
    let (first, last) = match (days.keys().next(), days.keys().last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Err(SimError::Experiment("the logs have no rows".into())),
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
    let train_rows = days.range(..eval_from).map(|(_, n)| n).sum::<u64>().max(1);
    Ok(Plan {
        first,
        last,
        eval_from,
        pseudo_rate: (exp.pseudo_rows as f64 / train_rows as f64).min(1.0),
        seed: exp.valid_scenario().seed,
    })
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
    world_of(
        &s,
        exp,
        Rows::Converted(&mut |keep| {
            rows.iter().for_each(keep);
            Ok(())
        }),
    )
}

/// Where a world's rows come from.
enum Rows<'a> {
    /// A converted format's rows, drawn from with the simulator's hash.
    Converted(&'a mut dyn FnMut(&mut dyn FnMut(&ExposureRecord)) -> Result<()>),
    /// A log set's rows (streamed), drawn from with [`sample`]'s hash, and kept in exposure
    /// order, so that an engine's scan gives the same world.
    LogSet(&'a mut dyn FnMut(&mut dyn FnMut(&ExposureRecord)) -> Result<()>),
    /// The rows an engine kept of a log set, and its totals over all of them.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Reduced(&'a [ExposureRecord], Box<RunStats>),
}

/// The world of a scanned set.
fn world_of(s: &Scan, exp: &Experiment, rows: Rows<'_>) -> Result<(World, LogSource)> {
    if !s.usable() {
        return Err(unusable(s));
    }
    let p = plan(&s.days, exp)?;
    let spec = FeatureSpec::new(
        s.vocab[0] as usize,
        s.vocab[1] as usize,
        s.vocab[2] as usize,
        s.vocab[3] as usize,
    );
    let c = Collector::new(
        spec,
        p.eval_from,
        exp.eval_user_share,
        p.pseudo_rate,
        p.seed,
    );
    let mut c = match rows {
        Rows::Converted(_) => c,
        _ => c.with_md5_draw(),
    };
    let mut stats = RunStats::new(s.vocab[0] as usize);
    let canonical = !matches!(rows, Rows::Converted(_));
    match rows {
        Rows::Converted(stream) | Rows::LogSet(stream) => stream(&mut |r| {
            c.push(r);
            stats.add(std::slice::from_ref(r));
        })?,
        Rows::Reduced(kept, totals) => {
            kept.iter().for_each(|r| c.push(r));
            stats = *totals;
        }
    }
    stats.users_active_end = stats.users;
    let mut data: Collected = c.data;
    if canonical {
        data.sort_by_exposure();
    }
    data.stats = stats;
    let source = LogSource {
        path: String::new(),
        format: "log".into(),
        files: s.files,
        rows: s.rows,
        days: [p.first, p.last],
        eval_from: p.eval_from,
        oracle: s.oracle,
        random_slice: [data.train_panel.len() as u64, data.eval_panel.len() as u64],
        notes: Vec::new(),
    };
    let world = World {
        sim: None,
        seed: p.seed,
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
