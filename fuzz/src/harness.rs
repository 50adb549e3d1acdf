//! What each fuzz target runs on its bytes; also included by tests/it/fuzz_corpus.rs,
//! which replays the committed corpus against the `ceping` library on stable. The
//! including module provides `normalize`, `xlsx`, `cells`, `field` and `sheet` as
//! siblings.

use std::io::{Cursor, Write};

use super::{cells, field, normalize, sheet, xlsx};

/// Every normaliser on the bytes as text, and the number parsers on the first 8 bytes as
/// a float: none may panic, whatever the input.
pub fn normalisers(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = normalize::text(&s);
    let _ = normalize::header_key(&s);
    let _ = normalize::level(&s);
    let _ = normalize::date_text(&s);
    for shift in [0, 4] {
        let _ = normalize::money_text(&s, shift);
    }
    let _ = normalize::count_text(&s);
    let _ = normalize::name_key(&s);
    let _ = normalize::filing_number(&s);
    let _ = normalize::yes_no(&s);
    let _ = normalize::money_unit(Some(&s));
    if let Some(bytes) = data.get(..8) {
        let v = f64::from_le_bytes(bytes.try_into().expect("eight bytes"));
        let _ = normalize::date_number(v, false);
        let _ = normalize::date_number(v, true);
        let _ = normalize::count_number(v);
        let _ = normalize::number_text(v);
    }
}

/// The .xlsx merged-region scanner: the bytes as a sheet part inside a package, and as a
/// whole package (its relationships, workbook and sheets).
pub fn xlsx_merges(data: &[u8]) {
    let mut buf = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut buf));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        if zip.start_file("xl/worksheets/sheet1.xml", options).is_ok() {
            let _ = zip.write_all(data);
        }
        let _ = zip.finish();
    }
    if let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(&buf)) {
        let _ = xlsx::merges::merges(&mut zip, "xl/worksheets/sheet1.xml", 10_000);
    }
    if let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(data)) {
        if let Some(parts) = xlsx::package::sheet_parts(&mut zip) {
            for (_, part) in parts.iter().take(16) {
                let _ = xlsx::merges::merges(&mut zip, part, 10_000);
            }
        }
    }
    let _ = xlsx::merges::dimension(&String::from_utf8_lossy(data));
}

/// A cell or range reference calamine 0.38 would overflow on (it panics on a column of more
/// than 6 letters, a row of more than 9 digits, or a dimension whose end lies before its
/// start; each found by this target): the input is then read by ceping's reader alone
/// (which refuses the first two and ignores the dimension).
fn overflows_calamine(data: &[u8]) -> bool {
    memchr::memchr_iter(b'=', data).any(|at| {
        // the attribute's name, with any whitespace before the `=` (calamine allows it)
        let before = data[..at].iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
        let end = at - before;
        let name_len = data[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = &data[end - name_len..end];
        if name != b"r" && name != b"ref" {
            return false;
        }
        let after = data[at + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let quoted = &data[at + 1 + after..];
        let value = quoted.strip_prefix(b"\"").or_else(|| quoted.strip_prefix(b"'"));
        value.is_some_and(|v| {
            // every part of a `ref="A1:B2[:…]"`: calamine converts each before it counts
            // them, overflowing on a long one; and a range whose end lies before its
            // start (calamine's get_dimension subtracts unchecked)
            let mut parts = Vec::new();
            let mut rest = v;
            loop {
                let (at, letters, digits) = cell_ref(rest);
                if letters > 6 || digits > 9 {
                    return true;
                }
                parts.push(at);
                rest = &rest[letters + digits..];
                match rest.strip_prefix(b":") {
                    Some(more) => rest = more,
                    None => break,
                }
            }
            matches!(parts.as_slice(), [first, last] if last.0 < first.0 || last.1 < first.1)
        })
    })
}

/// The (row, column) a reference at the start of `v` names, with its count of letters and
/// of digits (each saturating, for the overflow test above).
fn cell_ref(v: &[u8]) -> ((u64, u64), usize, usize) {
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = v[letters..].iter().take_while(|b| b.is_ascii_digit()).count();
    let column = v[..letters.min(7)].iter().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase().wrapping_sub(b'A')) + 1
    });
    let row = v[letters..letters + digits.min(10)]
        .iter()
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    ((row, column), letters, digits)
}

/// A cell as both readers give it, for comparing.
#[derive(Debug, PartialEq)]
enum Seen {
    Text(String),
    Number(u64),
    Date(u64),
    Bool(bool),
    Error(String),
}

/// ceping's .xlsx reader against calamine's on the bytes as a sheet part (in a package
/// with a shared-strings table, a date format and a custom format): no panic whatever the
/// bytes, and whenever both read the sheet, the same non-blank cells at the same places.
/// (calamine refuses error values it does not know, `#SPILL!`; ceping reads them, so only
/// sheets both read are compared.)
pub fn xlsx_reader(data: &[u8]) {
    let mut buf = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut buf));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let package_rels = format!(
            r#"<Relationships><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        let workbook_rels = format!(
            r#"<Relationships><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
        );
        let parts: [(&str, &[u8]); 5] = [
            ("_rels/.rels", package_rels.as_bytes()),
            ("xl/workbook.xml", br#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
            ("xl/sharedStrings.xml", br#"<sst><si><t>a</t></si><si><r><t>b</t></r><r><t xml:space="preserve"> c </t></r></si><si><t>d</t><rPh><t>e</t></rPh></si><si/><si><t>  </t></si></sst>"#),
            ("xl/styles.xml", br#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy&quot;y&quot;"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="46"/></cellXfs></styleSheet>"#),
        ];
        for (name, bytes) in parts {
            if zip.start_file(name, o).is_ok() {
                let _ = zip.write_all(bytes);
            }
        }
        if zip.start_file("xl/worksheets/sheet1.xml", o).is_ok() {
            let _ = zip.write_all(data);
        }
        let _ = zip.finish();
    }
    // Inputs of odd length are read with a bound of 4 characters (104 bytes of raw
    // text), so the paths past the bound (blank text dropped, long text refused) are
    // explored too; blank either way, the cells compare the same.
    let limits = xlsx::ReadLimits {
        cell_chars: if data.len() % 2 == 1 { 4 } else { 32_767 },
        merged_regions: 10_000,
        shared_strings_bytes: 1 << 20,
    };
    let ours = zip::ZipArchive::new(Cursor::new(buf.clone()))
        .map_err(|_| ())
        .and_then(|z| xlsx::Package::open(z, limits).map_err(|_| ()))
        .and_then(|mut p| {
            let mut cells = Vec::new();
            p.cells(0, |r, c, v| {
                let seen = match v {
                    xlsx::Value::Text(t) if cells::is_blank(t) => return true,
                    xlsx::Value::Text(t) => Seen::Text(t.to_string()),
                    xlsx::Value::Number(n) => Seen::Number(n.to_bits()),
                    xlsx::Value::Date(n) => Seen::Date(n.to_bits()),
                    xlsx::Value::Bool(b) => Seen::Bool(b),
                    xlsx::Value::Error(e) => Seen::Error(e.to_string()),
                };
                cells.push((r, c, seen));
                cells.len() < 100_000
            })
            .map_err(|_| ())?;
            let _ = p.merges(0);
            Ok(cells)
        });
    let theirs = (|| -> Option<Vec<(u32, u32, Seen)>> {
        use calamine::{DataRef, Reader};
        if overflows_calamine(data) {
            return None;
        }
        let mut wb = calamine::Xlsx::new(Cursor::new(buf.as_slice())).ok()?;
        let mut reader = wb.worksheet_cells_reader("S").ok()?;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().ok()? {
            let (r, c) = cell.get_position();
            let seen = match cell.get_value() {
                DataRef::Empty => continue,
                DataRef::SharedString(t) if cells::is_blank(t) => continue,
                DataRef::String(t) | DataRef::DateTimeIso(t) | DataRef::DurationIso(t) if cells::is_blank(t) => {
                    continue
                }
                DataRef::SharedString(t) => Seen::Text(t.to_string()),
                DataRef::String(t) | DataRef::DateTimeIso(t) | DataRef::DurationIso(t) => Seen::Text(t.clone()),
                DataRef::Float(f) => Seen::Number(f.to_bits()),
                DataRef::Int(i) => Seen::Number((*i as f64).to_bits()),
                DataRef::DateTime(d) => Seen::Date(d.as_f64().to_bits()),
                DataRef::Bool(b) => Seen::Bool(*b),
                DataRef::Error(e) => Seen::Error(e.to_string()),
            };
            cells.push((r, c, seen));
            if cells.len() >= 100_000 {
                break;
            }
        }
        Some(cells)
    })();
    if let (Ok(ours), Some(theirs)) = (ours, theirs) {
        assert_eq!(ours, theirs, "the readers disagree");
    }
}

/// The fields the walker fuzz target reads with: a plan-like kind with a required column,
/// a filled-down department and one filled only without merge information.
pub static WALKER_FIELDS: &[field::Field] = &[
    field::Field::new("department", &["主管部门", "部门"]).fill_down(field::FillDown::Always),
    field::Field::new("unit", &["预算单位", "单位名称"]).fill_down(field::FillDown::WithoutMergeInfo),
    field::Field::new("system", &["系统名称", "信息系统名称"]).required(),
    field::Field::new("filing_number", &["备案编号"]),
    field::Field::new("level", &["安全保护等级", "等级"]),
    field::Field::new("fee", &["测评费用", "金额"]),
];

/// The sheet walker on the bytes read as a sheet written in text, one line a row:
/// cells separated by `|`; a line `#merge r0 c0 r1 c1` adds a merged region (0-based);
/// `#skip N` leaves N rows empty; a line `#nomerge` reads the sheet as a format without
/// merge information. A cell is a number when it parses as one, an error value when it
/// starts with `#` and ends with `!`, a date as `@YYYY-MM-DD`, otherwise text.
///
/// Checked besides "no panic": every row after the header band is either handed on as
/// data or counted as skipped (nothing dropped silently), data rows come in sheet order
/// with one cell slot per field, and fill bits name only fields the band maps. Returns
/// the number of data rows.
pub fn walker(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let mut rows = Vec::new();
    let mut merges = Vec::new();
    let mut merge_info = true;
    let mut index: u32 = 0;
    for line in text.lines().take(4_000) {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("#merge ") {
            let n: Vec<u32> = rest.split_whitespace().filter_map(|v| v.parse().ok()).collect();
            if let [r0, c0, r1, c1] = n[..] {
                if merges.len() < 4_000 {
                    merges.push(cells::MergedRegion {
                        start: (r0.min(100_000), c0.min(200)),
                        end: (r1.min(100_000), c1.min(200)),
                    });
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("#skip ") {
            index = index.saturating_add(rest.trim().parse::<u32>().unwrap_or(0).min(1_000_000));
            continue;
        }
        if line == "#nomerge" {
            merge_info = false;
            continue;
        }
        let cells: Vec<(u32, cells::Cell)> = line
            .split('|')
            .enumerate()
            .take(200)
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (c as u32, cell(v)))
            .collect();
        if !cells.is_empty() {
            rows.push(cells::Row::new(index, cells));
        }
        index = index.saturating_add(1);
    }
    let merges = merge_info.then_some(merges);
    let head = &rows[..rows.len().min(sheet::HEADER_SCAN_ROWS + 2)];
    let Some((at, band)) = sheet::find_header(WALKER_FIELDS, head, merges.as_deref()) else {
        return 0;
    };
    assert!(band.score() >= 2, "a band names at least two fields");
    assert_eq!(band.by_field.len(), WALKER_FIELDS.len());
    let last_header = *band.rows.last().expect("a band has a row");
    let band_rows = band.rows.len();
    let mut walker = sheet::Walker::new(WALKER_FIELDS, band, merges);
    let mut previous = last_header + 1;
    let mut handed_on = 0u64;
    let after = &rows[(at + band_rows).min(rows.len())..];
    for row in after.iter().cloned() {
        let expected = row.index + 1;
        if let Some(d) = walker.push(row) {
            assert_eq!(d.number, expected, "a data row keeps its sheet row number");
            assert!(d.number > previous, "data rows in sheet order");
            previous = d.number;
            assert_eq!(d.cells.len(), WALKER_FIELDS.len());
            for (fi, c) in d.cells.iter().enumerate() {
                let mapped = walker.band.by_field[fi].is_some();
                assert!(mapped || c.is_none(), "an unmapped field has no cell");
                assert!(mapped || d.filled & (1 << fi) == 0, "an unmapped field is never filled");
            }
            let _ = walker.raw(&d.cells, d.filled, &d.rest);
            handed_on += 1;
        }
    }
    let skipped: u64 = walker.skipped.values().sum();
    assert_eq!(
        handed_on + skipped,
        after.len() as u64,
        "every row is data or counted as skipped"
    );
    for r in head {
        let _ = sheet::find_year(&r.cells.iter().map(|(_, c)| c.display()).collect::<String>());
        for (_, c) in &r.cells {
            let t = c.display();
            let _ = sheet::find_money_unit(&t);
            let _ = sheet::find_department_line(&t);
            let _ = sheet::department_from_sheet_name(&t);
        }
    }
    handed_on
}

fn cell(v: &str) -> cells::Cell {
    if let Ok(n) = v.trim().parse::<f64>() {
        return cells::Cell::Number(n);
    }
    if v.starts_with('#') && v.ends_with('!') {
        return cells::Cell::Error(v.to_string());
    }
    if let Some(d) = v
        .strip_prefix('@')
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        return cells::Cell::Date(d);
    }
    match v {
        "TRUE" => cells::Cell::Bool(true),
        "FALSE" => cells::Cell::Bool(false),
        _ => cells::Cell::Text(v.to_string()),
    }
}
