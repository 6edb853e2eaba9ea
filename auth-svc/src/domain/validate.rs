//! Field validation: each check adds its message under the field's name.

use igny8_platform::error::FieldErrors;
use validator::ValidateEmail as _;

pub const MAX_NAME: usize = 150;
pub const MAX_TEXT: usize = 1000;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

/// Trimmed, lowercased email, or a message under `field`.
pub fn email(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let email = value.trim().to_lowercase();
    if email.is_empty() {
        errors.add(field, "this field is required");
    } else if email.len() > 254 || !email.validate_email() {
        errors.add(field, "enter a valid email address");
    }
    email
}

pub fn password(errors: &mut FieldErrors, field: &str, value: &str) {
    let chars = value.chars().count();
    if chars < MIN_PASSWORD {
        errors.add(field, format!("must be at least {MIN_PASSWORD} characters"));
    } else if chars > MAX_PASSWORD {
        errors.add(field, format!("must be at most {MAX_PASSWORD} characters"));
    }
}

/// A trimmed text field; `required` refuses an empty one.
pub fn text(
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

/// A bare host name such as `example.com` (a scheme or path is stripped); empty is allowed.
pub fn domain(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let raw = value.trim().to_lowercase();
    let without_scheme = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .unwrap_or(&raw);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if host.is_empty() {
        return host;
    }
    let valid = host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        errors.add(field, "enter a valid domain such as example.com");
    }
    host
}

/// An IANA zone name shape (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`).
pub fn timezone(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= 64
        && value.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
        });
    if !valid {
        errors.add(field, "enter an IANA time zone such as Europe/Berlin");
    }
    value.to_owned()
}

/// URL-safe lowercase slug of `name` (`"My Blog!"` -> `"my-blog"`), never empty.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug
        .trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>();
    if slug.is_empty() {
        "item".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_bad_ones_named() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            email(&mut errors, "email", "  Ann@Example.COM "),
            "ann@example.com"
        );
        assert!(errors.is_empty());
        email(&mut errors, "email", "not-an-email");
        assert_eq!(errors.0["email"], vec!["enter a valid email address"]);
    }

    #[test]
    fn passwords_need_eight_characters() {
        let mut errors = FieldErrors::new();
        password(&mut errors, "password", "1234567");
        assert!(errors.0.contains_key("password"));
        let mut ok = FieldErrors::new();
        password(&mut ok, "password", "12345678");
        assert!(ok.is_empty());
    }

    #[test]
    fn domains_lose_scheme_and_path() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            domain(&mut errors, "domain", "https://Example.com/blog"),
            "example.com"
        );
        assert!(errors.is_empty());
        domain(&mut errors, "domain", "not a domain");
        assert!(errors.0.contains_key("domain"));
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("My Blog! 2026"), "my-blog-2026");
        assert_eq!(slugify("!!!"), "item");
    }
}
