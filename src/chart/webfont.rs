//! The bundled font as a web font: the glyphs of the characters a report uses, cut out of
//! WenQuanYi Micro Hei and packed as WOFF2, so one .html file renders its Chinese the same
//! on a machine without CJK fonts (a fresh Debian, a server printing PDFs).
//!
//! Pure bytes in, bytes out. The subset keeps the TrueType outlines of the characters asked
//! for (and the glyphs composites are built from), renumbered from 0, with a new `cmap`
//! (format 4 and 12), full horizontal metrics, and the hinting tables as they were; the
//! layout tables (GSUB, GPOS) and vertical metrics are left out. WOFF2 stores every table
//! with the null transform, in one Brotli stream.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};

/// The tables a subset keeps (their tags in the order the font stores them).
const KEEP: &[&[u8; 4]] = &[
    b"OS/2", b"cmap", b"cvt ", b"fpgm", b"gasp", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"name",
    b"post", b"prep",
];

fn bad(why: impl std::fmt::Display) -> Error {
    Error::Internal(format!("the bundled font: {why}"))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or_else(|| bad(format!("reading 2 bytes at {at}")))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| bad(format!("reading 4 bytes at {at}")))
}

/// The tables of face `index` of a font file (.ttf or .ttc): tag → bytes.
fn tables(file: &[u8], index: u32) -> Result<BTreeMap<[u8; 4], &[u8]>> {
    let start = if file.starts_with(b"ttcf") {
        let faces = u32_at(file, 8)?;
        if index >= faces {
            return Err(bad(format!("no face {index}")));
        }
        u32_at(file, 12 + 4 * index as usize)? as usize
    } else {
        0
    };
    let count = u16_at(file, start + 4)? as usize;
    let mut out = BTreeMap::new();
    for i in 0..count {
        let rec = start + 12 + 16 * i;
        let tag: [u8; 4] = file
            .get(rec..rec + 4)
            .and_then(|t| t.try_into().ok())
            .ok_or_else(|| bad("a table record"))?;
        let (offset, length) = (u32_at(file, rec + 8)? as usize, u32_at(file, rec + 12)? as usize);
        let data = file
            .get(offset..offset + length)
            .ok_or_else(|| bad(format!("table {} out of the file", String::from_utf8_lossy(&tag))))?;
        out.insert(tag, data);
    }
    Ok(out)
}

/// The glyphs a composite glyph is built from, and where each index is written.
fn components(glyph: &[u8]) -> Result<Vec<(usize, u16)>> {
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const SCALE: u16 = 0x0008;
    const MORE: u16 = 0x0020;
    const XY_SCALE: u16 = 0x0040;
    const TWO_BY_TWO: u16 = 0x0080;
    let mut out = Vec::new();
    if glyph.len() < 10 || (u16_at(glyph, 0)? as i16) >= 0 {
        return Ok(out);
    }
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        out.push((at + 2, u16_at(glyph, at + 2)?));
        at += 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        at += if flags & SCALE != 0 {
            2
        } else if flags & XY_SCALE != 0 {
            4
        } else if flags & TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        if flags & MORE == 0 {
            return Ok(out);
        }
    }
}

/// A TrueType font with the glyphs of `chars` only (and `.notdef`), from face `index`.
pub fn subset_ttf(file: &[u8], index: u32, chars: &BTreeSet<char>) -> Result<Vec<u8>> {
    let t = tables(file, index)?;
    let table = |tag: &[u8; 4]| {
        t.get(tag)
            .copied()
            .ok_or_else(|| bad(format!("no `{}` table", String::from_utf8_lossy(tag))))
    };
    let face = ttf_parser::Face::parse(file, index).map_err(bad)?;
    let (head, maxp, hhea, hmtx, loca, glyf) = (
        table(b"head")?,
        table(b"maxp")?,
        table(b"hhea")?,
        table(b"hmtx")?,
        table(b"loca")?,
        table(b"glyf")?,
    );
    let glyphs = u16_at(maxp, 4)? as usize;
    let long_loca = u16_at(head, 50)? == 1;
    let offset = |g: usize| -> Result<usize> {
        Ok(if long_loca {
            u32_at(loca, 4 * g)? as usize
        } else {
            2 * u16_at(loca, 2 * g)? as usize
        })
    };
    let glyph = |g: u16| -> Result<&[u8]> {
        let (a, b) = (offset(g as usize)?, offset(g as usize + 1)?);
        glyf.get(a..b).ok_or_else(|| bad(format!("glyph {g} out of glyf")))
    };
    // The characters' glyphs, then everything their composites use.
    let mapped: Vec<(char, u16)> = chars
        .iter()
        .filter_map(|&c| face.glyph_index(c).map(|g| (c, g.0)))
        .collect();
    let mut keep: BTreeSet<u16> = std::iter::once(0).chain(mapped.iter().map(|(_, g)| *g)).collect();
    let mut todo: Vec<u16> = keep.iter().copied().collect();
    while let Some(g) = todo.pop() {
        for (_, part) in components(glyph(g)?)? {
            if (part as usize) < glyphs && keep.insert(part) {
                todo.push(part);
            }
        }
    }
    let order: Vec<u16> = keep.into_iter().collect();
    let new_id: BTreeMap<u16, u16> = order.iter().enumerate().map(|(i, g)| (*g, i as u16)).collect();

    // glyf and loca (long offsets), composites pointing at the new numbers.
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (order.len() + 1));
    for &g in &order {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let mut bytes = glyph(g)?.to_vec();
        for (at, part) in components(&bytes)? {
            let id = new_id.get(&part).copied().unwrap_or(0);
            bytes[at..at + 2].copy_from_slice(&id.to_be_bytes());
        }
        new_glyf.extend_from_slice(&bytes);
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    // hmtx: a full metric for every glyph.
    let long_metrics = u16_at(hhea, 34)? as usize;
    let mut new_hmtx = Vec::with_capacity(4 * order.len());
    for &g in &order {
        let g = g as usize;
        let (advance, lsb) = if g < long_metrics {
            (u16_at(hmtx, 4 * g)?, u16_at(hmtx, 4 * g + 2)?)
        } else {
            (
                u16_at(hmtx, 4 * (long_metrics - 1))?,
                u16_at(hmtx, 4 * long_metrics + 2 * (g - long_metrics))?,
            )
        };
        new_hmtx.extend_from_slice(&advance.to_be_bytes());
        new_hmtx.extend_from_slice(&lsb.to_be_bytes());
    }
    let mut new_hhea = hhea.to_vec();
    new_hhea[34..36].copy_from_slice(&(order.len() as u16).to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp[4..6].copy_from_slice(&(order.len() as u16).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());
    // post version 3: no glyph names.
    let mut new_post = table(b"post")?
        .get(..32)
        .ok_or_else(|| bad("a short post table"))?
        .to_vec();
    new_post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let pairs: Vec<(char, u16)> = mapped.iter().map(|(c, g)| (*c, new_id[g])).collect();
    let mut out: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    for tag in KEEP {
        let bytes = match *tag {
            b"cmap" => cmap(&pairs),
            b"glyf" => std::mem::take(&mut new_glyf),
            b"loca" => std::mem::take(&mut new_loca),
            b"hmtx" => std::mem::take(&mut new_hmtx),
            b"hhea" => new_hhea.clone(),
            b"maxp" => new_maxp.clone(),
            b"head" => new_head.clone(),
            b"post" => new_post.clone(),
            other => match t.get(other) {
                Some(b) => b.to_vec(),
                None => continue,
            },
        };
        out.insert(**tag, bytes);
    }
    Ok(assemble(&out))
}

/// A `cmap` with a format 4 subtable (Windows, BMP) and a format 12 one (Windows, full
/// repertoire): one segment a character. Format 4's length is 16 bits, so a text of more
/// than 8,000 distinct characters gets format 12 alone (which every browser reads).
fn cmap(pairs: &[(char, u16)]) -> Vec<u8> {
    let bmp: Vec<(u16, u16)> = pairs
        .iter()
        .filter(|(c, _)| (*c as u32) < 0xFFFF)
        .map(|(c, g)| (*c as u32 as u16, *g))
        .collect();
    if bmp.len() > 8_000 {
        return cmap_f12_only(pairs);
    }
    let segments = bmp.len() + 1;
    let search = 2 * (1u16 << (15 - (segments as u16).leading_zeros()).min(15));
    let mut f4 = Vec::new();
    let f4_len = 16 + 8 * segments;
    for v in [
        4u16,
        f4_len as u16,
        0,
        (2 * segments) as u16,
        search,
        (search / 2).trailing_zeros() as u16,
        (2 * segments) as u16 - search,
    ] {
        f4.extend_from_slice(&v.to_be_bytes());
    }
    let ends: Vec<u16> = bmp.iter().map(|(c, _)| *c).chain([0xFFFF]).collect();
    for e in &ends {
        f4.extend_from_slice(&e.to_be_bytes());
    }
    f4.extend_from_slice(&0u16.to_be_bytes()); // reservedPad
    for e in &ends {
        f4.extend_from_slice(&e.to_be_bytes()); // startCode = endCode: one character a segment
    }
    for (c, g) in &bmp {
        f4.extend_from_slice(&g.wrapping_sub(*c).to_be_bytes());
    }
    f4.extend_from_slice(&1u16.to_be_bytes()); // the 0xFFFF segment maps to glyph 0
    for _ in 0..segments {
        f4.extend_from_slice(&0u16.to_be_bytes()); // idRangeOffset
    }
    let f12 = format12(pairs);
    let mut out = Vec::new();
    for v in [0u16, 2] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let first = 4 + 2 * 8;
    for (encoding, at) in [(1u16, first), (10u16, first + f4.len())] {
        out.extend_from_slice(&3u16.to_be_bytes());
        out.extend_from_slice(&encoding.to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
    }
    out.extend_from_slice(&f4);
    out.extend_from_slice(&f12);
    out
}

fn format12(pairs: &[(char, u16)]) -> Vec<u8> {
    let mut f12 = Vec::new();
    f12.extend_from_slice(&12u16.to_be_bytes());
    f12.extend_from_slice(&0u16.to_be_bytes());
    f12.extend_from_slice(&((16 + 12 * pairs.len()) as u32).to_be_bytes());
    f12.extend_from_slice(&0u32.to_be_bytes());
    f12.extend_from_slice(&(pairs.len() as u32).to_be_bytes());
    for (c, g) in pairs {
        f12.extend_from_slice(&(*c as u32).to_be_bytes());
        f12.extend_from_slice(&(*c as u32).to_be_bytes());
        f12.extend_from_slice(&u32::from(*g).to_be_bytes());
    }
    f12
}

fn cmap_f12_only(pairs: &[(char, u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0u16, 1, 3, 10] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&12u32.to_be_bytes());
    out.extend_from_slice(&format12(pairs));
    out
}

fn checksum(bytes: &[u8]) -> u32 {
    bytes.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// The tables as one sfnt file, `head.checkSumAdjustment` set.
fn assemble(tables: &BTreeMap<[u8; 4], Vec<u8>>) -> Vec<u8> {
    let n = tables.len() as u16;
    let power = 1u16 << (15 - n.leading_zeros());
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [n, power * 16, power.trailing_zeros() as u16, n * 16 - power * 16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut at = 12 + 16 * tables.len();
    let mut head_at = 0;
    for (tag, bytes) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(bytes).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = at;
        }
        at += bytes.len().next_multiple_of(4);
    }
    for bytes in tables.values() {
        out.extend_from_slice(bytes);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjust.to_be_bytes());
    out
}

/// A TrueType font as WOFF2: the null transform for every table, one Brotli stream.
pub fn woff2(ttf: &[u8]) -> Result<Vec<u8>> {
    const KNOWN: &[&[u8; 4]] = &[
        b"cmap", b"head", b"hhea", b"hmtx", b"maxp", b"name", b"OS/2", b"post", b"cvt ", b"fpgm", b"glyf", b"loca",
        b"prep", b"CFF ", b"VORG", b"EBDT", b"EBLC", b"gasp", b"hdmx", b"kern", b"LTSH", b"PCLT", b"VDMX", b"vhea",
        b"vmtx", b"BASE", b"GDEF", b"GPOS", b"GSUB", b"EBSC", b"JSTF", b"MATH", b"CBDT", b"CBLC", b"COLR", b"CPAL",
        b"SVG ", b"sbix", b"acnt", b"avar", b"bdat", b"bloc", b"bsln", b"cvar", b"fdsc", b"feat", b"fmtx", b"fvar",
        b"gvar", b"hsty", b"just", b"lcar", b"mort", b"morx", b"opbd", b"prop", b"trak", b"Zapf", b"Silf", b"Glat",
        b"Gloc", b"Feat", b"Sill",
    ];
    let t = tables(ttf, 0)?;
    let mut directory = Vec::new();
    let mut stream = Vec::new();
    for (tag, bytes) in &t {
        // glyf and loca: transform version 3 (none); every other table: version 0 (none).
        let version: u8 = if tag == b"glyf" || tag == b"loca" { 3 << 6 } else { 0 };
        match KNOWN.iter().position(|k| *k == tag) {
            Some(i) => directory.push(version | i as u8),
            None => {
                directory.push(version | 63);
                directory.extend_from_slice(tag);
            }
        }
        base128(&mut directory, bytes.len() as u32);
        stream.extend_from_slice(bytes);
    }
    let mut compressed = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_FONT,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut std::io::Cursor::new(&stream), &mut compressed, &params)
            .map_err(|e| bad(format!("brotli: {e}")))?;
    }
    let sfnt_size = 12 + 16 * t.len() + t.values().map(|b| b.len().next_multiple_of(4)).sum::<usize>();
    let length = (48 + directory.len() + compressed.len()).next_multiple_of(4);
    let mut out = Vec::with_capacity(length);
    out.extend_from_slice(b"wOF2");
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&(length as u32).to_be_bytes());
    out.extend_from_slice(&(t.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&(sfnt_size as u32).to_be_bytes());
    out.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&[0; 20]); // no metadata, no private data
    out.extend_from_slice(&directory);
    out.extend_from_slice(&compressed);
    out.resize(length, 0);
    Ok(out)
}

/// WOFF2's UIntBase128.
fn base128(out: &mut Vec<u8>, v: u32) {
    let mut bytes = Vec::new();
    let mut v = v;
    loop {
        bytes.push((v & 0x7F) as u8);
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for (i, b) in bytes.iter().rev().enumerate() {
        out.push(if i + 1 < bytes.len() { b | 0x80 } else { *b });
    }
}

/// The bundled font's subset for `text` (every character in it, and printable ASCII), as
/// WOFF2.
pub fn for_text(font: &[u8], text: &str) -> Result<Vec<u8>> {
    let chars: BTreeSet<char> = text
        .chars()
        .filter(|c| !c.is_control())
        .chain((0x20u8..0x7F).map(char::from))
        .collect();
    woff2(&subset_ttf(font, 0, &chars)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> &'static [u8] {
        include_bytes!("../../assets/fonts/wqy-microhei.ttc")
    }

    #[test]
    fn a_subset_maps_exactly_its_characters_to_glyphs_with_outlines() {
        let chars: BTreeSet<char> = "测评整改ABC123".chars().collect();
        let ttf = subset_ttf(font(), 0, &chars).unwrap();
        let face = ttf_parser::Face::parse(&ttf, 0).unwrap();
        // .notdef, the characters, and the parts their composite glyphs are built from.
        assert!(
            face.number_of_glyphs() < 3 * chars.len() as u16,
            "{}",
            face.number_of_glyphs()
        );
        for c in &chars {
            let g = face.glyph_index(*c).unwrap_or_else(|| panic!("{c} is in the subset"));
            let bbox = face
                .glyph_bounding_box(g)
                .unwrap_or_else(|| panic!("{c} has an outline"));
            assert!(bbox.width() > 0, "{c}");
            assert!(face.glyph_hor_advance(g).is_some_and(|a| a > 0), "{c}");
        }
        assert!(
            face.glyph_index('简').is_none(),
            "a character not asked for is not in it"
        );
        // The same glyph outline as in the whole font.
        let whole = ttf_parser::Face::parse(font(), 0).unwrap();
        let (a, b) = (
            whole.glyph_bounding_box(whole.glyph_index('测').unwrap()).unwrap(),
            face.glyph_bounding_box(face.glyph_index('测').unwrap()).unwrap(),
        );
        assert_eq!(
            (a.x_min, a.y_min, a.x_max, a.y_max),
            (b.x_min, b.y_min, b.x_max, b.y_max)
        );
    }

    #[test]
    fn a_text_of_many_characters_gets_a_full_repertoire_cmap() {
        let chars: BTreeSet<char> = (0x4E00u32..0x4E00 + 9_000).filter_map(char::from_u32).collect();
        let ttf = subset_ttf(font(), 0, &chars).unwrap();
        let face = ttf_parser::Face::parse(&ttf, 0).unwrap();
        let whole = ttf_parser::Face::parse(font(), 0).unwrap();
        let in_font = chars.iter().filter(|c| whole.glyph_index(**c).is_some()).count();
        let in_subset = chars.iter().filter(|c| face.glyph_index(**c).is_some()).count();
        assert!(in_font > 8_000, "{in_font}");
        assert_eq!(in_subset, in_font);
    }

    #[test]
    fn woff2_of_a_report_is_small_and_well_formed() {
        let w = for_text(font(), "2019年第二季度安全测评工作情况：完成率45.2%").unwrap();
        assert_eq!(&w[..4], b"wOF2");
        assert_eq!(u32_at(&w, 8).unwrap() as usize, w.len());
        assert!(w.len() < 60_000, "{} bytes", w.len());
        let mut b = Vec::new();
        base128(&mut b, 0x3FFF);
        assert_eq!(b, [0xFF, 0x7F]);
    }
}
