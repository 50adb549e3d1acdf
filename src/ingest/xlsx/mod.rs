//! ceping's own .xlsx reader: the package layout, the shared strings in one buffer, the
//! date formats, and each sheet's cells streamed from the inflater through quick-xml with
//! every limit enforced while it reads (see `runs.rs` for the bound on any one token, the
//! cell reader for the bound on a value, `merges.rs` for merged regions counted as they
//! stream). calamine still reads .xls and .ods; this gives the same cells as calamine's
//! .xlsx reader (the differential test in tests/it/sheet_reader.rs).
//!
//! Pure over `Read + Seek`: no other part of ceping is used (the fuzz crate compiles
//! these files as they are).

use std::io::{Read, Seek};

use zip::ZipArchive;

pub mod merges;
pub mod package;
pub mod runs;
pub mod sheet;
pub mod strings;
pub mod styles;
pub mod text;

pub use package::{Layout, SheetEntry};
pub use sheet::Value;
use strings::SharedStrings;
pub use text::NumberFormat;

/// The quick-xml reader every part is read with: no end-name checks (so no stack of open
/// names), text untrimmed, empty elements as a start and an end.
pub type Xml<R> = quick_xml::Reader<runs::Runs<R>>;

/// An element's local name (after a `prefix:`, as quick-xml's `local_name`): a byte loop
/// over a name of a few bytes, where `local_name`'s general `str::find` costs a few
/// per cent of a sheet's read (it runs for every event).
#[inline]
pub fn local(name: &str) -> &str {
    match name.bytes().position(|b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Markup longer than this stops a read (no sheet an office writes has a tag near it).
pub const TAG_CAP: u64 = 16 << 20;

pub fn xml<R: Read>(r: R, text_cap: u64) -> Xml<R> {
    let mut x = quick_xml::Reader::from_reader(runs::Runs::new(r, text_cap, TAG_CAP));
    let c = x.config_mut();
    c.check_end_names = false;
    c.trim_text(false);
    c.check_comments = false;
    c.expand_empty_elements = true;
    x
}

/// Why reading a part stopped, before it is placed.
#[derive(Debug)]
pub enum XmlFail {
    Xml(quick_xml::Error),
    /// A value longer than the bound it was read with.
    TooLong,
    /// The part ended inside the element named.
    Eof(&'static str),
    /// The part inflated past its limit (the bytes inflated so far).
    PartTooLarge(u64),
    Other(String),
}

impl From<quick_xml::Error> for XmlFail {
    fn from(e: quick_xml::Error) -> Self {
        XmlFail::Xml(e)
    }
}

/// What stops a read of the package, for the caller to word with the file and sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum XlsxError {
    /// A limit reached: the limit's name, its value and what was found, at (row, column).
    Limit {
        limit: &'static str,
        value: u64,
        what: String,
        at: Option<(u32, u32)>,
    },
    /// Not what a workbook holds: the part, what is wrong, at (row, column) in a sheet.
    Corrupt {
        part: String,
        message: String,
        at: Option<(u32, u32)>,
    },
}

/// The limits the reader enforces itself (rows and columns are the caller's).
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub cell_chars: usize,
    pub merged_regions: usize,
    /// Inflated bytes of the shared-strings part (held in memory as one buffer).
    pub shared_strings_bytes: u64,
}

impl ReadLimits {
    /// Bytes of raw text a cell may hold before it is surely over `cell_chars`: a
    /// character is at most 7 bytes as written (`_xHHHH_`); 10 as `&#1114111;`.
    pub fn cell_bytes(&self) -> usize {
        self.cell_chars.saturating_mul(10).saturating_add(64)
    }
}

type MergesResult = Result<Vec<calamine::Dimensions>, XlsxError>;

pub struct Package<R: Read + Seek> {
    zip: ZipArchive<R>,
    pub layout: Layout,
    strings: SharedStrings,
    formats: Vec<NumberFormat>,
    limits: ReadLimits,
    /// The merged regions of the next sheet, being found on a thread of its own (the
    /// search inflates the whole sheet, so it runs while the shared strings are read,
    /// or while the sheet before is).
    ahead: Option<(usize, std::thread::JoinHandle<MergesResult>)>,
}

impl<R: Read + Seek + Clone + Send + 'static> Package<R> {
    /// Reads the layout, the shared strings and the date formats. A package without a
    /// workbook part has no sheets.
    pub fn open(mut zip: ZipArchive<R>, limits: ReadLimits) -> Result<Self, XlsxError> {
        let layout = package::layout(&mut zip).unwrap_or_default();
        let ahead = merges_ahead(&zip, &layout, 0, limits);
        let dir = if layout.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", layout.dir)
        };
        let text_cap = limits.cell_bytes() as u64;
        // A large table (tens of MB of text in a sheet of many distinct strings) is read
        // while a thread inflates it.
        let strings = match package::part_name(&zip, &format!("{dir}sharedStrings.xml")) {
            None => SharedStrings::default(),
            Some(name) => on_inflater(&zip, &name, text_cap, |mut x| {
                SharedStrings::read(&mut x, limits.shared_strings_bytes)
                    .map_err(|e| placed(e, x.get_ref().failure(), &name, None, &limits))
            })??,
        };
        let formats = match open_part(&mut zip, &format!("{dir}styles.xml"))? {
            None => Vec::new(),
            Some((name, file)) => {
                let mut x = xml(file, text_cap);
                styles::read(&mut x).map_err(|e| placed(e, x.get_ref().failure(), &name, None, &limits))?
            }
        };
        Ok(Package {
            zip,
            layout,
            strings,
            formats,
            limits,
            ahead,
        })
    }

    pub fn is_1904(&self) -> bool {
        self.layout.is_1904
    }

    pub fn sheet_names(&self) -> Vec<String> {
        self.layout.sheets.iter().map(|s| s.name.clone()).collect()
    }

    /// Bytes the shared strings hold in memory.
    pub fn strings_bytes(&self) -> usize {
        self.strings.bytes()
    }

    fn part(&self, sheet: usize) -> Result<String, XlsxError> {
        let entry = self.layout.sheets.get(sheet).ok_or_else(|| XlsxError::Corrupt {
            part: String::new(),
            message: format!("the workbook has no sheet {}", sheet + 1),
            at: None,
        })?;
        entry.part.clone().ok_or_else(|| XlsxError::Corrupt {
            part: String::new(),
            message: format!("the package does not say where sheet {:?} is stored", entry.name),
            at: None,
        })
    }

    /// The merged regions of the sheet at `sheet` (its position), refused past the limit.
    /// The next sheet's are then looked for on a thread while this one is read.
    pub fn merges(&mut self, sheet: usize) -> Result<Vec<calamine::Dimensions>, XlsxError> {
        let found = match self.ahead.take() {
            Some((i, handle)) if i == sheet => handle.join().unwrap_or_else(|_| {
                Err(XlsxError::Corrupt {
                    part: String::new(),
                    message: "the merged-region search failed".into(),
                    at: None,
                })
            }),
            _ => {
                let part = self.part(sheet)?;
                find_merges(&mut self.zip, &part, self.limits)
            }
        };
        self.ahead = merges_ahead(&self.zip, &self.layout, sheet + 1, self.limits);
        found
    }

    /// Every cell with a value of the sheet at `sheet` (its position), in sheet order,
    /// until `f` returns `false`. The sheet is inflated on a thread of its own, a block
    /// ahead of the parsing (inflating is a fifth to a third of the work).
    pub fn cells(&mut self, sheet: usize, f: impl FnMut(u32, u32, Value<'_>) -> bool) -> Result<(), XlsxError> {
        let part = self.part(sheet)?;
        let name = package::part_name(&self.zip, &part).ok_or_else(|| missing(&part))?;
        let limits = self.limits;
        let (strings, formats) = (&self.strings, &self.formats);
        on_inflater(&self.zip, &name, limits.cell_bytes() as u64, |x| {
            let mut reader = sheet::SheetReader::new(x, strings, formats, limits.cell_bytes());
            let result = reader.run(f);
            result.map_err(|e| placed(e, reader.xml().get_ref().failure(), &name, Some(reader.at), &limits))
        })?
    }
}

/// The merged regions of the sheet stored at `part`, refused past the limit.
fn find_merges<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str, limits: ReadLimits) -> MergesResult {
    match merges::merges(zip, part, limits.merged_regions) {
        None => Err(missing(part)),
        Some(Ok(m)) => Ok(m),
        Some(Err(count)) => Err(XlsxError::Limit {
            limit: "merged_regions",
            value: limits.merged_regions as u64,
            what: format!("at least {count} merged regions"),
            at: None,
        }),
    }
}

/// Starts looking for the merged regions of the sheet at `sheet` on a thread, if the
/// workbook has that sheet and says where it is stored.
fn merges_ahead<R: Read + Seek + Clone + Send + 'static>(
    zip: &ZipArchive<R>,
    layout: &Layout,
    sheet: usize,
    limits: ReadLimits,
) -> Option<(usize, std::thread::JoinHandle<MergesResult>)> {
    let part = layout.sheets.get(sheet)?.part.clone()?;
    let mut zip = zip.clone();
    let handle = std::thread::Builder::new()
        .name("merges".into())
        .spawn(move || find_merges(&mut zip, &part, limits))
        .ok()?;
    Some((sheet, handle))
}

/// Runs `f` on the part `name` as XML while a thread of its own inflates it a block
/// ahead (inflating is a fifth to a third of the work); `Err` if the part cannot be read.
/// When `f` returns, the receiver is dropped and the inflater stops at its next send.
fn on_inflater<R: Read + Seek + Clone + Send, T>(
    zip: &ZipArchive<R>,
    name: &str,
    text_cap: u64,
    f: impl FnOnce(Xml<Blocks>) -> T,
) -> Result<T, XlsxError> {
    let mut zip = zip.clone();
    // Opened here first, so a part that cannot be read is an error before any thread.
    zip.by_name(name).map(drop).map_err(|e| XlsxError::Corrupt {
        part: name.to_string(),
        message: e.to_string(),
        at: None,
    })?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    Ok(std::thread::scope(|scope| {
        scope.spawn(move || inflate(&mut zip, name, &tx));
        f(xml(Blocks::new(rx), text_cap))
    }))
}

/// Inflates a part into blocks sent to the parser, until it ends or the parser is gone.
fn inflate<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    name: &str,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
) {
    const BLOCK: usize = 256 << 10;
    let mut file = match zip.by_name(name) {
        Ok(f) => f,
        Err(e) => {
            let _ = tx.send(Err(std::io::Error::other(e.to_string())));
            return;
        }
    };
    loop {
        let mut block = vec![0u8; BLOCK];
        let mut filled = 0;
        let failed = loop {
            match file.read(&mut block[filled..]) {
                Ok(0) => break None,
                Ok(n) => {
                    filled += n;
                    if filled == BLOCK {
                        break None;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        block.truncate(filled);
        let end = filled < BLOCK;
        if filled > 0 && tx.send(Ok(block)).is_err() {
            return;
        }
        if let Some(e) = failed {
            let _ = tx.send(Err(e));
            return;
        }
        if end {
            return;
        }
    }
}

/// The blocks the inflater sends, read as one stream.
struct Blocks {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    pos: usize,
}

impl Blocks {
    fn new(rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>) -> Self {
        Blocks {
            rx,
            block: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Blocks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.block.len() {
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    self.block = block;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.block.len() - self.pos);
        out[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn missing(part: &str) -> XlsxError {
    XlsxError::Corrupt {
        part: part.to_string(),
        message: format!("the package has no part {part}"),
        at: None,
    }
}

/// A part by its path (matched as calamine matches: case and slashes aside), opened.
fn open_part<'z, R: Read + Seek>(
    zip: &'z mut ZipArchive<R>,
    path: &str,
) -> Result<Option<(String, zip::read::ZipFile<'z, R>)>, XlsxError> {
    let Some(name) = package::part_name(zip, path) else {
        return Ok(None);
    };
    match zip.by_name(&name) {
        Ok(f) => Ok(Some((name, f))),
        Err(e) => Err(XlsxError::Corrupt {
            part: name,
            message: e.to_string(),
            at: None,
        }),
    }
}

/// A failure placed in its part (and cell), worded; `run` is why the token bound
/// stopped the read, if it did.
fn placed(
    e: XmlFail,
    run: Option<runs::RunTooLong>,
    part: &str,
    at: Option<(u32, u32)>,
    limits: &ReadLimits,
) -> XlsxError {
    let item = match at {
        Some(_) => "a cell",
        None if part.ends_with("sharedStrings.xml") => "a shared string",
        None => "a text",
    };
    let too_long = |at| XlsxError::Limit {
        limit: "cell_chars",
        value: limits.cell_chars as u64,
        what: format!("{item} with more than {} bytes of text", limits.cell_bytes()),
        at,
    };
    if let Some(run) = run {
        let after = at.map_or(String::new(), |(r, _)| format!(" (after row {})", r + 1));
        return if run.markup {
            XlsxError::Corrupt {
                part: part.to_string(),
                message: format!(
                    "markup (a tag or comment) longer than {} bytes in {part}{after}",
                    run.cap
                ),
                at: None,
            }
        } else {
            too_long(at)
        };
    }
    match e {
        XmlFail::TooLong => too_long(at),
        XmlFail::PartTooLarge(read) => XlsxError::Limit {
            limit: "shared_strings_bytes",
            value: limits.shared_strings_bytes,
            what: format!("its shared-strings table inflates to more than {read} bytes"),
            at: None,
        },
        XmlFail::Eof(inside) => XlsxError::Corrupt {
            part: part.to_string(),
            message: format!("{part} ends inside <{inside}> (truncated?)"),
            at,
        },
        XmlFail::Xml(e) => XlsxError::Corrupt {
            part: part.to_string(),
            message: format!("{part}: {e}"),
            at,
        },
        XmlFail::Other(m) => XlsxError::Corrupt {
            part: part.to_string(),
            message: m,
            at,
        },
    }
}
