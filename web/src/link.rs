//! The page's state as a link: the preset, every knob, the A/B switch and the device in the
//! URL's query (`?preset=no-bias&population.users=12000&ab=false&device=cpu`), so that a link
//! reproduces a result. A
//! link is outside data: every key must be a knob, every value short and valid (the CLI's
//! checks, through [`build_config`]), and sizes are capped so that no link can exhaust the
//! page's memory or hang it. A bad link is refused whole, with a message that names what is
//! wrong, and the page keeps its defaults.

use usm_sim::scenario::PRESETS;

use crate::job::{DeviceChoice, KNOBS, base_scenario, build_config, is_preset, page_sets};

/// The longest value a link may give a knob.
pub const MAX_VALUE_LEN: usize = 32;
/// The longest scenario TOML a link may carry (an imported scenario).
pub const MAX_TOML_LEN: usize = 8192;
/// The most query parameters a link may have.
pub const MAX_PARAMS: usize = 40;

/// The largest sizes a link may ask of the page: key, most allowed.
pub const CAPS: [(&str, f64); 5] = [
    ("population.users", 100_000.0),
    ("population.days", 30.0),
    ("replicates", 5.0),
    ("ab.users", 20_000.0),
    ("feed.candidates", 200.0),
];

/// What a link sets.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    /// The preset, or the text of an imported scenario TOML ([`crate::job::base_scenario`]).
    pub preset: String,
    /// Each knob's value, in [`KNOBS`] order.
    pub values: Vec<String>,
    /// The A/B test on.
    pub ab: bool,
    /// Where the experiment trains.
    pub device: DeviceChoice,
}

/// The query of a page state: the preset, then each knob whose value differs from the preset's
/// (`defaults`, in [`KNOBS`] order), then `ab=false` if the A/B test is off, then the device
/// unless it is `auto`.
pub fn to_query(state: &PageState, defaults: &[String]) -> String {
    let base = if is_preset(&state.preset) {
        "preset"
    } else {
        "scenario"
    };
    let mut parts = vec![format!("{base}={}", encode(&state.preset))];
    for ((k, v), d) in KNOBS.iter().zip(&state.values).zip(defaults) {
        if v.trim() != d.trim() {
            parts.push(format!("{}={}", k.key, encode(v.trim())));
        }
    }
    if !state.ab {
        parts.push("ab=false".into());
    }
    if state.device != DeviceChoice::Auto {
        parts.push(format!("device={}", state.device.name()));
    }
    format!("?{}", parts.join("&"))
}

/// The page state a query asks for, starting from `knob_values(preset)` for the knobs it leaves
/// out; `Ok(None)` for an empty query. An error says what is wrong with the link.
pub fn from_query(
    query: &str,
    knob_values: &dyn Fn(&str) -> Vec<String>,
) -> Result<Option<PageState>, String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.is_empty() {
        return Ok(None);
    }
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if pairs.len() > MAX_PARAMS {
        return Err(format!(
            "the link has {} settings; at most {MAX_PARAMS}",
            pairs.len()
        ));
    }
    let mut preset = "experiment".to_string();
    let mut ab = true;
    let mut device = DeviceChoice::Auto;
    let mut knobs: Vec<(usize, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for pair in pairs {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k).ok_or("the link is not valid percent-encoded text")?;
        let value = decode(v).ok_or("the link is not valid percent-encoded text")?;
        if key.chars().count() > MAX_VALUE_LEN {
            return Err(format!(
                "the link has a setting name of {} characters, `{}` (at most {MAX_VALUE_LEN})",
                key.chars().count(),
                shorten(&key)
            ));
        }
        let longest = if key == "scenario" {
            MAX_TOML_LEN
        } else {
            MAX_VALUE_LEN
        };
        if value.chars().count() > longest {
            return Err(format!(
                "the link's `{key}` is too long: {} characters (at most {longest})",
                value.chars().count()
            ));
        }
        // The base (a preset or an imported scenario) is one setting under either name.
        let name = if key == "scenario" {
            "preset"
        } else {
            key.as_str()
        };
        if seen.iter().any(|s| s == name) {
            return Err(format!(
                "the link sets `{key}` twice{}: which one is meant?",
                if name == "preset" && key == "scenario" {
                    " (a preset and an imported scenario, or two scenarios)"
                } else {
                    ""
                }
            ));
        }
        seen.push(name.to_string());
        match key.as_str() {
            "preset" => {
                if !PRESETS.iter().any(|p| p.0 == value) {
                    return Err(format!(
                        "the link names the preset `{value}`, which does not exist (known: {})",
                        PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                    ));
                }
                preset = value;
            }
            "scenario" => {
                // The CLI's errors for a bad scenario file; its sizes are capped below.
                let sc = base_scenario(&value).map_err(|e| e.to_string())?;
                for (key, cap) in CAPS {
                    if let Some(v) = scenario_number(&sc, key)
                        && v > cap
                    {
                        return Err(format!(
                            "the link's scenario has `{key}` = {v}: this page allows at most {cap}"
                        ));
                    }
                }
                preset = value;
            }
            "device" => {
                device = DeviceChoice::from_name(&value).ok_or_else(|| {
                    format!(
                        "the link's `device` is `{value}`: one of {}",
                        DeviceChoice::ALL.map(|d| d.name()).join(", ")
                    )
                })?
            }
            "ab" => {
                ab = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("the link's `ab` is `{value}`: true or false")),
                }
            }
            _ => {
                let i = KNOBS.iter().position(|k| k.key == key).ok_or_else(|| {
                    format!(
                        "the link sets `{key}`, which is not a knob of this page (knobs: preset, ab, device, {})",
                        KNOBS.iter().map(|k| k.key).collect::<Vec<_>>().join(", ")
                    )
                })?;
                if let Some((_, cap)) = CAPS.iter().find(|c| c.0 == key) {
                    let n: f64 = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n: &f64| n.is_finite())
                        .ok_or_else(|| format!("the link's `{key}` is `{value}`: not a number"))?;
                    if n > *cap {
                        return Err(format!(
                            "the link asks for `{key}` = {value}: this page allows at most {cap} (the usm command line has no such cap)"
                        ));
                    }
                }
                knobs.push((i, value));
            }
        }
    }
    let mut values = knob_values(&preset);
    for (i, v) in knobs {
        values[i] = v;
    }
    let state = PageState {
        preset,
        values,
        ab,
        device,
    };
    // The CLI's checks: every value must make a valid experiment.
    build_config(&state.preset, &page_sets(&state.values, state.ab))
        .map_err(|e| format!("the link's settings: {e}"))?;
    Ok(Some(state))
}

/// A pasted scenario TOML as the page takes it: its canonical form (what the page and its link
/// carry: every field, no comments), the knobs' values, and a note when the page runs it at
/// another size than the TOML says. The error is the CLI's for a bad scenario, or says why a
/// link could not carry it.
pub fn import_toml(text: &str) -> Result<(String, Vec<String>, Option<String>), String> {
    let sc = base_scenario(text).map_err(|e| e.to_string())?;
    let canonical = sc.to_toml();
    let chars = canonical.chars().count();
    if chars > MAX_TOML_LEN {
        return Err(format!(
            "its scenario is {chars} characters as TOML, more than a link carries ({MAX_TOML_LEN}): shorten its name or its lists"
        ));
    }
    let cfg = build_config(&canonical, &crate::job::demo_sets()).map_err(|e| e.to_string())?;
    let mut values: Vec<String> = KNOBS
        .iter()
        .map(|k| crate::job::value_of(&cfg, k.key).unwrap_or_default())
        .collect();
    // The page's own size would replace the scenario's users: keep them, up to the page's cap.
    let mut note = None;
    if let Some(i) = KNOBS.iter().position(|k| k.key == "population.users") {
        let cap = CAPS
            .iter()
            .find(|c| c.0 == "population.users")
            .map_or(f64::INFINITY, |c| c.1);
        let want = sc.population.users as f64;
        values[i] = if want > cap {
            note = Some(format!(
                "The TOML's population.users = {} is more than this page runs: it runs {cap} here (usm run --scenario FILE runs it whole).",
                sc.population.users
            ));
            cap.to_string()
        } else {
            sc.population.users.to_string()
        };
    }
    build_config(&canonical, &page_sets(&values, true)).map_err(|e| e.to_string())?;
    Ok((canonical, values, note))
}

/// A scenario field's number, by its dotted key (`None`: not a scenario number).
fn scenario_number(s: &usm_sim::scenario::Scenario, key: &str) -> Option<f64> {
    let mut v = serde_json::to_value(s).ok()?;
    for part in key.split('.') {
        v = v.get(part)?.clone();
    }
    v.as_f64()
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_VALUE_LEN {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX_VALUE_LEN).collect::<String>())
    }
}

/// Percent-encodes what a query value cannot hold as it is.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+`; `None` for a bad escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{demo_sets, value_of};

    fn knob_values(preset: &str) -> Vec<String> {
        let cfg = build_config(preset, &demo_sets()).unwrap();
        KNOBS
            .iter()
            .map(|k| value_of(&cfg, k.key).unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_state_round_trips_through_its_link() {
        let mut values = knob_values("no-bias");
        let users = KNOBS
            .iter()
            .position(|k| k.key == "population.users")
            .unwrap();
        values[users] = "12000".into();
        let state = PageState {
            preset: "no-bias".into(),
            values,
            ab: false,
            device: DeviceChoice::Webgpu,
        };
        let q = to_query(&state, &knob_values("no-bias"));
        assert_eq!(
            q,
            "?preset=no-bias&population.users=12000&ab=false&device=webgpu"
        );
        assert_eq!(from_query(&q, &knob_values).unwrap(), Some(state));
        assert_eq!(from_query("", &knob_values).unwrap(), None);
        assert_eq!(from_query("?", &knob_values).unwrap(), None);
        // Percent-encoding of both kinds reads back.
        let s = from_query("?preset=experiment&survey.rate=0%2E02", &knob_values)
            .unwrap()
            .unwrap();
        let rate = KNOBS.iter().position(|k| k.key == "survey.rate").unwrap();
        assert_eq!(s.values[rate], "0.02");
    }

    #[test]
    fn an_imported_scenario_travels_in_the_link() {
        let mut sc = usm_sim::scenario::Scenario::preset("no-bias").unwrap();
        sc.name = "ours".into();
        sc.survey.rate = 0.025;
        let toml = sc.to_toml();
        let state = PageState {
            preset: toml.clone(),
            values: knob_values(&toml),
            ab: true,
            device: DeviceChoice::Auto,
        };
        let q = to_query(&state, &knob_values(&toml));
        assert!(q.starts_with("?scenario=") && !q.contains("preset="), "{q}");
        let back = from_query(&q, &knob_values).unwrap().unwrap();
        assert_eq!(back, state);
        let rate = KNOBS.iter().position(|k| k.key == "survey.rate").unwrap();
        assert_eq!(back.values[rate], "0.025");
        // A bad scenario gets the CLI's error; an oversized one the page's cap.
        let e = from_query("?scenario=population.userz%3D3", &knob_values).unwrap_err();
        assert!(e.contains("the imported scenario"), "{e}");
        sc.population.users = 5_000_000;
        let q = format!("?scenario={}", encode(&sc.to_toml()));
        let e = from_query(&q, &knob_values).unwrap_err();
        assert!(
            e.contains("population.users") && e.contains("at most"),
            "{e}"
        );
    }

    #[test]
    fn an_import_keeps_its_users_and_fits_in_a_link() {
        let mut sc = usm_sim::scenario::Scenario::preset("paper").unwrap();
        sc.population.users = 40_000;
        // As `usm scenario` writes it: every field with its comment, longer than a link carries.
        let documented = sc.to_documented_toml();
        assert!(documented.chars().count() > MAX_TOML_LEN);
        let (toml, values, note) = import_toml(&documented).unwrap();
        let users = KNOBS
            .iter()
            .position(|k| k.key == "population.users")
            .unwrap();
        assert_eq!((values[users].as_str(), note), ("40000", None));
        // What the page writes, it accepts.
        let state = PageState {
            preset: toml.clone(),
            values: values.clone(),
            ab: true,
            device: DeviceChoice::Auto,
        };
        let q = to_query(&state, &knob_values(&toml));
        assert_eq!(from_query(&q, &knob_values).unwrap(), Some(state));
        // Too many users for the page: capped, and said.
        sc.population.users = 200_000;
        let (_, values, note) = import_toml(&sc.to_toml()).unwrap();
        assert_eq!(values[users], "100000");
        assert!(note.unwrap().contains("population.users = 200000"));
        let e = import_toml("# nothing\n").unwrap_err();
        assert!(e.contains("sets no field"), "{e}");
        for p in PRESETS {
            let toml = usm_sim::scenario::Scenario::preset(p.0).unwrap().to_toml();
            assert!(import_toml(&toml).is_ok(), "{}", p.0);
        }
    }

    #[test]
    fn a_hostile_link_is_refused_with_what_is_wrong() {
        let cases = [
            ("?preset=nope", "does not exist"),
            ("?fooo=1", "not a knob"),
            ("?population.users=100000000", "at most 100000"),
            ("?population.days=1e9", "at most 30"),
            ("?replicates=NaN", "`replicates` is `NaN`: not a number"),
            (
                "?population.users=NaN",
                "`population.users` is `NaN`: not a number",
            ),
            ("?population.users=inf", "not a number"),
            ("?seed=1&seed=2", "sets `seed` twice"),
            ("?preset=paper&preset=no-bias", "sets `preset` twice"),
            (
                "?preset=paper&scenario=name%3D%22x%22",
                "sets `scenario` twice",
            ),
            ("?survey.rate=2", "survey.rate"),
            ("?survey.rate=lots", "survey.rate"),
            ("?ab=maybe", "true or false"),
            ("?device=tpu", "one of auto, cpu, webgpu"),
            ("?preset=%FF%FE", "percent-encoded"),
            ("?seed=%4", "percent-encoded"),
        ];
        for (q, says) in cases {
            let e = from_query(q, &knob_values).unwrap_err();
            assert!(e.contains(says), "{q}: {e}");
        }
        let long = format!("?seed={}", "9".repeat(10_000));
        let e = from_query(&long, &knob_values).unwrap_err();
        assert!(e.contains("too long: 10000 characters (at most 32)"), "{e}");
        // A scenario's limit is its own, and the message says which.
        let name = format!("?scenario=name%3D%22{}%22", "x".repeat(9_000));
        let e = from_query(&name, &knob_values).unwrap_err();
        assert!(
            e.contains("`scenario` is too long") && e.contains("at most 8192"),
            "{e}"
        );
        let e = from_query(&format!("?{}=1", "k".repeat(40)), &knob_values).unwrap_err();
        assert!(e.contains("setting name of 40 characters"), "{e}");
        let many = format!("?{}", vec!["seed=1"; 1000].join("&"));
        assert!(
            from_query(&many, &knob_values)
                .unwrap_err()
                .contains("at most 40")
        );
    }
}
