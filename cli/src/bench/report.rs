//! What a bench section returns, and how it is printed: a table per section, each row
//! with its figures and its ratio against the section's named baseline.

use std::fmt::Write as _;

use serde::Serialize;

use super::plot::Chart;

/// One table: a section of `stepwise bench`. A section is a function that returns one of
/// these; the printing, the JSON and the plot know nothing about the workloads.
#[derive(Debug, Serialize)]
pub struct Section {
    /// The name `--section` selects it by, and its key in the JSON report.
    pub key: &'static str,
    pub title: String,
    /// What every row's ratio is measured against, named as the table says it.
    pub baseline: String,
    /// The headers of the figures columns (the workload and ratio columns are implied).
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// Lines printed under the table: how it was measured, what the peer could not do.
    pub notes: Vec<String>,
    /// What the section adds to `--plot`: one chart per series family.
    pub charts: Vec<Chart>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub workload: String,
    /// One per column of the section.
    pub figures: Vec<Figure>,
    /// The row's figure divided by the baseline's; `None` when there is no baseline figure
    /// (the peer is not installed, or cannot run the workload).
    pub ratio: Option<f64>,
}

/// A cell: a measured number, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Count(u64),
    Rate(f64),
    Ratio(f64),
    Missing(String),
}

impl Figure {
    fn render(&self) -> String {
        match self {
            Figure::Count(n) => thousands(*n),
            Figure::Rate(r) => thousands(r.round() as u64),
            Figure::Ratio(r) => ratio(*r),
            Figure::Missing(why) => why.clone(),
        }
    }
}

/// Renders a section as a Markdown table (it reads well in a terminal and pastes into
/// docs/benchmarks.md as it is).
pub fn table(section: &Section) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}", section.title);
    let _ = writeln!(out, "baseline: {}", section.baseline);
    let _ = writeln!(out);
    let mut header = vec!["workload".to_owned()];
    header.extend(section.columns.iter().cloned());
    header.push("vs baseline".to_owned());
    let rows: Vec<Vec<String>> = section
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.workload.clone()];
            cells.extend(row.figures.iter().map(Figure::render));
            cells.push(row.ratio.map_or("n/a".to_owned(), ratio));
            cells
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let _ = writeln!(out, "{}", line(&header));
    // Markdown's alignment row: the colon sits against the right-hand pipe.
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                "-".repeat(w + 2)
            } else {
                format!("{}:", "-".repeat(w + 1))
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    for note in &section.notes {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

/// `12,345,678`: the figures are read by people comparing orders of magnitude.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `57.3×` below 1,000, `1,234×` above (a ratio's third digit says nothing at that size).
pub fn ratio(r: f64) -> String {
    if r >= 1000.0 {
        format!("{}×", thousands(r.round() as u64))
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(18_202_569), "18,202,569");
    }

    #[test]
    fn table_has_one_line_per_row_and_right_aligned_figures() {
        let section = Section {
            key: "t",
            title: "T".to_owned(),
            baseline: "B".to_owned(),
            columns: vec!["tr/s".to_owned()],
            rows: vec![
                Row {
                    workload: "a".to_owned(),
                    figures: vec![Figure::Rate(1234.4)],
                    ratio: Some(2.0),
                },
                Row {
                    workload: "bb".to_owned(),
                    figures: vec![Figure::Missing("not installed".to_owned())],
                    ratio: None,
                },
            ],
            notes: vec![],
            charts: vec![],
        };
        let text = table(&section);
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(
            lines,
            [
                "| workload |          tr/s | vs baseline |",
                "|----------|--------------:|------------:|",
                "| a        |         1,234 |       2.00× |",
                "| bb       | not installed |         n/a |",
            ]
        );
    }
}
