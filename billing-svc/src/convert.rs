//! Small conversions between wire and storage types: timestamps, ids, pages, date ranges.
//!
//! `ts` and `Page` mirror auth-svc's ops/common.rs; they belong in igny8-platform (reported to
//! the lead) and are here only until they move.

use chrono::{DateTime, Duration, Utc};
use igny8_platform::{Result, error::FieldErrors};
use prost_types::Timestamp;

/// Shared with every service (igny8-platform).
pub use igny8_platform::{
    paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page},
    wire::{opt_ts, parse_id, ts},
};

/// Longest date range a report covers.
pub const MAX_RANGE_DAYS: i64 = 366;

/// A wire timestamp at the database's microsecond precision; `None` if out of range.
pub fn from_ts(at: &Timestamp) -> Option<DateTime<Utc>> {
    let at = DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)?;
    DateTime::from_timestamp_micros(at.timestamp_micros())
}

/// An optional time from a request, named `field` in the error when invalid.
pub fn opt_time(value: Option<&Timestamp>, field: &str) -> Result<Option<DateTime<Utc>>> {
    value
        .map(|at| from_ts(at).ok_or_else(|| FieldErrors::single(field, "is not a valid time")))
        .transpose()
}

/// `[from, to)` of a report: defaults to the 30 days up to now; `from` before `to`, at most
/// [`MAX_RANGE_DAYS`] long.
pub fn date_range(
    from: Option<&Timestamp>,
    to: Option<&Timestamp>,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to_at = opt_time(to, "to")?.unwrap_or_else(Utc::now);
    let from_at = opt_time(from, "from")?.unwrap_or(to_at - Duration::days(30));
    if from_at >= to_at {
        return Err(FieldErrors::single("from", "must be before to"));
    }
    if to_at - from_at > Duration::days(MAX_RANGE_DAYS) {
        return Err(FieldErrors::single(
            "from",
            format!("the range may span at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from_at, to_at))
}
