//! The one grammar of sizes and counts every setting takes: `1000`, `2_000`, `64K`,
//! `512M`, `1.5G`, `4GiB`, `1T` (binary multiples; a `B` or `iB` suffix is allowed).

/// A size in bytes (or a count): more than 0.
pub fn parse(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number = number.trim().replace('_', "");
    if number.is_empty() {
        return Err(format!("not a number: `{s}` (e.g. 4G, 512M, 2000)"));
    }
    let scale: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("unknown unit in `{s}` (K, M, G or T)")),
    };
    let bytes = if let Ok(n) = number.parse::<u64>() {
        n.checked_mul(scale).ok_or_else(|| format!("`{s}` is too large"))?
    } else {
        let f: f64 = number
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite())
            .ok_or_else(|| format!("not a number: `{s}` (e.g. 4G, 512M, 2000)"))?;
        let v = f * scale as f64;
        if v >= u64::MAX as f64 {
            return Err(format!("`{s}` is too large"));
        }
        v as u64
    };
    if bytes == 0 {
        return Err(format!("`{s}`: must be more than 0"));
    }
    Ok(bytes)
}

/// [`parse`] as a `usize`, for clap's `value_parser`.
pub fn parse_usize(s: &str) -> Result<usize, String> {
    parse(s).and_then(|n| usize::try_from(n).map_err(|_| format!("`{s}` is too large")))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn one_grammar_for_sizes_and_counts() {
        assert_eq!(parse("4G"), Ok(4 << 30));
        assert_eq!(parse("512M"), Ok(512 << 20));
        assert_eq!(parse("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse("64K"), Ok(64 << 10));
        assert_eq!(parse("1000"), Ok(1000));
        assert_eq!(parse("2_000"), Ok(2000));
        assert_eq!(parse(" 2 G "), Ok(2 << 30));
        assert!(parse("4X").unwrap_err().contains("unknown unit"));
        assert!(parse("0").unwrap_err().contains("more than 0"));
        assert!(parse("abc").unwrap_err().contains("not a number"));
        assert!(parse("99999999999T").unwrap_err().contains("too large"));
    }
}
