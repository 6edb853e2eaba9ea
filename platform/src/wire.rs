//! Small conversions between wire values and ours that every service's gRPC adapter needs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};

/// A protobuf timestamp of a UTC time.
pub fn ts(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn opt_ts(at: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    at.map(ts)
}

/// An id from a request; one that is not a UUID is as unknown as a missing row (NotFound),
/// so malformed ids leak nothing a missing one would not.
pub fn parse_id(value: &str, entity: &'static str) -> Result<Uuid> {
    value.trim().parse().map_err(|_| Error::NotFound(entity))
}
