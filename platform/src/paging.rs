//! Page-number pagination every list RPC shares: defaults, bounds and the page info answered.

use igny8_proto::common::v1::{PageInfo, PageRequest};
use sqlx::{Postgres, QueryBuilder};

use crate::error::{FieldErrors, Result};

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

/// Page number (1-based) and size with defaults and bounds applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub size: u32,
}

impl Page {
    /// Reads a request's paging; a size over the maximum is refused naming `page_size`.
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

    /// Appends `LIMIT .. OFFSET ..` to a dynamic query.
    pub fn push(&self, qb: &mut QueryBuilder<Postgres>) {
        qb.push(" LIMIT ")
            .push_bind(self.limit())
            .push(" OFFSET ")
            .push_bind(self.offset());
    }

    pub fn info(&self, count: i64) -> PageInfo {
        PageInfo {
            count: count.max(0) as u64,
            page: self.page,
            page_size: self.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_bounds_and_offsets() {
        assert_eq!(
            Page::from_request(None).unwrap(),
            Page {
                page: 1,
                size: DEFAULT_PAGE_SIZE
            }
        );
        let third = Page::from_request(Some(&PageRequest {
            page: 3,
            page_size: 10,
        }))
        .unwrap();
        assert_eq!((third.limit(), third.offset()), (10, 20));
        let zero = Page::from_request(Some(&PageRequest {
            page: 0,
            page_size: 0,
        }))
        .unwrap();
        assert_eq!(
            zero,
            Page {
                page: 1,
                size: DEFAULT_PAGE_SIZE
            }
        );
        let err = Page::from_request(Some(&PageRequest {
            page: 1,
            page_size: 101,
        }))
        .unwrap_err();
        assert!(matches!(err, crate::Error::Validation(f) if f.0.contains_key("page_size")));
    }
}
