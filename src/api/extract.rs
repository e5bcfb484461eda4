//! Request bodies and query strings, read into DRF-style field errors.
//!
//! Bodies are buffered (at most 1 MiB) by the extractor but parsed by the
//! handler, after authorization, so that a forbidden write is a 403 even when
//! its body is also invalid.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest, dev};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use crate::error::{Error, FieldErrors, Result};
use crate::service::PageRequest;
use crate::service::fields::json_type;

pub const BODY_LIMIT: usize = 1024 * 1024;

/// A request body not yet parsed.
pub struct Body {
    content_type: Option<String>,
    bytes: Bytes,
}

impl FromRequest for Body {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let read = read_body(req, payload.take());
        Box::pin(async move {
            Ok(Body {
                content_type,
                bytes: read.await?,
            })
        })
    }
}

/// Buffers a request's body, at most [`BODY_LIMIT`] bytes (a 413 beyond).
pub fn read_body(
    req: &HttpRequest,
    mut payload: dev::Payload,
) -> impl Future<Output = Result<Bytes>> + use<> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    async move {
        if declared.is_some_and(|n| n > BODY_LIMIT) {
            return Err(Error::PayloadTooLarge);
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|_| Error::BadRequest("The request body could not be read.".into()))?;
            if buf.len() + chunk.len() > BODY_LIMIT {
                return Err(Error::PayloadTooLarge);
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

impl Body {
    /// The body as a JSON object (JSON, or a flat form). An empty body is
    /// `{}`; a body of blanks is not JSON (a 400, as in DRF).
    pub fn fields(&self) -> Result<Fields> {
        if self.bytes.is_empty() {
            return Ok(Fields(Map::new()));
        }
        let media = self
            .content_type
            .as_deref()
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if media == "application/json" || media.ends_with("+json") {
            let value: Value = serde_json::from_slice(&self.bytes).map_err(|e| {
                Error::BadRequest(format!("JSON parse error - {}", short_reason(&e)))
            })?;
            match value {
                Value::Object(map) => Ok(Fields(map)),
                other => Err(Error::non_field(format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    json_type(&other)
                ))),
            }
        } else if media == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&self.bytes).map_err(|_| {
                    Error::BadRequest("Form parse error - the body is not valid form data.".into())
                })?;
            Ok(Fields(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ))
        } else {
            Err(Error::UnsupportedMediaType(media))
        }
    }
}

fn short_reason(e: &serde_json::Error) -> String {
    let reason = match e.classify() {
        serde_json::error::Category::Io => "the body could not be read",
        serde_json::error::Category::Syntax => "invalid syntax",
        serde_json::error::Category::Data => "invalid data",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    if e.to_string().contains("recursion limit") {
        return "nesting is too deep".into();
    }
    format!("{reason} at line {} column {}", e.line(), e.column())
}

pub use crate::domain::text::{NUL_REFUSED, holds_nul, nul_path, nul_path_in};
pub use crate::error::REQUIRED;
pub use crate::service::fields::{Fields, NOT_NULL, as_string, parse_bool, reference};

pub use crate::auth::caller::{client_address, request_context};

/// The query string as ordered pairs (repeated keys kept).
pub struct Query(Vec<(String, String)>);

impl Query {
    /// The parameters an operation documents with `P`, read from the query
    /// string (see [`Query::from_request`]).
    pub fn documented<P: IntoParams>(req: &HttpRequest) -> Result<Self> {
        let names: Vec<String> = P::into_params(|| None)
            .into_iter()
            .map(|param| param.name)
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Self::from_request(req, &names)
    }

    /// The parameters `read` of the query string. A NUL character in the
    /// value of one of them is a 400 naming it; every other parameter is
    /// dropped unread, as DRF ignores undeclared parameters, so a NUL there
    /// reaches nothing.
    pub fn from_request(req: &HttpRequest, read: &[&str]) -> Result<Self> {
        Self::parse(req.query_string(), read)
    }

    fn parse(raw: &str, read: &[&str]) -> Result<Self> {
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|_| Error::BadRequest("The query string is not valid.".into()))?;
        // `role[]=a&role[]=b`, as PHP and Probely's clients write a
        // repeated parameter, is the same as `role=a&role=b`.
        for (key, _) in &mut pairs {
            if let Some(bare) = key.strip_suffix("[]") {
                *key = bare.to_owned();
            }
        }
        pairs.retain(|(key, _)| read.contains(&key.as_str()));
        let mut errors = FieldErrors::new();
        for (key, value) in &pairs {
            if value.contains('\0') && !errors.contains(key) {
                errors.add(key, NUL_REFUSED);
            }
        }
        errors.into_result()?;
        Ok(Query(pairs))
    }

    pub fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean parameter; a bad spelling is a 400 naming it.
    pub fn boolean(&self, key: &str, errors: &mut FieldErrors) -> Option<bool> {
        let raw = self.first(key)?;
        let parsed = parse_bool(raw);
        if parsed.is_none() {
            errors.add(key, "Must be a valid boolean.");
        }
        parsed
    }
}

/// `page` and `length` of a list request, as DRF reads them: `length` above
/// the maximum is capped; below 1 or not an integer is a 400; a bad `page`
/// is DRF's 404 `Invalid page.` (reported by the service, after its
/// permission check).
pub fn page_request(query: &Query, errors: &mut FieldErrors) -> PageRequest {
    let length = match query.first("length") {
        None | Some("") => PageRequest::DEFAULT_LENGTH,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n,
            Ok(_) => {
                errors.add("length", "Ensure this value is greater than or equal to 1.");
                PageRequest::DEFAULT_LENGTH
            }
            Err(_) if raw.trim().chars().all(|c| c.is_ascii_digit()) => PageRequest::MAX_LENGTH,
            Err(_) => {
                errors.add("length", "A valid integer is required.");
                PageRequest::DEFAULT_LENGTH
            }
        },
    };
    match query.first("page") {
        None | Some("") => PageRequest::new(1, length),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => PageRequest::new(n, length),
            _ => PageRequest::invalid(length),
        },
    }
}

/// `ordering=field` or `-field`, from the allowed names.
pub fn ordering<T: Copy>(
    query: &Query,
    allowed: &[(&str, T)],
    errors: &mut FieldErrors,
) -> Option<(T, bool)> {
    let raw = query.first("ordering")?.trim();
    let (name, descending) = match raw.strip_prefix('-') {
        Some(name) => (name, true),
        None => (raw, false),
    };
    match allowed.iter().find(|(n, _)| *n == name) {
        Some((_, field)) => Some((*field, descending)),
        None => {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            errors.add(
                "ordering",
                format!(
                    "Invalid ordering \"{raw}\": use one of {} (prefix - for descending).",
                    names.join(", ")
                ),
            );
            None
        }
    }
}

/// What every list request takes: `page`, `length`, `ordering` and `search`.
/// A handler reads its own filters from `query` into `errors`, then reports
/// all parameter errors at once.
pub struct ListRequest<F> {
    pub query: Query,
    pub page: PageRequest,
    /// The field to order by, and whether descending.
    pub ordering: (F, bool),
    /// Trimmed; `None` when absent or blank.
    pub search: Option<String>,
    pub errors: FieldErrors,
}

impl<F: Copy> ListRequest<F> {
    /// The request's list parameters and the filters `P` documents.
    pub fn parse<P: IntoParams>(
        req: &HttpRequest,
        orderings: &[(&str, F)],
        default: (F, bool),
    ) -> Result<Self> {
        let query = Query::documented::<P>(req)?;
        let mut errors = FieldErrors::new();
        let page = page_request(&query, &mut errors);
        let ordering = ordering(&query, orderings, &mut errors).unwrap_or(default);
        let search = query
            .first("search")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(Self {
            query,
            page,
            ordering,
            search,
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> Query {
        Query(serde_urlencoded::from_str(s).unwrap())
    }

    #[test]
    fn length_is_capped_and_validated() {
        let mut e = FieldErrors::new();
        assert_eq!(page_request(&query("length=1000"), &mut e).length, 100);
        assert_eq!(
            page_request(&query("length=99999999999999999999999"), &mut e).length,
            100
        );
        assert!(e.is_empty());
        page_request(&query("length=0"), &mut e);
        assert!(e.contains("length"));
        let mut e = FieldErrors::new();
        page_request(&query("length=abc"), &mut e);
        assert!(e.contains("length"));
    }

    #[test]
    fn bad_pages_are_invalid() {
        let mut e = FieldErrors::new();
        for q in ["page=0", "page=-1", "page=x", "page=1.5"] {
            let page = page_request(&query(q), &mut e);
            assert!(matches!(page.page_total(0), Err(Error::InvalidPage)), "{q}");
        }
        assert!(e.is_empty(), "a bad page is not a 400");
        let p = page_request(&query("page=2&length=10"), &mut e);
        assert_eq!(p, PageRequest::new(2, 10));
        assert_eq!(page_request(&query(""), &mut e), PageRequest::first());
    }

    #[test]
    fn nul_characters_are_refused_under_the_name_that_carries_them() {
        let read = ["search", "page"];
        let Err(Error::Validation(e)) = Query::parse("search=a%00b&search=c%00&page=1", &read)
        else {
            panic!("a NUL in a parameter is a 400");
        };
        assert_eq!(e.into_value(), serde_json::json!({"search": [NUL_REFUSED]}));
        let query = Query::parse("a%00b=1&other=%00&search=x", &read).unwrap();
        assert_eq!(query.first("search"), Some("x"));
        assert_eq!(query.first("other"), None, "unread parameters are dropped");
    }

    #[test]
    fn nul_paths_name_the_argument() {
        let args = serde_json::json!({"filter": {"query": "a\u{0}"}, "id": "x"});
        assert_eq!(nul_path(&args).as_deref(), Some("filter.query"));
        let args = serde_json::json!({"emails": ["ok", "b\u{0}"]});
        assert_eq!(nul_path(&args).as_deref(), Some("emails[1]"));
        assert_eq!(nul_path(&serde_json::json!({"ok": [1, true, null]})), None);
    }

    #[test]
    fn ordering_accepts_known_fields_only() {
        let allowed = [("name", 1), ("email", 2)];
        let mut e = FieldErrors::new();
        assert_eq!(
            ordering(&query("ordering=-email"), &allowed, &mut e),
            Some((2, true))
        );
        assert_eq!(
            ordering(&query("ordering=password_hash"), &allowed, &mut e),
            None
        );
        assert!(e.contains("ordering"));
    }
}
