//! The success envelopes every JSON answer uses (ARCHITECTURE §5): one object, and a page of a
//! list with links to its neighbours.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{context, extract::ListQuery};

/// Serialises `body` as a JSON response; a body that cannot be serialised is a bug, answered 500.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(err) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response
                .extensions_mut()
                .insert(crate::error::ErrorDetail(format!(
                    "response serialisation failed: {err}"
                )));
            response
        }
    }
}

/// `{"success":true,"data":...,"message":...,"request_id":...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessBody<T> {
    pub success: bool,
    pub data: T,
    pub message: Option<String>,
    pub request_id: String,
}

/// `{"success":true,"count":N,"next":url,"previous":url,"results":[...],"request_id":...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListBody<T> {
    pub success: bool,
    /// Rows matching the query over all pages.
    pub count: u64,
    /// Full URL of the next page, if any.
    pub next: Option<String>,
    /// Full URL of the previous page, if any.
    pub previous: Option<String>,
    pub results: Vec<T>,
    pub request_id: String,
}

/// One object in the success envelope.
#[derive(Debug)]
pub struct Envelope<T> {
    status: StatusCode,
    data: T,
    message: Option<String>,
}

impl<T: Serialize> Envelope<T> {
    /// 200 with `data`.
    pub fn ok(data: T) -> Self {
        Self {
            status: StatusCode::OK,
            data,
            message: None,
        }
    }

    /// 201 with the created object.
    pub fn created(data: T) -> Self {
        Self {
            status: StatusCode::CREATED,
            data,
            message: None,
        }
    }

    /// 202 with the accepted work (a job that runs after the answer).
    pub fn accepted(data: T) -> Self {
        Self {
            status: StatusCode::ACCEPTED,
            data,
            message: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

impl Envelope<()> {
    /// 200 with `data: null` and a message (deletes and other actions with nothing to return).
    pub fn done(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            data: (),
            message: Some(message.into()),
        }
    }
}

impl<T: Serialize> IntoResponse for Envelope<T> {
    fn into_response(self) -> Response {
        let body = SuccessBody {
            success: true,
            data: self.data,
            message: self.message,
            request_id: context::current_request_id(),
        };
        json_response(self.status, &body)
    }
}

/// A page of a list (or a whole short list) in the list envelope.
#[derive(Debug)]
pub struct Paginated<T> {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<T>,
}

impl<T: Serialize> Paginated<T> {
    /// One page of `count` rows, linked to its neighbours through the request's own URL.
    pub fn page(results: Vec<T>, count: u64, query: &ListQuery) -> Self {
        let page = u64::from(query.page);
        let size = u64::from(query.page_size);
        let next = (page.saturating_mul(size) < count).then(|| query.url_for_page(query.page + 1));
        let previous = (query.page > 1).then(|| query.url_for_page(query.page - 1));
        Self {
            count,
            next,
            previous,
            results,
        }
    }

    /// A list that is never paginated (plans, industries, a site's keys).
    pub fn all(results: Vec<T>) -> Self {
        Self {
            count: results.len() as u64,
            next: None,
            previous: None,
            results,
        }
    }
}

impl<T: Serialize> IntoResponse for Paginated<T> {
    fn into_response(self) -> Response {
        let body = ListBody {
            success: true,
            count: self.count,
            next: self.next,
            previous: self.previous,
            results: self.results,
            request_id: context::current_request_id(),
        };
        json_response(StatusCode::OK, &body)
    }
}
