//! Field checks: each adds its message under the field's name and returns the cleaned value.

use igny8_platform::error::FieldErrors;
use uuid::Uuid;

pub const MAX_TITLE: usize = 500;
pub const MAX_SHORT: usize = 255;
pub const MAX_TEXT: usize = 10_000;
/// Bodies of long-form articles; larger payloads are refused rather than truncated.
pub const MAX_BODY: usize = 2_000_000;
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_OUTLINE: usize = 50;
pub const MAX_BULK: usize = 1000;

/// A trimmed single-line text; `required` refuses an empty one.
pub fn line(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.add(field, "this field is required");
    } else if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if value.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
    value.to_owned()
}

/// A trimmed multi-line text (newlines and tabs allowed).
pub fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.add(field, "must not contain control characters");
    }
    value.to_owned()
}

/// Keywords: trimmed, empty ones dropped, duplicates (case-insensitive) removed, order kept.
pub fn keywords(errors: &mut FieldErrors, field: &str, values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let keyword = line(errors, field, value, false, MAX_SHORT);
        if !keyword.is_empty() && !out.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
            out.push(keyword);
        }
    }
    if out.len() > MAX_KEYWORDS {
        errors.add(field, format!("at most {MAX_KEYWORDS} keywords"));
    }
    out
}

/// An optional id: empty is `None`; anything else must be a UUID.
pub fn optional_id(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Uuid> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "must be a valid id");
            None
        }
    }
}

/// A required id.
pub fn required_id(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Uuid> {
    if value.trim().is_empty() {
        errors.add(field, "this field is required");
        return None;
    }
    optional_id(errors, field, value)
}

/// Ids of a bulk request: at least one, at most [`MAX_BULK`], each a UUID (deduplicated).
pub fn bulk_ids(errors: &mut FieldErrors, field: &str, values: &[String]) -> Vec<Uuid> {
    if values.is_empty() {
        errors.add(field, "this field is required");
    } else if values.len() > MAX_BULK {
        errors.add(field, format!("at most {MAX_BULK} ids per request"));
    }
    let mut ids = Vec::with_capacity(values.len());
    for value in values {
        match value.trim().parse::<Uuid>() {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => {
                errors.add(field, format!("{value:?} is not a valid id"));
            }
        }
    }
    ids
}

/// A value of a closed set; empty takes `default` (or is refused when there is none).
pub fn choice<T: Copy>(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    default: Option<T>,
    parse: fn(&str) -> Option<T>,
    choices: fn() -> String,
) -> Option<T> {
    if value.trim().is_empty() {
        if default.is_none() {
            errors.add(field, "this field is required");
        }
        return default;
    }
    let parsed = parse(value);
    if parsed.is_none() {
        errors.add(field, format!("must be one of {}", choices()));
    }
    parsed
}

/// An optional filter value of a closed set: empty is `None`.
pub fn filter_choice<T: Copy>(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    choices: fn() -> String,
) -> Option<T> {
    if value.trim().is_empty() {
        return None;
    }
    let parsed = parse(value);
    if parsed.is_none() {
        errors.add(field, format!("must be one of {}", choices()));
    }
    parsed
}

/// An absolute http(s) URL, or empty.
pub fn url(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let value = line(errors, field, value, false, 2000);
    let lower = value.to_ascii_lowercase();
    if !(value.is_empty() || lower.starts_with("https://") || lower.starts_with("http://")) {
        errors.add(field, "must be an http or https URL");
    }
    value
}

/// A URL-safe slug of `value`: lowercase letters, digits and single dashes.
pub fn slugify(value: &str) -> String {
    let mut slug = String::with_capacity(value.len());
    for c in value.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(MAX_SHORT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_trimmed_and_deduplicated() {
        let mut errors = FieldErrors::new();
        let got = keywords(
            &mut errors,
            "k",
            &[
                " SEO tips ".into(),
                "".into(),
                "seo TIPS".into(),
                "rust".into(),
            ],
        );
        assert!(errors.is_empty());
        assert_eq!(got, vec!["SEO tips", "rust"]);
    }

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(slugify("  Hello, World! 2024 "), "hello-world-2024");
        assert_eq!(slugify("Café & Crème"), "café-crème");
        assert_eq!(slugify("---"), "");
    }

    #[test]
    fn bulk_ids_name_the_bad_value() {
        let mut errors = FieldErrors::new();
        let ids = bulk_ids(&mut errors, "ids", &["nope".into()]);
        assert!(ids.is_empty());
        assert!(errors.0["ids"][0].contains("nope"));
    }
}
