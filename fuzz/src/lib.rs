//! The pure parsers under fuzzing, compiled from ceping's own source files.

#[path = "../../src/ingest/cells.rs"]
pub mod cells;
#[path = "../../src/ingest/field.rs"]
pub mod field;
#[path = "../../src/ingest/normalize.rs"]
pub mod normalize;
#[path = "../../src/ingest/sheet.rs"]
pub mod sheet;
#[path = "../../src/ingest/xlsx/mod.rs"]
pub mod xlsx;

pub mod harness;
