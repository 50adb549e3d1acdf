//! ceping's .xlsx reader against calamine's, cell by cell: every committed workbook
//! (sample data and fixtures), the hostile shapes, hand-made packages with every cell
//! form SpreadsheetML has (dates in both systems, errors, inline and shared strings, rich
//! text, phonetic runs, escapes, cells without `r`, styled empty cells) and seeded
//! random sheets mixing them. Both readers must give the same sheets, the same merged
//! regions and the same rows — or both refuse the file.

use std::io::Write;
use std::path::Path;

use ceping::ingest::cells::{Cell, Row};
use ceping::ingest::workbook::Workbook;
use ceping::settings::Limits;

/// What a reader makes of a file: per sheet, its name, merged regions and rows.
type Read = Vec<(String, Option<Vec<(u32, u32, u32, u32)>>, Vec<Row>)>;

fn read(mut wb: Workbook) -> Result<Read, String> {
    let mut out = Vec::new();
    for sheet in wb.sheet_names() {
        let merges = wb.merges(&sheet).map_err(|e| e.to_string())?.map(|m| {
            m.iter()
                .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
                .collect::<Vec<_>>()
        });
        let mut rows = Vec::new();
        wb.for_each_row(&sheet, |r| {
            rows.push(same_error_form(r));
            true
        })
        .map_err(|e| e.to_string())?;
        out.push((sheet, merges, rows));
    }
    Ok(out)
}

/// An error value read as text (calamine reads a value it does not know, `#SPILL!`, as
/// text; ceping's reader keeps every `t="e"` an error): one form for the comparison.
fn same_error_form(mut r: Row) -> Row {
    for (_, c) in &mut r.cells {
        if let Cell::Error(e) = c {
            *c = Cell::Text(e.clone());
        }
    }
    r
}

fn both(path: &Path, limits: &Limits) -> (Result<Read, String>, Result<Read, String>) {
    let ours = Workbook::open(path, limits).map_err(|e| e.to_string()).and_then(|wb| {
        let is_1904 = wb.is_1904;
        read(wb).map(|r| (is_1904, r))
    });
    let theirs = Workbook::open_with_calamine(path, limits)
        .map_err(|e| e.to_string())
        .and_then(|wb| {
            let is_1904 = wb.is_1904;
            read(wb).map(|r| (is_1904, r))
        });
    if let (Ok((a, _)), Ok((b, _))) = (&ours, &theirs) {
        assert_eq!(a, b, "{}: the date system", path.display());
    }
    (ours.map(|(_, r)| r), theirs.map(|(_, r)| r))
}

/// Both readers agree on `path`; returns the cells read (0 when both refused it).
fn agree(path: &Path, limits: &Limits) -> usize {
    match both(path, limits) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours.len(), theirs.len(), "{}: sheets", path.display());
            for ((n1, m1, r1), (n2, m2, r2)) in ours.iter().zip(&theirs) {
                assert_eq!(n1, n2, "{}: sheet names", path.display());
                assert_eq!(m1, m2, "{} / {n1}: merged regions", path.display());
                if r1.len() != r2.len() {
                    let a: Vec<_> = r1.iter().map(|r| (r.index, r.cells.len())).collect();
                    let b: Vec<_> = r2.iter().map(|r| (r.index, r.cells.len())).collect();
                    panic!("{} / {n1}: rows\n ceping   {a:?}\n calamine {b:?}", path.display());
                }
                for (a, b) in r1.iter().zip(r2) {
                    assert_eq!(a, b, "{} / {n1}: row {}", path.display(), a.index + 1);
                }
            }
            ours.iter()
                .map(|(_, _, r)| r.iter().map(|r| r.cells.len()).sum::<usize>())
                .sum()
        }
        (Err(_), Err(_)) => 0,
        (ours, theirs) => panic!(
            "{}: the readers disagree on whether the file reads:\n ceping: {:?}\n calamine: {:?}",
            path.display(),
            ours.map(|r| r.len()),
            theirs.map(|r| r.len())
        ),
    }
}

#[test]
fn every_committed_workbook_reads_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    let mut cells = 0;
    for dir in ["data", "tests/fixtures"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "xlsx") {
                cells += agree(&path, &Limits::default());
                files += 1;
            }
        }
    }
    assert!(files >= 12, "{files} .xlsx files");
    assert!(cells > 5_000, "{cells} cells compared");
}

/// A package written by hand: `sheets` are (name, sheet XML body inside `<worksheet>`);
/// `strings` the shared strings' `<si>` items; `xfs` the number format id of each cell
/// format; `custom` the custom number formats.
struct Package<'a> {
    sheets: Vec<(&'a str, String)>,
    strings: Vec<String>,
    xfs: Vec<u32>,
    custom: Vec<(u32, &'a str)>,
    date1904: bool,
}

impl Package<'_> {
    fn write(&self, path: &Path) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let o = zip::write::SimpleFileOptions::default();
        let mut put = |name: &str, text: String| {
            zip.start_file(name, o).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        };
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        put(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>"#.into(),
        );
        put(
            "_rels/.rels",
            format!(
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        let sheets: String = self
            .sheets
            .iter()
            .enumerate()
            .map(|(i, (n, _))| format!(r#"<sheet name="{n}" sheetId="{}" r:id="rId{}"/>"#, i + 1, i + 1))
            .collect();
        let pr = if self.date1904 {
            r#"<workbookPr date1904="1"/>"#
        } else {
            "<workbookPr/>"
        };
        put(
            "xl/workbook.xml",
            format!(r#"<workbook {ns}>{pr}<sheets>{sheets}</sheets></workbook>"#),
        );
        let rels: String = (0..self.sheets.len())
            .map(|i| {
                format!(
                    r#"<Relationship Id="rId{}" Type="{rel}/worksheet" Target="worksheets/sheet{}.xml"/>"#,
                    i + 1,
                    i + 1
                )
            })
            .collect();
        put(
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        let custom: String = self
            .custom
            .iter()
            .map(|(id, code)| format!(r#"<numFmt numFmtId="{id}" formatCode="{code}"/>"#))
            .collect();
        let xfs: String = self
            .xfs
            .iter()
            .map(|id| format!(r#"<xf numFmtId="{id}" fontId="0"/>"#))
            .collect();
        put(
            "xl/styles.xml",
            format!(
                r#"<styleSheet {ns}><numFmts count="{}">{custom}</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="{}">{xfs}</cellXfs></styleSheet>"#,
                self.custom.len(),
                self.xfs.len()
            ),
        );
        if !self.strings.is_empty() {
            let si: String = self.strings.iter().map(|s| format!("<si>{s}</si>")).collect();
            put(
                "xl/sharedStrings.xml",
                format!(
                    r#"<sst {ns} count="{0}" uniqueCount="{0}">{si}</sst>"#,
                    self.strings.len()
                ),
            );
        }
        for (i, (_, body)) in self.sheets.iter().enumerate() {
            put(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(r#"<?xml version="1.0"?><worksheet {ns}>{body}</worksheet>"#),
            );
        }
        zip.finish().unwrap();
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Every cell form, in both date systems.
#[test]
fn every_cell_form_reads_the_same() {
    let strings = vec![
        "<t>计划</t>".to_string(),
        r#"<r><rPr><b/></rPr><t>市</t></r><r><t xml:space="preserve"> 教委 </t></r>"#.into(),
        "<t>  trimmed  </t>".into(),
        r#"<t xml:space="preserve">  kept  </t>"#.into(),
        "<t>东京</t><rPh sb=\"0\" eb=\"2\"><t>トウキョウ</t></rPh>".into(),
        "<t>a&amp;b&lt;c&#x4E2D;&#25991;</t>".into(),
        "<t>line_x000D_break_x005F_x000D_</t>".into(),
        "<t/>".into(),
        "<t>   </t>".into(),
    ];
    let body = r#"<dimension ref="A1:K9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c><c r="H1" t="s"><v>7</v></c><c r="I1" t="s"><v>8</v></c></row>
<row r="2"><c r="A2" s="1"><v>43466</v></c><c r="B2" s="2"><v>43466.5</v></c><c r="C2" s="3"><v>0.75</v></c><c r="D2" s="4"><v>1.5</v></c><c r="E2" s="5"><v>43500</v></c><c r="F2" s="0"><v>43466</v></c><c r="G2" s="9"><v>43466</v></c><c r="H2" s="6"><v>12.5</v></c></row>
<row r="3"><c r="A3" t="e"><v>#DIV/0!</v></c><c r="B3" t="e"><v>#N/A</v></c><c r="C3" t="e"><v>#SPILL!</v></c><c r="D3" t="e"><v>#CALC!</v></c><c r="E3" t="b"><v>1</v></c><c r="F3" t="b"><v>0</v></c><c r="G3" t="d"><v>2019-03-01T00:00:00</v></c></row>
<row r="4"><c r="A4" t="inlineStr"><is><t>内联</t></is></c><c r="B4" t="inlineStr"><is><r><t>富</t></r><r><t xml:space="preserve"> 文本</t></r></is></c><c r="C4" t="str"><f>A1&amp;"x"</f><v>计算_x000A_结果 &amp; more</v></c><c r="D4" t="n"><v>-0.5</v></c><c r="E4"><v>1E3</v></c><c r="F4"><v>not a number</v></c><c r="G4" s="1"/><c r="H4" s="2"></c><c r="I4" t="inlineStr"><is><t>  </t></is></c></row>
<row><c><v>1</v></c><c><v>2</v></c><c r="E5"><v>5</v></c><c><v>6</v></c></row>
<row r="7" spans="1:3"><c r="A7" t="s"><v>5</v></c><c r="C7" t="inlineStr"><v>ignored</v><is><t>is wins</t></is></c></row>
<row r="8"><c r="B8"><f>SUM(1,2)</f></c><c r="C8"><f>SUM(1,2)</f><v>3</v></c><c r="D8" t="str"><v></v></c><c r="E8" t="s"><v></v></c></row>
<row r="9"><c r="XFD9"><v>9</v></c></row>
</sheetData>
<mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="B5:D5"/></mergeCells>
<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>"#;
    for date1904 in [false, true] {
        let dir = tmp();
        let path = dir.path().join("forms.xlsx");
        Package {
            sheets: vec![("计划", body.to_string()), ("空", "<sheetData/>".to_string())],
            strings: strings.clone(),
            xfs: vec![0, 14, 22, 164, 46, 31, 2, 0, 0, 165],
            custom: vec![
                (164, "h:mm AM/PM"),
                (165, "yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"),
            ],
            date1904,
        }
        .write(&path);
        let cells = agree(&path, &Limits::default());
        assert!(cells >= 35, "{cells} cells");
        // And the values themselves, read by ceping's reader.
        let mut wb = Workbook::open(&path, &Limits::default()).unwrap();
        let mut rows = Vec::new();
        wb.for_each_row("计划", |r| {
            rows.push(r);
            true
        })
        .unwrap();
        let get = |r: u32, c: u32| rows.iter().find(|x| x.index == r).and_then(|x| x.get(c)).cloned();
        let day = if date1904 { "2023-01-02" } else { "2019-01-01" };
        assert_eq!(get(1, 0).map(|c| c.display()), Some(day.to_string()));
        assert_eq!(get(0, 1), Some(Cell::Text("市 教委 ".into())));
        assert_eq!(get(0, 2), Some(Cell::Text("trimmed".into())));
        assert_eq!(get(0, 3), Some(Cell::Text("  kept  ".into())));
        assert_eq!(get(0, 4), Some(Cell::Text("东京".into())));
        assert_eq!(get(0, 5), Some(Cell::Text("a&b<c中文".into())));
        assert_eq!(get(0, 6), Some(Cell::Text("line\rbreak_x000D_".into())));
        assert_eq!(get(0, 7), None, "an empty shared string is no cell");
        assert_eq!(get(2, 2), Some(Cell::Error("#SPILL!".into())));
        assert_eq!(get(2, 6), Some(Cell::Text("2019-03-01T00:00:00".into())));
        assert_eq!(get(3, 2), Some(Cell::Text("计算\n结果 & more".into())));
        assert_eq!(get(3, 5), Some(Cell::Text("not a number".into())));
        assert_eq!(get(3, 6), None, "a styled empty cell is no cell");
        assert_eq!(get(4, 1), Some(Cell::Number(2.0)), "a cell without r follows the last");
        assert_eq!(get(4, 5), Some(Cell::Number(6.0)));
        assert_eq!(get(6, 2), Some(Cell::Text("is wins".into())));
        assert_eq!(get(7, 2), Some(Cell::Number(3.0)));
        assert_eq!(get(8, 16_383), Some(Cell::Number(9.0)));
    }
}

/// A tiny seeded generator (no dependency): xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Random sheets mixing every form above: rows skipped, cells with and without `r`,
/// shared, inline and formula strings, numbers under date and non-date formats, errors,
/// booleans, blanks, and merged regions.
#[test]
fn seeded_random_sheets_read_the_same() {
    let words = [
        "市教委",
        "  空格  ",
        "a&amp;b",
        "_x000D_",
        "第三级",
        "２０１９年",
        "",
        "   ",
        "&#x4E2D;",
        "x\ny",
    ];
    let mut cells_compared = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let strings: Vec<String> = (0..20)
            .map(|i| match rng.below(4) {
                0 => format!("<t>{}{i}</t>", rng.pick(&words)),
                1 => format!(r#"<t xml:space="preserve">{}</t>"#, rng.pick(&words)),
                2 => format!("<r><t>{}</t></r><r><t>{i}</t></r>", rng.pick(&words)),
                _ => format!("<t>{}</t><rPh><t>ふりがな</t></rPh>", rng.pick(&words)),
            })
            .collect();
        let mut body = String::from("<sheetData>");
        let mut row = 0u32;
        for _ in 0..rng.below(60) + 1 {
            // A row without `r` is the one after the last (so rows stay in order).
            let with_r = rng.below(5) != 0;
            row += if with_r { 1 + rng.below(3) as u32 } else { 1 };
            body += &if with_r {
                format!(r#"<row r="{row}">"#)
            } else {
                "<row>".to_string()
            };
            let mut col = 0u32;
            for _ in 0..rng.below(12) {
                col += 1 + rng.below(2) as u32;
                let r = if rng.below(6) == 0 {
                    String::new()
                } else {
                    format!(r#" r="{}{row}""#, letters(col - 1))
                };
                let s = format!(r#" s="{}""#, rng.below(7));
                body += &match rng.below(10) {
                    0 => format!(r#"<c{r} t="s"><v>{}</v></c>"#, rng.below(20)),
                    1 => format!(r#"<c{r} t="inlineStr"><is><t>{}</t></is></c>"#, rng.pick(&words)),
                    2 => format!(r#"<c{r}{s}><v>{}</v></c>"#, rng.below(60_000) as f64 / 4.0),
                    3 => format!(
                        r#"<c{r} t="e"><v>{}</v></c>"#,
                        rng.pick(&["#N/A", "#REF!", "#SPILL!", "#VALUE!"])
                    ),
                    4 => format!(r#"<c{r} t="b"><v>{}</v></c>"#, rng.below(2)),
                    5 => format!(r#"<c{r}{s}/>"#),
                    6 => format!(r#"<c{r} t="str"><f>X</f><v>{}</v></c>"#, rng.pick(&words)),
                    7 => format!(r#"<c{r} t="s"><v>{}</v></c>"#, rng.below(20)),
                    8 => format!(r#"<c{r}{s}><v>{}</v></c>"#, rng.below(1_000_000)),
                    _ => format!(r#"<c{r}><f>1+1</f><v>2</v></c>"#),
                };
            }
            body += "</row>";
        }
        body += "</sheetData>";
        let merges: Vec<String> = (0..rng.below(4))
            .map(|_| {
                let (r, c) = (rng.below(40) + 1, rng.below(8));
                format!(
                    r#"<mergeCell ref="{}{r}:{}{}"/>"#,
                    letters(c as u32),
                    letters(c as u32 + 1),
                    r + rng.below(3)
                )
            })
            .collect();
        if !merges.is_empty() {
            body += &format!("<mergeCells>{}</mergeCells>", merges.concat());
        }
        let dir = tmp();
        let path = dir.path().join(format!("random{seed}.xlsx"));
        Package {
            sheets: vec![("随机", body.clone()), ("随机", body)],
            strings,
            xfs: vec![0, 14, 22, 2, 164, 46, 57],
            custom: vec![(164, "yyyy/mm/dd")],
            date1904: seed % 3 == 0,
        }
        .write(&path);
        cells_compared += agree(&path, &Limits::default());
    }
    assert!(cells_compared > 4_000, "{cells_compared} cells");
}

fn letters(col: u32) -> String {
    ceping::ingest::cells::column_letter(col)
}

/// The hostile shapes both readers are given (each refused by both or read alike): a
/// cell past the length limit, error values old and new, whitespace between elements,
/// a broken cell reference, a shared-string index past the table, a truncated sheet.
#[test]
fn hostile_shapes_are_refused_or_read_alike() {
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "long shared string",
            r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#.into(),
            vec![format!("<t>{}</t>", "长".repeat(40_000))],
        ),
        (
            "long inline string",
            format!(
                r#"<sheetData><row r="1"><c r="B1" t="inlineStr"><is><t>{}</t></is></c></row></sheetData>"#,
                "x".repeat(40_000)
            ),
            vec![],
        ),
        (
            "whitespace between rows",
            format!(
                r#"<sheetData>{}<row r="1"><c r="A1"><v>1</v></c></row>{}</sheetData>"#,
                " ".repeat(3 << 20),
                "\n".repeat(3 << 20)
            ),
            vec![],
        ),
        (
            "blank inline string past the bound",
            format!(
                r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c><c r="B1"><v>2</v></c></row></sheetData>"#,
                " ".repeat(3 << 20)
            ),
            vec![],
        ),
        (
            "bad reference",
            r#"<sheetData><row r="1"><c r="1A"><v>1</v></c></row></sheetData>"#.into(),
            vec![],
        ),
        (
            "index past the table",
            r#"<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>"#.into(),
            vec!["<t>a</t>".into()],
        ),
        (
            "truncated",
            r#"<sheetData><row r="1"><c r="A1"><v>1</v></c>"#.into(),
            vec![],
        ),
        (
            "unknown type",
            r#"<sheetData><row r="1"><c r="A1" t="zz"><v>1</v></c></row></sheetData>"#.into(),
            vec![],
        ),
        (
            "bad boolean",
            r#"<sheetData><row r="1"><c r="A1" t="b"><v>2</v></c></row></sheetData>"#.into(),
            vec![],
        ),
    ];
    for (what, body, strings) in cases {
        let dir = tmp();
        let path = dir.path().join("hostile.xlsx");
        Package {
            sheets: vec![("计划", body)],
            strings,
            xfs: vec![0],
            custom: vec![],
            date1904: false,
        }
        .write(&path);
        let (ours, theirs) = both(&path, &Limits::default());
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{what}: {ours:?} / {theirs:?}");
        if let (Ok(a), Ok(b)) = (&ours, &theirs) {
            assert_eq!(a, b, "{what}");
        }
        if what.starts_with("long") {
            let e = ours.unwrap_err();
            assert!(
                e.contains("row 1, column") && e.contains("cell_chars = 32767"),
                "{what}: {e}"
            );
        }
    }
}
