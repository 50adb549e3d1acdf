//! What a source kind is: its target table, its columns with header synonyms (the one
//! place a new header spelling is added), and its row mapper.

pub use super::field::{Field, FillDown};
use super::row::{FieldRow, RowError, Value};
use crate::warehouse::schema::TableDef;

/// What a mapper may look up besides the row: the warehouse's state and the file's year.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub year: Option<i32>,
    /// The plan revision this file becomes (numbered by `load` before the rows are read).
    pub revision: Option<i32>,
    /// `(year, system_id)` of every system in each year's current plan, as digests.
    pub planned: Planned,
    /// assessment_id → system_id of known assessments.
    pub assessments: Assessed,
}

/// A 128-bit digest of a text (two independent 64-bit hashes): look-ups of a national
/// warehouse keep 16 bytes a key, not the key's text (a million assessments: ~30 MB, not
/// ~130 MB as a map of strings).
pub fn digest(parts: &[&str]) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (parts, 0x9E37_79B9_7F4A_7C15_u64).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The systems of each year's current plan.
#[derive(Debug, Default, Clone)]
pub struct Planned(std::collections::HashSet<u128>);

impl Planned {
    pub fn insert(&mut self, year: i32, system_id: &str) {
        self.0.insert(digest(&[&year.to_string(), system_id]));
    }
    pub fn contains(&self, year: i32, system_id: &str) -> bool {
        self.0.contains(&digest(&[&year.to_string(), system_id]))
    }
}

/// assessment_id → system_id: digests of the ids, the system ids in one buffer.
#[derive(Debug, Default, Clone)]
pub struct Assessed {
    at: std::collections::HashMap<u128, (u32, u32)>,
    text: String,
}

impl Assessed {
    pub fn insert(&mut self, assessment_id: &str, system_id: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(system_id);
        self.at
            .insert(digest(&[assessment_id]), (start, system_id.len() as u32));
    }
    pub fn get(&self, assessment_id: &str) -> Option<&str> {
        self.at
            .get(&digest(&[assessment_id]))
            .map(|&(start, len)| &self.text[start as usize..(start + len) as usize])
    }
}

/// Which parts of the warehouse's state a kind's mapper consults (loaded before its rows
/// are read; at a national warehouse each is tens of MB, so only what is used is loaded).
#[derive(Debug, Default, Clone, Copy)]
pub struct Lookups {
    /// [`Context::planned`].
    pub planned: bool,
    /// [`Context::assessments`].
    pub assessments: bool,
}

pub trait SourceKind: Sync {
    /// The name used by `--kind` and in `ingest_log.kind`.
    fn name(&self) -> &'static str;
    /// Chinese name, and the words in titles and file names that announce this kind.
    fn keywords(&self) -> &'static [&'static str];
    fn table(&self) -> &'static TableDef;
    fn fields(&self) -> &'static [Field];
    /// Whether the file must say its year (plans); others take years from their dates.
    fn needs_year(&self) -> bool {
        false
    }
    /// The columns that identify a row across workbooks: a newer workbook's row replaces
    /// the stored row with the same key (an upsert). Empty: rows are only appended.
    fn key(&self) -> &'static [&'static str] {
        &[]
    }
    /// The warehouse state [`SourceKind::map_row`] reads from its [`Context`].
    fn lookups(&self) -> Lookups {
        Lookups::default()
    }
    /// Maps one data row to the table's own columns (lineage is added by the caller).
    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError>;
}

/// Every source kind. `--kind` help, detection and the table list derive from this.
pub fn kinds() -> &'static [&'static dyn SourceKind] {
    &[
        &super::plan::Plan,
        &super::assessments::Assessments,
        &super::findings::Findings,
        &super::budgets::Budgets,
    ]
}

pub fn kind_by_name(name: &str) -> Option<&'static dyn SourceKind> {
    kinds()
        .iter()
        .copied()
        .find(|k| k.name() == name || k.table().name == name)
}

pub fn kind_names() -> String {
    kinds().iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}
