//! The one error type services return, and its mapping to `tonic::Status` and HTTP.
//!
//! Client errors keep their message and carry a machine code (`ErrorInfo.reason`) and field
//! violations (`BadRequest`) as gRPC rich error details, so the gateway can render the
//! product's envelope. Database and internal errors are logged once here and leave as a bare
//! "internal error".

use std::collections::BTreeMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Field name -> messages, ordered so responses are stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one message for `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) -> &mut Self {
        self.0.entry(field.into()).or_default().push(message.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was added, else the validation error.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// A single-field validation error.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Error {
        let mut errors = Self::new();
        errors.add(field, message);
        Error::Validation(errors)
    }
}

/// Outcomes a caller can act on, plus the two catch-alls.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    AlreadyExists { code: &'static str, message: String },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// A business rule refuses the call; `code` says which (e.g. `PLAN_LIMIT`).
    #[error("{message}")]
    FailedPrecondition { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    ResourceExhausted(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Error-info domain of every code this platform sets.
pub const ERROR_DOMAIN: &str = "igny8";

impl Error {
    pub fn precondition(code: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn already_exists(code: &'static str, message: impl Into<String>) -> Self {
        Self::AlreadyExists {
            code,
            message: message.into(),
        }
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::PermissionDenied(message.into())
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::Unauthenticated(message.into())
    }

    /// The machine-readable code this error carries to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::NotFound(_) => "NOT_FOUND",
            Self::AlreadyExists { code, .. }
            | Self::FailedPrecondition { code, .. }
            | Self::Conflict { code, .. } => code,
            Self::PermissionDenied(_) => "PERMISSION_DENIED",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::ResourceExhausted(_) => "THROTTLED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Db(e) if db_unreachable(e) => "UNAVAILABLE",
            Self::Db(_) | Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// True when a unique-constraint violation named `constraint` caused this error.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        match self {
            Self::Db(sqlx::Error::Database(db)) => {
                db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint)
            }
            _ => false,
        }
    }
}

/// No connection could be had (pool exhausted or closed, network failure): a condition that
/// passes, so callers get UNAVAILABLE (503) and may retry, not an internal error.
fn db_unreachable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}

/// True when `err` is a unique-constraint violation on `constraint`.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint))
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let code = err.code();
        let (grpc_code, message) = match &err {
            Error::Validation(_) => (Code::InvalidArgument, "validation failed".to_owned()),
            Error::NotFound(_) => (Code::NotFound, err.to_string()),
            Error::AlreadyExists { .. } => (Code::AlreadyExists, err.to_string()),
            Error::PermissionDenied(_) => (Code::PermissionDenied, err.to_string()),
            Error::Unauthenticated(_) => (Code::Unauthenticated, err.to_string()),
            Error::FailedPrecondition { .. } => (Code::FailedPrecondition, err.to_string()),
            Error::Conflict { .. } => (Code::Aborted, err.to_string()),
            Error::ResourceExhausted(_) => (Code::ResourceExhausted, err.to_string()),
            Error::Unavailable(_) => (Code::Unavailable, err.to_string()),
            Error::Db(e) if db_unreachable(e) => {
                tracing::warn!(error.message = %e, "database unreachable or saturated");
                (
                    Code::Unavailable,
                    "the database is busy; try again".to_owned(),
                )
            }
            Error::Db(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "database error");
                (Code::Internal, "internal error".to_owned())
            }
            Error::Internal(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "internal error");
                (Code::Internal, "internal error".to_owned())
            }
        };
        let mut details = ErrorDetails::new();
        details.set_error_info(code, ERROR_DOMAIN, std::collections::HashMap::new());
        if let Error::Validation(fields) = &err {
            for (field, messages) in &fields.0 {
                for message in messages {
                    details.add_bad_request_violation(field.clone(), message.clone());
                }
            }
        }
        Status::with_error_details(grpc_code, message, details)
    }
}

/// What a gRPC error says, decoded for the HTTP edge.
#[derive(Debug, Clone)]
pub struct DecodedStatus {
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub fields: FieldErrors,
}

/// Codes of `FailedPrecondition` that mean "pay or upgrade" (HTTP 402) rather than 409.
const PAYMENT_CODES: &[&str] = &["PLAN_LIMIT", "ACCOUNT_INACTIVE", "INSUFFICIENT_CREDITS"];

/// Decodes a status into the HTTP status, machine code, message and field errors.
///
/// Internal details never pass: 5xx statuses get a generic message.
pub fn decode_status(status: &Status) -> DecodedStatus {
    let details = status.get_error_details();
    let reason = details.error_info().map(|info| info.reason.clone());
    let mut fields = FieldErrors::new();
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            fields.add(violation.field.clone(), violation.description.clone());
        }
    }
    let http_status = match status.code() {
        Code::Ok => 200,
        Code::InvalidArgument | Code::OutOfRange => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::FailedPrecondition => match reason.as_deref() {
            Some(code) if PAYMENT_CODES.contains(&code) => 402,
            _ => 409,
        },
        Code::ResourceExhausted => 429,
        Code::Cancelled => 499,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    };
    let default_code = match http_status {
        400 => "VALIDATION_ERROR",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        429 => "THROTTLED",
        503 => "UNAVAILABLE",
        504 => "UPSTREAM_TIMEOUT",
        _ => "INTERNAL_ERROR",
    };
    let message = if http_status >= 500 {
        match http_status {
            503 => "service unavailable".to_owned(),
            504 => "upstream timed out".to_owned(),
            _ => "internal error".to_owned(),
        }
    } else {
        status.message().to_owned()
    };
    DecodedStatus {
        http_status,
        code: reason.unwrap_or_else(|| default_code.to_owned()),
        message,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_round_trip_with_field_names() {
        let status: Status = FieldErrors::single("email", "is not a valid email address").into();
        let decoded = decode_status(&status);
        assert_eq!(decoded.http_status, 400);
        assert_eq!(decoded.code, "VALIDATION_ERROR");
        assert_eq!(
            decoded.fields.0["email"],
            vec!["is not a valid email address"]
        );
    }

    #[test]
    fn plan_limit_is_payment_required_and_other_preconditions_conflict() {
        let limit: Status = Error::precondition("PLAN_LIMIT", "site limit reached").into();
        assert_eq!(decode_status(&limit).http_status, 402);
        assert_eq!(decode_status(&limit).code, "PLAN_LIMIT");
        let other: Status = Error::precondition("INVALID_TRANSITION", "no").into();
        assert_eq!(decode_status(&other).http_status, 409);
    }

    #[test]
    fn a_saturated_database_is_unavailable_and_other_database_errors_internal() {
        let busy: Status = Error::Db(sqlx::Error::PoolTimedOut).into();
        assert_eq!(busy.code(), Code::Unavailable);
        let decoded = decode_status(&busy);
        assert_eq!(
            (decoded.http_status, decoded.code.as_str()),
            (503, "UNAVAILABLE")
        );
        let broken: Status = Error::Db(sqlx::Error::RowNotFound).into();
        assert_eq!(broken.code(), Code::Internal);
        assert_eq!(decode_status(&broken).http_status, 500);
    }

    #[test]
    fn internal_errors_do_not_leak_their_message() {
        let status: Status = Error::Internal(anyhow::anyhow!("password=hunter2 in dsn")).into();
        let decoded = decode_status(&status);
        assert_eq!(decoded.http_status, 500);
        assert_eq!(decoded.message, "internal error");
        assert!(!status.message().contains("hunter2"));
    }
}
