//! Field rules shared by the request DTOs (beyond lengths, which `validator` checks itself).
//! auth-svc checks everything again; these catch bad input at the edge with the same words.

use std::borrow::Cow;

use validator::{ValidateEmail as _, ValidationError};

/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL: u64 = 254;
pub const MIN_PASSWORD: u64 = 8;
pub const MAX_PASSWORD: u64 = 128;
/// Names of people, accounts, sites, sectors and keys.
pub const MAX_NAME: u64 = 150;
/// Free text such as descriptions.
pub const MAX_TEXT: u64 = 1000;
/// Slugs and opaque tokens.
pub const MAX_TOKEN: u64 = 512;

const ROLES: &[&str] = &[
    "developer",
    "owner",
    "admin",
    "editor",
    "viewer",
    "system_bot",
];
const SUBSCRIPTION_STATUSES: &[&str] = &["active", "trial", "past_due", "suspended", "cancelled"];

fn error(code: &'static str, message: impl Into<Cow<'static, str>>) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

/// Present and shaped like an address.
pub fn valid_email(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(error("required", "this field is required"));
    }
    if value.len() as u64 > MAX_EMAIL || !value.validate_email() {
        return Err(error("email", "enter a valid email address"));
    }
    Ok(())
}

/// One of the roles; whether the caller may grant it is auth-svc's decision.
pub fn valid_role(value: &str) -> Result<(), ValidationError> {
    if ROLES.contains(&value) {
        Ok(())
    } else {
        Err(error(
            "role",
            format!("must be one of {}", ROLES.join(", ")),
        ))
    }
}

pub fn valid_subscription_status(value: &str) -> Result<(), ValidationError> {
    if SUBSCRIPTION_STATUSES.contains(&value) {
        Ok(())
    } else {
        Err(error(
            "status",
            format!("must be one of {}", SUBSCRIPTION_STATUSES.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_roles() {
        assert!(valid_email("ann@example.com").is_ok());
        assert_eq!(valid_email("").unwrap_err().code, "required");
        assert_eq!(valid_email("not-an-email").unwrap_err().code, "email");
        assert!(valid_role("editor").is_ok());
        assert!(valid_role("root").is_err());
        assert!(valid_subscription_status("past_due").is_ok());
        assert!(valid_subscription_status("paused").is_err());
    }
}
