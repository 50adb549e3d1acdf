//! Strings: the shared-strings table in one buffer, and the string items (`<si>`, `<is>`)
//! both it and inline cells are made of, read as calamine reads them (rich-text runs
//! joined, phonetic runs left out, `xml:space` honoured, Excel's `_xHHHH_` escapes).

use std::io::Read;

use quick_xml::events::Event;

use super::super::cells::is_blank;
use super::text::{push_entity, unescape_excel};
use super::{local, Xml, XmlFail};

/// Every string of the table in one buffer, with where each ends: two allocations for
/// two million strings.
#[derive(Default)]
pub struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.text[start..end])
    }

    /// Bytes held (text and offsets).
    pub fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4
    }

    /// Reads the table's `<si>` items in order; past `max_bytes` inflated (whatever the
    /// zip's directory declared) the read stops with [`XmlFail::PartTooLarge`].
    pub fn read<R: Read>(xml: &mut Xml<R>, max_bytes: u64) -> Result<Self, XmlFail> {
        let mut table = SharedStrings::default();
        let mut buf = Vec::with_capacity(1024);
        let mut scratch = StringScratch::default();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf)? {
                Event::Start(e) => match local(e.name().as_ref()) {
                    "sst" => {
                        let count = e
                            .try_get_attribute("uniqueCount")
                            .ok()
                            .flatten()
                            .and_then(|a| a.value.parse::<usize>().ok());
                        // A declared count is a hint only: never more than the part could hold.
                        table.ends.reserve(count.unwrap_or(0).min(1 << 22));
                    }
                    "si" => {
                        read_item(xml, "si", &mut scratch, &mut table.text, usize::MAX)?;
                        if xml.get_ref().read > max_bytes {
                            return Err(XmlFail::PartTooLarge(xml.get_ref().read));
                        }
                        let end = u32::try_from(table.text.len())
                            .map_err(|_| XmlFail::Other("the shared strings hold more than 4 GiB of text".into()))?;
                        table.ends.push(end);
                    }
                    _ => {}
                },
                Event::End(e) if local(e.name().as_ref()) == "sst" => break,
                Event::Eof => break,
                _ => {}
            }
        }
        table.text.shrink_to_fit();
        table.ends.shrink_to_fit();
        Ok(table)
    }
}

/// Buffers reused from item to item.
#[derive(Default)]
pub struct StringScratch {
    buf: Vec<u8>,
    inner: Vec<u8>,
    t: String,
}

/// Reads a string item up to its end tag (`closing`, a local name), appending its text
/// to `out`. More than `bound` bytes of text that is not blank stops the read with
/// [`XmlFail::TooLong`]; blank text past the bound is dropped (the item is blank either
/// way).
pub fn read_item<R: Read>(
    xml: &mut Xml<R>,
    closing: &str,
    s: &mut StringScratch,
    out: &mut String,
    bound: usize,
) -> Result<(), XmlFail> {
    let start = out.len();
    let mut phonetic = false;
    loop {
        s.buf.clear();
        match xml.read_event_into(&mut s.buf)? {
            Event::Start(e) if local(e.name().as_ref()) == "rPh" => phonetic = true,
            Event::End(e) if local(e.name().as_ref()) == "rPh" => phonetic = false,
            Event::End(e) if local(e.name().as_ref()) == closing => return Ok(()),
            Event::Start(e) if local(e.name().as_ref()) == "t" && !phonetic => {
                let preserve = e
                    .attributes()
                    .with_checks(false)
                    .flatten()
                    .any(|a| a.key.as_ref() == "xml:space" && a.value.as_ref() == "preserve");
                s.t.clear();
                loop {
                    s.inner.clear();
                    match xml.read_event_into(&mut s.inner)? {
                        Event::Text(t) => s.t.push_str(&t.xml10_content()),
                        Event::CData(t) => s.t.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => push_entity(&r, &mut s.t)
                            .ok_or_else(|| XmlFail::Other(format!("an unknown entity &{};", r.as_ref())))?,
                        Event::End(end) if local(end.name().as_ref()) == "t" => break,
                        Event::Eof => return Err(XmlFail::Eof("t")),
                        _ => {}
                    }
                    if s.t.len() > bound {
                        if !is_blank(&s.t) {
                            return Err(XmlFail::TooLong);
                        }
                        s.t.truncate(s.t.len().min(bound));
                    }
                }
                let text = if preserve {
                    s.t.as_str()
                } else {
                    s.t.trim_matches([' ', '\t', '\r', '\n'])
                };
                out.push_str(&unescape_excel(text));
                if out.len() - start > bound {
                    if !is_blank(&out[start..]) {
                        return Err(XmlFail::TooLong);
                    }
                    out.truncate(start);
                }
            }
            Event::Eof => return Err(XmlFail::Eof("si")),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str, max_bytes: u64) -> Result<SharedStrings, XmlFail> {
        SharedStrings::read(&mut super::super::xml(xml.as_bytes(), 1 << 20), max_bytes)
    }

    #[test]
    fn the_table_is_refused_past_its_byte_limit_as_it_streams() {
        let xml: String = std::iter::once("<sst>".to_string())
            .chain((0..1000).map(|i| format!("<si><t>字符串{i}</t></si>")))
            .chain(std::iter::once("</sst>".to_string()))
            .collect();
        let table = read(&xml, u64::MAX).expect("read");
        assert_eq!((table.len(), table.get(999)), (1000, Some("字符串999")));
        match read(&xml, 4096) {
            Err(XmlFail::PartTooLarge(read)) => assert!(read > 4096, "{read}"),
            Err(e) => panic!("another error: {e:?}"),
            Ok(t) => panic!("read {} strings", t.len()),
        }
    }
}
