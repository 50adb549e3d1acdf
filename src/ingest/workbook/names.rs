//! Sheets that repeat an earlier sheet's name (Excel refuses that; a crafted file can hold
//! it): the readers find sheets by name, so the .xlsx and .ods packages' sheets are renamed
//! and an .xls file's repeated names are altered in place (the same length, so nothing in
//! the stream moves) and mapped back by position.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{Ods, Reader, Xls, Xlsx};

use super::{Bytes, Inner, Workbook};
use crate::error::{Error, Location, Result};

impl Workbook {
    /// The error for repeated sheet names the reader cannot tell apart.
    fn repeated_names_error(&self, raw: &[String], loc: &Location, why: &str) -> Error {
        let i = self.sheets.iter().zip(raw).position(|(a, b)| a != b).unwrap_or(0);
        let j = raw
            .iter()
            .position(|n| n.trim().to_lowercase() == raw[i].trim().to_lowercase())
            .unwrap_or(0);
        Error::workbook(
            Location {
                sheet: Some(raw[i].clone()),
                ..loc.clone()
            },
            format!(
                "sheets {} and {} are both named {:?} and {why}: rename one in a copy and ingest that",
                j + 1,
                i + 1,
                raw[i],
            ),
        )
    }

    /// Gives an .ods package's sheets the names in `names`: each `<table:table>` element
    /// named as the next sheet in `raw` takes the next name (nested tables are left).
    pub(super) fn rename_ods_sheets(&mut self, raw: &[String], names: &[String], loc: &Location) -> Result<()> {
        let Inner::Ods(_) = &self.inner else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| {
            Error::workbook(loc.clone(), format!("cannot rename repeated sheet names: {e}"))
        };
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes.clone())).map_err(|e| fail(&e))?;
        let xml = super::parts::read_sheet_part(&mut zip, "content.xml", &self.limits).map_err(|e| fail(&e))?;
        let mut out = Vec::with_capacity(xml.len() + 64 * names.len());
        let mut rest = xml.as_slice();
        let mut next = 0;
        while let Some(at) = memchr::memmem::find(rest, b"<table:table") {
            let (before, from) = rest.split_at(at);
            out.extend_from_slice(before);
            let tag_end = from.iter().position(|b| *b == b'>').unwrap_or(from.len());
            let tag = &from[..tag_end];
            let is_table = matches!(tag.get(b"<table:table".len()), Some(b' ' | b'\t' | b'\n' | b'\r'));
            let name_at = memchr::memmem::find(tag, b" table:name=\"").map(|n| n + b" table:name=\"".len());
            let value = name_at.and_then(|v| Some((v, v + tag[v..].iter().position(|b| *b == b'"')?)));
            match (is_table, value, raw.get(next)) {
                (true, Some((v0, v1)), Some(want)) if xml_unescape(&String::from_utf8_lossy(&tag[v0..v1])) == *want => {
                    out.extend_from_slice(&tag[..v0]);
                    out.extend_from_slice(xml_escape(&names[next]).as_bytes());
                    out.extend_from_slice(&tag[v1..]);
                    next += 1;
                }
                _ => out.extend_from_slice(tag),
            }
            rest = &from[tag_end..];
        }
        out.extend_from_slice(rest);
        if next != raw.len() {
            return Err(self.repeated_names_error(raw, loc, "the sheets' elements were not all found"));
        }
        drop(xml);
        let bytes = replace_part(&mut zip, "content.xml", &out).map_err(|e| fail(&e))?;
        let reader = Ods::new(Cursor::new(bytes.clone())).map_err(|e| fail(&e))?;
        if reader.sheet_names() != names {
            return Err(fail(&"the renamed package does not list the sheets as expected"));
        }
        self.inner = Inner::Ods(Box::new(reader));
        self.bytes = bytes;
        Ok(())
    }

    /// Makes an .xls file's repeated sheet names distinct for the reader: the last
    /// character of each repeat's BoundSheet8 record is changed in a copy of the file
    /// (same length, so no offset moves) and the reader's names are mapped back to
    /// ceping's by position. BIFF8 only, and only a record stored in one piece.
    pub(super) fn alter_xls_sheet_names(&mut self, raw: &[String], loc: &Location) -> Result<()> {
        let mut bytes = self.bytes.0.as_ref().clone();
        let mut names: Vec<String> = raw.to_vec();
        let mut done = std::collections::HashSet::new();
        for (i, name) in raw.iter().enumerate() {
            // calamine keeps sheets by exact name: only exact repeats need altering.
            let positions: Vec<usize> = (0..raw.len()).filter(|k| raw[*k] == *name).collect();
            if positions.len() < 2 || !done.insert(name.clone()) {
                continue;
            }
            let records = find_bound_sheets(&bytes, name);
            if records.len() != positions.len() {
                return Err(self.repeated_names_error(raw, loc, "the .xls records naming them were not all found"));
            }
            let mut chars: Vec<char> = name.chars().collect();
            let Some(last) = chars.pop().filter(|c| c.len_utf16() == 1) else {
                return Err(self.repeated_names_error(raw, loc, "its last character cannot be altered"));
            };
            let stem: String = chars.into_iter().collect();
            for (&(at, wide), &k) in records.iter().zip(&positions).skip(1) {
                let Some(c) = (b'0'..=b'9')
                    .chain(b'A'..=b'Z')
                    .map(char::from)
                    .filter(|c| *c != last)
                    .find(|c| !names.contains(&format!("{stem}{c}")))
                else {
                    return Err(self.repeated_names_error(raw, loc, "no distinct name of the same length is free"));
                };
                let units = name.encode_utf16().count();
                let pos = if wide { at + 2 * (units - 1) } else { at + units - 1 };
                bytes[pos] = c as u8;
                if wide {
                    bytes[pos + 1] = 0;
                }
                names[k] = format!("{stem}{c}");
                tracing::debug!(sheet = i + 1, "the .xls reader knows a repeat as {stem}{c}");
            }
        }
        let bytes = Bytes(Arc::new(bytes));
        let reader = Xls::new(Cursor::new(bytes.clone()))
            .map_err(|e| Error::workbook(loc.clone(), format!("cannot read the renamed sheets: {e}")))?;
        // Records are matched to sheets in file order; the reader's names are taken by
        // position, whichever repeat a record turned out to be.
        let read = reader.sheet_names();
        let distinct = read.iter().collect::<std::collections::HashSet<_>>().len() == read.len();
        if read.len() != raw.len() || !distinct {
            return Err(self.repeated_names_error(raw, loc, "the altered names were not read back"));
        }
        self.inner = Inner::Xls(Box::new(reader));
        self.bytes = bytes;
        self.reader_names = read;
        Ok(())
    }

    /// Gives the .xlsx package's sheets the names in `names` (same order) and opens it
    /// again from the rewritten package.
    pub(super) fn rename_xlsx_sheets(&mut self, names: &[String], loc: &Location) -> Result<()> {
        use std::io::Read as _;
        let Inner::Calamine { reader, zip, parts } = &mut self.inner else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| {
            Error::workbook(loc.clone(), format!("cannot rename repeated sheet names: {e}"))
        };
        let mut xml = String::new();
        zip.by_name("xl/workbook.xml")
            .map_err(|e| fail(&e))?
            .take(64 << 20)
            .read_to_string(&mut xml)
            .map_err(|e| fail(&e))?;
        // The i-th <sheet .../> element's name attribute becomes names[i].
        let mut out = String::with_capacity(xml.len());
        let mut rest = xml.as_str();
        let mut i = 0;
        while let Some(at) = rest.find("<sheet ").or_else(|| rest.find("<x:sheet ")) {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let end = from
                .find('>')
                .ok_or_else(|| fail(&"a <sheet> element without its end"))?;
            let element = &from[..end];
            let renamed = match (element.find(" name=\""), names.get(i)) {
                (Some(n), Some(name)) => {
                    let value_at = n + " name=\"".len();
                    let value_end = element[value_at..]
                        .find('"')
                        .map(|e| value_at + e)
                        .ok_or_else(|| fail(&"an unquoted name"))?;
                    format!("{}{}{}", &element[..value_at], xml_escape(name), &element[value_end..])
                }
                _ => element.to_string(),
            };
            out.push_str(&renamed);
            rest = &from[end..];
            i += 1;
        }
        out.push_str(rest);
        let bytes = replace_part(zip, "xl/workbook.xml", out.as_bytes()).map_err(|e| fail(&e))?;
        **reader = Xlsx::new(Cursor::new(bytes.clone())).map_err(|e| fail(&e))?;
        **zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| fail(&e))?;
        *parts = super::super::xlsx::package::sheet_parts(zip);
        if reader.sheet_names() != names {
            return Err(fail(&"the renamed package does not list the sheets as expected"));
        }
        Ok(())
    }
}

/// The package with one part's content replaced (every other entry copied as stored).
pub(super) fn replace_part(
    zip: &mut zip::ZipArchive<Cursor<Bytes>>,
    part: &str,
    content: &[u8],
) -> zip::result::ZipResult<Bytes> {
    use std::io::Write as _;
    let mut package = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for k in 0..zip.len() {
        let entry = zip.by_index_raw(k)?;
        if entry.name().is_ok_and(|n| n == part) {
            continue;
        }
        package.raw_copy_file(entry)?;
    }
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    package.start_file(part, options)?;
    package.write_all(content)?;
    Ok(Bytes(Arc::new(package.finish()?.into_inner())))
}

/// Sheet names made distinct: a name that repeats an earlier one (compared as Excel
/// does, ignoring case and surrounding spaces) becomes `NAME (sheet N)`, N its position.
pub(super) fn distinct_sheet_names(raw: &[String]) -> Vec<String> {
    let key = |s: &str| s.trim().to_lowercase();
    let mut seen = std::collections::HashSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, name)| {
            let mut shown = name.clone();
            let mut n = i + 1;
            while !seen.insert(key(&shown)) {
                shown = format!("{name} (sheet {n})");
                n += 1000;
            }
            shown
        })
        .collect()
}

/// Where each BIFF8 BoundSheet8 record (MS-XLS 2.4.28) naming `name` keeps the name's
/// characters, in file order, and whether they are two bytes each. A record is found
/// only when stored in one piece (a record across two sectors is not found, and the
/// caller refuses the file).
fn find_bound_sheets(bytes: &[u8], name: &str) -> Vec<(usize, bool)> {
    let units: Vec<u16> = name.encode_utf16().collect();
    let Ok(cch) = u8::try_from(units.len()) else {
        return Vec::new();
    };
    let narrow: Option<Vec<u8>> = units.iter().map(|u| u8::try_from(*u).ok()).collect();
    let wide: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let mut found = Vec::new();
    for at in memchr::memmem::find_iter(bytes, &[0x85, 0x00]) {
        let Some(head) = bytes.get(at..at + 12) else { break };
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        if head[8] & 0x3F > 2 || !matches!(head[9], 0 | 1 | 2 | 6) || head[10] != cch {
            continue;
        }
        let (text, is_wide) = match head[11] {
            0 => match &narrow {
                Some(n) => (n.as_slice(), false),
                None => continue,
            },
            1 => (wide.as_slice(), true),
            _ => continue,
        };
        if len == 8 + text.len() && bytes.get(at + 12..at + 12 + text.len()) == Some(text) {
            found.push((at + 12, is_wide));
        }
    }
    found
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `haystack` with every `from` replaced by `to`.
pub(super) fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut last = 0;
    for at in memchr::memmem::find_iter(haystack, from) {
        out.extend_from_slice(&haystack[last..at]);
        out.extend_from_slice(to);
        last = at + from.len();
    }
    out.extend_from_slice(&haystack[last..]);
    out
}
