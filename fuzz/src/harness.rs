//! What each fuzz target runs on its bytes; also included by tests/it/fuzz_corpus.rs,
//! which replays the committed corpus against the `ceping` library on stable. The
//! including module provides `normalize` and `xlsx_merges` as siblings.

use std::io::{Cursor, Write};

use super::{normalize, xlsx_merges};

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
        let _ = xlsx_merges::merges(&mut zip, "xl/worksheets/sheet1.xml");
    }
    if let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(data)) {
        if let Some(parts) = xlsx_merges::sheet_parts(&mut zip) {
            for (_, part) in parts.iter().take(16) {
                let _ = xlsx_merges::merges(&mut zip, part);
            }
        }
    }
    let _ = xlsx_merges::dimension(&String::from_utf8_lossy(data));
}
