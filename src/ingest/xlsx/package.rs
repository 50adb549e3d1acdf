//! Where things are in an .xlsx package: the workbook part, its sheets in order with the
//! part each is stored in, the date system, the shared strings and styles.

use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

/// One `<sheet>` of the workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetEntry {
    pub name: String,
    /// The zip entry it is stored in; `None` when its relationship does not resolve.
    pub part: Option<String>,
}

/// The workbook's layout.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub sheets: Vec<SheetEntry>,
    pub is_1904: bool,
    /// The folder of the workbook part (`xl`), where sharedStrings.xml and styles.xml are.
    pub dir: String,
}

/// The layout, or `None` when the package has no workbook part.
pub fn layout<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Option<Layout> {
    let workbook = office_document(zip).unwrap_or_else(|| "xl/workbook.xml".to_string());
    let (dir, file) = workbook.rsplit_once('/').unwrap_or(("", workbook.as_str()));
    let rels_path = if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    };
    let targets = read_part(zip, &rels_path)
        .map(|x| relationships(&x))
        .unwrap_or_default();
    let xml = read_part(zip, &workbook)?;
    let mut layout = Layout {
        dir: dir.to_string(),
        ..Layout::default()
    };
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "sheet" => {
                    if let Some(name) = attr(&e, "name") {
                        let part = sheet_part(&e, &targets, dir);
                        layout.sheets.push(SheetEntry { name, part });
                    }
                }
                "workbookPr" => {
                    if let Some(v) = attr(&e, "date1904") {
                        layout.is_1904 = v == "1" || v == "true";
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    Some(layout)
}

/// Sheet name → part path for every sheet, or `None` if any does not resolve.
pub fn sheet_parts<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Option<Vec<(String, String)>> {
    layout(zip)?
        .sheets
        .into_iter()
        .map(|s| Some((s.name, s.part?)))
        .collect()
}

fn sheet_part(e: &BytesStart<'_>, targets: &[(String, String)], dir: &str) -> Option<String> {
    // `r:id`, whatever the prefix; not `sheetId`.
    let id = e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == "id" && a.key.as_ref() != "sheetId").then(|| a.value.into_owned())
    })?;
    let target = &targets.iter().find(|(i, _)| *i == id)?.1;
    Some(resolve(dir, target))
}

/// What `f` makes of each element named `name` (any prefix), in order, where it makes
/// something; stops at the end or at malformed XML.
pub fn elements<T>(xml: &[u8], name: &str, mut f: impl FnMut(&BytesStart<'_>) -> Option<T>) -> Vec<T> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == name => out.extend(f(&e)),
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

pub fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The officeDocument target of the package relationships (`xl/workbook.xml`).
fn office_document<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Option<String> {
    let xml = read_part(zip, "_rels/.rels")?;
    elements(&xml, "Relationship", |e| {
        attr(e, "Type")
            .filter(|t| t.ends_with("/officeDocument"))
            .and_then(|_| attr(e, "Target"))
    })
    .into_iter()
    .next()
    .map(|t| resolve("", &t))
}

/// Relationship id → target, from a `.rels` part.
fn relationships(xml: &[u8]) -> Vec<(String, String)> {
    elements(xml, "Relationship", |e| Some((attr(e, "Id")?, attr(e, "Target")?)))
}

/// A relationship target relative to `dir` (or absolute with a leading `/`) as a zip
/// entry name, with `..` segments resolved.
pub fn resolve(dir: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None if dir.is_empty() => target.to_string(),
        None => format!("{dir}/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The entry name as stored: exact, else matched without regard to case or slashes.
pub fn part_name<R: Read + Seek>(zip: &ZipArchive<R>, part: &str) -> Option<String> {
    if zip.index_for_name(part).is_some() {
        return Some(part.to_string());
    }
    let want = part.to_ascii_lowercase();
    zip.file_names()
        .flatten()
        .find(|n| n.replace('\\', "/").to_ascii_lowercase() == want)
        .map(|n| n.into_owned())
}

/// A small part (relationships, the workbook) read whole, at most 64 MiB.
fn read_part<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str) -> Option<Vec<u8>> {
    let name = part_name(zip, part)?;
    let mut out = Vec::new();
    zip.by_name(&name).ok()?.take(64 << 20).read_to_end(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationship_targets_resolve_to_entry_names() {
        assert_eq!(resolve("xl", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl", "/xl/worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/sub", "../worksheets/s.xml"), "xl/worksheets/s.xml");
        assert_eq!(resolve("", "./xl/workbook.xml"), "xl/workbook.xml");
    }
}
