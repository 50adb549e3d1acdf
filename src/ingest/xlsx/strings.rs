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

/// Holds a value to `bound` bytes as its text arrives: past the bound the value must be
/// blank — what is held is then dropped (the value is blank either way) and from there on
/// only text that arrives later is looked at, so a value arriving in many small pieces
/// costs time in proportion to its length — else the read stops with
/// [`XmlFail::TooLong`]. `over` says the bound was passed; text held after that must
/// stay blank.
pub(super) fn hold_bounded(text: &mut String, from: usize, over: &mut bool, bound: usize) -> Result<(), XmlFail> {
    if !*over && text.len() - from <= bound {
        return Ok(());
    }
    if !is_blank(&text[from..]) {
        return Err(XmlFail::TooLong);
    }
    text.truncate(from);
    *over = true;
    Ok(())
}

/// Reads a string item up to its end tag (`closing`, a local name), appending its text
/// to `out`. More than `bound` bytes of text that is not blank stops the read with
/// [`XmlFail::TooLong`]; blank text past the bound is dropped (the item is blank either
/// way, see [`hold_bounded`]).
pub fn read_item<R: Read>(
    xml: &mut Xml<R>,
    closing: &str,
    s: &mut StringScratch,
    out: &mut String,
    bound: usize,
) -> Result<(), XmlFail> {
    let start = out.len();
    let mut phonetic = false;
    let mut item_over = false;
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
                let mut t_over = false;
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
                    hold_bounded(&mut s.t, 0, &mut t_over, bound)?;
                }
                let text = if preserve {
                    s.t.as_str()
                } else {
                    s.t.trim_matches([' ', '\t', '\r', '\n'])
                };
                out.push_str(&unescape_excel(text));
                item_over |= t_over;
                hold_bounded(out, start, &mut item_over, bound)?;
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

    /// An inline item (what follows `<is>`) read with a bound of `bound` bytes.
    fn item(body: &str, bound: usize) -> Result<String, XmlFail> {
        let text = format!("<is>{body}</is>");
        let mut xml = super::super::xml(text.as_bytes(), 1 << 20);
        let mut buf = Vec::new();
        assert!(matches!(xml.read_event_into(&mut buf), Ok(Event::Start(_))));
        let mut out = String::from("before|");
        read_item(&mut xml, "is", &mut StringScratch::default(), &mut out, bound)?;
        Ok(out)
    }

    #[test]
    fn blank_text_past_the_bound_is_dropped_on_a_character_boundary() {
        // U+3000 is blank and 3 bytes long: a cut at 10 bytes would split one.
        let wide = "\u{3000}".repeat(5);
        eprintln!("{:?}", item(&format!("<t xml:space=\"preserve\">{wide}</t>"), 10));
        let blank = |r: Result<String, XmlFail>| r.map(|s| s["before|".len()..].chars().all(char::is_whitespace));
        assert!(matches!(
            blank(item(&format!("<t xml:space=\"preserve\">{wide}</t>"), 10)),
            Ok(true)
        ));
        // as entities: one event each, the held text looked at once
        let refs = "&#12288;".repeat(5000);
        assert!(matches!(blank(item(&format!("<t>{refs}</t>"), 10)), Ok(true)));
        // in many runs, each on its own below the bound
        let runs = "<r><t xml:space=\"preserve\">\u{3000} </t></r>".repeat(5000);
        assert!(matches!(blank(item(&runs, 10)), Ok(true)));
        // text after a blank run past the bound is too long, however short itself
        assert!(matches!(
            item(&format!("{runs}<r><t>x</t></r>"), 10),
            Err(XmlFail::TooLong)
        ));
        assert!(matches!(item(&format!("<t>{refs}x</t>"), 10), Err(XmlFail::TooLong)));
        // within the bound, kept as it is
        assert_eq!(item("<t>\u{3000}a</t>", 10).unwrap(), "before|\u{3000}a");
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
