//! Which part of a list a read asks for, and the page it gets back: the
//! one paging rule every interface shares (REST's page/length, SCIM's
//! startIndex/count and MCP's keyset cursor each map onto it).

use crate::db::DbConnection;
use crate::error::{Error, Result};

/// A page of a list: `page` from 1, `length` items per page (at most
/// `MAX_LENGTH`). A `page` below 1 stands for a page that cannot exist (a
/// client's `page=0` or `page=x`): it is reported as `Error::InvalidPage`
/// when the list is read, after the caller's permission is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub length: i64,
}

impl PageRequest {
    pub const DEFAULT_LENGTH: i64 = 10;
    pub const MAX_LENGTH: i64 = 100;

    /// Page `page` (from 1) of `length` items; a length over the maximum is
    /// capped, one below 1 is taken as 1.
    pub fn new(page: i64, length: i64) -> Self {
        Self {
            page,
            length: length.clamp(1, Self::MAX_LENGTH),
        }
    }

    /// A page no list has (see the type's documentation).
    pub fn invalid(length: i64) -> Self {
        Self::new(0, length)
    }

    /// The first page, of the default length.
    pub fn first() -> Self {
        Self::new(1, Self::DEFAULT_LENGTH)
    }

    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1).saturating_mul(self.length)
    }

    /// How many pages `count` items fill. Page 1 always exists (empty when
    /// there is nothing); a later page must hold something, or the request
    /// is `Error::InvalidPage`.
    pub fn page_total(&self, count: i64) -> Result<i64> {
        let page_total = if count == 0 {
            1
        } else {
            (count + self.length - 1) / self.length
        };
        if self.page < 1 || self.page > page_total {
            return Err(Error::InvalidPage);
        }
        Ok(page_total)
    }
}

/// One page of a list, with what the envelope reports.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// Items matching the query, on every page.
    pub count: i64,
    pub page_total: i64,
    pub request: PageRequest,
    pub rows: Vec<T>,
}

impl<T> Page<T> {
    /// Counts, checks that the page exists, then loads it with
    /// `(offset, limit)`: a page past the end costs no page query.
    pub fn load<E: Into<Error>>(
        conn: &mut DbConnection,
        request: PageRequest,
        count: impl FnOnce(&mut DbConnection) -> std::result::Result<i64, E>,
        page: impl FnOnce(&mut DbConnection, i64, i64) -> Result<Vec<T>>,
    ) -> Result<Self> {
        let count = count(conn).map_err(Into::into)?;
        let page_total = request.page_total(count)?;
        let rows = page(conn, request.offset(), request.length)?;
        Ok(Self {
            count,
            page_total,
            request,
            rows,
        })
    }

    /// The same page with each row turned into something else.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            count: self.count,
            page_total: self.page_total,
            request: self.request,
            rows: self.rows.into_iter().map(f).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_bounded_and_pages_start_at_one() {
        assert_eq!(
            PageRequest::new(1, 1000),
            PageRequest {
                page: 1,
                length: 100
            }
        );
        assert_eq!(PageRequest::new(3, 0).length, 1);
        assert_eq!(PageRequest::new(3, 10).offset(), 20);
        assert_eq!(PageRequest::new(i64::MAX, 100).offset(), i64::MAX);
    }

    #[test]
    fn a_page_past_the_end_is_invalid_but_the_first_always_exists() {
        let second = PageRequest::new(2, 10);
        assert!(matches!(second.page_total(10), Err(Error::InvalidPage)));
        assert_eq!(second.page_total(11).unwrap(), 2);
        assert_eq!(PageRequest::first().page_total(0).unwrap(), 1);
        assert!(matches!(
            PageRequest::invalid(10).page_total(0),
            Err(Error::InvalidPage)
        ));
        assert_eq!(PageRequest::invalid(10).offset(), 0);
    }
}
