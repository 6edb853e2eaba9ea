//! Keyword values: normalised text, the enumerations, and the number formats people type.

/// Longest keyword accepted, in characters.
pub const MAX_KEYWORD_CHARS: usize = 255;
/// Highest cost per click accepted, in whole currency units.
const MAX_CPC_UNITS: i64 = 1_000_000;

pub const INTENTS: &[&str] = &[
    "informational",
    "commercial",
    "transactional",
    "navigational",
];
pub const STATUSES: &[&str] = &["new", "mapped", "used"];
pub const SOURCES: &[&str] = &["manual", "csv_import", "library", "api"];
pub const DEFAULT_INTENT: &str = "informational";

/// A keyword as shown (trimmed, whitespace collapsed) and its uniqueness key (lowercase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordText {
    pub display: String,
    pub key: String,
}

impl KeywordText {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let display = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if display.is_empty() {
            return Err("may not be blank");
        }
        if display.chars().count() > MAX_KEYWORD_CHARS {
            return Err("must be at most 255 characters");
        }
        if display.chars().any(char::is_control) {
            return Err("may not contain control characters");
        }
        Ok(Self {
            key: display.to_lowercase(),
            display,
        })
    }
}

/// The member of `choices` that `raw` names (trimmed, any case).
pub fn choice(raw: &str, choices: &[&'static str]) -> Option<&'static str> {
    let wanted = raw.trim().to_ascii_lowercase();
    choices.iter().copied().find(|c| *c == wanted)
}

/// A search intent: a full name or its first letter, any case; tools that list several
/// ("Informational, Commercial") give the first. Empty means the default.
pub fn parse_intent(raw: &str) -> Result<&'static str, &'static str> {
    let first = raw.split([',', '/', ';', '|']).next().unwrap_or("").trim();
    if first.is_empty() {
        return Ok(DEFAULT_INTENT);
    }
    let lower = first.to_ascii_lowercase();
    INTENTS
        .iter()
        .copied()
        .find(|i| *i == lower || (lower.len() == 1 && i.starts_with(&lower)))
        .ok_or("must be informational, commercial, transactional or navigational")
}

/// A monthly search volume: a whole number, thousands separators allowed. Empty means 0.
pub fn parse_volume(raw: &str) -> Result<i32, &'static str> {
    let digits: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_'))
        .collect();
    if digits.is_empty() {
        return Ok(0);
    }
    // Spreadsheets write whole numbers as "1200.0".
    let whole = match digits.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err("must be a whole number"),
        None => digits.as_str(),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be a whole number");
    }
    whole.parse().map_err(|_| "is too large")
}

/// Difficulty 0-100; decimals round half up and a trailing % is allowed. Empty means 0.
pub fn parse_difficulty(raw: &str) -> Result<i16, &'static str> {
    let text = raw.trim().trim_end_matches('%').trim();
    if text.is_empty() {
        return Ok(0);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !numeric(whole) || !numeric(fraction) || whole.len() > 4 {
        return Err("must be a number from 0 to 100");
    }
    let mut value: i32 = whole
        .parse()
        .map_err(|_| "must be a number from 0 to 100")?;
    if fraction.as_bytes().first().is_some_and(|d| *d >= b'5') {
        value += 1;
    }
    if value > 100 {
        return Err("must be a number from 0 to 100");
    }
    Ok(value as i16)
}

/// A difficulty given as a number (API input).
pub fn check_difficulty(value: u32) -> Result<i16, &'static str> {
    if value > 100 {
        Err("must be a number from 0 to 100")
    } else {
        Ok(value as i16)
    }
}

/// A search volume given as a number (API input).
pub fn check_volume(value: u32) -> Result<i32, &'static str> {
    i32::try_from(value).map_err(|_| "is too large")
}

/// A cost per click as exact micro-units: "1.25", "$1.25", "1,200.5"; at most six decimals.
/// Empty means 0. No floating point anywhere.
pub fn parse_cpc_micros(raw: &str) -> Result<i64, &'static str> {
    const INVALID: &str = "must be an amount like 1.25";
    let text: String = raw
        .trim()
        .trim_start_matches('$')
        .trim_end_matches("USD")
        .trim()
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if text.is_empty() {
        return Ok(0);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !numeric(whole) || !numeric(fraction) {
        return Err(INVALID);
    }
    if fraction.len() > 6 {
        return Err("may have at most 6 decimal places");
    }
    let units: i64 = if whole.is_empty() {
        0
    } else if whole.len() > 7 {
        return Err("is too large");
    } else {
        whole.parse().map_err(|_| INVALID)?
    };
    if units > MAX_CPC_UNITS {
        return Err("is too large");
    }
    let micros: i64 = format!("{fraction:0<6}").parse().map_err(|_| INVALID)?;
    Ok(units * 1_000_000 + micros)
}

/// Micro-units as a decimal string with at least two decimals: 1250000 -> "1.25".
pub fn format_cpc(micros: i64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let trimmed = text.trim_end_matches('0');
    let decimals = trimmed.len() - trimmed.find('.').unwrap_or(trimmed.len()) - 1;
    if decimals < 2 {
        format!("{trimmed}{}", "0".repeat(2 - decimals))
    } else {
        trimmed.to_owned()
    }
}

/// Escapes LIKE wildcards so a search term matches literally.
pub fn like_pattern(search: &str) -> String {
    let mut escaped = String::with_capacity(search.len() + 2);
    escaped.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_trimmed_collapsed_and_keyed_in_lowercase() {
        let k = KeywordText::parse("  Best   CRM\tSoftware ").unwrap();
        assert_eq!(k.display, "Best CRM Software");
        assert_eq!(k.key, "best crm software");
        assert!(KeywordText::parse("   ").is_err());
        assert!(KeywordText::parse(&"x".repeat(256)).is_err());
    }

    #[test]
    fn money_is_parsed_exactly_and_formatted_with_two_decimals_at_least() {
        assert_eq!(parse_cpc_micros("1.25"), Ok(1_250_000));
        assert_eq!(parse_cpc_micros("$0.1"), Ok(100_000));
        assert_eq!(parse_cpc_micros("1,200.123456"), Ok(1_200_123_456));
        assert_eq!(parse_cpc_micros(""), Ok(0));
        assert_eq!(parse_cpc_micros(".5"), Ok(500_000));
        assert!(parse_cpc_micros("1.2345678").is_err());
        assert!(parse_cpc_micros("-1").is_err());
        assert!(parse_cpc_micros("abc").is_err());
        assert_eq!(format_cpc(1_250_000), "1.25");
        assert_eq!(format_cpc(0), "0.00");
        assert_eq!(format_cpc(1_234_567), "1.234567");
        assert_eq!(format_cpc(12_000_000), "12.00");
    }

    #[test]
    fn numbers_people_type_are_accepted_and_nonsense_refused() {
        assert_eq!(parse_volume("1,200"), Ok(1200));
        assert_eq!(parse_volume("1200.0"), Ok(1200));
        assert_eq!(parse_volume(""), Ok(0));
        assert!(parse_volume("12.5").is_err());
        assert!(parse_volume("lots").is_err());
        assert_eq!(parse_difficulty("45.5"), Ok(46));
        assert_eq!(parse_difficulty("45%"), Ok(45));
        assert!(parse_difficulty("101").is_err());
        assert!(parse_difficulty("-3").is_err());
        assert_eq!(parse_intent("Commercial, Informational"), Ok("commercial"));
        assert_eq!(parse_intent("t"), Ok("transactional"));
        assert_eq!(parse_intent(""), Ok("informational"));
        assert!(parse_intent("buying").is_err());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
    }
}
