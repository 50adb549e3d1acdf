//! Pure normalisers for hand-made workbook cells: names, protection levels, dates, money
//! and counts. No I/O; every function takes text or a number and returns a value or a
//! reason a person can act on. Property-tested never to panic.

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width digits, letters, parentheses and the ideographic space become ASCII),
/// whitespace runs and line breaks collapsed to one space, trimmed, and spaces next to a
/// CJK character removed (`市 教委` → `市教委`; `Web 门户` → `Web门户`). Control
/// characters (C0 other than tab and line breaks, DEL, C1) and bidirectional formatting
/// characters (U+202A–U+202E, U+2066–U+2069, LRM, RLM, ALM) are removed: they are never
/// part of a name, and in a terminal they can rewrite what is shown.
pub fn text(raw: &str) -> String {
    text_cow(raw).into_owned()
}

/// [`text`] without a copy when the text is already normal (most cells are: the ingest
/// hot path).
pub fn text_cow(raw: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII and CJK unified ideographs are NFKC-stable and hold no whitespace.
    if raw.chars().all(|c| matches!(c, '!'..='~' | '\u{4E00}'..='\u{9FFF}')) {
        return raw.into();
    }
    let normal = unicode_normalization::is_nfkc_quick(raw.chars()) == unicode_normalization::IsNormalized::Yes;
    if normal && !raw.chars().any(|c| is_space(c) || is_hidden_control(c)) {
        return raw.into();
    }
    let nfkc: std::borrow::Cow<'_, str> = if normal {
        raw.into()
    } else {
        raw.nfkc().collect::<String>().into()
    };
    let mut collapsed = String::with_capacity(nfkc.len());
    let mut pending_space = false;
    for ch in nfkc.chars() {
        if is_space(ch) {
            pending_space = !collapsed.is_empty();
            continue;
        }
        if is_hidden_control(ch) {
            continue;
        }
        if pending_space {
            let prev = collapsed.chars().next_back();
            if !(is_cjk(ch) || prev.is_some_and(is_cjk)) {
                collapsed.push(' ');
            }
            pending_space = false;
        }
        collapsed.push(ch);
    }
    collapsed.into()
}

/// A control or bidirectional formatting character: removed from text cells.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whitespace, and the zero-width characters pasted text carries.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}'
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

/// A header cell as a lookup key: normalised text without any spaces, `*` marks and
/// trailing colons, and without a unit in parentheses, which is returned apart:
/// `申报金额（万元）` → (`申报金额`, Some(`万元`)).
pub fn header_key(raw: &str) -> (String, Option<String>) {
    let t: String = text(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != ':')
        .collect();
    if let Some(open) = t.rfind('(') {
        if t.ends_with(')') && open > 0 {
            let unit = t[open + 1..t.len() - 1].to_string();
            let base = t[..open].to_string();
            let unit = unit.trim_start_matches("单位").to_string();
            return (base, Some(unit));
        }
    }
    (t, None)
}

const CN_DIGITS: &[(char, u32)] = &[
    ('零', 0),
    ('〇', 0),
    ('一', 1),
    ('二', 2),
    ('两', 2),
    ('三', 3),
    ('四', 4),
    ('五', 5),
    ('六', 6),
    ('七', 7),
    ('八', 8),
    ('九', 9),
];

fn cn_digit(c: char) -> Option<u32> {
    CN_DIGITS.iter().find(|(d, _)| *d == c).map(|(_, v)| *v)
}

/// A small Chinese or Arabic numeral: `3`, `三`, `十二`, `十`.
fn small_number(s: &str) -> Option<u32> {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => cn_digit(*d),
        ['十', d] => cn_digit(*d).map(|v| 10 + v),
        [t, '十'] => cn_digit(*t).map(|v| v * 10),
        [t, '十', d] => Some(cn_digit(*t)? * 10 + cn_digit(*d)?),
        _ => None,
    }
}

pub const LEVEL_EXPECTED: &str = "expected 1–5, 三级, 第三级, S3A3G3";

/// A protection level (安全保护等级) 1–5 from `3`, `3级`, `三级`, `第三级`, `等保三级`,
/// `S3A3G3` (the highest of S and A, which is the G grade) or `第三级(S3A2G3)`.
pub fn level(raw: &str) -> Result<i8, String> {
    let t = text(raw).to_uppercase();
    let bad = || format!("{raw:?} is not a protection level ({LEVEL_EXPECTED})");
    // The SAG notation, possibly inside parentheses after a written level.
    if let Some(g) = sag_level(&t) {
        return in_level_range(g).ok_or_else(bad);
    }
    let mut s = t.as_str();
    for prefix in ["等级保护", "等保", "第"] {
        s = s.strip_prefix(prefix).unwrap_or(s);
    }
    let s = s.split('(').next().unwrap_or(s);
    let s = s.trim_end_matches("级").trim_end_matches(".0");
    small_number(s).and_then(|v| in_level_range(v as i64)).ok_or_else(bad)
}

fn in_level_range(v: i64) -> Option<i8> {
    (1..=5).contains(&v).then_some(v as i8)
}

fn sag_level(t: &str) -> Option<i64> {
    let start = t.find('S')?;
    let rest = &t[start..];
    let b = rest.as_bytes();
    if b.len() >= 6
        && b[0] == b'S'
        && b[2] == b'A'
        && b[4] == b'G'
        && b[1].is_ascii_digit()
        && b[3].is_ascii_digit()
        && b[5].is_ascii_digit()
    {
        return Some((b[5] - b'0') as i64);
    }
    None
}

/// The precision a written date carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    Day(NaiveDate),
    Month { year: i32, month: u32 },
    Quarter { year: Option<i32>, quarter: u32 },
}

impl DateValue {
    /// A day for a date column: a month means its first day. A quarter is not a date.
    pub fn as_day(self) -> Option<NaiveDate> {
        match self {
            DateValue::Day(d) => Some(d),
            DateValue::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1),
            DateValue::Quarter { .. } => None,
        }
    }

    pub fn quarter(self) -> u32 {
        match self {
            DateValue::Day(d) => (d.month() - 1) / 3 + 1,
            DateValue::Month { month, .. } => (month - 1) / 3 + 1,
            DateValue::Quarter { quarter, .. } => quarter,
        }
    }
}

pub const DATE_EXPECTED: &str =
    "expected a date such as 2019-03-05, 2019/3/5, 2019.03.05, 2019年3月5日, 2019年3月 or 2019年第一季度";

/// Days between 0001-01-01 (chrono's CE day 1) and 1970-01-01, for `Date32`.
pub const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

pub fn date32(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

/// A date written as text: `2019-03-05`, `2019/3/5`, `2019.03.05`, `20190305`,
/// `2019年3月5日`, `2019.3`, `2019年3月`, `2019-03`, `2019年第一季度`, `2019年一季度`,
/// `2019Q1`, `一季度`, `第1季度`, `Q1`. Impossible days (2019-02-30) and months are errors.
pub fn date_text(raw: &str) -> Result<DateValue, String> {
    // A time of day after the date (`2019-03-05 00:00:00`, `2019-03-05T10:00`) is dropped.
    let normalised = text_cow(raw);
    let without_time = match normalised.find([' ', 'T']) {
        Some(i) if normalised[i..].contains(':') => &normalised[..i],
        _ => &*normalised,
    };
    let mut t = String::with_capacity(without_time.len());
    for c in without_time.chars().filter(|c| !c.is_whitespace()) {
        push_upper(&mut t, c);
    }
    let bad = |why: &str| format!("{raw:?} is not a date{why} ({DATE_EXPECTED})");
    if t.is_empty() {
        return Err(bad(""));
    }
    // Quarters.
    if let Some(q) = quarter_text(&t) {
        return q.ok_or_else(|| bad(": no such quarter"));
    }
    let date_part = t.as_str();
    let cleaned = date_part.trim_end_matches('日').trim_end_matches('号');
    let parts: Vec<&str> = cleaned
        .split(['-', '/', '.', '年', '月'])
        .filter(|p| !p.is_empty())
        .collect();
    let all_digits = parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    if !all_digits {
        return Err(bad(""));
    }
    let num = |s: &str| s.parse::<u32>().ok();
    match parts.as_slice() {
        [ymd] if ymd.len() == 8 => {
            let (y, m, d) = (num(&ymd[..4]), num(&ymd[4..6]), num(&ymd[6..]));
            day(y, m, d).ok_or_else(|| bad(": no such day"))
        }
        [y, m, d] if y.len() == 4 => day(num(y), num(m), num(d)).ok_or_else(|| bad(": no such day")),
        [y, m] if y.len() == 4 && m.len() <= 2 => {
            let (y, m) = (num(y).unwrap_or(0) as i32, num(m).unwrap_or(0));
            if (1..=12).contains(&m) && (1900..=2100).contains(&y) {
                Ok(DateValue::Month { year: y, month: m })
            } else {
                Err(bad(": no such month"))
            }
        }
        _ => Err(bad("")),
    }
}

fn day(y: Option<u32>, m: Option<u32>, d: Option<u32>) -> Option<DateValue> {
    let y = y? as i32;
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m?, d?).map(DateValue::Day)
}

/// `Some(Some(q))` for a recognised quarter, `Some(None)` for a quarter-shaped text with a
/// bad number (第五季度), `None` when the text is not about quarters.
fn quarter_text(t: &str) -> Option<Option<DateValue>> {
    let head = t.get(..4).filter(|h| h.chars().all(|c| c.is_ascii_digit()));
    let (year, rest) = match head {
        Some(h) => {
            let after = &t[4..];
            if let Some(r) = after.strip_prefix('年') {
                (h.parse::<i32>().ok(), r)
            } else if after.starts_with(['Q', '-', '第']) {
                (h.parse::<i32>().ok(), after.trim_start_matches('-'))
            } else {
                (None, t)
            }
        }
        None => (None, t),
    };
    let q = if let Some(n) = rest.strip_prefix('Q') {
        n
    } else if rest.ends_with("季度") || rest.ends_with('季') {
        rest.trim_start_matches('第')
            .trim_end_matches("季度")
            .trim_end_matches('季')
    } else {
        return None;
    };
    Some(
        small_number(q)
            .filter(|q| (1..=4).contains(q))
            .map(|quarter| DateValue::Quarter { year, quarter }),
    )
}

/// An Excel serial day number (1900 system, with Lotus's phantom 1900-02-29, or the 1904
/// system) as a date.
pub fn excel_serial(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    if is_1904 {
        return NaiveDate::from_ymd_opt(1904, 1, 1)?.checked_add_signed(chrono::Duration::days(days));
    }
    // Serial 60 is the non-existent 1900-02-29; serials after it are one day ahead.
    let base = NaiveDate::from_ymd_opt(1899, 12, 31)?;
    let days = if days >= 60 { days - 1 } else { days };
    if days == 59 && serial.floor() as i64 == 60 {
        return None;
    }
    base.checked_add_signed(chrono::Duration::days(days))
}

/// A date from a number cell: a serial date, or a `2019.3`-style year.month typed as a
/// number (years 1990–2100 are never serials this tool meets: serial 2019 is 1905).
pub fn date_number(v: f64, is_1904: bool) -> Result<DateValue, String> {
    if (1990.0..2101.0).contains(&v) {
        let year = v.trunc() as i32;
        let frac = ((v - v.trunc()) * 100.0).round() as u32;
        let month = if frac.is_multiple_of(10) && frac != 10 {
            frac / 10
        } else {
            frac
        };
        return if (1..=12).contains(&month) {
            Ok(DateValue::Month { year, month })
        } else {
            Err(format!("{v} is not a date ({DATE_EXPECTED})"))
        };
    }
    excel_serial(v, is_1904)
        .filter(|d| (1900..=2100).contains(&d.year()))
        .map(DateValue::Day)
        .ok_or_else(|| format!("{v} is not a date serial ({DATE_EXPECTED})"))
}

/// Multiplier of a money column's unit: `万元` → 10⁴ yuan, `元` → 1.
pub fn money_unit(unit: Option<&str>) -> Option<u32> {
    match unit.map(|u| u.trim()) {
        None | Some("") | Some("元") | Some("人民币元") | Some("RMB") => Some(0),
        Some("万元") | Some("万") => Some(4),
        Some("千元") => Some(3),
        Some("百万元") => Some(6),
        Some("亿元") => Some(8),
        _ => None,
    }
}

/// An amount in fen (yuan × 100) from text such as `12,800.00`, `¥12800`, `12800元`,
/// `1.28万` or `1.28` in a 万元 column (`shift` = 4): exact decimal arithmetic, rounded
/// half away from zero to the fen only when the source has more digits than fen.
pub fn money_text(raw: &str, shift: u32) -> Result<i128, String> {
    let t: String = text(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    let bad = || format!("{raw:?} is not an amount (expected a number such as 12800, 12,800.00 or 1.28万)");
    let mut s = t.trim_start_matches(['¥', '￥']).trim_start_matches("RMB");
    let mut shift = shift;
    for (suffix, sh) in [("万元", 4), ("万", 4), ("元", 0)] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
            shift = sh;
            break;
        }
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
        || int_part.len() > 16
    {
        return Err(bad());
    }
    // value = int.frac × 10^shift, in fen = × 10^(shift + 2).
    let scale = shift + 2;
    let nonzero = digits.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut fen: i128 = 0;
    for c in int_part.chars() {
        fen = fen * 10 + (c as i128 - '0' as i128);
    }
    fen *= 10i128.pow(scale);
    let frac: Vec<u32> = frac_part.chars().map(|c| c as u32 - '0' as u32).collect();
    for (i, d) in frac.iter().enumerate() {
        let pos = scale as i64 - 1 - i as i64;
        if pos >= 0 {
            fen += *d as i128 * 10i128.pow(pos as u32);
        } else if pos == -1 && *d >= 5 {
            fen += 1;
            break;
        } else {
            break;
        }
    }
    let at_least_one_fen = int_part.chars().any(|c| c != '0') || frac.iter().take(scale as usize).any(|d| *d != 0);
    if nonzero && !at_least_one_fen {
        return Err(format!(
            "{raw:?} is less than one fen (0.01 元) but not zero: an amount is whole fen (check the unit)"
        ));
    }
    Ok(if negative { -fen } else { fen })
}

/// The shortest text that reads back as the same f64: what the user typed in Excel.
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A whole count (风险数): `3`, `3.0`, `3个`, `3项`. `约10`, `3.5`, `-1` are errors.
pub fn count_text(raw: &str) -> Result<i32, String> {
    let t = text(raw);
    let s = t.trim_end_matches(['个', '项', '条']);
    let s = s.strip_suffix(".0").unwrap_or(s);
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) && s.len() <= 9 {
        return s.parse().map_err(|_| format!("{raw:?} is not a count"));
    }
    small_number(s)
        .map(|v| v as i32)
        .ok_or_else(|| format!("{raw:?} is not a whole count (expected 0, 1, 2, …)"))
}

pub fn count_number(v: f64) -> Result<i32, String> {
    if v.fract() == 0.0 && (0.0..1e9).contains(&v) {
        Ok(v as i32)
    } else {
        Err(format!("{} is not a whole count (expected 0, 1, 2, …)", number_text(v)))
    }
}

/// A yes/no cell in every form offices write it: 是/否, 有/无, √/×, ✓/✗, Y/N, yes/no,
/// true/false, 1/0 (full-width, any case, spaces and a trailing period ignored). Blank is
/// unknown and never reaches here; anything else is an error, never a guess.
pub fn yes_no(raw: &str) -> Result<bool, String> {
    let t = text(raw);
    let mut key = String::with_capacity(t.len());
    for c in t.chars().filter(|c| !c.is_whitespace()) {
        push_lower(&mut key, c);
    }
    let key = key.trim_end_matches(['.', '。']);
    match key {
        "是" | "有" | "√" | "✓" | "✔" | "y" | "yes" | "true" | "1" | "是的" | "对" => Ok(true),
        "否" | "无" | "×" | "✗" | "✘" | "x" | "n" | "no" | "false" | "0" | "不是" => Ok(false),
        _ => Err(format!(
            "{raw:?} is not yes or no (是/否, 有/无, √/×, Y/N, yes/no, true/false, 1/0)"
        )),
    }
}

/// A key that identifies a system across years when it has no filing number.
pub fn system_key(unit: &str, system: &str) -> String {
    format!("{}|{}", name_key(unit), name_key(system))
}

/// A name for matching: normalised, without spaces or punctuation, ASCII lowercased.
pub fn name_key(name: &str) -> String {
    let t = text_cow(name);
    let mut key = String::with_capacity(t.len());
    for c in t.chars().filter(|c| {
        c.is_alphanumeric() || is_cjk(*c) && !c.is_ascii_punctuation() && !"（）()《》【】“”\"'、，。·".contains(*c)
    }) {
        push_lower(&mut key, c);
    }
    key
}

/// `c` lower-cased onto `s` (ASCII and CJK, most of what cells hold, without tables).
pub fn push_lower(s: &mut String, c: char) {
    match c {
        'A'..='Z' => s.push(c.to_ascii_lowercase()),
        '\0'..='\u{7f}' | '\u{4E00}'..='\u{9FFF}' => s.push(c),
        _ => s.extend(c.to_lowercase()),
    }
}

/// `c` upper-cased onto `s`, as [`push_lower`].
pub fn push_upper(s: &mut String, c: char) {
    match c {
        'a'..='z' => s.push(c.to_ascii_uppercase()),
        '\0'..='\u{7f}' | '\u{4E00}'..='\u{9FFF}' => s.push(c),
        _ => s.extend(c.to_uppercase()),
    }
}

/// A filing number (备案编号): normalised, spaces removed, upper-case.
pub fn filing_number(raw: &str) -> String {
    let t = text_cow(raw);
    let mut out = String::with_capacity(t.len());
    for c in t.chars().filter(|c| !c.is_whitespace()) {
        push_upper(&mut out, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ymd(y: i32, m: u32, d: u32) -> DateValue {
        DateValue::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn yes_and_no_in_every_written_form() {
        for yes in [
            "是", "有", "√", "✓", "Y", "y", "Yes", "YES", "true", "TRUE", "1", "１", " 是 ", "Ｙ",
        ] {
            assert_eq!(yes_no(yes), Ok(true), "{yes:?}");
        }
        for no in ["否", "无", "×", "✗", "N", "n", "No", "false", "0", "０", "x"] {
            assert_eq!(yes_no(no), Ok(false), "{no:?}");
        }
        for bad in ["待定", "不确定", "2", "是否", "yesno", "-"] {
            assert!(yes_no(bad).unwrap_err().contains("is not yes or no"), "{bad:?}");
        }
    }

    #[test]
    fn text_folds_full_width_and_whitespace() {
        assert_eq!(text("  市　教委\n信息中心 "), "市教委信息中心");
        assert_eq!(text("ＡＢＣ １２３"), "ABC 123");
        assert_eq!(text("Web  门户\r\n系统"), "Web门户系统");
        assert_eq!(text("OA system"), "OA system");
    }

    #[test]
    fn header_key_splits_off_the_unit() {
        assert_eq!(header_key("申报金额（万元）"), ("申报金额".into(), Some("万元".into())));
        assert_eq!(header_key("* 系统 名称\n"), ("系统名称".into(), None));
        assert_eq!(header_key("金额(单位:元)"), ("金额".into(), Some("元".into())));
    }

    #[test]
    fn levels_in_every_written_form() {
        for (raw, want) in [
            ("3", 3),
            ("3级", 3),
            ("三级", 3),
            ("第三级", 3),
            ("S3A3G3", 3),
            ("s2a2g2", 2),
            ("第二级（S2A1G2）", 2),
            ("等保三级", 3),
            ("４", 4),
            ("3.0", 3),
            ("第五级", 5),
        ] {
            assert_eq!(level(raw), Ok(want), "{raw}");
        }
    }

    #[test]
    fn bad_levels_say_what_was_expected() {
        assert_eq!(
            level("五六级").unwrap_err(),
            format!("\"五六级\" is not a protection level ({LEVEL_EXPECTED})")
        );
        assert!(level("6").is_err());
        assert!(level("0级").is_err());
        assert!(level("高").is_err());
    }

    #[test]
    fn dates_in_every_written_form() {
        assert_eq!(date_text("2019-03-05"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("2019/3/5"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("2019.03.05"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("2019年3月5日"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("２０１９年３月５日"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("20190305"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("2019-03-05 00:00:00"), Ok(ymd(2019, 3, 5)));
        assert_eq!(date_text("2019.3"), Ok(DateValue::Month { year: 2019, month: 3 }));
        assert_eq!(date_text("2019年3月"), Ok(DateValue::Month { year: 2019, month: 3 }));
        assert_eq!(
            date_text("2019年第一季度"),
            Ok(DateValue::Quarter {
                year: Some(2019),
                quarter: 1
            })
        );
        assert_eq!(
            date_text("2019年三季度"),
            Ok(DateValue::Quarter {
                year: Some(2019),
                quarter: 3
            })
        );
        assert_eq!(date_text("一季度"), Ok(DateValue::Quarter { year: None, quarter: 1 }));
        assert_eq!(date_text("第4季度"), Ok(DateValue::Quarter { year: None, quarter: 4 }));
        assert_eq!(
            date_text("2019Q2"),
            Ok(DateValue::Quarter {
                year: Some(2019),
                quarter: 2
            })
        );
    }

    #[test]
    fn impossible_dates_are_errors() {
        for raw in [
            "2019-14-02",
            "2019-02-30",
            "2019年13月",
            "第五季度",
            "明年",
            "2019-3-5-1",
            "1800-01-01",
        ] {
            assert!(date_text(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn excel_serials_in_both_date_systems() {
        assert_eq!(excel_serial(43529.0, false), NaiveDate::from_ymd_opt(2019, 3, 5));
        assert_eq!(excel_serial(42067.0, true), NaiveDate::from_ymd_opt(2019, 3, 5));
        assert_eq!(excel_serial(59.0, false), NaiveDate::from_ymd_opt(1900, 2, 28));
        assert_eq!(excel_serial(61.0, false), NaiveDate::from_ymd_opt(1900, 3, 1));
        assert_eq!(excel_serial(60.0, false), None, "the phantom 1900-02-29");
        assert_eq!(
            date_number(2019.3, false),
            Ok(DateValue::Month { year: 2019, month: 3 })
        );
        assert_eq!(
            date_number(2019.11, false),
            Ok(DateValue::Month { year: 2019, month: 11 })
        );
    }

    #[test]
    fn amounts_below_one_fen_are_refused_not_rounded_to_zero() {
        assert!(money_text("1e-308", 0).is_err());
        let e = money_text("0.004", 0).unwrap_err();
        assert!(e.contains("less than one fen"), "{e}");
        assert!(money_text("0.005", 0).unwrap_err().contains("less than one fen"));
        assert!(money_text("0.0000001", 4).unwrap_err().contains("less than one fen"));
        assert_eq!(money_text("0.00", 0), Ok(0));
        assert_eq!(money_text("0", 0), Ok(0));
        assert_eq!(money_text("0.01", 0), Ok(1));
        assert_eq!(money_text("0.015", 0), Ok(2));
        assert_eq!(money_text("0.000001", 4), Ok(1));
    }

    #[test]
    fn control_and_bidi_characters_are_removed_from_text() {
        assert_eq!(text("市\u{0}教\u{1b}[31m委"), "市教[31m委");
        assert_eq!(text("\u{202E}单位\u{202C}"), "单位");
        assert_eq!(text("a\u{7f}b\u{9b}c\u{85}d"), "abc d");
        assert_eq!(text("a\tb"), "a b");
    }

    #[test]
    fn money_is_exact_fen() {
        assert_eq!(money_text("12,800.00", 0), Ok(1_280_000));
        assert_eq!(money_text("1.28万", 0), Ok(1_280_000));
        assert_eq!(money_text("1.28", 4), Ok(1_280_000));
        assert_eq!(money_text("￥3,500", 0), Ok(350_000));
        assert_eq!(money_text("0.1", 0), Ok(10));
        assert_eq!(money_text("12.345", 0), Ok(1235));
        assert_eq!(
            money_text("3500元", 4),
            Ok(350_000),
            "a unit in the cell wins over the header's"
        );
        assert_eq!(money_text("-5", 0), Ok(-500));
        assert!(money_text("待定", 0).is_err());
        assert!(money_text("约1万", 0).is_err());
        assert!(money_text("1.2.3", 0).is_err());
        assert_eq!(money_text(&number_text(0.1 + 0.2), 0), Ok(30));
    }

    #[test]
    fn counts_are_whole() {
        assert_eq!(count_text("3"), Ok(3));
        assert_eq!(count_text("3个"), Ok(3));
        assert_eq!(count_text("三"), Ok(3));
        assert!(count_text("约10").is_err());
        assert!(count_text("3.5").is_err());
        assert!(count_number(-1.0).is_err());
        assert_eq!(count_number(4.0), Ok(4));
    }

    #[test]
    fn system_keys_ignore_spacing_and_punctuation() {
        assert_eq!(
            system_key("市 教委", "OA（办公）系统"),
            system_key("市教委", "oa(办公)系统")
        );
    }

    proptest! {
        #[test]
        fn normalisers_never_panic(s in "\\PC{0,40}") {
            let _ = text(&s);
            let _ = header_key(&s);
            let _ = level(&s);
            let _ = date_text(&s);
            let _ = money_text(&s, 4);
            let _ = count_text(&s);
            let _ = name_key(&s);
        }

        #[test]
        fn date_like_strings_never_panic(y in 0u32..3000, m in 0u32..20, d in 0u32..40, sep in "[-/.年月日 ]{1,2}") {
            let _ = date_text(&format!("{y}{sep}{m}{sep}{d}"));
            let _ = date_text(&format!("{y}{sep}{m}"));
        }

        #[test]
        fn case_fast_paths_agree_with_unicode(c in proptest::char::any()) {
            let (mut lower, mut upper) = (String::new(), String::new());
            push_lower(&mut lower, c);
            push_upper(&mut upper, c);
            prop_assert_eq!(lower, c.to_lowercase().collect::<String>());
            prop_assert_eq!(upper, c.to_uppercase().collect::<String>());
        }

        #[test]
        fn numbers_never_panic(v in proptest::num::f64::ANY) {
            let _ = date_number(v, false);
            let _ = date_number(v, true);
            let _ = count_number(v);
            let _ = money_text(&number_text(v), 0);
        }

        #[test]
        fn money_round_trips_two_decimals(fen in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let s = format!("{}{}.{:02}", if fen < 0 { "-" } else { "" }, fen.abs() / 100, fen.abs() % 100);
            prop_assert_eq!(money_text(&s, 0), Ok(fen as i128));
        }
    }
}
