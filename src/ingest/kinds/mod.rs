//! The registry of source kinds: one file each, one line here. `--kind`, detection, the
//! warehouse's tables ([`catalog`]), `check` and `ceping tables` all derive from it.

pub mod assessments;
pub mod budgets;
pub mod findings;
pub mod letters;
pub mod plan;
pub mod systems;

use super::kind::SourceKind;
use crate::schema::Catalog;

/// Every source kind, in the order their tables are listed and committed.
static KINDS: &[&dyn SourceKind] = &[
    &plan::Plan,
    &assessments::Assessments,
    &findings::Findings,
    &budgets::Budgets,
    &systems::Systems,
    &letters::Letters,
];

pub fn all() -> &'static [&'static dyn SourceKind] {
    KINDS
}

/// The kind `--kind` or `ingest_log.kind` names (by its name or its table's).
pub fn by_name(name: &str) -> Option<&'static dyn SourceKind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.name() == name || k.table().name == name)
}

/// The kind whose rows go to `table`.
pub fn by_table(table: &str) -> Option<&'static dyn SourceKind> {
    KINDS.iter().copied().find(|k| k.table().name == table)
}

/// The kind that also takes rows from `kind`'s workbooks (the register), if any.
pub fn companion_of(kind: &dyn SourceKind) -> Option<&'static dyn SourceKind> {
    KINDS
        .iter()
        .copied()
        .find(|c| c.name() != kind.name() && !c.companion_fields().is_empty())
}

/// `kind`'s fields followed by the companion's that `kind` does not have (by name): the
/// columns a sheet of `kind` is read with when a companion may take rows from it. Built
/// once per pair.
pub fn fields_with(kind: &dyn SourceKind, companion: Option<&dyn SourceKind>) -> &'static [super::field::Field] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    let Some(companion) = companion else {
        return kind.fields();
    };
    type Combined = HashMap<(&'static str, &'static str), &'static [super::field::Field]>;
    static CACHE: OnceLock<Mutex<Combined>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cache.entry((kind.name(), companion.name())).or_insert_with(|| {
        let mut fields = kind.fields().to_vec();
        for f in companion.fields() {
            if !fields.iter().any(|g| g.name == f.name) {
                // (The kind's own required columns decide its header; the companion's
                // rows need no column of theirs.)
                let mut f = *f;
                f.required = false;
                fields.push(f);
            }
        }
        Box::leak(fields.into_boxed_slice())
    })
}

pub fn names() -> String {
    KINDS.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// Every table of a warehouse: the kinds' tables, then the bookkeeping ones.
pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| Catalog::new(KINDS.iter().map(|k| k.table()).collect()))
}

/// A kind as a command-line value: `--kind plan`.
#[derive(Clone, Copy)]
pub struct KindName(pub &'static dyn SourceKind);

impl std::fmt::Debug for KindName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

impl std::str::FromStr for KindName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        by_name(s.trim())
            .map(KindName)
            .ok_or_else(|| format!("unknown kind `{s}`; expected one of {}", names()))
    }
}
