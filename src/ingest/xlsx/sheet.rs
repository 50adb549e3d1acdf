//! One worksheet's cells, streamed: `<row>` and `<c>` elements read one event at a time
//! from the inflater, each value handed on as it is read and nothing of the sheet kept.
//! The cells are calamine's (`XlsxCellReader::next_cell`): the same positions for cells
//! with and without `r`, the same types for every `t`, dates by the cell's number format.

use std::io::Read;

use quick_xml::events::{BytesStart, Event};

use super::strings::{hold_bounded, read_item, SharedStrings, StringScratch};
use super::text::{cell_ref, raw_attr, unescape_excel, NumberFormat, RawAttrs};
use super::{local, Xml, XmlFail};

/// A cell's value as read; text borrows from the reader or the shared strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Text(&'a str),
    Number(f64),
    /// A number shown as a date or time: the Excel serial, still to be placed in the
    /// workbook's date system.
    Date(f64),
    Bool(bool),
    /// An error value (`t="e"`): `#DIV/0!`, `#N/A`, and the newer `#SPILL!`, `#CALC!` …
    Error(&'a str),
}

/// What a cell's `<v>` held, before it is looked up or borrowed.
enum Held {
    Empty,
    /// In `SheetReader::value`.
    Text,
    Shared(usize),
    Number(f64),
    Date(f64),
    Bool(bool),
    /// In `SheetReader::value`.
    Error,
}

/// An element inside `<c>`.
enum Child {
    V,
    Is,
    F,
    Other(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Type {
    None,
    N,
    S,
    B,
    E,
    Str,
    D,
    Inline,
    Other,
}

/// Where the reader stopped, for the message: (row, column), 0-based.
pub type Position = (u32, u32);

pub struct SheetReader<'p, R: Read> {
    xml: Xml<R>,
    strings: &'p SharedStrings,
    formats: &'p [NumberFormat],
    /// The longest text a cell may hold, in bytes as read (past it: not blank → too long).
    bound: usize,
    buf: Vec<u8>,
    cell_buf: Vec<u8>,
    value: String,
    raw: Vec<u8>,
    scratch: StringScratch,
    row: u32,
    col: u32,
    /// The cell being read, for messages.
    pub at: Position,
}

impl<'p, R: Read> SheetReader<'p, R> {
    pub fn new(xml: Xml<R>, strings: &'p SharedStrings, formats: &'p [NumberFormat], bound: usize) -> Self {
        SheetReader {
            xml,
            strings,
            formats,
            bound,
            buf: Vec::with_capacity(1024),
            cell_buf: Vec::with_capacity(256),
            value: String::new(),
            raw: Vec::new(),
            scratch: StringScratch::default(),
            row: 0,
            col: 0,
            at: (0, 0),
        }
    }

    pub fn xml(&self) -> &Xml<R> {
        &self.xml
    }

    /// Hands every cell with a value to `f` in sheet order until `f` returns `false`.
    /// A part with no `<sheetData>` (a chart sheet) has no cells.
    pub fn run(&mut self, mut f: impl FnMut(u32, u32, Value<'_>) -> bool) -> Result<(), XmlFail> {
        loop {
            self.buf.clear();
            match self.xml.read_event_into(&mut self.buf)? {
                Event::Start(e) if local(e.name().as_ref()) == "sheetData" => break,
                Event::Eof => return Ok(()),
                _ => {}
            }
        }
        loop {
            self.buf.clear();
            let (pos, style, typ) = match self.xml.read_event_into(&mut self.buf)? {
                Event::Start(e) => match local(e.name().as_ref()) {
                    "row" => {
                        let r = raw_attr(e.attributes_raw(), "r").map_err(|_| bad_attrs("row"))?;
                        if let Some(r) = r {
                            self.row = cell_ref(r.as_bytes()).ok_or_else(|| bad_ref("row", r))?.0;
                        }
                        continue;
                    }
                    "c" => {
                        self.at = (self.row, self.col);
                        cell_attrs(&e, (self.row, self.col))?
                    }
                    _ => continue,
                },
                Event::End(e) => match local(e.name().as_ref()) {
                    "row" => {
                        self.row = self.row.saturating_add(1);
                        self.col = 0;
                        continue;
                    }
                    "sheetData" => return Ok(()),
                    _ => continue,
                },
                Event::Eof => return Err(XmlFail::Eof("sheetData")),
                _ => continue,
            };
            // As calamine: `r` sets the column; the row stays the `<row>`'s.
            self.col = pos.1;
            self.at = pos;
            let mut held = Held::Empty;
            loop {
                self.cell_buf.clear();
                match self.xml.read_event_into(&mut self.cell_buf)? {
                    Event::Start(e) => {
                        let child = match local(e.name().as_ref()) {
                            "v" => Child::V,
                            "is" => Child::Is,
                            "f" => Child::F,
                            other => Child::Other(other.to_string()),
                        };
                        held = self.read_value(child, typ, style)?;
                    }
                    Event::End(e) if local(e.name().as_ref()) == "c" => break,
                    Event::Eof => return Err(XmlFail::Eof("c")),
                    _ => {}
                }
            }
            self.col = self.col.saturating_add(1);
            let value = match held {
                Held::Empty => continue,
                Held::Text => Value::Text(&self.value),
                Held::Error => Value::Error(&self.value),
                Held::Shared(i) => Value::Text(self.strings.get(i).expect("checked when read")),
                Held::Number(n) => Value::Number(n),
                Held::Date(n) => Value::Date(n),
                Held::Bool(b) => Value::Bool(b),
            };
            if !f(pos.0, pos.1, value) {
                return Ok(());
            }
        }
    }

    /// A child of `<c>`: `<v>`, `<is>` or `<f>`.
    fn read_value(&mut self, child: Child, typ: Type, style: Option<usize>) -> Result<Held, XmlFail> {
        match child {
            Child::Is => {
                self.value.clear();
                read_item(&mut self.xml, "is", &mut self.scratch, &mut self.value, self.bound)?;
                Ok(Held::Text)
            }
            Child::V if typ == Type::Inline => {
                self.skip("v")?;
                Ok(Held::Empty)
            }
            Child::V if matches!(typ, Type::None | Type::N | Type::S | Type::B | Type::E) => {
                // Plain ASCII in practice: the first text event as written.
                self.raw.clear();
                let mut ended = false;
                self.cell_buf.clear();
                match self.xml.read_event_into(&mut self.cell_buf)? {
                    Event::Text(t) => self.raw.extend_from_slice(t.as_ref().as_bytes()),
                    Event::End(e) if local(e.name().as_ref()) == "v" => ended = true,
                    Event::Eof => return Err(XmlFail::Eof("v")),
                    _ => {}
                }
                if ended {
                    return Ok(Held::Empty);
                }
                self.skip("v")?;
                let raw = std::mem::take(&mut self.raw);
                let held = self.plain(std::str::from_utf8(&raw).unwrap_or(""), typ, style);
                self.raw = raw;
                held
            }
            Child::V => {
                self.value.clear();
                let mut over = false;
                loop {
                    self.cell_buf.clear();
                    match self.xml.read_event_into(&mut self.cell_buf)? {
                        Event::Text(t) => self.value.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => super::text::push_entity(&r, &mut self.value)
                            .ok_or_else(|| XmlFail::Other(format!("an unknown entity &{};", r.as_ref())))?,
                        Event::End(e) if local(e.name().as_ref()) == "v" => break,
                        Event::Eof => return Err(XmlFail::Eof("v")),
                        _ => {}
                    }
                    hold_bounded(&mut self.value, 0, &mut over, self.bound)?;
                }
                match typ {
                    Type::Str => {
                        if let std::borrow::Cow::Owned(s) = unescape_excel(&self.value) {
                            self.value = s;
                        }
                        Ok(Held::Text)
                    }
                    Type::D => Ok(Held::Text),
                    _ => Err(XmlFail::Other("a cell of an unknown type (its t attribute)".into())),
                }
            }
            Child::F => {
                self.skip("f")?;
                Ok(Held::Empty)
            }
            Child::Other(other) => Err(XmlFail::Other(format!(
                "a cell holds <{other}>, not a value (v, f or is)"
            ))),
        }
    }

    /// A `<v>` of type n, s, b, e or none.
    fn plain(&mut self, v: &str, typ: Type, style: Option<usize>) -> Result<Held, XmlFail> {
        match typ {
            Type::S => {
                if v.is_empty() {
                    return Ok(Held::Empty);
                }
                let i = v.parse::<usize>().unwrap_or(0);
                if i >= self.strings.len() {
                    return Err(XmlFail::Other(format!(
                        "a cell refers to shared string {i}, the table holds {}",
                        self.strings.len()
                    )));
                }
                Ok(Held::Shared(i))
            }
            Type::B => {
                let b = v.trim();
                if b.is_empty() {
                    Ok(Held::Empty)
                } else if b == "0" || b.eq_ignore_ascii_case("false") {
                    Ok(Held::Bool(false))
                } else if b == "1" || b.eq_ignore_ascii_case("true") {
                    Ok(Held::Bool(true))
                } else {
                    Err(XmlFail::Other(format!("a boolean cell holds {v:?}")))
                }
            }
            Type::E => {
                // as calamine: an error cell whose `<v>` holds no text first has no value
                if v.is_empty() {
                    return Ok(Held::Empty);
                }
                self.value.clear();
                self.value.push_str(v);
                Ok(Held::Error)
            }
            _ => {
                if v.is_empty() {
                    return Ok(Held::Empty);
                }
                match v.parse::<f64>() {
                    Ok(n) => {
                        let date = match style {
                            Some(s) => self.formats.get(s).is_some_and(|f| f.is_date()),
                            None => false,
                        };
                        Ok(if date { Held::Date(n) } else { Held::Number(n) })
                    }
                    Err(_) if typ == Type::None => {
                        self.value.clear();
                        self.value.push_str(v);
                        Ok(Held::Text)
                    }
                    Err(_) => Err(XmlFail::Other(format!("a number cell holds {v:?}"))),
                }
            }
        }
    }

    /// Reads past the end of the element `name` just opened (nested ones of the same
    /// name included), keeping nothing.
    fn skip(&mut self, name: &str) -> Result<(), XmlFail> {
        let mut depth = 0u32;
        loop {
            self.cell_buf.clear();
            match self.xml.read_event_into(&mut self.cell_buf)? {
                Event::Start(e) if local(e.name().as_ref()) == name => depth += 1,
                Event::End(e) if local(e.name().as_ref()) == name => {
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                }
                Event::Eof => return Err(XmlFail::Eof("a cell value")),
                _ => {}
            }
        }
    }
}

fn bad_ref(what: &str, r: &str) -> XmlFail {
    XmlFail::Other(format!("a {what} reference {r:?} that is not one"))
}

fn bad_attrs(element: &str) -> XmlFail {
    XmlFail::Other(format!(
        "a <{element}> with a malformed attribute (a name without =, or a value without quotes)"
    ))
}

/// A `<c>`'s position (from `r`, else the next after the last), style and type, its
/// attributes read as calamine reads them: up to the third of `r`, `s`, `t` found (a
/// repeated one counts), stopping at a malformed one.
fn cell_attrs(e: &BytesStart<'_>, next: Position) -> Result<(Position, Option<usize>, Type), XmlFail> {
    let (mut pos, mut style, mut typ) = (next, None, Type::None);
    let mut found = 0;
    for a in RawAttrs::new(e.attributes_raw()) {
        let (key, value) = a.map_err(|_| bad_attrs("c"))?;
        match key {
            "r" => {
                let (r, c) = cell_ref(value.as_bytes()).ok_or_else(|| bad_ref("cell", value))?;
                pos = (r, c.ok_or_else(|| bad_ref("cell", value))?);
            }
            "s" => style = Some(value.parse().unwrap_or(0)),
            "t" => {
                typ = match value {
                    "n" => Type::N,
                    "s" => Type::S,
                    "b" => Type::B,
                    "e" => Type::E,
                    "str" => Type::Str,
                    "d" => Type::D,
                    "inlineStr" | "is" => Type::Inline,
                    _ => Type::Other,
                }
            }
            _ => continue,
        }
        found += 1;
        if found == 3 {
            break;
        }
    }
    Ok((pos, style, typ))
}
