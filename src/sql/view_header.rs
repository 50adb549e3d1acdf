//! A view's words: the header block at the top of its `.sql` file, the one place its
//! Chinese and English labels, its description and its columns' words are written.
//!
//! ```sql
//! -- view: crypto_migration
//! -- label: 国产密码应用情况 | Domestic cryptography
//! -- as_of_function: crypto_migration_as_of
//! -- description: Per year and department, register systems by crypto state …
//! --   (more prose: the rules, quoted where they come from)
//! -- column year: 年度 | year
//! -- column new_without_domestic: 新建未用国产密码 | new systems without domestic crypto | short: 新建未用
//! ```
//!
//! `short:` is the heading a report table uses when the label is too long for it.
//! Pure and without imports: `build.rs` compiles this file too and refuses to build a view
//! without its words; `ceping tables`, `describe`, the reports and the server's comments
//! read them through [`parse`].

/// One column's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnWords<'a> {
    pub name: &'a str,
    /// The Chinese label (`describe`, the server's column comments, XLSX headers).
    pub zh: &'a str,
    /// What the column means, in English.
    pub en: &'a str,
    /// A shorter Chinese heading for report tables, when the label is long.
    pub short: Option<&'a str>,
}

impl<'a> ColumnWords<'a> {
    /// The heading a report table shows.
    pub fn heading(&self) -> &'a str {
        self.short.unwrap_or(self.zh)
    }
}

/// The header block of one view file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub view: &'a str,
    pub label_zh: &'a str,
    pub label_en: &'a str,
    /// The table function a date-taking view declares.
    pub as_of_function: Option<&'a str>,
    /// The description and the prose after it (the leading comments that are not words).
    pub doc: String,
    pub columns: Vec<ColumnWords<'a>>,
}

impl<'a> Header<'a> {
    pub fn column(&self, name: &str) -> Option<&ColumnWords<'a>> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Reads the leading `--` block of a view file. Errors name what is missing.
pub fn parse(sql: &str) -> Result<Header<'_>, String> {
    let mut view = None;
    let mut label = None;
    let mut as_of_function = None;
    let mut description = false;
    let mut doc: Vec<&str> = Vec::new();
    let mut columns: Vec<ColumnWords<'_>> = Vec::new();
    for line in sql.lines().take_while(|l| l.starts_with("--")) {
        let text = line.trim_start_matches("--").trim();
        if let Some(v) = text.strip_prefix("view:") {
            view = Some(v.trim());
        } else if let Some(l) = text.strip_prefix("label:") {
            let (zh, en) = l
                .split_once('|')
                .ok_or_else(|| format!("`{line}`: a label is `中文 | English`"))?;
            label = Some((zh.trim(), en.trim()));
        } else if let Some(f) = text.strip_prefix("as_of_function:") {
            as_of_function = Some(f.trim());
        } else if let Some(d) = text.strip_prefix("description:") {
            description = true;
            doc.push(d.trim());
        } else if let Some(c) = text.strip_prefix("column ") {
            columns.push(column(c).map_err(|e| format!("`{line}`: {e}"))?);
        } else if !text.is_empty() {
            doc.push(text);
        }
    }
    let view = view.ok_or("no `-- view: NAME` line")?;
    let (label_zh, label_en) = label.ok_or("no `-- label: 中文 | English` line")?;
    if !description {
        return Err("no `-- description:` line".into());
    }
    if label_zh.is_empty() || label_en.is_empty() {
        return Err("the label needs both its Chinese and its English words".into());
    }
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].iter().any(|d| d.name == c.name) {
            return Err(format!("column `{}` has words twice", c.name));
        }
    }
    Ok(Header {
        view,
        label_zh,
        label_en,
        as_of_function,
        doc: doc.join(" "),
        columns,
    })
}

/// `NAME: 中文 | meaning [| short: 简称]`
fn column(text: &str) -> Result<ColumnWords<'_>, String> {
    let (name, words) = text
        .split_once(':')
        .ok_or("a column line is `column NAME: 中文 | meaning`")?;
    let mut parts = words.split('|').map(str::trim);
    let zh = parts.next().unwrap_or("");
    let en = parts.next().unwrap_or("");
    let short = match parts.next() {
        Some(s) => Some(
            s.strip_prefix("short:")
                .map(str::trim)
                .ok_or("the third part is `short: 简称`")?,
        ),
        None => None,
    };
    if parts.next().is_some() {
        return Err("at most three parts: label, meaning, short".into());
    }
    let name = name.trim();
    if name.is_empty() || zh.is_empty() || en.is_empty() {
        return Err("a column needs its name, Chinese label and meaning".into());
    }
    Ok(ColumnWords { name, zh, en, short })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_gives_its_words() {
        let h = parse(
            "-- view: v\n-- label: 视图 | A view\n-- as_of_function: v_as_of\n-- description: First. More\n\
             -- prose here.\n-- column a: 甲 | the a | short: 甲简\n-- column b: 乙 | the b\nSELECT 1",
        )
        .unwrap();
        assert_eq!((h.view, h.label_zh, h.label_en), ("v", "视图", "A view"));
        assert_eq!(h.as_of_function, Some("v_as_of"));
        assert_eq!(h.doc, "First. More prose here.");
        assert_eq!(h.column("a").unwrap().heading(), "甲简");
        assert_eq!(h.column("b").unwrap().heading(), "乙");
        assert_eq!(h.column("b").unwrap().en, "the b");
    }

    #[test]
    fn missing_words_are_named() {
        assert_eq!(parse("SELECT 1").unwrap_err(), "no `-- view: NAME` line");
        assert!(parse("-- view: v\n-- description: x\nSELECT 1")
            .unwrap_err()
            .contains("label"));
        assert!(parse("-- view: v\n-- label: 视图 | V\nSELECT 1")
            .unwrap_err()
            .contains("description"));
        assert!(
            parse("-- view: v\n-- label: 视图 | V\n-- description: x\n-- column a: 甲\nSELECT 1")
                .unwrap_err()
                .contains("meaning")
        );
        assert!(
            parse("-- view: v\n-- label: 视图 | V\n-- description: x\n-- column a: 甲 | a\n-- column a: 甲 | a\n")
                .unwrap_err()
                .contains("twice")
        );
    }
}
