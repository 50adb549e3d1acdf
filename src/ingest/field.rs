//! A source kind's columns as the sheet walker sees them: the fields with their header
//! synonyms, and a sheet column mapped to one. Pure data (also compiled by the fuzz
//! crate); the kinds' tables of fields are in their own modules.

/// A source column: the field it feeds and every header that names it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// Header spellings, matched after normalisation (full-width folded, spaces and a
    /// trailing unit in parentheses removed); the first one is the canonical label.
    pub synonyms: &'static [&'static str],
    /// The row is rejected when this field's cell is blank.
    pub required: bool,
    /// A blank cell takes the value above (merged department cells in sheets that lost
    /// their merge information).
    pub fill_down: FillDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillDown {
    Never,
    /// Always, like 主管部门 written once per group.
    Always,
    /// Only when the format keeps no merged regions (.ods).
    WithoutMergeInfo,
}

impl Field {
    pub const fn new(name: &'static str, synonyms: &'static [&'static str]) -> Self {
        Field {
            name,
            synonyms,
            required: false,
            fill_down: FillDown::Never,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn fill_down(mut self, f: FillDown) -> Self {
        self.fill_down = f;
        self
    }
    pub fn label(&self) -> &'static str {
        self.synonyms[0]
    }
}

/// A column of the sheet mapped to a field.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedColumn {
    pub col: u32,
    pub field: usize,
    /// The header as the sheet shows it (`风险数量/高` for a two-row band).
    pub header: String,
    /// The unit the header states, e.g. `万元`.
    pub unit: Option<String>,
}
