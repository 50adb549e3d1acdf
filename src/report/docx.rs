//! A minimal Word document (.docx, WordprocessingML) writer for letters: paragraphs and
//! one kind of bordered table, in the fonts of an official letter. The package holds only
//! the parts Word, WPS and LibreOffice need; entries carry a fixed time, so the same
//! content gives the same bytes.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;

use crate::error::{Error, Result};

/// How a paragraph is set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Centred, bold, 二号 (22 pt).
    Title,
    /// Centred, 三号.
    Centred,
    /// Body text, 三号 仿宋, first line indented two characters.
    Body,
    /// Body text without indent (salutation).
    Plain,
    /// Right-aligned (signature, date).
    Right,
}

enum Block {
    Paragraph(Style, String),
    Table { widths: Vec<u32>, rows: Vec<Vec<String>> },
}

/// A document under construction.
#[derive(Default)]
pub struct Document {
    title: String,
    blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: &str) -> Self {
        Document {
            title: title.to_string(),
            blocks: Vec::new(),
        }
    }

    pub fn paragraph(&mut self, style: Style, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(style, text.into()));
    }

    /// A table; the first row is the header. `widths` in twentieths of a point.
    pub fn table(&mut self, widths: &[u32], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table {
            widths: widths.to_vec(),
            rows,
        });
    }

    /// The text of the document, paragraph by paragraph and cell by cell (what a reader
    /// sees; tests compare against it).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Paragraph(_, t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Block::Table { rows, .. } => {
                    for r in rows {
                        out.push_str(&r.join("\t"));
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let wrap = |e: &dyn std::fmt::Display| Error::Usage(format!("writing `{}`: {e}", path.display()));
        let file = fs_err::File::create(path)?;
        let mut zip = zip::ZipWriter::new(file);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let parts: [(&str, String); 6] = [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", ROOT_RELS.to_string()),
            ("docProps/core.xml", core(&self.title)),
            ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
            ("word/styles.xml", STYLES.to_string()),
            ("word/document.xml", self.document_xml()),
        ];
        for (name, body) in parts {
            zip.start_file(name, options).map_err(|e| wrap(&e))?;
            zip.write_all(body.as_bytes())?;
        }
        zip.finish().map_err(|e| wrap(&e))?;
        Ok(())
    }

    fn document_xml(&self) -> String {
        let mut x = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
        );
        for b in &self.blocks {
            match b {
                Block::Paragraph(style, text) => paragraph(&mut x, *style, text),
                Block::Table { widths, rows } => table(&mut x, widths, rows),
            }
        }
        // A4 portrait, the margins of an official letter (37 / 35 / 28 / 26 mm).
        x.push_str(
            r#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        );
        x
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn paragraph(x: &mut String, style: Style, text: &str) {
    let (jc, ind, run) = match style {
        Style::Title => (
            "center",
            "",
            r#"<w:rFonts w:eastAsia="方正小标宋简体"/><w:b/><w:sz w:val="44"/>"#,
        ),
        Style::Centred => ("center", "", ""),
        Style::Body => ("both", r#"<w:ind w:firstLineChars="200" w:firstLine="640"/>"#, ""),
        Style::Plain => ("left", "", ""),
        Style::Right => ("right", "", ""),
    };
    x.push_str(&format!(
        r#"<w:p><w:pPr><w:spacing w:line="560" w:lineRule="exact"/>{ind}<w:jc w:val="{jc}"/></w:pPr><w:r><w:rPr>{run}</w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        escape(text)
    ));
}

fn table(x: &mut String, widths: &[u32], rows: &[Vec<String>]) {
    let border = |side: &str| format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#);
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
        .iter()
        .map(|s| border(s))
        .collect();
    x.push_str(&format!(
        r#"<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr><w:tblGrid>"#
    ));
    for w in widths {
        x.push_str(&format!(r#"<w:gridCol w:w="{w}"/>"#));
    }
    x.push_str("</w:tblGrid>");
    for (r, row) in rows.iter().enumerate() {
        x.push_str("<w:tr>");
        if r == 0 {
            // The header row repeats on each page.
            x.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for (c, cell) in row.iter().enumerate() {
            let w = widths.get(c).copied().unwrap_or(1200);
            let bold = if r == 0 { "<w:b/>" } else { "" };
            x.push_str(&format!(
                r#"<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr>{bold}<w:sz w:val="24"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc>"#,
                escape(cell)
            ));
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
}

fn core(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>ceping</dc:creator></cp:coreProperties>"#,
        escape(title)
    )
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Body text in 仿宋 三号 (16 pt), Latin in Times New Roman.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="仿宋" w:cs="Times New Roman"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault/></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_package_is_stable() {
        let mut d = Document::new("t");
        d.paragraph(Style::Body, "A & B <c>");
        d.table(
            &[1000, 1000],
            vec![vec!["序号".into(), "系统".into()], vec!["1".into(), "x\u{1}y".into()]],
        );
        let xml = d.document_xml();
        assert!(xml.contains("A &amp; B &lt;c&gt;"));
        assert!(xml.contains(">xy<"));
        assert_eq!(d.text(), "A & B <c>\n序号\t系统\n1\tx\u{1}y\n");
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.docx"), dir.path().join("b.docx"));
        d.save(&a).unwrap();
        d.save(&b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
}
