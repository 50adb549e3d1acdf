//! The sentences at the top of a report, each from a view: the plan's revisions, critical
//! infrastructure and classified systems, domestic cryptography.

use chrono::NaiveDate;

use super::build::{column_f64, Headline, Lang, Table};
use crate::error::Result;
use crate::sql::exec::query;
use crate::sql::print::cell_strings;
use crate::sql::Session;

/// One number from SQL (a count).
pub(super) async fn count(session: &Session, sql: &str) -> Result<i64> {
    let (_, batches) = query(&session.ctx, sql).await?;
    let cells = cell_strings(&batches)?;
    Ok(cells
        .first()
        .and_then(|r| r.first())
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// "关键信息基础设施 N 个（每年至少测评一次），截至D逾期 M 个；涉密系统 K 个，不纳入本周期",
/// from cycle_summary and classified_systems; none when the register marks no system.
pub(super) async fn cii_headline(session: &Session, d: &str, date: NaiveDate, lang: Lang) -> Result<Option<Headline>> {
    let cii = count(
        session,
        &format!("SELECT COALESCE(SUM(cii_systems), 0) FROM cycle_summary_as_of({d})"),
    )
    .await?;
    let overdue = count(
        session,
        &format!("SELECT COALESCE(SUM(cii_systems), 0) FROM cycle_summary_as_of({d}) WHERE status = 'overdue'"),
    )
    .await?;
    let classified = count(session, "SELECT COUNT(*) FROM classified_systems").await?;
    if cii == 0 && classified == 0 {
        return Ok(None);
    }
    Ok(Some(Headline {
        label: lang.pick("关键信息基础设施", "Critical infrastructure").to_string(),
        text: match lang {
            Lang::Zh => format!(
                "关键信息基础设施 {cii} 个（《网络安全法》第三十八条，每年至少测评一次），截至{date}逾期 {overdue} 个；涉密系统 {classified} 个，按分级保护管理，不纳入本周期"
            ),
            Lang::En => format!(
                "{cii} CII systems (assessed at least yearly), {overdue} overdue as of {date}; {classified} classified systems outside this cycle"
            ),
        },
    }))
}

/// The year's cryptography in one sentence, from crypto_migration.
pub(super) fn crypto_headline(crypto: &Table, year: i32, lang: Lang) -> Result<Option<Headline>> {
    let sum = |c: &str| -> Result<i64> { Ok(column_f64(crypto, c)?.iter().sum::<f64>() as i64) };
    let systems = sum("systems")?;
    if systems == 0 {
        return Ok(None);
    }
    let domestic = sum("domestic")?;
    let share = format!("{:.1}%", domestic as f64 * 100.0 / systems as f64);
    Ok(Some(Headline {
        label: lang.pick("国产密码应用", "Domestic cryptography").to_string(),
        text: match lang {
            Lang::Zh => format!(
                "{year}年登记系统 {systems} 个，已采用国产密码 {domestic} 个（{share}），改造中 {} 个，未采用 {} 个，未填报 {} 个；新建系统未采用国产密码 {} 个；产品不支持SM2 {} 个；密评通过 {} 个、未通过 {} 个，备案逾期 {} 个",
                sum("migrating")?,
                sum("none")?,
                sum("unknown")?,
                sum("new_without_domestic")?,
                sum("without_sm2")?,
                sum("crypto_passed")?,
                sum("crypto_failed")?,
                sum("filed_late")?
            ),
            Lang::En => format!(
                "{year}: {systems} register systems, {domestic} with domestic cryptography ({share}), {} migrating, {} none, {} not stated; {} new systems without it; {} without SM2; 密评 {} passed, {} failed, {} filed late",
                sum("migrating")?,
                sum("none")?,
                sum("unknown")?,
                sum("new_without_domestic")?,
                sum("without_sm2")?,
                sum("crypto_passed")?,
                sum("crypto_failed")?,
                sum("filed_late")?
            ),
        },
    }))
}

/// One sentence per pair of revisions compared: "第2版较第1版：新增 3 个系统，删除 2 个，…".
pub(super) fn revision_headlines(changes: &Table, lang: Lang) -> Result<Vec<Headline>> {
    let raw = changes.raw_cells()?;
    let at = |r: &[String], n: &str| changes.schema.index_of(n).map(|i| r[i].clone()).unwrap_or_default();
    let mut pairs: Vec<(String, String)> = raw
        .iter()
        .map(|r| (at(r, "from_revision"), at(r, "to_revision")))
        .collect();
    pairs.dedup();
    let kinds = [
        ("added", "新增", "added"),
        ("removed", "删除", "removed"),
        ("level_changed", "等级调整", "level changed"),
        ("moved", "变更单位", "moved"),
        ("renamed", "更名", "renamed"),
    ];
    Ok(pairs
        .into_iter()
        .map(|(from, to)| {
            let count = |kind: &str| {
                raw.iter()
                    .filter(|r| at(r, "from_revision") == from && at(r, "to_revision") == to && at(r, "change") == kind)
                    .count()
            };
            let parts: Vec<String> = kinds
                .iter()
                .filter(|(k, _, _)| count(k) > 0)
                .map(|(k, zh, en)| match lang {
                    Lang::Zh => format!("{zh} {} 个系统", count(k)),
                    Lang::En => format!("{} {en}", count(k)),
                })
                .collect();
            Headline {
                label: lang.pick("计划修订", "Plan revision").to_string(),
                text: match lang {
                    Lang::Zh => format!("第{to}版较第{from}版：{}", parts.join("，")),
                    Lang::En => format!("revision {to} against {from}: {}", parts.join(", ")),
                },
            }
        })
        .collect())
}
