//! What a client asks of a read (RFC 7644 §3.4): `filter`, `startIndex` and
//! `count`, and which attributes come back (`attributes`,
//! `excludedAttributes`), from a query string or a `POST .search` body.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::filter::{self, Filter};
use super::resource::MAX_RESULTS;
use super::{LIST_SCHEMA, ScimError, ScimResult};
use crate::domain::text::NUL_REFUSED;

/// Which attributes a response carries. `schemas` and `id` always come back
/// (their `returned` is `always`); names may carry their schema's URN.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    attributes: Vec<(String, Option<String>)>,
    excluded: Vec<(String, Option<String>)>,
}

/// `urn:...:User:name.givenName` → (`name`, `givenName`), lower-cased.
fn attribute_name(raw: &str) -> Option<(String, Option<String>)> {
    let raw = raw.trim();
    let bare = if raw.to_ascii_lowercase().starts_with("urn:") {
        raw.rsplit_once(':').map_or(raw, |(_, name)| name)
    } else {
        raw
    };
    if bare.is_empty() {
        return None;
    }
    let lower = bare.to_ascii_lowercase();
    Some(match lower.split_once('.') {
        Some((attr, sub)) => (attr.to_owned(), Some(sub.to_owned())),
        None => (lower, None),
    })
}

fn names(list: &[String]) -> Vec<(String, Option<String>)> {
    list.iter()
        .flat_map(|item| item.split(','))
        .filter_map(attribute_name)
        .collect()
}

const ALWAYS: [&str; 2] = ["schemas", "id"];

impl Projection {
    pub fn new(attributes: &[String], excluded: &[String]) -> Self {
        Self {
            attributes: names(attributes),
            excluded: names(excluded),
        }
    }

    /// Whether the top-level attribute `name` (lower case) comes back, in
    /// part at least.
    pub fn returns(&self, name: &str) -> bool {
        if self.attributes.is_empty() {
            !self
                .excluded
                .iter()
                .any(|(attr, sub)| attr == name && sub.is_none())
        } else {
            ALWAYS.contains(&name) || self.attributes.iter().any(|(attr, _)| attr == name)
        }
    }

    /// Narrows `resource` (a JSON object) to what was asked.
    pub fn apply(&self, resource: &mut Value) {
        let Value::Object(object) = resource else {
            return;
        };
        if !self.attributes.is_empty() {
            let kept: Map<String, Value> = std::mem::take(object)
                .into_iter()
                .filter_map(|(key, value)| {
                    let lower = key.to_ascii_lowercase();
                    if ALWAYS.contains(&lower.as_str()) {
                        return Some((key, value));
                    }
                    let wanted: Vec<&Option<String>> = self
                        .attributes
                        .iter()
                        .filter(|(attr, _)| *attr == lower)
                        .map(|(_, sub)| sub)
                        .collect();
                    if wanted.is_empty() {
                        None
                    } else if wanted.iter().any(|sub| sub.is_none()) {
                        Some((key, value))
                    } else {
                        let subs: Vec<&str> = wanted.iter().flat_map(|s| s.as_deref()).collect();
                        Some((key, keep_subs(value, &subs)))
                    }
                })
                .collect();
            *object = kept;
        }
        for (attr, sub) in &self.excluded {
            if ALWAYS.contains(&attr.as_str()) {
                continue;
            }
            let Some(key) = object
                .keys()
                .find(|k| k.eq_ignore_ascii_case(attr))
                .cloned()
            else {
                continue;
            };
            match sub {
                None => {
                    object.remove(&key);
                }
                Some(sub) => drop_sub(object.get_mut(&key), sub),
            }
        }
    }
}

/// The sub-attributes `subs` of a complex value (or of each of its values).
fn keep_subs(value: Value, subs: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| subs.iter().any(|s| k.eq_ignore_ascii_case(s)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| keep_subs(item, subs))
                .collect(),
        ),
        other => other,
    }
}

fn drop_sub(value: Option<&mut Value>, sub: &str) {
    match value {
        Some(Value::Object(map)) => map.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
        Some(Value::Array(items)) => {
            for item in items {
                drop_sub(Some(item), sub);
            }
        }
        _ => {}
    }
}

/// A list or search request.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start: usize,
    pub count: usize,
    pub projection: Projection,
}

/// A query string parameter, its name compared case-insensitively.
pub fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn integer(name: &str, raw: Option<&Value>, default: usize) -> ScimResult<usize> {
    let invalid = || ScimError::invalid_value(format!("\"{name}\" must be an integer."));
    let number = match raw {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(invalid)?,
        Some(Value::String(s)) => s.trim().parse().map_err(|_| invalid())?,
        Some(_) => return Err(invalid()),
    };
    Ok(number.max(0) as usize)
}

fn strings(name: &str, raw: Option<&Value>) -> ScimResult<Vec<String>> {
    match raw {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    ScimError::invalid_value(format!("\"{name}\" lists attribute names."))
                })
            })
            .collect(),
        Some(_) => Err(ScimError::invalid_value(format!(
            "\"{name}\" lists attribute names."
        ))),
    }
}

impl ListQuery {
    /// From `GET` parameters.
    pub fn from_params(query: &HashMap<String, String>) -> ScimResult<Self> {
        if let Some((name, _)) = query.iter().find(|(_, v)| v.contains('\0')) {
            let detail = format!("\"{name}\": {NUL_REFUSED}");
            return Err(if name.eq_ignore_ascii_case("filter") {
                ScimError::invalid_filter(detail)
            } else {
                ScimError::invalid_value(detail)
            });
        }
        let as_value = |name: &str| param(query, name).map(|v| Value::String(v.to_owned()));
        Self::from_fields(|name| as_value(name))
    }

    /// From a `POST .search` body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        if !body.is_object() {
            return Err(ScimError::invalid_syntax(
                "A search request is a JSON object.",
            ));
        }
        Self::from_fields(|name| filter::get_ci(body, name).cloned())
    }

    fn from_fields(field: impl Fn(&str) -> Option<Value>) -> ScimResult<Self> {
        let filter = match field("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                Some(filter::parse(&raw).map_err(|e| ScimError::invalid_filter(e.0))?)
            }
            Some(_) => return Err(ScimError::invalid_filter("\"filter\" is a string.")),
        };
        Ok(Self {
            filter,
            start: integer("startIndex", field("startIndex").as_ref(), 1)?.max(1),
            count: integer("count", field("count").as_ref(), MAX_RESULTS)?.min(MAX_RESULTS),
            projection: Projection::new(
                &strings("attributes", field("attributes").as_ref())?,
                &strings("excludedAttributes", field("excludedAttributes").as_ref())?,
            ),
        })
    }

    /// Which matches the response carries.
    pub fn window(&self) -> Window {
        Window {
            skip: self.start - 1,
            take: self.count,
        }
    }

    /// The `ListResponse` of one page.
    pub fn respond(&self, listed: Listed) -> Value {
        let resources: Vec<Value> = listed
            .resources
            .into_iter()
            .map(|mut resource| {
                self.projection.apply(&mut resource);
                resource
            })
            .collect();
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": listed.total,
            "itemsPerPage": resources.len(),
            "startIndex": self.start,
            "Resources": resources,
        })
    }
}

/// Which of a list's matches a response carries: `take` of them after the
/// first `skip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub skip: usize,
    pub take: usize,
}

impl Window {
    /// What is left of this window for a second list that follows one of
    /// `before` matches, of which `taken` were in this window (`POST
    /// /.search`: groups after users).
    pub fn after(self, before: usize, taken: usize) -> Self {
        Self {
            skip: self.skip.saturating_sub(before),
            take: self.take - taken.min(self.take),
        }
    }
}

/// One page of a list, and how many resources match in all.
#[derive(Debug, Default)]
pub struct Listed {
    pub total: usize,
    pub resources: Vec<Value>,
}

/// How SQL serves a list's filter.
pub enum Plan {
    /// SQL selects exactly what the filter matches: it counts and pages.
    Exact,
    /// SQL selects a superset; the filter is evaluated in memory over pages
    /// of rows.
    Superset(Filter),
}

impl Plan {
    /// The plan of `filter`, which SQL expresses exactly or not.
    pub fn new(filter: &Filter, exact: bool) -> Self {
        if exact {
            Plan::Exact
        } else {
            Plan::Superset(filter.clone())
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Plan::Exact)
    }
}

/// Rows loaded per query while a list filters in memory.
const LOAD_PAGE: i64 = 500;

/// Most rows a filter SQL cannot express is evaluated over in memory: past
/// it the request is refused (`tooMany`, RFC 7644 §3.12), so that no list
/// costs more than this whatever the organization's size.
pub const SCAN_MAX: usize = 10_000;

/// A filter that SQL narrows to more than `SCAN_MAX` rows.
#[derive(Debug, PartialEq, Eq)]
pub struct TooMany {
    pub candidates: usize,
}

/// The page `window` of a list, ordered as `page` loads it.
///
/// `count` gives how many rows SQL selects. With an exact plan that is the
/// total, and `page(offset, limit)` reads the window itself: cost and memory
/// follow the page, not the organization. Otherwise every row SQL selects
/// (at most `SCAN_MAX`, else `TooMany`) is loaded, `LOAD_PAGE` at a time,
/// and tested against the filter; only the window's matches are kept, so
/// memory stays bounded (one load page beside the window).
pub fn page_of<C>(
    conn: &mut C,
    plan: &Plan,
    window: Window,
    count: impl FnOnce(&mut C) -> crate::error::Result<i64>,
    mut page: impl FnMut(&mut C, i64, i64) -> crate::error::Result<Vec<Value>>,
) -> crate::error::Result<Result<Listed, TooMany>> {
    let selected = usize::try_from(count(conn)?).unwrap_or(0);
    let filter = match plan {
        Plan::Exact => {
            let resources = if window.take == 0 || window.skip >= selected {
                Vec::new()
            } else {
                page(
                    conn,
                    i64::try_from(window.skip).unwrap_or(i64::MAX),
                    i64::try_from(window.take).unwrap_or(i64::MAX),
                )?
            };
            return Ok(Ok(Listed {
                total: selected,
                resources,
            }));
        }
        Plan::Superset(_) if selected > SCAN_MAX => {
            return Ok(Err(TooMany {
                candidates: selected,
            }));
        }
        Plan::Superset(filter) => filter,
    };
    let mut listed = Listed::default();
    let mut offset = 0;
    loop {
        let resources = page(conn, offset, LOAD_PAGE)?;
        let loaded = resources.len() as i64;
        for resource in resources.into_iter().filter(|r| filter.matches(r)) {
            if listed.total >= window.skip && listed.resources.len() < window.take {
                listed.resources.push(resource);
            }
            listed.total += 1;
        }
        if loaded < LOAD_PAGE {
            return Ok(Ok(listed));
        }
        offset += LOAD_PAGE;
    }
}

/// The projection `GET /Users/{id}` (or a write) asked for.
pub fn projection(query: &HashMap<String, String>) -> Projection {
    let list = |name: &str| {
        param(query, name)
            .map(|v| vec![v.to_owned()])
            .unwrap_or_default()
    };
    Projection::new(&list("attributes"), &list("excludedAttributes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "abc",
            "userName": "a@example.com",
            "name": {"formatted": "Ann Lee", "givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@example.com", "type": "work", "primary": true}],
            "active": true,
        })
    }

    #[test]
    fn attributes_keep_only_what_is_named_with_schemas_and_id() {
        let mut u = user();
        Projection::new(&["userName,name.givenName".into()], &[]).apply(&mut u);
        assert_eq!(
            u,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "abc",
                "userName": "a@example.com",
                "name": {"givenName": "Ann"},
            })
        );
    }

    #[test]
    fn excluded_attributes_drop_attributes_and_sub_attributes_but_never_id() {
        let mut u = user();
        Projection::new(
            &[],
            &[
                "urn:ietf:params:scim:schemas:core:2.0:User:name".into(),
                "emails.type".into(),
                "id".into(),
            ],
        )
        .apply(&mut u);
        assert!(u.get("name").is_none());
        assert_eq!(u["id"], "abc");
        assert_eq!(
            u["emails"],
            json!([{"value": "a@example.com", "primary": true}])
        );
    }

    #[test]
    fn search_bodies_and_parameters_read_alike() {
        let body = json!({"filter": "userName eq \"a@example.com\"", "startIndex": 2, "count": "5",
                          "attributes": ["userName"]});
        let q = ListQuery::from_search(&body).unwrap();
        assert_eq!((q.start, q.count), (2, 5));
        assert!(q.filter.unwrap().matches(&user()));
        let params: HashMap<String, String> = [("COUNT".to_owned(), "99999".to_owned())].into();
        let q = ListQuery::from_params(&params).unwrap();
        assert_eq!((q.start, q.count), (1, MAX_RESULTS));
        assert!(ListQuery::from_search(&json!({"count": "many"})).is_err());
        assert!(ListQuery::from_search(&json!({"filter": "userName zz 1"})).is_err());
    }

    fn numbered(n: usize) -> Vec<Value> {
        (0..n)
            .map(
                |i| json!({"id": i.to_string(), "userName": format!("u{i}"), "active": i % 3 != 0}),
            )
            .collect()
    }

    /// `page_of` over `rows`, loading them as SQL would (by offset and
    /// limit), counting the loads.
    fn paged(rows: &[Value], plan: &Plan, window: Window) -> (Listed, usize) {
        let mut loads = 0;
        let listed = page_of(
            &mut loads,
            plan,
            window,
            |_| Ok(rows.len() as i64),
            |loads, offset, limit| {
                *loads += 1;
                let (offset, limit) = (offset as usize, limit as usize);
                Ok(rows.iter().skip(offset).take(limit).cloned().collect())
            },
        )
        .unwrap()
        .unwrap();
        (listed, loads)
    }

    #[test]
    fn an_exact_plan_counts_and_reads_only_the_window() {
        let rows = numbered(1200);
        let (listed, loads) = paged(&rows, &Plan::Exact, Window { skip: 700, take: 3 });
        assert_eq!(listed.total, 1200);
        assert_eq!(listed.resources, rows[700..703].to_vec());
        assert_eq!(loads, 1);
        let (listed, loads) = paged(
            &rows,
            &Plan::Exact,
            Window {
                skip: 1200,
                take: 3,
            },
        );
        assert_eq!((listed.total, listed.resources.len(), loads), (1200, 0, 0));
        let (listed, loads) = paged(&rows, &Plan::Exact, Window { skip: 0, take: 0 });
        assert_eq!((listed.total, listed.resources.len(), loads), (1200, 0, 0));
    }

    #[test]
    fn a_filter_sql_cannot_narrow_enough_is_refused_before_any_row_is_read() {
        let filter = filter::parse("name.familyName sw \"A\"").unwrap();
        let refused = page_of(
            &mut (),
            &Plan::Superset(filter),
            Window { skip: 0, take: 10 },
            |_| Ok(SCAN_MAX as i64 + 1),
            |_, _, _| panic!("no row is read"),
        )
        .unwrap();
        assert_eq!(
            refused.unwrap_err(),
            TooMany {
                candidates: SCAN_MAX + 1
            }
        );
        // An exact plan pages whatever the total.
        let listed = page_of(
            &mut (),
            &Plan::Exact,
            Window { skip: 0, take: 1 },
            |_| Ok(1_000_000),
            |_, _, _| Ok(vec![json!({"id": "a"})]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(listed.total, 1_000_000);
    }

    #[test]
    fn windows_after_a_first_list_take_what_is_left() {
        let w = Window { skip: 5, take: 10 };
        assert_eq!(w.after(3, 0), Window { skip: 2, take: 10 });
        assert_eq!(w.after(8, 3), Window { skip: 0, take: 7 });
        assert_eq!(w.after(40, 10), Window { skip: 0, take: 0 });
    }

    #[test]
    fn projections_tell_whether_an_attribute_comes_back() {
        assert!(Projection::new(&[], &[]).returns("members"));
        assert!(!Projection::new(&[], &["members".into()]).returns("members"));
        assert!(Projection::new(&[], &["members.display".into()]).returns("members"));
        assert!(!Projection::new(&["displayName".into()], &[]).returns("members"));
        assert!(Projection::new(&["members.value".into()], &[]).returns("members"));
        assert!(Projection::new(&["displayName".into()], &[]).returns("id"));
    }

    proptest::proptest! {
        /// Filtering in memory keeps exactly the window of the matches, in
        /// order, and counts them all.
        #[test]
        fn a_superset_plan_pages_the_matches(
            n in 0usize..1600,
            skip in 0usize..1700,
            take in 0usize..120,
            filter in proptest::sample::select(vec![
                "active eq true", "active eq false", "userName sw \"u1\"",
                "userName ew \"7\"", "id eq \"42\"",
            ]),
        ) {
            let rows = numbered(n);
            let filter = filter::parse(filter).unwrap();
            let expected: Vec<Value> = rows.iter().filter(|r| filter.matches(r)).cloned().collect();
            let (listed, _) = paged(&rows, &Plan::Superset(filter), Window { skip, take });
            proptest::prop_assert_eq!(listed.total, expected.len());
            let page: Vec<Value> = expected.into_iter().skip(skip).take(take).collect();
            proptest::prop_assert_eq!(listed.resources, page);
        }
    }
}
