//! Writes a built report: `report.html` (one self-contained file, inline SVG charts, the
//! bundled font's glyphs for its text embedded as WOFF2, a print stylesheet for A4), `report.md`, `report.xlsx` and `charts/*.png|svg`. Only the
//! `generated` line differs between two renderings of the same warehouse version.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::build::{Lang, Report};
use crate::error::Result;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The line that says when a report was made; the only line that changes between runs.
pub const GENERATED_PREFIX: &str = "generated";

fn source_note(view: &str, version: i64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("来源：视图 {view}，仓库版本 {version}（`ceping sql --as-of {version}` 可复现）"),
        Lang::En => format!("source: view {view}, warehouse version {version} (reproduce with `--as-of {version}`)"),
    }
}

/// A prose section's source line: every view its figures come from.
fn views_note(views: &[&str], version: i64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "来源：视图 {}，仓库版本 {version}（`ceping sql --as-of {version}` 可复现）",
            views.join("、")
        ),
        Lang::En => format!(
            "source: views {}, warehouse version {version} (reproduce with `--as-of {version}`)",
            views.join(", ")
        ),
    }
}

/// A section's sentences as one paragraph.
fn paragraph(section: &super::prose::Section, lang: Lang) -> String {
    let sep = if lang == Lang::Zh { "" } else { " " };
    section
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Rows of a table shown in the HTML and Markdown body; the XLSX sheet has every row.
pub const TOP_ROWS: usize = 20;

/// The line under a cut list: how many more rows, and where they all are.
fn more_note(more: usize, title: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("……另有 {more} 行未列出，完整列表见 report.xlsx 工作表“{title}”。"),
        Lang::En => format!("… {more} more rows not shown; the full list is in report.xlsx, sheet “{title}”."),
    }
}

pub fn write(report: &Report, lang: Lang, out: &Path) -> Result<Vec<PathBuf>> {
    fs_err::create_dir_all(out.join("charts"))?;
    let mut written = Vec::new();
    for (stem, chart) in &report.charts {
        chart.save(&out.join("charts"), stem)?;
        written.push(out.join("charts").join(format!("{stem}.png")));
        written.push(out.join("charts").join(format!("{stem}.svg")));
    }
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
    let html = out.join("report.html");
    fs_err::write(&html, html_text(report, lang, &now.to_string())?)?;
    written.push(html);
    let md = out.join("report.md");
    fs_err::write(&md, markdown(report, lang, &now.to_string())?)?;
    written.push(md);
    let xlsx = out.join("report.xlsx");
    let sheets: Vec<super::xlsx::Sheet<'_>> = report
        .tables
        .iter()
        .map(|t| super::xlsx::Sheet {
            name: &t.title,
            headers: t.xlsx_headers.clone(),
            schema: t.schema.clone(),
            batches: &t.batches,
        })
        .collect();
    let mut text: Vec<(String, String)> = vec![
        (report.title.clone(), String::new()),
        (
            format!(
                "{} {} · {} {}",
                lang.pick("仓库版本", "warehouse version"),
                report.warehouse_version,
                lang.pick("统计截至", "as of"),
                report.date
            ),
            String::new(),
        ),
    ];
    for section in &report.prose {
        text.push((section.heading.clone(), String::new()));
        for s in &section.sentences {
            text.push((s.text.clone(), s.views.join(", ")));
        }
    }
    text.push((lang.pick("要点", "Headlines").to_string(), String::new()));
    for h in &report.headlines {
        text.push((format!("{}：{}", h.label, h.text), String::new()));
    }
    let front = super::xlsx::TextSheet {
        name: lang.pick("简报正文", "Summary"),
        header: [lang.pick("内容", "text"), lang.pick("来源视图", "views")],
        rows: text,
    };
    super::xlsx::save_with_text(&xlsx, Some(&front), &sheets)?;
    written.push(xlsx);
    Ok(written)
}

fn markdown(r: &Report, lang: Lang, now: &str) -> Result<String> {
    let mut s = String::new();
    writeln!(s, "# {}\n", r.title).ok();
    writeln!(
        s,
        "{}: {} · {} {} · {} {}\n",
        GENERATED_PREFIX,
        now,
        lang.pick("仓库版本", "warehouse version"),
        r.warehouse_version,
        lang.pick("统计截至", "as of"),
        r.date
    )
    .ok();
    for h in &r.headlines {
        writeln!(s, "- **{}**：{}", h.label, h.text).ok();
    }
    for section in &r.prose {
        writeln!(s, "\n## {}\n", section.heading).ok();
        writeln!(s, "{}", paragraph(section, lang)).ok();
        writeln!(s, "\n*{}*", views_note(&section.views(), r.warehouse_version, lang)).ok();
    }
    for t in &r.tables {
        writeln!(s, "\n## {}\n", t.title).ok();
        writeln!(s, "| {} |", t.headers.join(" | ")).ok();
        writeln!(s, "|{}|", t.headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")).ok();
        let rows = t.cells()?;
        if rows.is_empty() {
            writeln!(
                s,
                "| {} |{}",
                lang.pick("（无）", "(none)"),
                " |".repeat(t.headers.len().saturating_sub(1))
            )
            .ok();
        }
        let more = rows.len().saturating_sub(TOP_ROWS);
        for row in rows.into_iter().take(TOP_ROWS) {
            writeln!(
                s,
                "| {} |",
                row.iter()
                    .map(|c| c.replace('|', "\\|"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
            .ok();
        }
        if more > 0 {
            writeln!(s, "\n{}", more_note(more, &t.title, lang)).ok();
        }
        if let Some(note) = &t.note {
            writeln!(s, "\n{note}").ok();
        }
        writeln!(s, "\n*{}*", source_note(t.view, r.warehouse_version, lang)).ok();
    }
    writeln!(s, "\n## {}\n", lang.pick("图表", "Charts")).ok();
    for (stem, chart) in &r.charts {
        writeln!(s, "![{}](charts/{stem}.png)", chart.title).ok();
    }
    Ok(s)
}

const CSS: &str = r#"
/*font-face*/
body { font-family: "ceping-cjk", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.6em; border-bottom: 2px solid #2e6fb7; padding-bottom: .3em; }
h2 { font-size: 1.2em; margin-top: 1.6em; color: #2e6fb7; }
.meta { color: #666; font-size: .9em; }
ul.headlines { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .6em; }
ul.headlines li { background: #f1f5fb; border-left: 4px solid #2e6fb7; padding: .4em .8em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { border: 1px solid #ccd; padding: .25em .5em; }
th { background: #d9e1f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.source { color: #777; font-size: .8em; margin: .3em 0 0; }
figure { margin: 1em 0; }
figure svg { width: 100%; height: auto; }
svg text { font-family: "ceping-cjk", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2, table, figure { page-break-inside: avoid; break-inside: avoid; }
  figure { page-break-before: auto; }
}
"#;

fn html_text(r: &Report, lang: Lang, now: &str) -> Result<String> {
    let mut s = String::new();
    writeln!(s, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", lang.pick("zh-CN", "en"), esc(&r.title)).ok();
    writeln!(s, "<h1>{}</h1>", esc(&r.title)).ok();
    writeln!(
        s,
        "<p class=\"meta\">{GENERATED_PREFIX}: {now} · {} {} · {} {}</p>",
        lang.pick("仓库版本", "warehouse version"),
        r.warehouse_version,
        lang.pick("统计截至", "as of"),
        r.date
    )
    .ok();
    writeln!(s, "<ul class=\"headlines\">").ok();
    for h in &r.headlines {
        writeln!(
            s,
            "<li><b>{}</b>：<span class=\"figure\">{}</span></li>",
            esc(&h.label),
            esc(&h.text)
        )
        .ok();
    }
    writeln!(s, "</ul>").ok();
    for section in &r.prose {
        writeln!(
            s,
            "<h2>{}</h2>\n<p class=\"prose\">{}</p>\n<p class=\"source\">{}</p>",
            esc(&section.heading),
            esc(&paragraph(section, lang)),
            esc(&views_note(&section.views(), r.warehouse_version, lang))
        )
        .ok();
    }
    for t in &r.tables {
        writeln!(
            s,
            "<h2>{}</h2>\n<table data-view=\"{}\">\n<tr>{}</tr>",
            esc(&t.title),
            t.view,
            t.headers
                .iter()
                .map(|h| format!("<th>{}</th>", esc(h)))
                .collect::<String>()
        )
        .ok();
        let numeric: Vec<bool> = t.schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
        let rows = t.cells()?;
        if rows.is_empty() {
            writeln!(
                s,
                "<tr><td colspan=\"{}\">{}</td></tr>",
                t.headers.len(),
                lang.pick("（无）", "(none)")
            )
            .ok();
        }
        let more = rows.len().saturating_sub(TOP_ROWS);
        for row in rows.into_iter().take(TOP_ROWS) {
            s.push_str("<tr>");
            for (c, v) in row.iter().enumerate() {
                let class = if numeric.get(c).copied().unwrap_or(false) {
                    " class=\"num\""
                } else {
                    ""
                };
                write!(s, "<td{class}>{}</td>", esc(v)).ok();
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        if more > 0 {
            writeln!(s, "<p class=\"more\">{}</p>", esc(&more_note(more, &t.title, lang))).ok();
        }
        if let Some(note) = &t.note {
            writeln!(s, "<p class=\"note\">{}</p>", esc(note)).ok();
        }
        writeln!(
            s,
            "<p class=\"source\">{}</p>",
            esc(&source_note(t.view, r.warehouse_version, lang))
        )
        .ok();
    }
    writeln!(s, "<h2>{}</h2>", lang.pick("图表", "Charts")).ok();
    for (stem, chart) in &r.charts {
        writeln!(
            s,
            "<figure id=\"chart-{stem}\">{}</figure>",
            chart.svg()?.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        )
        .ok();
    }
    writeln!(s, "</body>\n</html>").ok();
    embed_font(&s)
}

/// The page with its font: the bundled font's glyphs for every character on it, as a WOFF2
/// data URI under the family the text and the charts name (`ceping-cjk`).
fn embed_font(page: &str) -> Result<String> {
    use base64::Engine as _;
    let woff2 = crate::chart::web_font(page)?;
    let face = format!(
        "@font-face {{ font-family: \"{}\"; src: url(data:font/woff2;base64,{}) format(\"woff2\"); font-display: block; }}",
        crate::chart::FONT,
        base64::engine::general_purpose::STANDARD.encode(woff2)
    );
    Ok(page.replacen("/*font-face*/", &face, 1))
}
