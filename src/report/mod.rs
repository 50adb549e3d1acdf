//! Output for people: quarterly and briefing reports, fix-list workbooks, XLSX sheets.
//! Reports read the warehouse through the metric views only.

pub mod build;
mod cells;
pub mod diff;
pub mod docx;
pub mod fixlist;
mod headlines;
pub mod letters;
pub mod preview;
pub mod prose;
pub mod render;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use build::{Lang, Scope};

/// Which report to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// One quarter: plan, execution so far, rectification, letters due, spending.
    Quarterly,
    /// One year in the shape of the leadership briefing, with trends and next year's plan.
    Briefing,
}

use crate::error::Result;
use crate::sql::Session;

/// A name (a department, a unit) as part of a file name: characters no file system takes
/// become `_`; an empty name is 未填.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.trim().is_empty() {
        "未填".into()
    } else {
        s
    }
}

/// `stem` made unique among `taken` (`stem_2`, `stem_3` …), and taken.
pub fn unique_stem(stem: String, taken: &mut std::collections::HashSet<String>) -> String {
    let mut candidate = stem.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{stem}_{n}");
    }
    candidate
}

/// Builds and writes a report into `out`; returns the files written.
pub async fn write(session: &Session, scope: Scope, lang: Lang, out: &Path) -> Result<Vec<PathBuf>> {
    let report = build::build(session, scope, lang).await?;
    render::write(&report, lang, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe_and_unique() {
        assert_eq!(file_stem("市教委/考试院"), "市教委_考试院");
        assert_eq!(file_stem(" "), "未填");
        let mut taken = std::collections::HashSet::new();
        assert_eq!(unique_stem(file_stem("a/b"), &mut taken), "a_b");
        assert_eq!(unique_stem(file_stem("a:b"), &mut taken), "a_b_2");
        assert_eq!(unique_stem(file_stem("a_b"), &mut taken), "a_b_3");
    }
}
