//! Reports: the headline figures in HTML/Markdown, charts, XLSX read back, `--as-of`
//! reproduction, `diff`, and a real headless Chromium rendering the HTML.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::Reader;

use crate::common::{later_findings, s, sample, small};

fn briefing_2018() -> PathBuf {
    // Written by the sample pipeline's report step.
    sample().dir.path().join("out/briefing/2018")
}

#[test]
fn the_briefing_states_the_headline_figures_with_charts() {
    let dir = briefing_2018();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for want in [
        "2018年度公共管理信息系统安全测评工作简报",
        "2018年测评预告：40个主管部门、64个预算单位、132个系统",
        "<b>测评实施 一季度</b>：<span class=\"figure\">10 / 13 / 18</span>",
        "<b>整改完成 一季度</b>：<span class=\"figure\">3 / 3 / 6</span>",
        "来源：视图 execution_by_quarter，仓库版本 10",
        "@media print",
        "2018年新建系统未采用国产密码",
    ] {
        assert!(html.contains(want), "{want:?} in report.html");
    }
    assert_eq!(html.matches("<svg").count(), 7, "seven inline charts");
    // The register's lines (issue 28), against counts of the raw register table: the
    // sample marks 8 systems CII and 2 classified (data/make_sample.py).
    let wh = sample();
    let raw = |sql: &str| wh.scalar(sql);
    let cii = raw("SELECT count(*) FROM systems WHERE cii AND NOT COALESCE(classified, false)");
    let classified = raw("SELECT count(*) FROM systems WHERE classified");
    assert_eq!((cii.as_str(), classified.as_str()), ("8", "2"));
    let line = format!(
        "关键信息基础设施 {cii} 个（《网络安全法》第三十八条，每年至少测评一次），截至2018-12-31逾期 0 个；涉密系统 {classified} 个，按分级保护管理，不纳入本周期"
    );
    assert!(html.contains(&line), "{line} in report.html");
    let existing = "FROM systems WHERE NOT COALESCE(classified, false) AND (went_live_on IS NULL OR went_live_on <= DATE '2018-12-31')";
    let systems = raw(&format!("SELECT count(*) {existing}"));
    let domestic = raw(&format!("SELECT count(*) {existing} AND crypto = 'domestic'"));
    let share = format!(
        "{:.1}%",
        domestic.parse::<f64>().unwrap() * 100.0 / systems.parse::<f64>().unwrap()
    );
    let line = format!("2018年登记系统 {systems} 个，已采用国产密码 {domestic} 个（{share}）");
    assert!(html.contains(&line), "{line} in report.html");
    assert!(!html.contains("src=\"http"), "self-contained");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("| 2018 | 1 | 10 | 13 | 18 | 0 | 18 | 132 | 18 | 13.6% |"),
        "{md}"
    );
    for chart in [
        "plan_coverage",
        "execution_by_quarter",
        "rectification_progress",
        "spending",
        "cycle_status",
        "crypto_migration",
        "department_scorecard",
    ] {
        let png = std::fs::read(dir.join("charts").join(format!("{chart}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{chart}.png");
        let svg = std::fs::read_to_string(dir.join("charts").join(format!("{chart}.svg"))).unwrap();
        assert!(
            svg.contains("<text") && svg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{chart}.svg has Chinese text"
        );
    }
}

#[test]
fn report_xlsx_numbers_equal_the_views() {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(briefing_2018().join("report.xlsx")).unwrap();
    let names = book.sheet_names();
    assert!(
        names.contains(&"测评实施（按季度）".to_string()) && names.contains(&"测评计划预告".to_string()),
        "{names:?}"
    );
    let range = book.worksheet_range("测评实施（按季度）").unwrap();
    let header: Vec<String> = (0..5).map(|c| range.get_value((0, c)).unwrap().to_string()).collect();
    assert_eq!(header, ["年度", "季度", "主管部门数", "预算单位数", "系统数"]);
    let q1: Vec<f64> = (0..5)
        .map(|c| match range.get_value((1, c)).unwrap() {
            calamine::Data::Float(f) => *f,
            calamine::Data::Int(i) => *i as f64,
            other => panic!("a number, not {other:?}"),
        })
        .collect();
    assert_eq!(q1, [2018.0, 1.0, 10.0, 13.0, 18.0], "numbers stay numbers");
    let total: f64 = (1..=4)
        .map(|r| match range.get_value((r, 4)).unwrap() {
            calamine::Data::Float(f) => *f,
            _ => 0.0,
        })
        .sum();
    assert_eq!(
        total.to_string(),
        sample().scalar("SELECT sum(systems) FROM execution_by_quarter WHERE year = 2018")
    );
    let spend = book.worksheet_range("经费（按主管部门）").unwrap();
    let spent: f64 = (1..spend.height() as u32)
        .filter_map(|r| match spend.get_value((r, 3)) {
            Some(calamine::Data::Float(f)) => Some(*f),
            _ => None,
        })
        .sum();
    let view: f64 = sample()
        .scalar("SELECT CAST(sum(spent) AS DOUBLE) FROM spending WHERE year = 2018")
        .parse()
        .unwrap();
    assert!((spent - view).abs() < 0.005, "yuan totals: {spent} vs {view}");
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let rel = e.strip_prefix(dir).unwrap().display().to_string();
        let bytes = std::fs::read(&e).unwrap();
        // The one line allowed to differ: when the report was generated.
        let bytes = if rel.ends_with(".html") || rel.ends_with(".md") {
            s(&bytes)
                .lines()
                .filter(|l| !l.contains("generated: "))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        } else {
            bytes
        };
        out.push((rel, bytes));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn as_of_reproduces_a_report_byte_for_byte_after_later_ingests() {
    let wh = small();
    let version = wh.scalar("SELECT max(warehouse_version) FROM ingest_log");
    let first = wh.file("first");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "2",
        "--out",
        first.to_str().unwrap(),
    ]);
    later_findings(&wh);
    let now = wh.file("now");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "2",
        "--out",
        now.to_str().unwrap(),
    ]);
    let again = wh.file("again");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "2",
        "--as-of",
        &version,
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(files(&first), files(&again), "the old report, reproduced");
    assert_ne!(files(&first), files(&now), "the later ingest changed the report");
    assert_eq!(files(&first).len(), 15);
}

#[test]
fn diff_names_the_moved_figures_and_the_source_rows_behind_them() {
    let wh = small();
    let version = wh.scalar("SELECT max(warehouse_version) FROM ingest_log");
    later_findings(&wh);
    let out = wh.run(&["diff", "--from", &version, "rectification_progress"]);
    assert!(
        out.contains("changed  year=2019 quarter=2 quarter_end=2019-06-30: departments 1 → 2, units 1 → 2, systems 2 → 3, findings_fixed 3 → 4, findings_overdue 1 → 0\n"),
        "{out}"
    );
    assert!(out.contains("- 整改情况.xlsx, sheet 整改, row 5:"), "{out}");
    assert!(out.contains("+ 整改情况_更新.xlsx, sheet 整改, row 2:"), "{out}");
    let none = wh.run(&["diff", "--from", &version, "--to", &version, "plan_coverage"]);
    assert!(
        none.contains("no figure moved") && none.contains("0 only before, 0 only after"),
        "{none}"
    );
}

#[test]
fn english_labels_on_request() {
    let wh = small();
    let out = wh.file("en");
    wh.run(&[
        "report",
        "briefing",
        "--year",
        "2019",
        "--lang",
        "en",
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# 2019 security assessment briefing"), "{md}");
    assert!(
        md.contains("2019 preview: 2 departments, 3 budget units, 4 systems"),
        "{md}"
    );
    let (_, err) = wh.fail(&["report", "quarterly", "--year", "2019", "--out", out.to_str().unwrap()]);
    assert!(err.contains("--quarter"), "{err}");
}

/// A real browser: Debian's chromium, headless, loads report.html from disk.
#[test]
fn chromium_renders_the_report_with_its_figures_and_charts() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/setup installs it)"
        );
        eprintln!("skipped: chromium is not installed (bash .ci/setup installs it)");
        return;
    };
    let dir = briefing_2018();
    let url = format!("file://{}", dir.join("report.html").display());
    let profile = tempfile::tempdir().unwrap();
    let flags = |extra: &[&str]| {
        let mut c = Command::new(chromium);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url);
        c
    };
    let dom = flags(&["--dump-dom"]).output().unwrap();
    let dom = s(&dom.stdout);
    assert!(
        dom.contains("2018年测评预告：40个主管部门、64个预算单位、132个系统"),
        "headline in the DOM"
    );
    assert!(dom.contains("10 / 13 / 18") && dom.contains("3 / 3 / 6"));
    // plan coverage, execution, rectification, spending, cycle status, domestic
    // cryptography, the departments furthest behind
    assert_eq!(dom.matches("<svg").count(), 7, "charts in the DOM");
    let shot = profile.path().join("report.png");
    let out = flags(&["--window-size=1200,2400", &format!("--screenshot={}", shot.display())])
        .output()
        .unwrap();
    assert!(shot.exists(), "screenshot written: {}", s(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.len() > 50_000 && &png[1..4] == b"PNG",
        "a real page was drawn ({} bytes)",
        png.len()
    );
    std::fs::copy(&shot, sample().dir.path().join("out/report-screenshot.png")).unwrap();
}

/// A Chinese report speaks Chinese: letter kinds, cycle statuses, rates as percentages,
/// money in 万元; the English one keeps the codes.
#[test]
fn a_zh_report_writes_chinese_words_percentages_and_wan_yuan() {
    let wh = sample();
    let dir = tempfile::tempdir().unwrap();
    let zh = dir.path().join("zh");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "3",
        "--out",
        zh.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(zh.join("report.md")).unwrap();
    let section = |title: &str| -> String {
        let start = md.find(title).unwrap_or_else(|| panic!("{title} in {md}"));
        md[start..].split("\n## ").next().unwrap().to_string()
    };
    let letters = section("## 应发函件");
    assert!(
        letters.contains("| 主管部门 | 预算单位 | 滞后系统 | 最早应测 | 滞后天数 | 函件 |"),
        "{letters}"
    );
    assert!(letters.contains("督促函") || letters.contains("便函"), "{letters}");
    for code in ["urge", "notice"] {
        assert!(!letters.contains(code), "{letters}");
    }
    let cycle = section("## 测评周期状态");
    assert!(cycle.contains("| 状态 | 系统数 |"), "{cycle}");
    for code in ["on_time", "due_soon", "overdue"] {
        assert!(!cycle.contains(code), "{cycle}");
    }
    assert!(
        cycle.contains("| 按期 |") || cycle.contains("| 逾期 |") || cycle.contains("| 即将到期 |"),
        "{cycle}"
    );
    // Exact snapshots of the two sections (`UPDATE_SNAPSHOTS=1` rewrites them).
    for (name, text) in [("zh_letters", &letters), ("zh_cycle", &cycle)] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}.md"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, text).unwrap();
        }
        assert_eq!(
            *text,
            std::fs::read_to_string(&path).unwrap_or_default(),
            "section differs from {}",
            path.display()
        );
    }
    let execution = section("## 测评实施");
    assert!(execution.contains('%'), "rates as percentages: {execution}");
    let spending = section("## 经费");
    assert!(spending.contains("（万元）"), "{spending}");
    // English keeps the codes.
    let en = wh.file("en");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "3",
        "--lang",
        "en",
        "--out",
        en.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(en.join("report.md")).unwrap();
    assert!(md.contains("| urge |") || md.contains("| notice |"), "{md}");
}

/// A briefing stays a briefing: long lists show their top 20 rows and say how many more
/// there are; the XLSX sheet keeps every row.
#[test]
fn long_lists_show_the_top_rows_and_the_xlsx_keeps_them_all() {
    let dir = briefing_2018();
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let start = md.find("## 经费（按主管部门）").unwrap();
    let section = md[start..].split("\n## ").next().unwrap();
    let rows = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| 主管部门"))
        .count();
    assert_eq!(rows, 20, "{section}");
    assert!(
        section.contains("……另有 20 行未列出，完整列表见 report.xlsx 工作表“经费（按主管部门）”。"),
        "{section}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<p class=\"more\">……另有 20 行未列出"),
        "the HTML says so too"
    );
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(dir.join("report.xlsx")).unwrap();
    let sheet = wb
        .sheet_names()
        .into_iter()
        .find(|n| n.starts_with("经费"))
        .expect("a spending sheet");
    let range = wb.worksheet_range(&sheet).unwrap();
    assert_eq!(range.height(), 41, "header and all 40 departments");
}

/// The sfnt inside a WOFF2 whose tables use the null transform (what `report.html`
/// embeds), decoded here independently of the writer: header, table directory, one Brotli
/// stream.
fn sfnt_of_woff2(w: &[u8]) -> Vec<u8> {
    let u16_at = |at: usize| u16::from_be_bytes([w[at], w[at + 1]]);
    let u32_at = |at: usize| u32::from_be_bytes([w[at], w[at + 1], w[at + 2], w[at + 3]]);
    assert_eq!(&w[..4], b"wOF2");
    let (count, compressed) = (u16_at(12) as usize, u32_at(20) as usize);
    const KNOWN: [&[u8; 4]; 13] = [
        b"cmap", b"head", b"hhea", b"hmtx", b"maxp", b"name", b"OS/2", b"post", b"cvt ", b"fpgm", b"glyf", b"loca",
        b"prep",
    ];
    let mut at = 48;
    let mut dir: Vec<([u8; 4], usize)> = Vec::new();
    for _ in 0..count {
        let flags = w[at];
        at += 1;
        let tag: [u8; 4] = if flags & 63 == 63 {
            at += 4;
            w[at - 4..at].try_into().unwrap()
        } else if (flags & 63) == 17 {
            *b"gasp"
        } else {
            *KNOWN[(flags & 63) as usize]
        };
        let mut len = 0usize;
        loop {
            let b = w[at];
            at += 1;
            len = (len << 7) | (b & 0x7F) as usize;
            if b & 0x80 == 0 {
                break;
            }
        }
        let transformed = if &tag == b"glyf" || &tag == b"loca" {
            flags >> 6 != 3
        } else {
            flags >> 6 != 0
        };
        assert!(
            !transformed,
            "{} uses the null transform",
            String::from_utf8_lossy(&tag)
        );
        dir.push((tag, len));
    }
    let mut stream = Vec::new();
    brotli::BrotliDecompress(&mut &w[at..at + compressed], &mut stream).unwrap();
    let mut out = vec![0, 1, 0, 0];
    out.extend_from_slice(&(count as u16).to_be_bytes());
    out.extend_from_slice(&[0; 6]);
    let mut offset = 12 + 16 * count;
    let mut pos = 0;
    let mut data = Vec::new();
    for (tag, len) in &dir {
        out.extend_from_slice(tag);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(*len as u32).to_be_bytes());
        data.extend_from_slice(&stream[pos..pos + len]);
        data.resize(data.len().next_multiple_of(4), 0);
        offset = 12 + 16 * count + data.len();
        pos += len;
    }
    assert_eq!(pos, stream.len(), "the tables fill the stream");
    out.extend_from_slice(&data);
    out
}

fn embedded_font(html: &str) -> Vec<u8> {
    use base64::Engine as _;
    let start = html
        .find("src: url(data:font/woff2;base64,")
        .expect("an embedded WOFF2")
        + "src: url(data:font/woff2;base64,".len();
    let end = start + html[start..].find(')').unwrap();
    sfnt_of_woff2(
        &base64::engine::general_purpose::STANDARD
            .decode(&html[start..end])
            .unwrap(),
    )
}

/// Every character the report shows is in the font it embeds, with an outline, and the
/// report's text and charts name that font first.
#[test]
fn the_report_embeds_a_font_with_every_character_it_uses() {
    let html = std::fs::read_to_string(briefing_2018().join("report.html")).unwrap();
    assert!(html.contains("@font-face { font-family: \"ceping-cjk\";"));
    assert!(html.contains("body { font-family: \"ceping-cjk\","));
    assert!(html.contains("svg text { font-family: \"ceping-cjk\","));
    let font = embedded_font(&html);
    assert!(
        font.len() < 400_000,
        "a subset, not the whole font ({} bytes)",
        font.len()
    );
    let face = ttf_parser::Face::parse(&font, 0).expect("the embedded font parses");
    let shown: std::collections::BTreeSet<char> = html
        .split("<body>")
        .nth(1)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    assert!(shown.len() > 300, "{} characters", shown.len());
    let missing: String = shown.iter().filter(|c| face.glyph_index(**c).is_none()).collect();
    assert_eq!(missing, "", "characters of the report missing from its font");
    for c in ['测', '评', '逾', '（', '：', '%', '7'] {
        let g = face.glyph_index(c).unwrap();
        assert!(face.glyph_bounding_box(g).is_some(), "{c} has an outline");
    }
    assert!(face.glyph_index('鼎').is_none(), "only the characters the report uses");
}

/// Opened where no CJK font is installed (fontconfig given only DejaVu/Liberation, as on a
/// fresh Debian), the report draws no box: Chromium renders every character of the page in
/// a canvas with the page's fonts, and none of them may be drawn like a character the page
/// does not use (the "tofu" box). The same page with its @font-face taken out draws boxes,
/// so the check can fail.
#[test]
fn chromium_without_cjk_fonts_draws_no_box() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/setup installs it)"
        );
        eprintln!("skipped: chromium is not installed (bash .ci/setup installs it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<&str> = [
        "/usr/share/fonts/truetype/dejavu",
        "/usr/share/fonts/truetype/liberation",
    ]
    .into_iter()
    .filter(|d| Path::new(d).is_dir())
    .collect();
    let conf = tmp.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>{}<cachedir>{}</cachedir></fontconfig>\n",
            dirs.iter().map(|d| format!("<dir>{d}</dir>")).collect::<String>(),
            tmp.path().join("cache").display()
        ),
    )
    .unwrap();
    if let Ok(o) = Command::new("fc-list")
        .arg(":lang=zh")
        .env("FONTCONFIG_FILE", &conf)
        .output()
    {
        assert_eq!(s(&o.stdout).trim(), "", "no CJK font in the test's fontconfig");
    }
    let html = std::fs::read_to_string(briefing_2018().join("report.html")).unwrap();
    // The probe: every distinct character of the page drawn alone in the body's font,
    // compared with a CJK character the page does not use.
    let probe = r#"<script>
document.fonts.ready.then(async () => {
  const style = getComputedStyle(document.body).fontFamily;
  const text = document.body.innerText;
  await document.fonts.load('40px ' + style, text);
  const chars = [...new Set([...text].filter(c => c.codePointAt(0) > 0x2E80))];
  const draw = c => { const k = document.createElement('canvas'); k.width = 48; k.height = 48;
    const g = k.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 48, 48); g.fillStyle = '#000';
    g.font = '40px ' + style; g.fillText(c, 2, 40); return k.toDataURL(); };
  const box = draw('\u9F0E');
  const boxes = chars.filter(c => draw(c) === box);
  document.body.setAttribute('data-probe', chars.length + ':' + boxes.join(''));
});
</script></body>"#;
    let run = |name: &str, page: &str| -> (usize, String) {
        let path = tmp.path().join(format!("{name}.html"));
        std::fs::write(&path, page.replacen("</body>", probe, 1)).unwrap();
        let out = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--virtual-time-budget=10000",
                "--dump-dom",
            ])
            .arg(format!(
                "--user-data-dir={}",
                tmp.path().join(format!("profile-{name}")).display()
            ))
            .arg(format!("file://{}", path.display()))
            .env("FONTCONFIG_FILE", &conf)
            .output()
            .unwrap();
        let dom = s(&out.stdout);
        let at = dom
            .find("data-probe=\"")
            .unwrap_or_else(|| panic!("the probe ran: {}", s(&out.stderr)))
            + "data-probe=\"".len();
        let value = &dom[at..at + dom[at..].find('"').unwrap()];
        let (n, boxes) = value.split_once(':').unwrap();
        (n.parse().unwrap(), boxes.to_string())
    };
    let (chars, boxes) = run("report", &html);
    assert!(chars > 200, "{chars} CJK characters probed");
    assert_eq!(boxes, "", "characters drawn as boxes");
    let face = html.find("@font-face").unwrap();
    let without = format!(
        "{}{}",
        &html[..face],
        &html[face + html[face..].find('}').unwrap() + 1..]
    );
    let (_, boxes) = run("without", &without);
    assert!(
        boxes.chars().count() == chars,
        "without the embedded font every character is a box ({} of {chars})",
        boxes.chars().count()
    );
}
