//! One cell as a report writes it: Chinese words for codes (便函 / 督促函, 按期 / 逾期,
//! conclusions, risk levels, crypto states), rates as percentages, money in 万元.

use super::build::Lang;

/// A code's Chinese word, in the columns that hold codes.
pub(super) fn zh_word(column: &str, value: &str) -> Option<&'static str> {
    Some(match (column, value) {
        ("letter" | "kind", code) => super::letters::LetterKind::from_code(code)?.short(),
        ("source", "assessment") => "测评",
        ("source", "inspection") => "安全检查",
        ("source", "monitoring") => "安全监测",
        ("reply", "not_issued") => "未发出",
        ("reply", "awaiting") => "待答复",
        ("reply", "unanswered") => "逾期未答复",
        ("reply", "answered_on_time") => "按期答复",
        ("reply", "answered_late") => "逾期答复",
        ("status", "unknown") => "无法确定",
        ("crypto", "domestic") => "已采用",
        ("crypto", "migrating") => "改造中",
        ("crypto", "none") => "未采用",
        ("crypto", "unknown") => "未填报",
        ("crypto_result", "pass") => "符合",
        ("crypto_result", "basic_pass") => "基本符合",
        ("crypto_result", "fail") => "不符合",
        ("status", "on_time") => "按期",
        ("status", "due_soon") => "即将到期",
        ("status", "overdue") => "逾期",
        ("status", "on_track") => "按计划",
        ("status", "late") => "超期",
        ("status", "done") => "已完成",
        ("status", "fixed") => "已整改",
        ("status", "open") => "未整改",
        ("status", "in_progress") => "整改中",
        ("conclusion", "pass") => "符合",
        ("conclusion", "basic_pass") => "基本符合",
        ("conclusion", "fail") => "不符合",
        ("conclusion", "excellent") => "优",
        ("conclusion", "good") => "良",
        ("conclusion", "fair") => "中",
        ("conclusion", "poor") => "差",
        ("risk" | "risk_level", "high") => "高",
        ("risk" | "risk_level", "medium") => "中",
        ("risk" | "risk_level", "low") => "低",
        ("reason", "periodic") => "周期测评",
        ("reason", "new") => "新建系统",
        ("reason", "change") => "重大变更复测",
        ("change", "added") => "新增",
        ("change", "removed") => "删除",
        ("change", "level_changed") => "等级调整",
        ("change", "moved") => "变更单位",
        ("change", "renamed") => "更名",
        _ => return None,
    })
}

/// One cell as a report shows it.
pub fn display(cell: &str, column: &str, ty: &datafusion::arrow::datatypes::DataType, lang: Lang) -> String {
    use datafusion::arrow::datatypes::DataType;
    if cell.is_empty() {
        return String::new();
    }
    if column.ends_with("_rate") {
        if let Ok(v) = cell.parse::<f64>() {
            return format!("{:.1}%", v * 100.0);
        }
    }
    if lang == Lang::En {
        return cell.to_string();
    }
    if let Some(word) = zh_word(column, cell) {
        return word.to_string();
    }
    if let DataType::Decimal128(_, 2) = ty {
        return wan_yuan(cell).unwrap_or_else(|| cell.to_string());
    }
    cell.to_string()
}

/// `622300.00` (yuan) → `62.23` (万元), rounded half away from zero to the hundredth.
pub fn wan_yuan(yuan: &str) -> Option<String> {
    let (int, frac) = yuan.split_once('.').unwrap_or((yuan, "0"));
    let neg = int.starts_with('-');
    let digits = format!("{}{:0<2}", int.trim_start_matches('-'), &frac[..frac.len().min(2)]);
    let fen: i128 = digits.parse().ok()?;
    // 1 万元 = 1,000,000 fen; hundredths of 万元 = 10,000 fen.
    let hundredths = (fen + 5_000) / 10_000;
    Some(format!(
        "{}{}.{:02}",
        if neg && hundredths > 0 { "-" } else { "" },
        hundredths / 100,
        hundredths % 100
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;

    #[test]
    fn money_in_wan_yuan_to_the_hundredth() {
        assert_eq!(wan_yuan("622300.00").as_deref(), Some("62.23"));
        assert_eq!(wan_yuan("49.99").as_deref(), Some("0.00"));
        assert_eq!(wan_yuan("50.00").as_deref(), Some("0.01"));
        assert_eq!(wan_yuan("12345678.90").as_deref(), Some("1234.57"));
        assert_eq!(wan_yuan("0").as_deref(), Some("0.00"));
    }

    #[test]
    fn cells_read_as_a_briefing_writes_them() {
        let money = DataType::Decimal128(18, 2);
        assert_eq!(display("urge", "letter", &DataType::Utf8, Lang::Zh), "督促函");
        assert_eq!(display("notice", "letter", &DataType::Utf8, Lang::Zh), "便函");
        assert_eq!(display("urge", "kind", &DataType::Utf8, Lang::Zh), "督促函");
        assert_eq!(display("inspection", "source", &DataType::Utf8, Lang::Zh), "安全检查");
        assert_eq!(display("answered_late", "reply", &DataType::Utf8, Lang::Zh), "逾期答复");
        assert_eq!(display("due_soon", "status", &DataType::Utf8, Lang::Zh), "即将到期");
        assert_eq!(
            display("basic_pass", "conclusion", &DataType::Utf8, Lang::Zh),
            "基本符合"
        );
        assert_eq!(display("high", "risk", &DataType::Utf8, Lang::Zh), "高");
        assert_eq!(
            display("0.13636", "completion_rate", &DataType::Float64, Lang::Zh),
            "13.6%"
        );
        assert_eq!(display("622300.00", "spent", &money, Lang::Zh), "62.23");
        assert_eq!(display("urge", "letter", &DataType::Utf8, Lang::En), "urge");
        assert_eq!(display("622300.00", "spent", &money, Lang::En), "622300.00");
    }
}
