//! Output for people: quarterly and briefing reports, fix-list workbooks, XLSX sheets.
//! Reports read the warehouse through the metric views only.

pub mod build;
pub mod diff;
pub mod docx;
pub mod fixlist;
pub mod letters;
pub mod preview;
pub mod render;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use build::{Lang, Scope};

use crate::error::Result;
use crate::sql::Session;

/// Builds and writes a report into `out`; returns the files written.
pub async fn write(session: &Session, scope: Scope, lang: Lang, out: &Path) -> Result<Vec<PathBuf>> {
    let report = build::build(session, scope, lang).await?;
    render::write(&report, lang, out)
}
