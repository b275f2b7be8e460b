//! The best propensity computable from the logs: P(submit | shown) given what the platform logs
//! of the user (`user_profile`, `user_activity`, the history count before the period) and of
//! the show (survey type, hour), by the simulator's own process, integrated over what the logs do
//! not carry. The submit model is judged against it and against the true propensity: the gap to
//! the ceiling is the model's, the gap from the ceiling to the truth the logs'.
//!
//! Willingness is `logit(mean) + spread * (corr_sensitivity * g + corr_activity * a +
//! corr_taste * t + rest * e)` with `g`, `a`, `t`, `e` standard normals. The logs carry `g`
//! through the profile (`g | profile ~ N(sqrt(o) profile, 1 - o)`, `o = willingness.observed`),
//! `a` through the observed activity, nothing of `t`, and all of it through the history: the
//! `n` submissions before the exposure, Poisson with mean `shows(a) * q(w)` (past shows are
//! Poisson over the tenure and the simulated days before it, and each is submitted with `q(w)`,
//! the mean over survey types and hours).
//! The posterior over `(a, rest of w)` is integrated on a Gauss–Hermite grid. Where answering
//! depends on the answer itself (`answer_dependence`), `q` leaves that out: the ceiling is then
//! the feature-level one, like the true propensity it is compared with.

use crate::dist::{logit, sigmoid};
use crate::population::{
    ACTIVITY_OBS_NOISE_VAR, User, activity_at, survey_rate_by_activity, willingness_rest_var,
};
use crate::records::SurveyKind;
use crate::scenario::{HOURS, Scenario, Targeting};
use crate::story::submit_logit_at;

/// Gauss–Hermite nodes and weights for a standard normal: `E f(Z) ≈ Σ w_i f(x_i)`.
fn normal_nodes(n: usize) -> Vec<(f64, f64)> {
    // Physicists' Hermite roots by Newton's method (Numerical Recipes' gauher), then
    // x = sqrt(2) t and w = w_t / sqrt(pi).
    let mut out = Vec::with_capacity(n);
    let pim4 = 0.751_125_544_464_942_5; // pi^(-1/4)
    let mut z = 0.0f64;
    let mut roots = Vec::with_capacity(n);
    for i in 0..n.div_ceil(2) {
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * (2.0 * n as f64 + 1.0).powf(-0.16667),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * roots[0],
            3 => 1.91 * z - 0.91 * roots[1],
            _ => 2.0 * z - roots[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / j as f64).sqrt() * p2 - ((j as f64 - 1.0) / j as f64).sqrt() * p3;
            }
            pp = (2.0 * n as f64).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() < 1e-14 {
                break;
            }
        }
        roots.push(z);
        let w = 2.0 / (pp * pp);
        let (x, wn) = (
            std::f64::consts::SQRT_2 * z,
            w / std::f64::consts::PI.sqrt(),
        );
        out.push((x, wn));
        if 2 * i + 1 != n {
            out.push((-x, wn));
        }
    }
    out
}

/// The ceiling propensity of a scenario's users.
pub struct Ceiling<'a> {
    s: &'a Scenario,
    nodes: Vec<(f64, f64)>,
}

/// One user's posterior over willingness: `(weight, willingness)` pairs, weights summing to 1.
pub struct Posterior(Vec<(f64, f64)>);

impl<'a> Ceiling<'a> {
    /// For scenario `s`.
    pub fn new(s: &'a Scenario) -> Ceiling<'a> {
        Ceiling {
            s,
            nodes: normal_nodes(24),
        }
    }

    /// What the logs say of a user's willingness at an exposure: their profile score and
    /// observed activity, and the count of their submissions before it (`history`, the logged
    /// `user_history_submits`) over the `days` of surveys it counts (the tenure before the
    /// simulated period, and the simulated days before the exposure's).
    pub fn posterior(&self, u: &User, history: u32, days: f64) -> Posterior {
        let (p, w, sv) = (&self.s.population, &self.s.willingness, &self.s.survey);
        let sa = p.activity_spread;
        // a | observed activity: activity_obs = ln(rpd) - sa^2/2 + sa a + noise.
        let noise = ACTIVITY_OBS_NOISE_VAR;
        let y = u.activity_obs as f64 - p.requests_per_day.ln() + 0.5 * sa * sa;
        let prec = 1.0 + sa * sa / noise;
        let (ma, sda) = (sa * y / noise / prec, (1.0 / prec).sqrt());
        // The rest of willingness's normal part, given a: cs g + rest e.
        let (cs, ca, o) = (w.corr_sensitivity, w.corr_activity, w.observed);
        let rest2 = willingness_rest_var(w);
        let mu = cs * o.sqrt() * u.profile as f64;
        // What the logs do not carry: the profile's noise, the taste, the rest.
        let sdu = (cs * cs * (1.0 - o) + w.corr_taste * w.corr_taste + rest2).sqrt();
        let n = history as f64;
        let base = logit(w.mean);
        let sat = sv.satisfaction_share;
        let mut out = Vec::with_capacity(self.nodes.len() * self.nodes.len());
        let mut total = 0.0;
        for &(xa, wa) in &self.nodes {
            let a = ma + sda * xa;
            let activity = activity_at(p, a);
            // Targeting by engagement reads what the logs do not carry: its mean rate here.
            let rate = match sv.targeting {
                Targeting::ByActivity => survey_rate_by_activity(self.s, activity),
                _ => sv.rate,
            };
            let shows = activity * self.s.feed.k as f64 * rate * days;
            for &(xu, wu) in &self.nodes {
                let will = base + w.spread * (ca * a + mu + sdu * xu);
                // Each past show: a survey type, a uniform hour.
                let q = (0..HOURS)
                    .map(|h| {
                        let p = |kind| sigmoid(submit_logit_at(w, will, kind, h));
                        sat * p(SurveyKind::Satisfaction)
                            + (1.0 - sat) * p(SurveyKind::Inappropriate)
                    })
                    .sum::<f64>()
                    / HOURS as f64;
                let m = shows * q;
                // Poisson likelihood of n, without the n! both sides share.
                let like = if m > 0.0 {
                    (n * m.ln() - m).exp()
                } else {
                    (n == 0.0) as u8 as f64
                };
                let weight = wa * wu * like;
                total += weight;
                out.push((weight, will));
            }
        }
        if total > 0.0 {
            out.iter_mut().for_each(|(wt, _)| *wt /= total);
        }
        Posterior(out)
    }

    /// P(submit) of a show of `kind` at `hour` to a user with posterior `post`.
    pub fn propensity(&self, post: &Posterior, kind: SurveyKind, hour: u8) -> f64 {
        // The show's shift of the log-odds, the same at every willingness.
        let shift = submit_logit_at(&self.s.willingness, 0.0, kind, hour as usize % HOURS);
        post.0
            .iter()
            .map(|(wt, will)| wt * sigmoid(will + shift))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_hermite_integrates_normal_moments() {
        let nodes = normal_nodes(24);
        assert_eq!(nodes.len(), 24);
        let m = |k: i32| nodes.iter().map(|(x, w)| w * x.powi(k)).sum::<f64>();
        assert!((m(0) - 1.0).abs() < 1e-12, "{}", m(0));
        assert!(m(1).abs() < 1e-12);
        assert!((m(2) - 1.0).abs() < 1e-10, "{}", m(2));
        assert!((m(4) - 3.0).abs() < 1e-9, "{}", m(4));
        // E sigmoid(1 + 2 Z) against a fine Riemann sum (0.64773): 24 nodes give about 1e-6.
        let gh: f64 = nodes.iter().map(|(x, w)| w * sigmoid(1.0 + 2.0 * x)).sum();
        let (mut riemann, dz) = (0.0, 1e-3);
        let mut z = -10.0;
        while z < 10.0 {
            riemann += sigmoid(1.0 + 2.0 * z) * (-0.5 * z * z).exp() * dz;
            z += dz;
        }
        riemann /= (2.0 * std::f64::consts::PI).sqrt();
        assert!((gh - riemann).abs() < 1e-5, "{gh} vs {riemann}");
    }

    #[test]
    fn with_willingness_fully_in_the_logs_the_ceiling_is_the_truth() {
        // Everything in willingness tied to sensitivity, and the profile carries all of it.
        let mut s = Scenario::preset("experiment").unwrap();
        s.willingness.corr_sensitivity = 1.0;
        s.willingness.corr_activity = 0.0;
        s.willingness.observed = 1.0;
        let c = Ceiling::new(&s);
        let u = User {
            profile: 0.7,
            general_sensitivity: 0.7,
            willingness: (logit(s.willingness.mean) + s.willingness.spread * 0.7) as f32,
            activity_obs: 0.4,
            history_submits: 3,
            ..User::default()
        };
        let p = c.propensity(
            &c.posterior(&u, 3, s.survey.tenure_days),
            SurveyKind::Satisfaction,
            2,
        );
        let truth = sigmoid(u.willingness as f64 + s.willingness.hour_effect[2]);
        assert!((p - truth).abs() < 1e-5, "{p} vs {truth}");
    }
}
