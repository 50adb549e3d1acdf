//! What a source kind is. A kind declares itself in one file of `kinds/`: its table (with
//! its write policy), its columns with their header synonyms, the look-ups its mapper
//! needs (SQL over the warehouse snapshot) and the mapper. Everything else — detection,
//! the walker, staging and committing, `check`, `tables`/`describe` — reads the
//! declaration through the registry ([`super::kinds::all`]).

use std::collections::HashMap;

pub use super::field::{Field, FillDown};
use super::row::{FieldRow, RowError, Value};
use crate::schema::TableDef;

pub trait SourceKind: Sync {
    /// The name used by `--kind` and in `ingest_log.kind` (its table declares it).
    #[allow(clippy::misnamed_getters, reason = "a kind's name is the `kind` its table declares")]
    fn name(&self) -> &'static str {
        self.table().kind
    }
    /// Chinese name, and the words in titles and file names that announce this kind.
    fn keywords(&self) -> &'static [&'static str];
    /// The table the rows go to, with its write policy (append, revisioned, upsert by key).
    fn table(&self) -> &'static TableDef;
    fn fields(&self) -> &'static [Field];
    /// Whether the file must say its year (a title, file name, `--year` or a 年度 column).
    fn needs_year(&self) -> bool {
        false
    }
    /// The warehouse state [`SourceKind::map_row`] reads from its [`Context`].
    fn lookups(&self) -> &'static [&'static Lookup] {
        &[]
    }
    /// A stored flag of another table that this kind's current revision decides (a new
    /// current plan re-flags which assessments were planned).
    fn refreshes(&self) -> Option<&'static Refresh> {
        None
    }
    /// The kind's own columns by which a workbook of another kind also fills its table
    /// (the register's 关基, 涉密 and 密码 columns in a plan). Such rows fill in, never
    /// blank what the table holds. Empty: only its own workbooks fill it.
    fn companion_fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// Maps one data row to the table's own columns (lineage is added by the caller).
    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError>;

    /// For a table without a `department` column: a query over the warehouse's tables
    /// giving each of its rows (all its columns) and `ceping_owner`, the department the
    /// row belongs to — what a department user of the server sees of it
    /// (`access::scope`). `None`: the table's `department` column decides, or (without
    /// one) no department sees its rows.
    fn department_owner(&self) -> Option<&'static str> {
        None
    }

    /// The key rows are upserted on (empty: appended).
    fn key(&self) -> &'static [&'static str] {
        self.table().key()
    }
}

/// A look-up: rows of SQL over the warehouse snapshot, loaded before a file's rows are
/// read. Every column but the last is the key; the last is the value ([`Shape::Map`]), or
/// every column is the key ([`Shape::Set`]). Keys are kept as 16-byte digests, so a
/// national warehouse's million assessments take ~30 MB, not a map of strings.
#[derive(Debug)]
pub struct Lookup {
    pub name: &'static str,
    /// The tables the SQL reads.
    pub tables: &'static [&'static str],
    pub sql: &'static str,
    pub shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Set,
    Map,
}

/// See [`SourceKind::refreshes`]: when a file becomes the current revision of its year,
/// `flag` of `table`'s rows of that year is set to whether their `id` is among the ids of
/// the revision's rows (the `id` column of this kind's table); rows whose flag changes
/// are upserted.
#[derive(Debug)]
pub struct Refresh {
    pub table: &'static TableDef,
    pub flag: &'static str,
    pub id: &'static str,
    pub year: &'static str,
}

/// What a mapper may look up besides the row: the warehouse's state and the file's year.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub year: Option<i32>,
    /// The revision this file becomes (numbered before the rows are read).
    pub revision: Option<i32>,
    /// The file's name and its sheets' titles (a 安全检查 workbook gives its findings that
    /// source).
    pub words: String,
    lookups: HashMap<&'static str, LookupTable>,
}

impl Context {
    /// A look-up the kind declared; empty when it was not loaded (`inspect` reads a file
    /// without a warehouse).
    pub fn lookup(&self, name: &str) -> &LookupTable {
        static EMPTY: std::sync::OnceLock<LookupTable> = std::sync::OnceLock::new();
        self.lookups
            .get(name)
            .unwrap_or_else(|| EMPTY.get_or_init(LookupTable::default))
    }

    pub fn set_lookup(&mut self, name: &'static str, table: LookupTable) {
        self.lookups.insert(name, table);
    }
}

/// A 128-bit digest of a text (two independent 64-bit hashes): look-ups of a national
/// warehouse keep 16 bytes a key, not the key's text.
pub fn digest(parts: &[&str]) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (parts, 0x9E37_79B9_7F4A_7C15_u64).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The rows of one [`Lookup`]: key digests, and the values in one buffer.
#[derive(Debug, Default, Clone)]
pub struct LookupTable {
    at: HashMap<u128, (u32, u32)>,
    text: String,
}

impl LookupTable {
    pub fn insert(&mut self, key: &[&str], value: Option<&str>) {
        let value = value.unwrap_or("");
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.at.insert(digest(key), (start, value.len() as u32));
    }

    pub fn contains(&self, key: &[&str]) -> bool {
        self.at.contains_key(&digest(key))
    }

    pub fn get(&self, key: &[&str]) -> Option<&str> {
        self.at
            .get(&digest(key))
            .map(|&(start, len)| &self.text[start as usize..(start + len) as usize])
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_finds_its_keys_and_values() {
        let mut t = LookupTable::default();
        t.insert(&["R1"], Some("S1"));
        t.insert(&["2019", "S2"], None);
        assert_eq!(t.get(&["R1"]), Some("S1"));
        assert!(t.contains(&["2019", "S2"]) && !t.contains(&["2019S2"]) && !t.contains(&["2020", "S2"]));
        let ctx = Context::default();
        assert!(ctx.lookup("planned").is_empty());
    }
}
