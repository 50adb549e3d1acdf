//! Merged regions of an .xlsx sheet without parsing the sheet's XML.
//!
//! `<mergeCells>` comes after `<sheetData>`, so reaching it by parsing would be a second
//! full XML pass, as long as the read itself. Here the sheet is only inflated and searched
//! for the `<mergeCells` tag (memchr), and just the tail from there is parsed, each region
//! counted as it streams: past the limit the count is returned, not the regions.

use std::io::{Read, Seek};

use calamine::Dimensions;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::package::{attr, part_name};
use super::runs::{Runs, MIN_CAP};

/// The merged regions of the sheet stored at `part`, or `Err(count)` as soon as there
/// are more than `limit` of them (counted, not kept); `None` if the part is missing or
/// unreadable.
pub fn merges<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    part: &str,
    limit: usize,
) -> Option<Result<Vec<Dimensions>, usize>> {
    let name = part_name(zip, part)?;
    let file = zip.by_name(&name).ok()?;
    scan(file, limit)
}

/// Reads `r` to the `<mergeCells` tag and parses the regions from there as they stream
/// by. Memory: one read buffer and the regions up to the limit.
fn scan(mut r: impl Read, limit: usize) -> Option<Result<Vec<Dimensions>, usize>> {
    const NEEDLE: &[u8] = b"mergeCells";
    // Bytes kept from the previous block so a tag split across two blocks is still found.
    const KEEP: usize = 64;
    let finder = memchr::memmem::Finder::new(NEEDLE);
    let mut block = vec![0u8; 1 << 18];
    let mut carry = 0usize;
    loop {
        let n = read_full(&mut r, &mut block[carry..]).ok()?;
        let len = carry + n;
        let mut from = 0;
        while let Some(at) = finder.find(&block[from..len]) {
            let at = from + at;
            let ends = block.get(at + NEEDLE.len()).is_none_or(|b| !b.is_ascii_alphanumeric());
            if let Some(open) = tag_start(&block[..at]).filter(|_| ends) {
                let head = std::io::Cursor::new(block[open..len].to_vec());
                return Some(parse_merge_cells(head.chain(r), limit));
            }
            from = at + NEEDLE.len();
        }
        if n == 0 {
            return Some(Ok(Vec::new()));
        }
        let keep = KEEP.min(len);
        block.copy_within(len - keep..len, 0);
        carry = keep;
    }
}

/// Fills `buf` as far as the reader allows; 0 only at the end.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Where the element whose name starts at `before.len()` opens: `<mergeCells` or
/// `<x:mergeCells`. Text cannot hold a raw `<`, so this is markup, never cell content.
fn tag_start(before: &[u8]) -> Option<usize> {
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b"_.-".contains(&b);
    match before.split_last()? {
        (b'<', _) => Some(before.len() - 1),
        (b':', rest) => {
            let prefix = rest.iter().rev().take_while(|b| is_name(**b)).count();
            let open = rest.len().checked_sub(prefix + 1)?;
            (prefix > 0 && rest[open] == b'<').then_some(open)
        }
        _ => None,
    }
}

/// The `ref` of every `<mergeCell>` from the `<mergeCells>` tag on, until its end tag,
/// the end of the part or malformed XML; `Err(count)` past `limit` regions.
fn parse_merge_cells(tail: impl Read, limit: usize) -> Result<Vec<Dimensions>, usize> {
    let mut reader = quick_xml::Reader::from_reader(Runs::new(tail, MIN_CAP, MIN_CAP));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut count = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "mergeCell" => {
                if let Some(d) = attr(&e, "ref").as_deref().and_then(dimension) {
                    count += 1;
                    if count > limit {
                        return Err(count);
                    }
                    out.push(d);
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "mergeCells" => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// `B3:B10` (or a single `B3`) as 0-based (row, column) corners.
pub fn dimension(s: &str) -> Option<Dimensions> {
    let (a, b) = s.split_once(':').unwrap_or((s, s));
    let (start, end) = (cell_ref(a)?, cell_ref(b)?);
    (start <= end).then(|| Dimensions::new(start, end))
}

fn cell_ref(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('$');
    let letters = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = s[..letters]
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
    let row: u32 = s[letters..].trim_start_matches('$').parse().ok()?;
    (row >= 1).then(|| (row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use super::super::runs::tests::Chunked;
    use super::*;

    #[test]
    fn refs_become_zero_based_corners() {
        assert_eq!(dimension("A1:B3"), Some(Dimensions::new((0, 0), (2, 1))));
        assert_eq!(dimension("$AA$10"), Some(Dimensions::new((9, 26), (9, 26))));
        assert_eq!(
            dimension("XFD1048576"),
            Some(Dimensions::new((1_048_575, 16_383), (1_048_575, 16_383)))
        );
        assert_eq!(dimension("B3:A1"), None);
        assert_eq!(dimension("3:4"), None);
    }

    #[test]
    fn the_tag_is_found_across_block_edges_and_never_in_text() {
        let cell_text = "<c t=\"inlineStr\"><is><t>mergeCells &lt;mergeCells</t></is></c>";
        let filler = "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>".repeat(20_000);
        for prefix in ["", "x:"] {
            let sheet = format!(
                "<worksheet><sheetData>{cell_text}{filler}</sheetData><{prefix}mergeCells count=\"2\"><{prefix}mergeCell ref=\"A2:A4\"/><{prefix}mergeCell ref=\"B2:C2\"/></{prefix}mergeCells></worksheet>"
            );
            // Every split point near a block edge: read in odd-sized pieces.
            for step in [1usize << 18, 7_777, 1 << 12] {
                assert_eq!(
                    scan(Chunked(sheet.as_bytes(), step), 10),
                    Some(Ok(vec![
                        Dimensions::new((1, 0), (3, 0)),
                        Dimensions::new((1, 1), (1, 2))
                    ])),
                    "prefix {prefix:?}, step {step}"
                );
                assert_eq!(scan(Chunked(sheet.as_bytes(), step), 1), Some(Err(2)));
            }
        }
        let none = "<worksheet><sheetData><c><is><t>mergeCells</t></is></c></sheetData></worksheet>";
        assert_eq!(scan(none.as_bytes(), 10), Some(Ok(Vec::new())));
    }

    /// The scan agrees with calamine's full parse on every committed .xlsx, and resolves
    /// every sheet without falling back.
    #[test]
    fn agrees_with_calamine_on_every_committed_workbook() {
        use calamine::Reader;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["data", "tests/fixtures"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "xlsx") {
                    continue;
                }
                let Ok(mut wb) = calamine::open_workbook::<calamine::Xlsx<_>, _>(&path) else {
                    continue; // the corrupt and not-a-workbook fixtures
                };
                let mut zip = ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
                let parts =
                    super::super::package::sheet_parts(&mut zip).unwrap_or_else(|| panic!("{}: parts", path.display()));
                assert_eq!(parts.len(), wb.sheet_names().len(), "{}", path.display());
                for (sheet, part) in parts {
                    let ours = merges(&mut zip, &part, usize::MAX)
                        .unwrap_or_else(|| panic!("{}: {part}", path.display()))
                        .unwrap();
                    let theirs = wb.merge_cells_by_sheet_name(&sheet).unwrap();
                    assert_eq!(ours, theirs, "{} / {sheet}", path.display());
                    checked += usize::from(!ours.is_empty());
                }
            }
        }
        assert!(checked >= 3, "only {checked} sheets with merged cells");
    }
}
