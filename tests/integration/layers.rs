//! Data flows one way. docs/architecture.md lists each crate's modules in floors, lowest first;
//! this reads that table and every module's imports (its `use` trees and the `crate::`,
//! `super::` and `self::` paths in its code, comments, strings and `#[cfg(test)]` items left
//! out), and fails on an import sideways or back up, on a module the table does not place and on
//! a name in the table that is not a module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// crate → module → floor, from the table in docs/architecture.md. The crate root is `(lib)`.
fn floors() -> BTreeMap<String, BTreeMap<String, usize>> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("the doc");
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| usm-")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [krate, floor, modules] = cells[..] else {
            panic!("a floor row has three cells: {line}");
        };
        let floor: usize = floor.parse().unwrap_or_else(|_| panic!("floor in {line}"));
        for m in modules.split(',') {
            let m = m.trim().trim_matches('`').to_string();
            let again = out
                .entry(krate.into())
                .or_default()
                .insert(m.clone(), floor);
            assert!(again.is_none(), "`{m}` is placed twice in {krate}'s floors");
        }
    }
    out
}

/// Module path (`experiment::world`, `(lib)` for the root) → its file, for one crate's `src`.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("a source folder") {
            let p = e.expect("an entry").path();
            let rel = p.strip_prefix(src).expect("under src");
            if rel.starts_with("bin") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let mut parts: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            let name = if parts == ["lib"] {
                "(lib)".to_string()
            } else {
                parts.join("::")
            };
            out.insert(name, p);
        }
    }
    out
}

/// The code of a file without comments, string and char literals, and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |j| j + 2);
        } else if let Some(n) = raw_string(rest, i == 0 || !ident(b[i - 1])) {
            i += n;
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if let Some(n) = char_literal(rest) {
            i += n;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    without_test_items(&out)
}

fn ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The length of a raw string literal at the start of `s` (`r"…"`, `r#"…"#`), if there is one.
fn raw_string(s: &str, at_token_start: bool) -> Option<usize> {
    let hashes = s
        .strip_prefix('r')?
        .bytes()
        .take_while(|&c| c == b'#')
        .count();
    if !at_token_start || s.as_bytes().get(1 + hashes) != Some(&b'"') {
        return None;
    }
    let close = format!("\"{}", "#".repeat(hashes));
    let body = 2 + hashes;
    s[body..].find(&close).map(|j| body + j + close.len())
}

/// The length of a char literal at the start of `s` (`'a'`, `'\n'`, `'\''`), not a lifetime.
fn char_literal(s: &str) -> Option<usize> {
    let mut it = s.char_indices();
    if it.next()?.1 != '\'' {
        return None;
    }
    let (_, c) = it.next()?;
    if c == '\\' {
        // The escaped character, then the closing quote: `'\n'`, `'\''`, `'\u{1F600}'`.
        let end = s.get(3..)?.find('\'')?;
        return Some(3 + end + 1);
    }
    let (j, close) = it.next()?;
    (close == '\'').then_some(j + 1)
}

/// `code` without every item that follows a `#[cfg(test)]` (a test module, a test helper).
fn without_test_items(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let Some(end) = item.find(['{', ';']) else {
            return out;
        };
        if item.as_bytes()[end] == b';' {
            rest = &item[end + 1..];
            continue;
        }
        let mut depth = 0;
        let mut close = item.len();
        for (j, c) in item[end..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = end + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[close..];
    }
    out.push_str(rest);
    out
}

/// Every path a file's code names: each leaf of its `use` trees, and each `crate::`, `super::`
/// or `self::` path elsewhere.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    let mut others = String::new();
    while let Some(at) = find_use(rest) {
        others.push_str(&rest[..at]);
        let tree = &rest[at + 4..];
        let end = tree.find(';').unwrap_or(tree.len());
        expand(tree[..end].trim(), "", &mut out);
        rest = &tree[(end + 1).min(tree.len())..];
    }
    others.push_str(rest);
    let bytes = others.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(j) = others[from..].find(start) {
            let at = from + j;
            from = at + start.len();
            if at > 0 && ident(bytes[at - 1]) {
                continue;
            }
            let len = others[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(others.len() - at);
            out.push(others[at..at + len].trim_end_matches(':').to_string());
        }
    }
    out
}

/// Where the next `use` keyword starts, if any.
fn find_use(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(j) = s[from..].find("use ") {
        let at = from + j;
        if at == 0 || !ident(b[at - 1]) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// The leaves of a use tree, each with `prefix` before it.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let join = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else if p == "self" {
            prefix.to_string()
        } else {
            format!("{prefix}::{p}")
        }
    };
    let Some(open) = tree.find('{') else {
        let leaf = tree.split(" as ").next().unwrap_or(tree).trim();
        out.push(join(leaf));
        return;
    };
    let head = join(tree[..open].trim().trim_end_matches("::"));
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0, 0);
    for (j, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand_part(&inner[start..j], &head, out);
                start = j + 1;
            }
            _ => {}
        }
    }
    expand_part(&inner[start..], &head, out);
}

fn expand_part(part: &str, head: &str, out: &mut Vec<String>) {
    if !part.trim().is_empty() {
        expand(part.trim(), head, out);
    }
}

/// The module a path names from module `m` (whose file is a `mod.rs` or the root where `dir`):
/// the longest prefix that is a module, or the module whose item it is. `None` for another
/// crate's path.
fn resolve(path: &str, m: &str, dir: bool, mods: &BTreeMap<String, PathBuf>) -> Option<String> {
    let own: Vec<&str> = if m == "(lib)" {
        Vec::new()
    } else {
        m.split("::").collect()
    };
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = match segs[0] {
        "crate" => Vec::new(),
        "self" => own.clone(),
        "super" => own[..own.len().saturating_sub(1)].to_vec(),
        first => {
            // A path relative to the module: one of its children (in a mod.rs) or nothing of ours.
            let child = [own.as_slice(), &[first]].concat().join("::");
            if dir && mods.contains_key(&child) {
                own.clone()
            } else {
                return None;
            }
        }
    };
    if matches!(segs[0], "crate" | "self" | "super") {
        segs.remove(0);
    }
    while segs.first() == Some(&"super") {
        base.pop();
        segs.remove(0);
    }
    for len in (1..=segs.len()).rev() {
        let candidate = [base.as_slice(), &segs[..len]].concat().join("::");
        if mods.contains_key(&candidate) {
            return Some(candidate);
        }
    }
    Some(if base.is_empty() {
        "(lib)".into()
    } else {
        base.join("::")
    })
}

/// Every module's imports of other modules of its crate.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let mut out = BTreeMap::new();
    for (m, file) in &mods {
        let text = std::fs::read_to_string(file).expect("a source file");
        let dir = file.ends_with("mod.rs") || file.ends_with("lib.rs");
        let targets: BTreeSet<String> = paths(&code(&text))
            .iter()
            .filter_map(|p| resolve(p, m, dir, &mods))
            .filter(|t| t != m)
            .collect();
        out.insert(m.clone(), targets);
    }
    out
}

/// Each import that does not go down a floor, and each module the table misplaces.
fn violations(krate: &str, src: &Path, floors: &BTreeMap<String, usize>) -> Vec<String> {
    let graph = imports(src);
    let mut bad = Vec::new();
    for m in graph.keys().filter(|m| !floors.contains_key(*m)) {
        bad.push(format!(
            "{krate}: `{m}` has no floor in docs/architecture.md"
        ));
    }
    for m in floors.keys().filter(|m| !graph.contains_key(*m)) {
        bad.push(format!(
            "{krate}: `{m}` in docs/architecture.md is not a module"
        ));
    }
    for (m, targets) in &graph {
        let Some(&fm) = floors.get(m) else { continue };
        for t in targets {
            if let Some(&ft) = floors.get(t)
                && ft >= fm
            {
                let how = if ft == fm { "sideways" } else { "back up" };
                bad.push(format!(
                    "{krate}: `{m}` (floor {fm}) imports `{t}` (floor {ft}): {how}"
                ));
            }
        }
    }
    bad
}

#[test]
fn every_import_goes_down_a_floor() {
    let floors = floors();
    let mut bad = Vec::new();
    for (krate, dir) in [("usm-core", "core/src"), ("usm-sim", "sim/src")] {
        let f = floors
            .get(krate)
            .unwrap_or_else(|| panic!("docs/architecture.md has no floors for {krate}"));
        bad.extend(violations(krate, &root().join(dir), f));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_reader_sees_what_the_compiler_sees() {
    // Comments, strings and test items are not imports; use trees expand; paths resolve to the
    // longest module prefix, or to the module whose item they name.
    let text = r##"
        use super::{gaps::{self, Influences}, names::Metric as M};
        use crate::error::Result;
        // use crate::report;
        /// [`crate::sweep`] in a doc.
        fn f() { let s = "crate::runner"; let r = r#"super::x"#; let c = '"'; let q = '\''; crate::story::Prepared::new(); }
        #[cfg(test)]
        mod tests { use crate::report::html; }
        fn g<'a>(x: &'a str) -> &'a str { x }
    "##;
    let mut got = paths(&code(text));
    got.sort();
    assert_eq!(
        got,
        [
            "crate::error::Result",
            "crate::story::Prepared::new",
            "super::gaps",
            "super::gaps::Influences",
            "super::names::Metric",
        ]
    );
    let mods: BTreeMap<String, PathBuf> = ["(lib)", "error", "experiment", "experiment::gaps"]
        .iter()
        .map(|m| (m.to_string(), PathBuf::new()))
        .collect();
    let r = |p: &str, m: &str, dir: bool| resolve(p, m, dir, &mods);
    assert_eq!(
        r("super::gaps::estimate", "experiment::world", false).as_deref(),
        Some("experiment::gaps")
    );
    assert_eq!(
        r("super::Results", "experiment::world", false).as_deref(),
        Some("experiment")
    );
    assert_eq!(
        r("crate::error::Result", "x", false).as_deref(),
        Some("error")
    );
    assert_eq!(
        r("gaps::Gap", "experiment", true).as_deref(),
        Some("experiment::gaps")
    );
    assert_eq!(r("std::fmt", "experiment", true), None);
    assert_eq!(r("crate::block_on", "x", false).as_deref(), Some("(lib)"));
}
