//! The one thing ceping needs from the styles part: which cell formats (`cellXfs`) show
//! a number as a date, by their number format (custom `numFmts` or built-in ids).

use std::collections::HashMap;
use std::io::Read;

use quick_xml::events::Event;

use super::text::{builtin_format, custom_format, NumberFormat};
use super::{Xml, XmlFail};

/// Each cell format's kind, by its index (a cell's `s`).
pub fn read<R: Read>(xml: &mut Xml<R>) -> Result<Vec<NumberFormat>, XmlFail> {
    let mut codes: HashMap<String, NumberFormat> = HashMap::new();
    let mut formats = Vec::new();
    let mut buf = Vec::with_capacity(1024);
    let mut in_xfs = false;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    let (mut id, mut code) = (None, None);
                    for a in e.attributes().with_checks(false).flatten() {
                        match a.key.as_ref() {
                            "numFmtId" => id = Some(a.value.into_owned()),
                            "formatCode" => {
                                let raw = a.value.into_owned();
                                code = Some(quick_xml::escape::unescape(&raw).map(|c| c.into_owned()).unwrap_or(raw));
                            }
                            _ => {}
                        }
                    }
                    if let (Some(id), Some(code)) = (id, code) {
                        codes.insert(id, custom_format(&code));
                    }
                }
                "cellXfs" => in_xfs = true,
                "xf" if in_xfs => {
                    let id = e
                        .attributes()
                        .with_checks(false)
                        .flatten()
                        .find(|a| a.key.as_ref() == "numFmtId")
                        .map(|a| a.value.into_owned());
                    formats.push(id.map_or(NumberFormat::Other, |id| {
                        codes.get(&id).copied().unwrap_or_else(|| builtin_format(&id))
                    }));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_xfs = false,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(formats)
}
