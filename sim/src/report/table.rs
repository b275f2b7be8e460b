//! A report table as a value: built once from the results, then rendered as aligned text for a
//! terminal, as HTML for `report.html` and as CSV. A cell carries its number (and interval)
//! rather than its text, so that each rendering formats it in its own way: the text shows the
//! value, HTML the value and its interval, CSV every digit.

use std::fmt::Write as _;

use crate::svg::escape;

/// How a number reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// Four decimals: `0.7416`.
    Fixed4,
    /// A relative change in percent with its sign, two decimals: `-1.44%`.
    Percent,
    /// A whole number: `1826`.
    Count,
    /// One decimal: `54.3` (seconds).
    Fixed1,
}

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Words.
    Text(String),
    /// A number (`None`: undefined, shown as n/a) with its 95% interval where there is one.
    Num {
        /// The value.
        value: Option<f64>,
        /// Its interval.
        ci: Option<[f64; 2]>,
        /// How it reads.
        style: Style,
    },
}

impl Cell {
    /// Words.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A number to four decimals, with its interval where there is one.
    pub fn num(value: Option<f64>, ci: Option<[f64; 2]>) -> Cell {
        Cell::Num {
            value,
            ci,
            style: Style::Fixed4,
        }
    }

    /// A relative change, in percent.
    pub fn percent(value: f64, ci: [f64; 2]) -> Cell {
        Cell::Num {
            value: Some(value),
            ci: Some(ci),
            style: Style::Percent,
        }
    }

    /// A count.
    pub fn count(value: Option<f64>) -> Cell {
        Cell::Num {
            value,
            ci: None,
            style: Style::Count,
        }
    }

    /// Nothing.
    pub fn empty() -> Cell {
        Cell::Text(String::new())
    }

    /// The value alone, as a terminal shows it (n/a where it is undefined or not finite).
    fn short(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Num {
                value: Some(v),
                style,
                ci,
            } if v.is_finite() => match style {
                Style::Fixed4 => format!("{v:.4}"),
                Style::Count => format!("{v:.0}"),
                Style::Fixed1 => format!("{v:.1}"),
                // A change reads with its interval: a sign alone decides nothing.
                Style::Percent => match ci.filter(|c| c.iter().all(|x| x.is_finite())) {
                    Some([a, b]) => {
                        format!("{:+.2}% [{:+.2}, {:+.2}]", 100.0 * v, 100.0 * a, 100.0 * b)
                    }
                    None => format!("{:+.2}%", 100.0 * v),
                },
            },
            Cell::Num { .. } => "n/a".into(),
        }
    }

    /// The value and its interval, as the HTML report shows it.
    fn long(&self) -> String {
        match self {
            Cell::Num {
                value: Some(v),
                ci: Some([a, b]),
                style: Style::Fixed4,
            } if [v, a, b].iter().all(|x| x.is_finite()) => format!("{v:.4} [{a:.4}, {b:.4}]"),
            _ => self.short(),
        }
    }
}

/// How a table reads as text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Layout {
    /// Aligned columns, a row a line.
    Grid,
    /// A row as a block: its first two cells on a line (`[second] first`), each other cell on
    /// a line of its own below, indented. For rows of long text (the claims).
    Records,
}

/// A table of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Its id: its CSV file is `table-{id}.csv`.
    pub id: &'static str,
    /// Its title.
    pub title: String,
    /// A note under the title, if any.
    pub note: Option<String>,
    /// Column headings.
    pub header: Vec<String>,
    /// The rows, each as long as `header`.
    pub rows: Vec<Vec<Cell>>,
    /// How it reads as text.
    pub layout: Layout,
}

impl Table {
    /// An empty table.
    pub fn new(id: &'static str, title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            id,
            title: title.into(),
            note: None,
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            layout: Layout::Grid,
        }
    }

    /// With a note under its title.
    pub fn with_note(mut self, note: impl Into<String>) -> Table {
        self.note = Some(note.into());
        self
    }

    /// With another text layout.
    pub fn laid_out(mut self, layout: Layout) -> Table {
        self.layout = layout;
        self
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.header.len(), "{}", self.id);
        self.rows.push(row);
    }

    /// As text for a terminal: its title, then its rows.
    pub fn to_text(&self) -> String {
        let mut o = format!("== {} ==\n", self.title);
        if let Some(n) = &self.note {
            let _ = writeln!(o, "{n}");
        }
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::short).collect())
            .collect();
        match self.layout {
            Layout::Grid => {
                let widths: Vec<usize> = (0..self.header.len())
                    .map(|c| {
                        cells
                            .iter()
                            .map(|r| r[c].chars().count())
                            .chain([self.header[c].chars().count()])
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                let line = |row: &[String]| -> String {
                    let parts: Vec<String> = row
                        .iter()
                        .zip(&widths)
                        .enumerate()
                        .map(|(c, (s, w))| {
                            let pad = w.saturating_sub(s.chars().count());
                            // Words to the left, numbers to the right.
                            let left = self.rows.iter().all(|r| matches!(r[c], Cell::Text(_)));
                            if left {
                                format!("{s}{}", " ".repeat(pad))
                            } else {
                                format!("{}{s}", " ".repeat(pad))
                            }
                        })
                        .collect();
                    parts.join("  ").trim_end().to_string()
                };
                let _ = writeln!(o, "{}", line(&self.header));
                for r in &cells {
                    let _ = writeln!(o, "{}", line(r));
                }
            }
            Layout::Records => {
                for r in &cells {
                    let _ = writeln!(o, "[{}] {}", r[1], r[0]);
                    for c in r.iter().skip(2).filter(|c| !c.is_empty()) {
                        let _ = writeln!(o, "        {c}");
                    }
                }
            }
        }
        o
    }

    /// As HTML: a heading, the note and the table, every string escaped. A cell whose text is
    /// a verdict's word carries its class.
    pub fn to_html(&self) -> String {
        let mut o = format!("<h2>{}</h2>", escape(&self.title));
        if let Some(n) = &self.note {
            let _ = write!(o, "<p>{}</p>", escape(n));
        }
        o += "<table><tr>";
        for h in &self.header {
            let _ = write!(o, "<th>{}</th>", escape(h));
        }
        o += "</tr>";
        for r in &self.rows {
            o += "<tr>";
            for c in r {
                match c {
                    Cell::Text(t) => {
                        let class = verdict_class(t);
                        let _ = write!(o, "<td{class}>{}</td>", escape(t));
                    }
                    c => {
                        let _ = write!(o, "<td>{}</td>", escape(&c.long()));
                    }
                }
            }
            o += "</tr>";
        }
        o += "</table>";
        o
    }

    /// As CSV: the header, then the rows, every number in full; a column of numbers with
    /// intervals gets two more columns, `... ci_lo` and `... ci_hi`.
    pub fn to_csv(&self) -> String {
        let with_ci: Vec<bool> = (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .any(|r| matches!(r[c], Cell::Num { ci: Some(_), .. }))
            })
            .collect();
        let mut head = Vec::new();
        for (h, ci) in self.header.iter().zip(&with_ci) {
            head.push(csv_escape(h));
            if *ci {
                head.push(csv_escape(&format!("{h} ci_lo")));
                head.push(csv_escape(&format!("{h} ci_hi")));
            }
        }
        let mut o = head.join(",") + "\n";
        for r in &self.rows {
            let mut out = Vec::new();
            for (c, ci) in r.iter().zip(&with_ci) {
                match c {
                    Cell::Text(t) => out.push(csv_escape(t)),
                    Cell::Num { value, .. } => {
                        out.push(value.map_or(String::new(), |v| v.to_string()))
                    }
                }
                if *ci {
                    let [a, b] = match c {
                        Cell::Num { ci: Some(x), .. } => x.map(|v| v.to_string()),
                        _ => [String::new(), String::new()],
                    };
                    out.extend([a, b]);
                }
            }
            o += &out.join(",");
            o += "\n";
        }
        o
    }
}

/// ` class="holds"` for a verdict's word (`HOLDS`, `FAILS`, ...), nothing otherwise.
fn verdict_class(t: &str) -> String {
    let class = t.to_lowercase().replace(' ', "-");
    match class.as_str() {
        "holds" | "fails" | "inconclusive" | "no-interval" | "no-effect" => {
            format!(" class=\"{class}\"")
        }
        "smaller-than-the-paper's" => " class=\"smaller-than-paper\"".into(),
        _ => String::new(),
    }
}

/// A CSV field: quoted where it holds a comma, a quote or a line break.
pub fn csv_escape(s: &str) -> String {
    if s.contains(',') || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("t", "A <title>", &["head", "model", "AUC", "n"]);
        t.push(vec![
            Cell::text("dislike"),
            Cell::text("Base, line"),
            Cell::num(Some(0.74163), Some([0.7, 0.78])),
            Cell::count(Some(1826.0)),
        ]);
        t.push(vec![
            Cell::text("sexual"),
            Cell::text("Response debias"),
            Cell::num(None, None),
            Cell::count(Some(12.0)),
        ]);
        t
    }

    #[test]
    fn one_table_three_renderings() {
        let t = sample();
        assert_eq!(
            t.to_text(),
            "== A <title> ==\n\
             head     model               AUC     n\n\
             dislike  Base, line       0.7416  1826\n\
             sexual   Response debias     n/a    12\n"
        );
        assert_eq!(
            t.to_csv(),
            "head,model,AUC,AUC ci_lo,AUC ci_hi,n\n\
             dislike,\"Base, line\",0.74163,0.7,0.78,1826\n\
             sexual,Response debias,,,,12\n"
        );
        let html = t.to_html();
        assert!(
            html.starts_with("<h2>A &lt;title&gt;</h2><table>"),
            "{html}"
        );
        assert!(html.contains("<td>0.7416 [0.7000, 0.7800]</td>"), "{html}");
        assert!(html.contains("<td>n/a</td>"), "{html}");
    }

    #[test]
    fn records_and_verdicts() {
        let mut t = Table::new("c", "Claims", &["claim", "verdict", "evidence", "power"])
            .laid_out(Layout::Records);
        t.push(vec![
            Cell::text("It holds"),
            Cell::text("HOLDS"),
            Cell::text("+0.1 [0.05, 0.2]"),
            Cell::empty(),
        ]);
        assert_eq!(
            t.to_text(),
            "== Claims ==\n[HOLDS] It holds\n        +0.1 [0.05, 0.2]\n"
        );
        assert!(t.to_html().contains("<td class=\"holds\">HOLDS</td>"));
        let change = Cell::percent(-0.0144, [-0.02, -0.01]);
        assert_eq!(change.short(), "-1.44% [-2.00, -1.00]");
    }
}
