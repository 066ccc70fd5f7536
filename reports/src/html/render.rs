//! The HTML text of a [`Document`]: inline CSS, inline SVG, and two small
//! inline scripts — one at the top that records script errors, one at the
//! end that checks every plot rendered with a non-zero size, marks the ones
//! that did not, and writes the result into `<body data-figures=…>` (what
//! the browser test reads).

use super::{Block, Document, Figure, Section, Source, Table};
use std::fmt::Write;

const CSS: &str = "
:root{--fg:#1d232b;--mute:#5b6673;--line:#d9dee4;--bg:#fff;--band:#f4f6f8;--accent:#1f77b4}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:24px 28px 60px;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:40px 0 10px;padding-top:10px;border-top:2px solid var(--line)}
.sub{color:var(--mute);margin:0 0 18px}
nav{background:var(--band);border-radius:6px;padding:8px 14px;margin:10px 0 18px;font-size:14px}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .k{font-size:13px;color:var(--mute)}.card .v{font-size:20px;font-weight:600;margin:2px 0}
.card .s{font-size:12px;color:var(--mute)}
.badge{display:inline-block;font-size:11px;font-weight:600;border-radius:9px;padding:0 7px;margin-right:6px;background:#e8eef5;color:#244a6e;white-space:nowrap}
.b-simulation{background:#e3f3e6;color:#1e5e2b}.b-datasheet{background:#f3eee0;color:#6b4e0f}
.b-yosys,.b-formula{background:#f1e6f4;color:#5d2a6b}.b-input,.b-compiler{background:#eceff1;color:#37474f}
table{border-collapse:collapse;margin:6px 0 4px;font-size:13.5px;width:auto;max-width:100%}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 10px;vertical-align:top}
th{background:var(--band);text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.src{font-size:12.5px;color:var(--mute);margin:2px 0 14px}
.tw{overflow-x:auto}
figure{margin:14px 0 18px}figure svg{display:block;max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:13px;color:var(--mute);margin-top:4px}
.na{border:2px dashed #c0392b;background:#fdf2f1;border-radius:6px;padding:10px 14px;color:#7b241c}
.broken{outline:3px solid #c0392b}
ul{margin:4px 0 12px}footer{margin-top:40px;font-size:12.5px;color:var(--mute);border-top:1px solid var(--line);padding-top:8px}
";

const ERRORS_JS: &str = "window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message||e));});";

const CHECK_JS: &str = "(function(){var ok=0,bad=[];
document.querySelectorAll('figure.plot').forEach(function(f){var g=f.querySelector('svg,img');var r=g?g.getBoundingClientRect():null;
var drawn=g&&(g.tagName.toLowerCase()==='img'?g.naturalWidth>0:g.querySelectorAll('*').length>2);
if(g&&r.width>0&&r.height>0&&drawn){ok++;}else{bad.push(f.id);f.classList.add('broken');}});
document.body.setAttribute('data-figures','ok='+ok+' broken='+bad.join(',')+' errors='+window.__errors.length);})();";

/// Escapes `&`, `<`, `>` and `\"` for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

fn badge(s: &Source) -> String {
    let class = s.kind.label().split(' ').next().unwrap_or("model");
    format!(
        "<span class=\"badge b-{class}\">{}</span>",
        esc(s.kind.label())
    )
}

fn numeric(cell: &str) -> bool {
    let t = cell.trim().trim_end_matches('%');
    !t.is_empty() && t.parse::<f64>().is_ok()
}

fn table(o: &mut String, t: &Table) {
    let _ = writeln!(
        o,
        "<div class=\"tw\"><table id=\"tbl-{}\" data-csv=\"data/{}.csv\">",
        t.id, t.id
    );
    let _ = writeln!(o, "<caption>{}</caption>", esc(&t.caption));
    o.push_str("<tr>");
    for c in &t.columns {
        let _ = write!(o, "<th>{}</th>", esc(c));
    }
    o.push_str("</tr>\n");
    for r in &t.rows {
        o.push_str("<tr>");
        for c in r {
            let class = if numeric(c) { " class=\"n\"" } else { "" };
            let _ = write!(o, "<td{class}>{}</td>", esc(c));
        }
        o.push_str("</tr>\n");
    }
    let _ = writeln!(
        o,
        "</table></div>\n<p class=\"src\">{}{} · <a href=\"data/{}.csv\">data/{}.csv</a></p>",
        badge(&t.source),
        esc(&t.source.detail),
        t.id,
        t.id
    );
}

fn figure(o: &mut String, f: &Figure) {
    let svg = match f.svg.find("<svg") {
        Some(i) => &f.svg[i..],
        None => f.svg.as_str(),
    };
    let _ = writeln!(
        o,
        "<figure class=\"plot\" id=\"fig-{}\">\n{}\n<figcaption>{}{}</figcaption></figure>",
        esc(&f.id),
        svg.trim_end(),
        badge(&f.source),
        esc(&format!("{} — {}", f.caption, f.source.detail))
    );
}

fn section(o: &mut String, s: &Section) {
    let _ = writeln!(
        o,
        "<section id=\"{}\">\n<h2>{}</h2>",
        esc(&s.id),
        esc(&s.title)
    );
    for b in &s.blocks {
        match b {
            Block::Para(p) => {
                let _ = writeln!(o, "<p>{}</p>", esc(p));
            }
            Block::List(head, items) => {
                if !head.is_empty() {
                    let _ = writeln!(o, "<p>{}</p>", esc(head));
                }
                o.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(o, "<li>{}</li>", esc(i));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(t) => table(o, t),
            Block::Figure(f) => figure(o, f),
            Block::Unavailable(why) => {
                let _ = writeln!(
                    o,
                    "<div class=\"na\"><strong>Not available in this build.</strong> {}</div>",
                    esc(why)
                );
            }
        }
    }
    o.push_str("</section>\n");
}

/// The whole page.
pub fn page(d: &Document) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n<script>{ERRORS_JS}</script>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        esc(&d.title),
        esc(&d.title),
        esc(&d.subtitle)
    );
    o.push_str("<nav><a href=\"#summary\">Summary</a>");
    for s in &d.sections {
        let _ = write!(o, "<a href=\"#{}\">{}</a>", esc(&s.id), esc(&s.title));
    }
    o.push_str("</nav>\n<section id=\"summary\">\n<div class=\"cards\">\n");
    for i in &d.summary {
        let _ = writeln!(
            o,
            "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"s\">{}{}</div></div>",
            esc(&i.label),
            esc(&i.value),
            badge(&i.source),
            esc(&i.source.detail)
        );
    }
    o.push_str("</div>\n</section>\n");
    for s in &d.sections {
        section(&mut o, s);
    }
    let _ = write!(
        o,
        "<footer>{}</footer>\n<script>{CHECK_JS}</script>\n</body>\n</html>\n",
        esc(&d.footer)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::{Block, Document, Section, Source, SourceKind, Table};

    #[test]
    fn escapes_and_renders_rows_one_per_line() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        let mut t = Table::new("t", "cap", Source::new(SourceKind::Model, "m"));
        t.columns(&["x", "y"]).row(vec!["<1>".into(), "2.5".into()]);
        let d = Document {
            title: "T".into(),
            subtitle: "s".into(),
            summary: vec![],
            sections: vec![Section::new(
                "a",
                "A",
                vec![Block::Table(t), Block::Unavailable("no sim".into())],
            )],
            footer: "f".into(),
        };
        let h = d.html();
        assert!(h.contains("<tr><td>&lt;1&gt;</td><td class=\"n\">2.5</td></tr>\n"));
        assert!(h.contains("Not available in this build."));
        assert!(!h.contains("<1>"));
        assert_eq!(d.csv_files().unwrap()[0].1, "x,y\n<1>,2.5\n");
    }

    #[test]
    fn malformed_tables_are_refused() {
        let mut t = Table::new("Bad Id", "c", Source::new(SourceKind::Model, "m"));
        t.columns(&["x"]);
        let mut d = Document {
            title: String::new(),
            subtitle: String::new(),
            summary: vec![],
            sections: vec![Section::new("a", "A", vec![Block::Table(t.clone())])],
            footer: String::new(),
        };
        assert!(d.check().is_err());
        t.id = "ok".into();
        t.row(vec!["1".into(), "2".into()]);
        d.sections[0].blocks = vec![Block::Table(t)];
        assert!(d
            .check()
            .unwrap_err()
            .to_string()
            .contains("2 cells for 1 columns"));
    }
}
