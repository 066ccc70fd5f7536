//! Self-contained HTML reports: one file with its CSS inline and its plots
//! as inline SVG, readable with no network, plus the CSV behind every table.
//!
//! A [`Document`] is a title, a summary (key figures, each with its
//! [`Source`]) and [`Section`]s of [`Block`]s. It knows nothing of the
//! compiler or the simulator: callers turn their results into tables and
//! charts ([`chart`]) and hand them over as plain data.
//!
//! ```
//! use llmfab_reports::html::{Block, Document, Section, Source, SourceKind, Table};
//! let mut t = Table::new("ops", "Time by op", Source::new(SourceKind::Model, "roofline"));
//! t.columns(&["op", "time (ms)"]);
//! t.row(vec!["attn.qk".into(), "1.5".into()]);
//! let doc = Document {
//!     title: "demo".into(),
//!     subtitle: String::new(),
//!     summary: vec![],
//!     sections: vec![Section::new("times", "Times", vec![Block::Table(t)])],
//!     footer: String::new(),
//! };
//! assert!(doc.html().contains("attn.qk"));
//! assert_eq!(doc.csv_files().unwrap()[0].0, "ops.csv");
//! ```
//!
//! Every table row is one line of HTML (`<tr>` … `</tr>`) and its CSV holds
//! the very same cell texts, so the two can be compared line by line.

pub mod chart;
mod render;

use crate::ReportError;

/// What kind of evidence a number rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A vendor datasheet or a published figure (device catalog).
    Datasheet,
    /// An analytic model (roofline, the explorer's performance model).
    Model,
    /// The cycle-level engine simulator.
    Simulation,
    /// Yosys synthesis of the emitted Verilog (an estimate).
    Yosys,
    /// A size formula (memories, FIFOs, muxes).
    Formula,
    /// A count the compiler produced (instructions, bytes in the memory map).
    Compiler,
    /// A setting given on the command line or a default of the flow.
    Input,
    /// Several kinds: a `source` column names each row's.
    Mixed,
}

impl SourceKind {
    /// Lower-case label shown on the badge.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Datasheet => "datasheet",
            SourceKind::Model => "model",
            SourceKind::Simulation => "simulation",
            SourceKind::Yosys => "yosys estimate",
            SourceKind::Formula => "formula",
            SourceKind::Compiler => "compiler",
            SourceKind::Input => "input",
            SourceKind::Mixed => "mixed",
        }
    }
}

/// Where a table's, a figure's or a summary item's numbers come from, and
/// what they assume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The kind of evidence.
    pub kind: SourceKind,
    /// Which tool, model or document, and the assumptions behind it.
    pub detail: String,
}

impl Source {
    /// A source of `kind` described by `detail`.
    pub fn new(kind: SourceKind, detail: impl Into<String>) -> Source {
        Source {
            kind,
            detail: detail.into(),
        }
    }
}

/// A table; its CSV is written as `data/<id>.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// File stem of the CSV and HTML id (`[a-z0-9_-]`).
    pub id: String,
    /// Caption above the table.
    pub caption: String,
    /// Column headers (units in brackets: `time (ms)`).
    pub columns: Vec<String>,
    /// Rows of cell texts, as many as there are columns.
    pub rows: Vec<Vec<String>>,
    /// Where the numbers come from.
    pub source: Source,
}

impl Table {
    /// An empty table.
    pub fn new(id: &str, caption: &str, source: Source) -> Table {
        Table {
            id: id.into(),
            caption: caption.into(),
            columns: Vec::new(),
            rows: Vec::new(),
            source,
        }
    }
    /// Sets the column headers.
    pub fn columns(&mut self, cols: &[&str]) -> &mut Table {
        self.columns = cols.iter().map(|c| c.to_string()).collect();
        self
    }
    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) -> &mut Table {
        self.rows.push(cells);
        self
    }
    /// The CSV text: a header line, then one line per row (RFC 4180 quoting).
    pub fn csv(&self) -> Result<String, ReportError> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let err = |e: csv::Error| ReportError::Output(format!("table {}: {e}", self.id));
        w.write_record(&self.columns).map_err(err)?;
        for r in &self.rows {
            w.write_record(r).map_err(err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ReportError::Output(format!("table {}: {e}", self.id)))?;
        String::from_utf8(bytes).map_err(|e| ReportError::Output(e.to_string()))
    }
    /// Checks the id and that every row has one cell per column.
    fn check(&self) -> Result<(), ReportError> {
        let ok_id = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !ok_id {
            return Err(ReportError::Output(format!(
                "table id '{}': expected [a-z0-9_-]+",
                self.id
            )));
        }
        if let Some((i, r)) = self
            .rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != self.columns.len())
        {
            return Err(ReportError::Output(format!(
                "table {}: row {i} has {} cells for {} columns",
                self.id,
                r.len(),
                self.columns.len()
            )));
        }
        Ok(())
    }
}

/// A plot: an SVG document embedded inline.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// HTML id.
    pub id: String,
    /// Caption under the plot.
    pub caption: String,
    /// The SVG text (`<svg …>…</svg>`, an XML declaration is dropped).
    pub svg: String,
    /// Where the plotted numbers come from.
    pub source: Source,
}

/// A part of a section.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Para(String),
    /// A bulleted list of plain-text items (assumptions, notes).
    List(String, Vec<String>),
    /// A table.
    Table(Table),
    /// A plot.
    Figure(Figure),
    /// A step that could not run in this build, and why: shown as a
    /// clearly marked box, never as numbers.
    Unavailable(String),
}

/// One section (one step of a flow).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// HTML id (anchor of the table of contents).
    pub id: String,
    /// Heading.
    pub title: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section.
    pub fn new(id: &str, title: &str, blocks: Vec<Block>) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            blocks,
        }
    }
}

/// One key figure of the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryItem {
    /// What it is (`decode`).
    pub label: String,
    /// The value with its unit (`74.8 tokens/s`), or `n/a`.
    pub value: String,
    /// Where it comes from.
    pub source: Source,
}

/// A whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Page title and heading.
    pub title: String,
    /// A line under the heading.
    pub subtitle: String,
    /// Key figures at the top.
    pub summary: Vec<SummaryItem>,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Text of the footer.
    pub footer: String,
}

impl Document {
    /// Every table, in document order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
        })
    }
    /// Checks table ids (unique, well-formed) and row widths.
    pub fn check(&self) -> Result<(), ReportError> {
        let mut seen = std::collections::BTreeSet::new();
        for t in self.tables() {
            t.check()?;
            if !seen.insert(t.id.as_str()) {
                return Err(ReportError::Output(format!("table id '{}' repeats", t.id)));
            }
        }
        Ok(())
    }
    /// The HTML page.
    pub fn html(&self) -> String {
        render::page(self)
    }
    /// `(file name, CSV text)` of every table, in document order.
    pub fn csv_files(&self) -> Result<Vec<(String, String)>, ReportError> {
        self.check()?;
        self.tables()
            .map(|t| Ok((format!("{}.csv", t.id), t.csv()?)))
            .collect()
    }
}
