//! Small conversions between wire and storage types: timestamps, ids, pages, date ranges.
//!
//! `ts` and `Page` mirror auth-svc's ops/common.rs; they belong in igny8-platform (reported to
//! the lead) and are here only until they move.

use chrono::{DateTime, Duration, Utc};
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::common::v1::{PageInfo, PageRequest};
use prost_types::Timestamp;
use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;
/// Longest date range a report covers.
pub const MAX_RANGE_DAYS: i64 = 366;

pub fn ts(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn opt_ts(at: Option<DateTime<Utc>>) -> Option<Timestamp> {
    at.map(ts)
}

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

/// An id from a request; one that is not a UUID is as unknown as a missing row.
pub fn parse_id(value: &str, entity: &'static str) -> Result<Uuid> {
    value.trim().parse().map_err(|_| Error::NotFound(entity))
}

/// Page number and size with defaults and bounds applied.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: u32,
    pub size: u32,
}

impl Page {
    pub fn from_request(request: Option<&PageRequest>) -> Result<Self> {
        let page = request.map_or(1, |p| p.page.max(1));
        let size = request.map_or(0, |p| p.page_size);
        let size = if size == 0 { DEFAULT_PAGE_SIZE } else { size };
        if size > MAX_PAGE_SIZE {
            return Err(FieldErrors::single(
                "page_size",
                format!("must be at most {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(Self { page, size })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.size)
    }

    pub fn info(&self, count: i64) -> PageInfo {
        PageInfo {
            count: count.max(0) as u64,
            page: self.page,
            page_size: self.size,
        }
    }
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
