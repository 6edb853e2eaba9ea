//! Extractors whose rejections are envelope errors: a validated JSON body, list paging
//! parameters, and UUID path ids.
//!
//! JSON bodies are deserialised through a small map adapter that remembers which top-level
//! field failed, so a wrong type is reported under the field's name (serde alone only says
//! "invalid type" with a line and column). Strings are trimmed by the DTOs' `trimmed` helpers;
//! passwords are deliberately not trimmed.

use std::{borrow::Cow, collections::BTreeMap, collections::HashMap, fmt};

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer as _, MapAccess, Visitor},
};
use serde_json::{Map, Value};
use uuid::Uuid;
use validator::{Validate, ValidationErrors};

use crate::error::ApiError;

/// A JSON object body, deserialised strictly (unknown fields refused) and validated.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large()
                } else {
                    ApiError::field("body", "could not read the request body")
                }
            })?;
        let value: T = parse_object(&bytes)?;
        value.validate().map_err(validation_error)?;
        Ok(Self(value))
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses a JSON object into `T`, naming the field at fault.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|err| ApiError::field("body", format!("malformed JSON: {err}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::field("body", "expected a JSON object"));
    };
    T::deserialize(ObjectDeserializer(map)).map_err(|err| match err {
        FieldError::Missing(field) => ApiError::field(field, "this field is required"),
        FieldError::Unknown(field) => ApiError::field(field, "unknown field"),
        FieldError::Invalid { field, message } => ApiError::field(field, message),
        FieldError::Other(message) => ApiError::field("body", message),
    })
}

/// Turns `validator` errors into field messages.
pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, errors) in errors.field_errors() {
        let messages = fields.entry(field.to_string()).or_default();
        messages.extend(errors.iter().map(describe));
    }
    ApiError::validation(fields)
}

fn describe(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).and_then(Value::as_u64);
    match error.code.as_ref() {
        "length" => {
            let (items, len) = match error.params.get("value") {
                Some(Value::String(s)) => (false, s.chars().count() as u64),
                Some(Value::Array(a)) => (true, a.len() as u64),
                _ => (false, 0),
            };
            let unit = if items { "items" } else { "characters" };
            match (param("min"), param("max")) {
                (Some(_), _) if len == 0 && !items => "this field is required".to_owned(),
                (Some(min), _) if len < min => format!("must have at least {min} {unit}"),
                (_, Some(max)) if len > max => format!("must have at most {max} {unit}"),
                _ => "has an invalid length".to_owned(),
            }
        }
        "email" => "enter a valid email address".to_owned(),
        "required" => "this field is required".to_owned(),
        other => other.replace('_', " "),
    }
}

/// Deserialises a trimmed string.
pub fn trimmed<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(trim_owned)
}

/// Deserialises an optional trimmed string (`null` is the same as absent).
pub fn trimmed_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer).map(|s| s.map(trim_owned))
}

/// Deserialises a list of trimmed strings.
pub fn trimmed_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Vec::<String>::deserialize(deserializer).map(|list| list.into_iter().map(trim_owned).collect())
}

/// Deserialises an optional UUID with a readable message.
pub fn uuid_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Uuid>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(raw) => Uuid::parse_str(raw.trim())
            .map(Some)
            .map_err(|_| de::Error::custom("must be a valid id")),
    }
}

fn trim_owned(value: String) -> String {
    let trimmed = value.trim();
    if trimmed.len() == value.len() {
        value
    } else {
        trimmed.to_owned()
    }
}

/// What went wrong while deserialising a body object, and where.
#[derive(Debug)]
enum FieldError {
    Missing(String),
    Unknown(String),
    Invalid { field: String, message: String },
    Other(String),
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(field) => write!(f, "missing field {field}"),
            Self::Unknown(field) => write!(f, "unknown field {field}"),
            Self::Invalid { field, message } => write!(f, "{field}: {message}"),
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for FieldError {}

impl de::Error for FieldError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(field.to_owned())
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        Self::Unknown(field.to_owned())
    }
}

/// A top-level JSON object presented to serde field by field.
struct ObjectDeserializer(Map<String, Value>);

impl<'de> Deserializer<'de> for ObjectDeserializer {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_map(Fields {
            entries: self.0.into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct Fields {
    entries: serde_json::map::IntoIter,
    current: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FieldError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let parsed = seed.deserialize(key.as_str().into_deserializer())?;
        self.current = Some((key, value));
        Ok(Some(parsed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, FieldError> {
        let Some((field, value)) = self.current.take() else {
            return Err(FieldError::Other(
                "value requested before its key".to_owned(),
            ));
        };
        seed.deserialize(value).map_err(|err| FieldError::Invalid {
            field,
            message: err.to_string(),
        })
    }
}

/// Paging parameters of a list request, and the URL to link its neighbours by.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    params: HashMap<String, String>,
    base: String,
    raw_query: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

impl ListQuery {
    /// A decoded query parameter other than the paging ones.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// This request's URL with `page` set to `page`, other parameters kept as sent.
    pub fn url_for_page(&self, page: u32) -> String {
        let mut pairs: Vec<Cow<'_, str>> = self
            .raw_query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("page"))
            .map(Cow::Borrowed)
            .collect();
        pairs.push(Cow::Owned(format!("page={page}")));
        format!("{}?{}", self.base, pairs.join("&"))
    }

    pub fn page_request(&self) -> igny8_proto::common::v1::PageRequest {
        igny8_proto::common::v1::PageRequest {
            page: self.page,
            page_size: self.page_size,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(params) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|_| ApiError::field("query", "malformed query string"))?;
        let mut errors = BTreeMap::new();
        let page = match params.get("page").map(|v| v.trim().parse::<u32>()) {
            None => 1,
            Some(Ok(page)) if page >= 1 => page,
            Some(_) => {
                errors.insert(
                    "page".to_owned(),
                    vec!["must be a positive integer".to_owned()],
                );
                1
            }
        };
        let page_size = match params.get("page_size").map(|v| v.trim().parse::<u32>()) {
            None => DEFAULT_PAGE_SIZE,
            Some(Ok(size)) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
            Some(_) => {
                errors.insert(
                    "page_size".to_owned(),
                    vec![format!("must be an integer between 1 and {MAX_PAGE_SIZE}")],
                );
                DEFAULT_PAGE_SIZE
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let scheme = header("x-forwarded-proto")
            .filter(|p| *p == "https" || *p == "http")
            .unwrap_or("http");
        let host = header(header::HOST.as_str()).unwrap_or("localhost");
        Ok(Self {
            page,
            page_size,
            params,
            base: format!("{scheme}://{host}{}", parts.uri.path()),
            raw_query: parts.uri.query().map(str::to_owned),
        })
    }
}

/// The UUIDs of a route's path parameters, in order. Anything that is not a UUID cannot name
/// a row, so it answers 404 exactly like an unknown id.
#[derive(Debug, Clone, Copy)]
pub struct Ids<const N: usize>(pub [Uuid; N]);

impl<S: Send + Sync, const N: usize> FromRequestParts<S> for Ids<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let ids = params
            .iter()
            .map(|(_, value)| Uuid::try_parse(value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::not_found())?;
        <[Uuid; N]>::try_from(ids).map(Self).map_err(|ids| {
            ApiError::internal(format!(
                "route declares {} ids, handler expects {N}",
                ids.len()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default, deserialize_with = "trimmed")]
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[serde(default)]
        count: u32,
    }

    fn fields_of(err: ApiError) -> String {
        format!("{err:?}")
    }

    #[test]
    fn body_errors_name_the_field_at_fault() {
        let ok: Sample = parse_object(br#"{"name":"  ab  ","count":2}"#).unwrap();
        assert_eq!((ok.name.as_str(), ok.count), ("ab", 2));
        assert!(
            fields_of(parse_object::<Sample>(br#"{"name":"a","count":"x"}"#).unwrap_err())
                .contains("\"count\"")
        );
        assert!(
            fields_of(parse_object::<Sample>(br#"{"name":"a","extra":1}"#).unwrap_err())
                .contains("\"extra\"")
        );
        assert!(
            fields_of(parse_object::<Sample>(br#"{"name":"a""#).unwrap_err()).contains("\"body\"")
        );
        assert!(
            fields_of(parse_object::<Sample>(b"[1]").unwrap_err())
                .contains("expected a JSON object")
        );
    }

    #[test]
    fn validation_messages_explain_lengths() {
        let blank: Sample = parse_object(br#"{"name":"   "}"#).unwrap();
        let err = validation_error(blank.validate().unwrap_err());
        assert!(fields_of(err).contains("this field is required"));
        let long: Sample = parse_object(br#"{"name":"abcdefg"}"#).unwrap();
        let err = validation_error(long.validate().unwrap_err());
        assert!(fields_of(err).contains("must have at most 5 characters"));
    }
}
