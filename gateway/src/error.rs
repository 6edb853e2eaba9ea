//! `ApiError`: every failure the gateway answers, rendered as the error envelope.
//!
//! gRPC statuses are translated with the platform's one table (`decode_status`), so a code means
//! the same thing at every edge. Server-side detail never reaches the client: it travels in a
//! response extension to the request middleware, which logs it once with the request's span.

use std::{borrow::Cow, collections::BTreeMap};

use axum::{
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tonic::{Code, Status};
use utoipa::ToSchema;

use crate::context;

pub type ApiResult<T> = Result<T, ApiError>;

/// An error answer: status, machine code, human message and per-field messages. Boxed so
/// `Result<T, ApiError>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct ApiError(Box<Parts>);

#[derive(Debug)]
struct Parts {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    fields: BTreeMap<String, Vec<String>>,
    /// What went wrong behind a 5xx; logged, never sent.
    detail: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The error envelope's wire shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// A human-readable summary.
    pub error: String,
    /// A stable machine-readable code, e.g. `VALIDATION_ERROR`, `PLAN_LIMIT`.
    pub code: String,
    /// Messages per input field (empty unless the input was refused).
    pub errors: BTreeMap<String, Vec<String>>,
    pub request_id: String,
}

/// Logged by the request middleware when a response carries it (5xx causes).
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Parts {
            status,
            code: code.into(),
            message: message.into(),
            fields: BTreeMap::new(),
            detail: None,
            headers: Vec::new(),
        }))
    }

    /// 400 with messages per field.
    pub fn validation(fields: BTreeMap<String, Vec<String>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "invalid input").with_fields(fields)
    }

    /// 400 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(field.into(), vec![message.into()])]))
    }

    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "not found")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "method not allowed",
        )
    }

    pub fn account_inactive() -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "ACCOUNT_INACTIVE",
            "the account's subscription is not active",
        )
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "request body is too large",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "expected a body with Content-Type: application/json",
        )
    }

    pub fn throttled() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "THROTTLED",
            "too many requests, slow down",
        )
    }

    /// 500 for the gateway's own failures; `detail` is logged only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "internal error",
        )
        .with_detail(detail)
    }

    /// 503 when a dependency cannot serve; `detail` is logged only.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "service unavailable",
        )
        .with_detail(detail)
    }

    pub fn with_fields(mut self, fields: BTreeMap<String, Vec<String>>) -> Self {
        self.0.fields = fields;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        // The gateway never cancels its own calls; a cancelled call is the channel's deadline
        // firing (tonic reports client-side timeouts as Cancelled).
        if status.code() == Code::Cancelled {
            return Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                "UPSTREAM_TIMEOUT",
                "upstream timed out",
            )
            .with_detail(format!("upstream call cancelled: {}", status.message()));
        }
        let decoded = igny8_platform::error::decode_status(&status);
        let http =
            StatusCode::from_u16(decoded.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let err = Self::new(http, decoded.code, decoded.message).with_fields(decoded.fields.0);
        if http.is_server_error() {
            err.with_detail(format!(
                "upstream {:?}: {}",
                status.code(),
                status.message()
            ))
        } else {
            err
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let parts = *self.0;
        let body = ErrorBody {
            success: false,
            error: parts.message.into_owned(),
            code: parts.code.into_owned(),
            errors: parts.fields,
            request_id: context::current_request_id(),
        };
        let mut response = crate::envelope::json_response(parts.status, &body);
        for (name, value) in parts.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(detail) = parts.detail {
            response.extensions_mut().insert(ErrorDetail(detail));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_through_the_platform_table_and_timeouts_become_504() {
        assert_eq!(
            ApiError::from(Status::not_found("site not found")).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(Status::unauthenticated("no")).status(),
            StatusCode::UNAUTHORIZED
        );
        let timeout = ApiError::from(Status::cancelled("Timeout expired"));
        assert_eq!(timeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(timeout.code(), "UPSTREAM_TIMEOUT");
        let internal = ApiError::from(Status::internal("db password=secret"));
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(internal.message(), "internal error");
    }
}
