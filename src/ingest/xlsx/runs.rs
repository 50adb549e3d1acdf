//! A part's XML as quick-xml reads it, with no token longer than a bound.
//!
//! quick-xml buffers a whole token: the text between two tags, or a tag with its
//! attributes. A crafted sheet of 1.4 MB can inflate to one 1.5 GB run of spaces, and the
//! reader would hold all of it. [`Runs`] sits between the inflater and quick-xml and looks
//! at every run between a `>` and the next `<` (text) or a `<` and the next `>` (markup):
//!
//! - a text run of whitespace only is cut at `text_cap` bytes: whitespace between
//!   elements means nothing, and a cell holding more than `text_cap` spaces is blank
//!   either way (so the cut changes no answer);
//! - a text run holding anything else past `text_cap` bytes, or markup past `tag_cap`
//!   bytes, stops the read with [`RunTooLong`] (a value that long is over the cell
//!   limit; markup that long is no sheet any office writes).
//!
//! The check is two `memchr2` calls per 64 KiB block on ordinary input (a run shorter
//! than a block cannot reach a cap of at least a megabyte), so it costs nothing
//! measurable; only blocks inside a long run are looked at byte by byte.

use std::io::{BufRead, Read};

/// Why [`Runs`] stopped: a run past its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTooLong {
    /// Markup (a tag, comment or CDATA section) rather than text.
    pub markup: bool,
    /// The bound it passed, in bytes.
    pub cap: u64,
}

impl std::fmt::Display for RunTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.markup { "markup" } else { "text" };
        write!(f, "a run of {what} longer than {} bytes", self.cap)
    }
}

impl std::error::Error for RunTooLong {}

const BLOCK: usize = 64 << 10;
/// The least a cap may be: more than a block, so runs inside one block are never long.
pub const MIN_CAP: u64 = 1 << 20;

pub struct Runs<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Bytes of the run in progress (after the last `<` or `>`), delivered or dropped.
    run: u64,
    /// The run in progress is markup (it follows a `<`).
    markup: bool,
    /// The text run in progress holds whitespace only so far.
    blank: bool,
    /// Past `text_cap` in a blank run: whitespace is dropped until the next `<`.
    dropping: bool,
    text_cap: u64,
    tag_cap: u64,
    failed: Option<RunTooLong>,
    /// Bytes inflated, and bytes dropped as excess whitespace.
    pub read: u64,
    pub dropped: u64,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl<R: Read> Runs<R> {
    pub fn new(inner: R, text_cap: u64, tag_cap: u64) -> Self {
        Runs {
            inner,
            buf: vec![0; BLOCK].into_boxed_slice(),
            pos: 0,
            end: 0,
            run: 0,
            markup: false,
            blank: true,
            dropping: false,
            text_cap: text_cap.max(MIN_CAP),
            tag_cap: tag_cap.max(MIN_CAP),
            failed: None,
            read: 0,
            dropped: 0,
        }
    }

    /// The run that stopped the read, if one did.
    pub fn failure(&self) -> Option<RunTooLong> {
        self.failed
    }

    fn fail(&mut self, markup: bool) -> std::io::Error {
        let e = RunTooLong {
            markup,
            cap: if markup { self.tag_cap } else { self.text_cap },
        };
        self.failed = Some(e);
        std::io::Error::other(e)
    }

    /// Checks a block just read into `buf[..n]`; returns how many bytes of it to deliver
    /// (excess whitespace is removed in place).
    fn check(&mut self, mut n: usize) -> std::io::Result<usize> {
        if self.dropping {
            let Some(k) = self.buf[..n].iter().position(|b| !is_ws(*b)) else {
                self.dropped += n as u64;
                return Ok(0);
            };
            self.dropped += k as u64;
            if self.buf[k] != b'<' {
                return Err(self.fail(false));
            }
            // The blank run ends here; the block goes on from its `<`.
            self.dropping = false;
            self.run = 0;
            self.buf.copy_within(k..n, 0);
            n -= k;
        }
        self.check_fresh(n)
    }

    fn check_fresh(&mut self, n: usize) -> std::io::Result<usize> {
        let block = &self.buf[..n];
        match memchr::memchr2(b'<', b'>', block) {
            None => {
                // The run goes on through the whole block.
                if !self.markup && self.blank {
                    self.blank = block.iter().all(|b| is_ws(*b));
                }
                self.grow(0, n, n)
            }
            Some(first) => {
                if !self.markup && self.blank && self.run + first as u64 > self.text_cap {
                    self.blank = block[..first].iter().all(|b| is_ws(*b));
                }
                let n = self.grow(0, first, n)?;
                // `grow` may have removed bytes before `first`: find the block's last
                // delimiter in what is kept.
                let block = &self.buf[..n];
                let last = memchr::memrchr2(b'<', b'>', block).expect("the first delimiter is kept");
                self.markup = block[last] == b'<';
                self.run = (n - last - 1) as u64;
                self.blank = !self.markup && block[last + 1..].iter().all(|b| is_ws(*b));
                Ok(n)
            }
        }
    }

    /// The run in progress goes on for `buf[from..to]` (of a block of `n` kept bytes):
    /// checks it against its cap; returns the block's kept length.
    fn grow(&mut self, from: usize, to: usize, n: usize) -> std::io::Result<usize> {
        let len = (to - from) as u64;
        let cap = if self.markup { self.tag_cap } else { self.text_cap };
        if self.run + len <= cap {
            self.run += len;
            return Ok(n);
        }
        if self.markup || !self.blank {
            return Err(self.fail(self.markup));
        }
        // Blank text past the cap: keep up to the cap, drop the rest of this run.
        let keep = from + (cap - self.run.min(cap)) as usize;
        self.dropped += (to - keep) as u64;
        self.run = cap;
        if to == n {
            self.dropping = true;
            return Ok(keep);
        }
        self.buf.copy_within(to..n, keep);
        Ok(n - (to - keep))
    }
}

impl<R: Read> Read for Runs<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(out.len());
            out[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> Runs<R> {
    /// Reads and checks the next block (the buffer is empty); stays empty at the end.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) -> std::io::Result<()> {
        while self.pos == self.end {
            if let Some(e) = self.failed {
                return Err(std::io::Error::other(e));
            }
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                return Ok(());
            }
            self.read += n as u64;
            // Empty until checked: a failed check leaves nothing to deliver.
            self.pos = 0;
            self.end = 0;
            self.end = self.check(n)?;
        }
        Ok(())
    }
}

impl<R: Read> BufRead for Runs<R> {
    // Called once or more per XML event: a compare on the common path, inlined into
    // quick-xml's loop (the refill is out of line).
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos == self.end {
            self.refill()?;
        }
        Ok(&self.buf[self.pos..self.end])
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.end);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per call (also for merges.rs's tests).
    pub struct Chunked<'a>(pub &'a [u8], pub usize);
    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn through(input: &[u8], step: usize) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Runs::new(Chunked(input, step), MIN_CAP, MIN_CAP).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn ordinary_xml_passes_unchanged() {
        let xml = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>\n".repeat(50_000);
        for step in [BLOCK, 7_777, 13] {
            assert_eq!(through(xml.as_bytes(), step).unwrap(), xml.as_bytes(), "step {step}");
        }
    }

    #[test]
    fn blank_runs_are_cut_at_the_cap_and_nothing_else_moves() {
        let cap = MIN_CAP as usize;
        for spaces in [cap - 1, cap, cap + 1, 3 * cap + 17] {
            let xml = format!("<a>{}</a><b>x</b>{}<c/>", " ".repeat(spaces), "\n".repeat(spaces));
            for step in [BLOCK, 65_537, 1_000] {
                let out = through(xml.as_bytes(), step).unwrap();
                let want = format!(
                    "<a>{}</a><b>x</b>{}<c/>",
                    " ".repeat(spaces.min(cap)),
                    "\n".repeat(spaces.min(cap))
                );
                assert_eq!(out.len(), want.len(), "{spaces} spaces, step {step}");
                assert!(out == want.as_bytes(), "{spaces} spaces, step {step}");
            }
        }
    }

    #[test]
    fn long_text_or_markup_stops_the_read() {
        let cap = MIN_CAP as usize;
        let text = format!("<t>{}x</t>", " ".repeat(cap + 5));
        let e = through(text.as_bytes(), BLOCK).unwrap_err();
        assert!(e.to_string().contains("a run of text longer than 1048576 bytes"), "{e}");
        let text = format!("<t>{}</t>", "长".repeat(cap / 3 + 1));
        assert!(through(text.as_bytes(), 999).is_err());
        let tag = format!("<c r=\"A1\" x=\"{}\"/>", "a".repeat(cap));
        let e = through(tag.as_bytes(), BLOCK).unwrap_err();
        assert!(e.to_string().contains("markup"), "{e}");
        // Just under the caps: passes.
        let ok = format!("<t>{}</t>", "y".repeat(cap - 1));
        assert_eq!(through(ok.as_bytes(), 4096).unwrap(), ok.as_bytes());
    }
}
