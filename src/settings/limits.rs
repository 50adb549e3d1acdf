//! Limits on what one workbook may make ceping do, so a small hostile file cannot take
//! the machine: inflated part sizes (checked from the zip's directory before anything is
//! inflated), cell text length, columns, rows and merged regions. Crossing one is an
//! error naming the file, sheet and limit; the warehouse is unchanged.
//!
//! Resolved with the other settings ([`super::Settings`]) from `--limit NAME=VALUE`,
//! `CEPING_LIMITS` and the `[limits]` table of `<warehouse>/ceping.toml`, and handed to the
//! workbook reader.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Inflated bytes of one sheet part (`xl/worksheets/*.xml`, `content.xml`).
    pub sheet_bytes: u64,
    /// Inflated bytes of `xl/sharedStrings.xml` (read whole when the file opens).
    pub shared_strings_bytes: u64,
    /// Characters in one cell (Excel's own limit is 32,767).
    pub cell_chars: usize,
    /// Columns of a sheet (Excel's own limit is 16,384).
    pub columns: u32,
    /// Rows of a sheet (Excel's and LibreOffice's limit is 1,048,576).
    pub rows: u32,
    /// Merged regions of a sheet.
    pub merged_regions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sheet_bytes: 2 << 30,
            // Held in memory (one buffer): a 1M-row sheet of distinct strings has ~135 MB.
            shared_strings_bytes: 256 << 20,
            cell_chars: 32_767,
            columns: 16_384,
            rows: 1_048_576,
            merged_regions: 1_000_000,
        }
    }
}

/// The names `--limit` and `CEPING_LIMITS` take, with what each means.
pub const NAMES: &[(&str, &str)] = &[
    ("sheet_bytes", "inflated bytes of one sheet part"),
    ("shared_strings_bytes", "inflated bytes of the shared-strings part"),
    ("cell_chars", "characters in one cell"),
    ("columns", "columns of a sheet"),
    ("rows", "rows of a sheet"),
    ("merged_regions", "merged regions of a sheet"),
];

impl Limits {
    /// Applies `name=value` pairs (`cell_chars=40000`, `sheet_bytes=4G`).
    pub fn apply(mut self, pairs: &str) -> Result<Self, String> {
        for pair in pairs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("a limit is NAME=VALUE: `{pair}`"))?;
            self = self.set(name.trim(), value.trim())?;
        }
        Ok(self)
    }

    fn set(mut self, name: &str, value: &str) -> Result<Self, String> {
        let n = super::size::parse(value).map_err(|e| format!("limit {name}: {e}"))?;
        let small = |n: u64| u32::try_from(n).map_err(|_| format!("limit {name}: {n} is too large"));
        match name {
            "sheet_bytes" => self.sheet_bytes = n,
            "shared_strings_bytes" => self.shared_strings_bytes = n,
            "cell_chars" => self.cell_chars = n as usize,
            "columns" => self.columns = small(n)?,
            // Rows are stored as `source_row` (Int32).
            "rows" => self.rows = small(n)?.min(i32::MAX as u32),
            "merged_regions" => self.merged_regions = n as usize,
            other => {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown limit `{other}` (limits: {})", names.join(", ")));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_name_what_is_wrong() {
        let l = Limits::default()
            .apply("cell_chars=100, sheet_bytes=64M,rows=2_000")
            .unwrap();
        assert_eq!((l.cell_chars, l.sheet_bytes, l.rows), (100, 64 << 20, 2000));
        assert!(Limits::default()
            .apply("colour=3")
            .unwrap_err()
            .contains("unknown limit `colour`"));
        assert!(Limits::default().apply("rows=0").unwrap_err().contains("more than 0"));
        assert!(Limits::default().apply("rows").unwrap_err().contains("NAME=VALUE"));
        assert_eq!(
            Limits::default().apply("rows=9G").unwrap_err(),
            "limit rows: 9663676416 is too large"
        );
    }
}
