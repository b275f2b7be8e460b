//! The guided tour: four steps through the paper, each written from the numbers of the
//! simulation or the experiment on the page, with the plot that shows it. A step whose numbers
//! are not there yet says which button makes them. Every promise a step makes is read off an
//! interval first: a gap whose interval includes zero is "within noise at this size", and a
//! claim is quoted with its verdict and the question it answers (in this world, across worlds).

use usm_sim::experiment::names::ClaimId;
use usm_sim::experiment::results::Verdict;
use usm_sim::experiment::{AbKey, Metric, Results, Variant};
use usm_sim::heads::HeadDef;

use crate::job::Simulated;

/// One step, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its title.
    pub title: &'static str,
    /// Its text, with the live numbers.
    pub text: String,
    /// The report plot shown beside it (a file name of the experiment's), if any.
    pub plot: Option<&'static str>,
    /// What to press first, when its numbers are missing: `simulate` or `run`.
    pub needs: Option<&'static str>,
}

/// Steps in the tour.
pub const STEPS: usize = 4;

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// Step `i` (0-based) of the tour, from what the page has.
pub fn step(i: usize, sim: Option<&Simulated>, res: Option<&Results>) -> Step {
    match i {
        0 => who_answers(sim),
        1 => eq13(res),
        2 => distillation(res),
        _ => ranking(res),
    }
}

fn who_answers(sim: Option<&Simulated>) -> Step {
    let title = "1. Who answers, and why the naive rate is off";
    let row = sim.and_then(|s| s.rates.iter().find(|r| r.head == "dislike"));
    let Some(r) = row else {
        return Step {
            title,
            text: "Press Simulate: the feed runs, surveys go out, and some viewers answer. This step then reads its numbers.".into(),
            plot: None,
            needs: Some("simulate"),
        };
    };
    let text = match (r.truth_shown, r.observed, r.error()) {
        (Some(t), Some(o), Some((e, [lo, hi], real))) => {
            let gap = format!(
                "Of the surveyed exposures, {} would get \"don't like\" if everyone answered, but {} of the {} submitted answers say it: {:+.1}% [{:+.1}, {:+.1}] (95%, the answers as independent draws).",
                pct(t),
                pct(o),
                r.answers,
                100.0 * e,
                100.0 * lo,
                100.0 * hi
            );
            if real {
                format!(
                    "{gap} The interval excludes zero: a gap larger than the noise at this size. Viewers more sensitive to bad videos answer more readily (the knob Willingness ~ sensitivity), so the answers over-represent them: response bias, and the naive rate (positive answers over answers, the paper's Eq. 2) inherits it. Theory says it closes when no one is readier to answer than another (Willingness: spread at 0): try it, and this step says whether the numbers agree."
                )
            } else {
                format!(
                    "{gap} The interval includes zero: within noise at this size, so this simulation cannot tell a response bias from chance. With Willingness: spread at 0 (everyone equally ready to answer) that is what theory predicts; otherwise raise Users or Survey rate to shrink the interval."
                )
            }
        }
        _ => {
            "This simulation has too few answers to say: raise the survey rate or the users.".into()
        }
    };
    Step {
        title,
        text,
        plot: None,
        needs: None,
    }
}

/// A claim's verdict in words, with the question it answers: `HOLDS (in this world)`, or
/// "undecided at this size" where it is inconclusive.
fn verdict(res: &Results, id: ClaimId) -> String {
    let Some(c) = res.claims.iter().find(|c| c.id == id) else {
        return "not checked in this run".into();
    };
    let scope = usm_sim::report::tables::scope_text(c);
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!(" ({scope})")
    };
    match c.verdict {
        Verdict::Inconclusive => {
            format!("undecided at this size{scope}: the interval is too wide to say")
        }
        Verdict::NoInterval => {
            "undecided: no interval (too few answers, or one world and no error over its users)"
                .into()
        }
        v => format!("{}{scope}", v.word()),
    }
}

fn missing(title: &'static str) -> Step {
    Step {
        title,
        text: "Press Run the experiment: the models train, and this step reads their numbers."
            .into(),
        plot: None,
        needs: Some("run"),
    }
}

fn eq13(res: Option<&Results>) -> Step {
    let title = "2. Eq. 13, and where it stops short";
    let Some(res) = res else {
        return missing(title);
    };
    let m = res.rates.get(&HeadDef::Dislike);
    let get = |k| m.and_then(|m| m.get(k));
    let (Some(truth), Some(naive), Some(eq13)) = (
        get(Metric::RATE_TRUE),
        get(Metric::RATE_NAIVE),
        get(Metric::RATE_DEBIASED),
    ) else {
        return missing(title);
    };
    let auc = res
        .submit_model
        .get(Metric::AUC)
        .map_or("n/a".into(), |a| format!("{a:.3}"));
    let ceiling = get(Metric::RATE_DEBIASED_CEILING_PROPENSITY).map_or(String::new(), |c| {
        format!(
            " With the best propensity the logs allow, it would be {}.",
            pct(c)
        )
    });
    Step {
        title,
        text: format!(
            "A survey-submit model learns who answers from what the logs hold (AUC {auc}), and each answer is weighted by one over its probability of being given (Eq. 13): on \"don't like\", {} against the truth {} and the naive {}.{ceiling} Is Eq. 13 closer to the truth than the naive rate on every head? {}. Is it within 5% of the truth? {}. Where willingness hides from the logs (preset hidden-willingness) or depends on the answer itself (answer-dependent), the submit model cannot see it and Eq. 13 stops short; a random panel and the doubly robust rate can. The calibration curve shows each model's predictions against the truth over all exposures.",
            pct(eq13),
            pct(truth),
            pct(naive),
            verdict(res, ClaimId::Eq13TowardTruth),
            verdict(res, ClaimId::Eq13RecoversTruth)
        ),
        plot: Some("calibration_dislike.svg"),
        needs: None,
    }
}

fn distillation(res: Option<&Results>) -> Step {
    let title = "3. Exposure bias, and distillation";
    let Some(res) = res else {
        return missing(title);
    };
    let uauc = |v: Variant| {
        res.variants
            .get(&v)
            .and_then(|o| o.heads.get(&HeadDef::Dislike))
            .and_then(|m| m.get(Metric::UAUC))
    };
    let (Some(b), Some(d)) = (uauc(Variant::Baseline), uauc(Variant::Distillation)) else {
        return missing(title);
    };
    Step {
        title,
        text: format!(
            "Surveys reach a few exposures, and not the ones ranking scores. A teacher that also reads what the viewer did after the exposure (likes, skips, watch time) labels the unsurveyed exposures; the student learns from its confident pseudo labels (Eq. 8, the knobs τn and τp) beside the answers (weight α, Eq. 9). On \"don't like\", over every exposure of the evaluation users, the student's UAUC is {d:.4} against the baseline's {b:.4} ({:+.4}). Does distillation improve UAUC, over the heads? {}. Does it rank every exposure better against the truth? {}.",
            d - b,
            verdict(res, ClaimId::DistillationImprovesUauc),
            verdict(res, ClaimId::DistillationRanksExposuresBetter)
        ),
        plot: Some("uauc.svg"),
        needs: None,
    }
}

fn ranking(res: Option<&Results>) -> Step {
    let title = "4. What Eq. 3 does to the feed";
    let Some(res) = res else {
        return missing(title);
    };
    let change = res
        .ab
        .get(&Variant::DistillationResponseDebias)
        .or_else(|| res.ab.values().next())
        .and_then(|m| m.get(&AbKey::TrueRate(HeadDef::Dislike)));
    let Some(c) = change else {
        return Step {
            title,
            text: "Switch the A/B test on and run the experiment: ranking with the model (Eq. 3) is then tested against ranking without it, on the same users.".into(),
            plot: None,
            needs: Some("run"),
        };
    };
    Step {
        title,
        text: format!(
            "Ranking with the model (Eq. 3: each candidate's score lowered by its predicted chance of a bad experience) changes the true \"don't like\" rate of what users see by {:+.1}% [{:+.1}%, {:+.1}%] against ranking without it, on the same users with the same dice{}. Does it lower the true rate of every issue? {}. The bars show every arm and metric: what happened, beside what the surveys would report.",
            100.0 * c.rel_change,
            100.0 * c.ci95[0],
            100.0 * c.ci95[1],
            if c.ci95[0] > 0.0 || c.ci95[1] < 0.0 {
                ""
            } else {
                ": within noise at this size"
            },
            verdict(res, ClaimId::AbLowersTrueRates)
        ),
        plot: Some("ab.svg"),
        needs: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::RateRow;

    #[test]
    fn each_step_reads_its_numbers_or_says_what_to_press() {
        for i in 0..STEPS {
            let s = step(i, None, None);
            assert!(s.needs.is_some(), "{}", s.title);
        }
        let sim = Simulated {
            summary: String::new(),
            rates: vec![RateRow {
                head: "dislike".into(),
                truth: 0.12,
                truth_shown: Some(0.125),
                observed: Some(0.15),
                answers: 800,
            }],
            chart: String::new(),
            exposures: 1,
            seconds: 0.0,
        };
        let s = step(0, Some(&sim), None);
        assert!(
            s.needs.is_none()
                && s.text.contains("12.50%")
                && s.text.contains("15.00%")
                && s.text.contains("800")
                && s.text.contains("+20.0% [+0.2, +39.8]")
                && s.text.contains("larger than the noise"),
            "{}",
            s.text
        );
        // The same gap on 100 answers: 0.15 ± 1.96 · sqrt(0.15 · 0.85 / 100) over 0.125 is
        // +20% ± 56%, within noise, and the step says so rather than promising a gap.
        let mut few = sim.clone();
        few.rates[0].answers = 100;
        let s = step(0, Some(&few), None);
        assert!(
            s.text.contains("[-36.0, +76.0]") && s.text.contains("within noise at this size"),
            "{}",
            s.text
        );
    }
}
