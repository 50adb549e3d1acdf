//! The small text rules of SpreadsheetML, as calamine applies them (so both readers give
//! the same cells; ported from calamine 0.38, MIT): Excel's `_xHHHH_` escapes, XML
//! entities, which number formats make a number a date, and how a tag's attributes are
//! split.

use std::borrow::Cow;

use quick_xml::events::BytesRef;

/// `_x000D_` → `\r`: Excel writes a character XML cannot hold as its UTF-16 code unit
/// (a surrogate pair as two escapes); a lone surrogate becomes U+FFFD.
pub fn unescape_excel(s: &str) -> Cow<'_, str> {
    let Some(first) = find_escape(s, 0) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let (mut at, mut unit) = first;
    let mut copied = 0;
    loop {
        out.push_str(&s[copied..at]);
        at += 7;
        match unit {
            0xD800..=0xDBFF => match escape_at(s, at) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let cp = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
                    at += 7;
                }
                _ => out.push(char::REPLACEMENT_CHARACTER),
            },
            0xDC00..=0xDFFF => out.push(char::REPLACEMENT_CHARACTER),
            _ => out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        copied = at;
        match find_escape(s, at) {
            Some(next) => (at, unit) = next,
            None => break,
        }
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

fn find_escape(s: &str, mut from: usize) -> Option<(usize, u16)> {
    while let Some(off) = memchr::memchr(b'_', &s.as_bytes()[from..]) {
        let at = from + off;
        if let Some(unit) = escape_at(s, at) {
            return Some((at, unit));
        }
        from = at + 1;
    }
    None
}

fn escape_at(s: &str, at: usize) -> Option<u16> {
    let b = s.as_bytes().get(at..at + 7)?;
    if b[0] != b'_' || b[1] != b'x' || b[6] != b'_' || !b[2..6].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(&b[2..6]).ok()?, 16).ok()
}

/// Appends what an entity or character reference stands for; `None` for one XML does
/// not define.
pub fn push_entity(e: &BytesRef<'_>, out: &mut String) -> Option<()> {
    if let Some(s) = quick_xml::escape::resolve_xml_entity(e.as_ref()) {
        out.push_str(s);
        return Some(());
    }
    out.push(e.resolve_char_ref().ok()??);
    Some(())
}

/// How a cell's number format shows a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberFormat {
    Other,
    /// A date or time (a clock time or a date-time alike).
    DateTime,
    /// A duration (`[h]:mm:ss`): calamine reads it as a date-time too.
    TimeDelta,
}

impl NumberFormat {
    pub fn is_date(self) -> bool {
        self != NumberFormat::Other
    }
}

/// A custom format code's kind: a date when its first section has a date or time token
/// outside quotes, brackets and escapes.
pub fn custom_format(code: &str) -> NumberFormat {
    let (mut escaped, mut quoted, mut brackets) = (false, false, 0u8);
    let (mut prev, mut hms, mut ap) = (' ', false, false);
    for c in code.chars() {
        match (c, escaped, quoted, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => (),
            ('"', ..) => quoted = true,
            (';', ..) => return NumberFormat::Other,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return NumberFormat::TimeDelta,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberFormat::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return NumberFormat::DateTime
            }
            _ => {
                if !(hms && c.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = c;
    }
    NumberFormat::Other
}

/// A built-in format id's kind (14–22, 45, 47 and the East-Asian 27–36, 50–58 are dates).
pub fn builtin_format(id: &str) -> NumberFormat {
    match id {
        "14" | "15" | "16" | "17" | "18" | "19" | "20" | "21" | "22" | "45" | "47" => NumberFormat::DateTime,
        "27" | "28" | "29" | "30" | "31" | "32" | "33" | "34" | "35" | "36" | "50" | "51" | "52" | "53" | "54"
        | "55" | "56" | "57" | "58" => NumberFormat::DateTime,
        "46" => NumberFormat::TimeDelta,
        _ => NumberFormat::Other,
    }
}

/// `B3` as 0-based (row, column); a reference with no letters has no column.
pub fn cell_ref(r: &[u8]) -> Option<(u32, Option<u32>)> {
    let (mut col, mut row, mut i) = (0u32, 0u32, 0);
    while i < r.len() {
        match r[i] {
            c @ b'A'..=b'Z' => col = col.checked_mul(26)?.checked_add(u32::from(c - b'A') + 1)?,
            c @ b'a'..=b'z' => col = col.checked_mul(26)?.checked_add(u32::from(c - b'a') + 1)?,
            b'0'..=b'9' => break,
            _ => return None,
        }
        i += 1;
    }
    while i < r.len() {
        match r[i] {
            c @ b'0'..=b'9' => row = row.checked_mul(10)?.checked_add(u32::from(c - b'0'))?,
            _ => return None,
        }
        i += 1;
    }
    Some((row.checked_sub(1)?, col.checked_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_escapes_and_formats() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("_xD83D__xDCF7_"), "📷");
        assert_eq!(unescape_excel("_xD83D_x"), "\u{FFFD}x");
        assert_eq!(unescape_excel("_x00"), "_x00");
        assert_eq!(custom_format("yyyy\"年\"m\"月\"d\"日\""), NumberFormat::DateTime);
        assert_eq!(custom_format("[h]:mm:ss"), NumberFormat::TimeDelta);
        assert_eq!(custom_format("#,##0.00;[Red]-#,##0.00"), NumberFormat::Other);
        assert_eq!(custom_format("\"d\"0"), NumberFormat::Other);
        assert_eq!(builtin_format("31"), NumberFormat::DateTime);
        assert_eq!(cell_ref(b"B3"), Some((2, Some(1))));
        assert_eq!(cell_ref(b"7"), Some((6, None)));
        assert_eq!(cell_ref(b"A0"), None);
        assert_eq!(cell_ref(b"A-1"), None);
    }
}

/// A tag's attributes (`BytesStart::attributes_raw`) split as calamine 0.38 splits them
/// (its `RawAttrIter`): a key is everything up to the next `=` (trailing whitespace
/// trimmed), a value the quoted text after it, raw. A key with no `=` or an unquoted
/// value is an error, after which nothing more is read. Byte scans, no allocation: also
/// a few per cent of a sheet's read cheaper than quick-xml's checked iterator.
pub struct RawAttrs<'a> {
    raw: &'a str,
    pos: usize,
}

/// A malformed attribute (a key with no `=`, or a value without quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAttr;

impl<'a> RawAttrs<'a> {
    pub fn new(raw: &'a str) -> Self {
        RawAttrs { raw, pos: 0 }
    }
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a str, &'a str), BadAttr>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.raw.as_bytes();
        let len = bytes.len();
        let mut pos = self.pos;
        while pos < len && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= len {
            self.pos = pos;
            return None;
        }
        let key_start = pos;
        while pos < len && bytes[pos] != b'=' {
            pos += 1;
        }
        if pos >= len {
            self.pos = len;
            return Some(Err(BadAttr));
        }
        let key = self.raw[key_start..pos].trim_ascii_end();
        pos += 1;
        while pos < len && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = match bytes.get(pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.pos = len;
                return Some(Err(BadAttr));
            }
        };
        pos += 1;
        let value_start = pos;
        while pos < len && bytes[pos] != quote {
            pos += 1;
        }
        let value = &self.raw[value_start..pos];
        self.pos = (pos + 1).min(len);
        Some(Ok((key, value)))
    }
}

/// The first attribute named `name` (calamine's `raw_attr`).
pub fn raw_attr<'a>(raw: &'a str, name: &str) -> Result<Option<&'a str>, BadAttr> {
    for item in RawAttrs::new(raw) {
        let (k, v) = item?;
        if k == name {
            return Ok(Some(v));
        }
    }
    Ok(None)
}
