//! Strings: the shared-strings table in one buffer, and the string items (`<si>`, `<is>`)
//! both it and inline cells are made of, read as calamine reads them (rich-text runs
//! joined, phonetic runs left out, `xml:space` honoured, Excel's `_xHHHH_` escapes).

use std::io::Read;

use quick_xml::events::Event;

use super::super::cells::is_blank;
use super::text::{push_entity, unescape_excel};
use super::{Xml, XmlFail};

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

    /// Reads the table's `<si>` items in order.
    pub fn read<R: Read>(xml: &mut Xml<R>) -> Result<Self, XmlFail> {
        let mut table = SharedStrings::default();
        let mut buf = Vec::with_capacity(1024);
        let mut scratch = StringScratch::default();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf)? {
                Event::Start(e) => match e.local_name().as_ref() {
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
                        let end = u32::try_from(table.text.len())
                            .map_err(|_| XmlFail::Other("the shared strings hold more than 4 GiB of text".into()))?;
                        table.ends.push(end);
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == "sst" => break,
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
            Event::Start(e) if e.local_name().as_ref() == "rPh" => phonetic = true,
            Event::End(e) if e.local_name().as_ref() == "rPh" => phonetic = false,
            Event::End(e) if e.local_name().as_ref() == closing => return Ok(()),
            Event::Start(e) if e.local_name().as_ref() == "t" && !phonetic => {
                let preserve = e
                    .try_get_attribute("xml:space")
                    .ok()
                    .flatten()
                    .is_some_and(|a| a.value.as_ref() == "preserve");
                s.t.clear();
                loop {
                    s.inner.clear();
                    match xml.read_event_into(&mut s.inner)? {
                        Event::Text(t) => s.t.push_str(&t.xml10_content()),
                        Event::CData(t) => s.t.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => push_entity(&r, &mut s.t)
                            .ok_or_else(|| XmlFail::Other(format!("an unknown entity &{};", r.as_ref())))?,
                        Event::End(end) if end.local_name().as_ref() == "t" => break,
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
