//! The SCIM filter language (RFC 7644 §3.4.2.2): a parser to an AST and an
//! evaluator over a resource's JSON representation.
//!
//! Precedence is `not` > `and` > `or`; attribute names and operators are
//! case-insensitive. Strings compare case-insensitively (caseExact false)
//! except for `id` and `externalId`; values that both parse as RFC 3339
//! date-times compare as times.
//!
//! Evaluation happens in Rust over the JSON a resource is served as: a list
//! loads the organization's users page by page and filters them in memory.
//! That is simple and correct for the sizes of one organization; translating
//! filters into SQL is a later optimization.

use crate::domain::text::NUL_REFUSED;
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::fmt;

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Compare(AttrPath, CompareOp, Literal),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute
    /// matches the inner filter, whose paths are relative to that value.
    ValuePath(AttrPath, Box<Filter>),
}

/// `name.givenName`, optionally prefixed by a schema URN. Names are kept
/// lowercase since SCIM compares them case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    Bool(bool),
    Null,
    Number(f64),
}

/// Why a filter does not parse; answered with scimType `invalidFilter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

fn err<T>(message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(message.into()))
}

/// Bounds the parser's recursion for hostile input.
const MAX_DEPTH: usize = 32;
/// Bounds the work one filter can cause.
pub const MAX_LENGTH: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Str(String),
    Word(String),
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '[' => {
                chars.next();
                tokens.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                tokens.push(Token::CloseBracket);
            }
            '"' => {
                chars.next();
                let mut end = None;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let Some(end) = end else {
                    return err(format!("Unterminated string starting at offset {start}."));
                };
                let raw = &input[start..=end];
                let value: String = serde_json::from_str(raw)
                    .map_err(|_| FilterError(format!("Invalid string literal {raw}.")))?;
                // `\u0000` decodes to a NUL, which no stored value holds and
                // PostgreSQL cannot compare.
                if value.contains('\0') {
                    return err(format!("Invalid string literal {raw}: {NUL_REFUSED}"));
                }
                tokens.push(Token::Str(value));
            }
            _ => {
                let mut end = input.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(input[start..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Parses a filter such as `userName eq "bjensen" and not (active eq false)`.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_LENGTH {
        return err(format!("The filter is longer than {MAX_LENGTH} bytes."));
    }
    let mut parser = Parser {
        tokens: tokenize(input)?,
        pos: 0,
        depth: 0,
    };
    if parser.tokens.is_empty() {
        return err("The filter is empty.");
    }
    let filter = parser.or_expr()?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => err(format!("Unexpected {} after the filter.", describe(token))),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Open => "\"(\"".into(),
        Token::Close => "\")\"".into(),
        Token::OpenBracket => "\"[\"".into(),
        Token::CloseBracket => "\"]\"".into(),
        Token::Str(s) => format!("string {s:?}"),
        Token::Word(w) => format!("\"{w}\""),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, expected: Token, what: &str) -> Result<(), FilterError> {
        match self.next() {
            Some(t) if t == expected => Ok(()),
            Some(t) => err(format!("Expected {what}, found {}.", describe(&t))),
            None => err(format!("Expected {what} at the end of the filter.")),
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err("The filter nests too deeply.");
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn or_expr(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and_expr()?;
        while self.peek_keyword("or") {
            self.next();
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.next();
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.peek_keyword("not") && self.tokens.get(self.pos + 1) == Some(&Token::Open) {
            self.next();
            let inner = self.group()?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            return self.group();
        }
        self.attr_expr()
    }

    fn group(&mut self) -> Result<Filter, FilterError> {
        self.expect(Token::Open, "\"(\"")?;
        let inner = self.nested(Self::or_expr)?;
        self.expect(Token::Close, "\")\"")?;
        Ok(inner)
    }

    fn attr_expr(&mut self) -> Result<Filter, FilterError> {
        let path = match self.next() {
            Some(Token::Word(w)) => parse_attr_path(&w)?,
            Some(t) => return err(format!("Expected an attribute, found {}.", describe(&t))),
            None => return err("Expected an attribute at the end of the filter."),
        };
        if self.peek() == Some(&Token::OpenBracket) {
            if path.sub.is_some() {
                return err("A value filter applies to an attribute, not a sub-attribute.");
            }
            self.next();
            let inner = self.nested(Self::or_expr)?;
            self.expect(Token::CloseBracket, "\"]\"")?;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            Some(t) => return err(format!("Expected an operator, found {}.", describe(&t))),
            None => return err("Expected an operator at the end of the filter."),
        };
        let op = match op.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            other => return err(format!("Unknown operator \"{other}\".")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Literal::String(s),
            Some(Token::Word(w)) => parse_word_literal(&w)?,
            Some(t) => return err(format!("Expected a value, found {}.", describe(&t))),
            None => return err("Expected a value at the end of the filter."),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

fn parse_word_literal(word: &str) -> Result<Literal, FilterError> {
    match word {
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        "null" => return Ok(Literal::Null),
        _ => {}
    }
    let looks_numeric = word
        .chars()
        .next()
        .is_some_and(|c| c == '-' || c.is_ascii_digit());
    match word.parse::<f64>() {
        Ok(n) if looks_numeric && n.is_finite() => Ok(Literal::Number(n)),
        _ => err(format!(
            "Invalid value \"{word}\": strings must be quoted; other values are true, false, null or numbers."
        )),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses `name`, `name.sub` or `urn:...:Schema:name.sub`.
pub fn parse_attr_path(raw: &str) -> Result<AttrPath, FilterError> {
    let (uri, rest) = if raw.len() > 4 && raw[..4].eq_ignore_ascii_case("urn:") {
        match raw.rfind(':') {
            Some(i) if i + 1 < raw.len() => (Some(raw[..i].to_ascii_lowercase()), &raw[i + 1..]),
            _ => return err(format!("Invalid attribute path \"{raw}\".")),
        }
    } else {
        (None, raw)
    };
    let mut parts = rest.splitn(2, '.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if !is_name(name) || sub.is_some_and(|s| !is_name(s)) {
        return err(format!("Invalid attribute path \"{raw}\"."));
    }
    Ok(AttrPath {
        uri,
        name: name.to_ascii_lowercase(),
        sub: sub.map(str::to_ascii_lowercase),
    })
}

/// Attributes whose strings compare case-sensitively (RFC 7643 caseExact).
fn case_exact(path: &AttrPath) -> bool {
    path.sub.is_none() && matches!(path.name.as_str(), "id" | "externalid")
}

/// The member of an object named `name`, compared case-insensitively.
pub fn get_ci<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The values a path reaches, multi-valued attributes flattened.
fn resolve<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let mut base = resource;
    if let Some(uri) = &path.uri
        && let Some(ext) = get_ci(resource, uri)
    {
        // An extension schema's attributes live under its URN.
        base = ext;
    }
    let Some(top) = get_ci(base, &path.name) else {
        return Vec::new();
    };
    let top: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    let Some(sub) = &path.sub else {
        return top;
    };
    let mut out = Vec::new();
    for value in top {
        match get_ci(value, sub) {
            Some(Value::Array(items)) => out.extend(items.iter()),
            Some(v) => out.push(v),
            None => {}
        }
    }
    out
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Whether a string literal reads as a time (RFC 3339), which the filter
/// compares with another time as an instant rather than as text.
pub fn is_time(s: &str) -> bool {
    parse_time(s).is_some()
}

fn compare_one(value: &Value, op: CompareOp, literal: &Literal, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering = |o: Option<Ordering>| -> bool {
        let Some(o) = o else { return false };
        match op {
            CompareOp::Eq => o == Ordering::Equal,
            CompareOp::Ne => o != Ordering::Equal,
            CompareOp::Gt => o == Ordering::Greater,
            CompareOp::Ge => o != Ordering::Less,
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
        }
    };
    match (value, literal) {
        (Value::String(v), Literal::String(l)) => {
            if let (Some(a), Some(b)) = (parse_time(v), parse_time(l)) {
                return ordering(Some(a.cmp(&b)));
            }
            let (v, l) = if exact {
                (v.clone(), l.clone())
            } else {
                (v.to_lowercase(), l.to_lowercase())
            };
            match op {
                CompareOp::Co => v.contains(&l),
                CompareOp::Sw => v.starts_with(&l),
                CompareOp::Ew => v.ends_with(&l),
                _ => ordering(Some(v.cmp(&l))),
            }
        }
        (Value::Bool(v), Literal::Bool(l)) => match op {
            CompareOp::Eq => v == l,
            CompareOp::Ne => v != l,
            _ => false,
        },
        (Value::Number(v), Literal::Number(l)) => {
            ordering(v.as_f64().and_then(|v| v.partial_cmp(l)))
        }
        _ => op == CompareOp::Ne,
    }
}

impl Filter {
    /// Whether a resource (its SCIM JSON) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::Present(path) => resolve(resource, path).into_iter().any(|v| match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            }),
            Filter::ValuePath(path, inner) => resolve(resource, path)
                .into_iter()
                .any(|value| inner.matches(value)),
            Filter::Compare(path, op, literal) => {
                let values: Vec<&Value> = resolve(resource, path)
                    .into_iter()
                    .filter(|v| !v.is_null())
                    .collect();
                if *literal == Literal::Null {
                    return match op {
                        CompareOp::Eq => values.is_empty(),
                        CompareOp::Ne => !values.is_empty(),
                        _ => false,
                    };
                }
                let exact = case_exact(path);
                if *op == CompareOp::Ne {
                    // Not equal to any value it has (or it has none).
                    return !values
                        .iter()
                        .any(|v| compare_one(v, CompareOp::Eq, literal, exact));
                }
                values.iter().any(|v| compare_one(v, *op, literal, exact))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            uri: None,
            name: name.into(),
            sub: sub.map(Into::into),
        }
    }

    fn eq(name: &str, value: &str) -> Filter {
        Filter::Compare(
            path(name, None),
            CompareOp::Eq,
            Literal::String(value.into()),
        )
    }

    fn user() -> Value {
        json!({
            "id": "AbC123",
            "externalId": "ext-1",
            "userName": "Bjensen@Example.com",
            "displayName": "Babs Jensen",
            "active": true,
            "name": {"formatted": "Babs Jensen", "givenName": "Barbara", "familyName": "Jensen"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@home.example.org", "type": "home"}
            ],
            "meta": {"resourceType": "User", "lastModified": "2026-11-28T10:00:00Z", "version": "W/\"1\""},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Security"}
        })
    }

    fn matches(filter: &str) -> bool {
        parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&user())
    }

    #[test]
    fn parses_a_comparison_with_case_insensitive_names_and_operators() {
        assert_eq!(
            parse("UserName EQ \"bjensen\"").unwrap(),
            eq("username", "bjensen")
        );
        assert_eq!(
            parse("name.givenName sw \"B\"").unwrap(),
            Filter::Compare(
                path("name", Some("givenname")),
                CompareOp::Sw,
                Literal::String("B".into())
            )
        );
        assert_eq!(
            parse("title PR").unwrap(),
            Filter::Present(path("title", None))
        );
    }

    #[test]
    fn parses_literals() {
        let lit = |f: &str| match parse(f).unwrap() {
            Filter::Compare(_, _, l) => l,
            other => panic!("{other:?}"),
        };
        assert_eq!(lit("active eq true"), Literal::Bool(true));
        assert_eq!(lit("active eq false"), Literal::Bool(false));
        assert_eq!(lit("title eq null"), Literal::Null);
        assert_eq!(lit("x gt -1.5e2"), Literal::Number(-150.0));
        assert_eq!(lit("x eq 42"), Literal::Number(42.0));
    }

    #[test]
    fn strings_keep_escapes_spaces_keywords_and_brackets() {
        assert_eq!(
            parse(r#"displayName eq "a \"quoted\" and (odd) [name] or not""#).unwrap(),
            eq("displayname", r#"a "quoted" and (odd) [name] or not"#)
        );
        assert_eq!(
            parse(r#"displayName eq "back\\slash \u00e9""#).unwrap(),
            eq("displayname", "back\\slash é")
        );
        assert_eq!(
            parse(r#"displayName eq """#).unwrap(),
            eq("displayname", "")
        );
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let a = eq("a", "1");
        let b = eq("b", "2");
        let c = eq("c", "3");
        let and = |x: &Filter, y: &Filter| Filter::And(Box::new(x.clone()), Box::new(y.clone()));
        let or = |x: &Filter, y: &Filter| Filter::Or(Box::new(x.clone()), Box::new(y.clone()));
        assert_eq!(
            parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap(),
            or(&a, &and(&b, &c))
        );
        assert_eq!(
            parse(r#"a eq "1" and b eq "2" or c eq "3""#).unwrap(),
            or(&and(&a, &b), &c)
        );
        // Grouping overrides it.
        assert_eq!(
            parse(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap(),
            and(&or(&a, &b), &c)
        );
        // not binds to its group only.
        assert_eq!(
            parse(r#"NOT (a eq "1") and b eq "2""#).unwrap(),
            and(&Filter::Not(Box::new(a.clone())), &b)
        );
        // Left-associative chains.
        assert_eq!(
            parse(r#"a eq "1" or b eq "2" or c eq "3""#).unwrap(),
            or(&or(&a, &b), &c)
        );
        // Keywords inside strings are values, not operators.
        assert_eq!(
            parse(r#"a eq "1 or b" and b eq "2""#).unwrap(),
            and(&eq("a", "1 or b"), &b)
        );
    }

    #[test]
    fn parses_value_filters_and_urn_prefixes() {
        assert_eq!(
            parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap(),
            Filter::ValuePath(
                path("emails", None),
                Box::new(Filter::And(
                    Box::new(eq("type", "work")),
                    Box::new(Filter::Compare(
                        path("value", None),
                        CompareOp::Co,
                        Literal::String("@example.com".into())
                    ))
                ))
            )
        );
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#).unwrap(),
            Filter::Compare(
                AttrPath {
                    uri: Some("urn:ietf:params:scim:schemas:core:2.0:user".into()),
                    name: "username".into(),
                    sub: None
                },
                CompareOp::Eq,
                Literal::String("x".into())
            )
        );
    }

    #[test]
    fn rejects_malformed_filters_with_a_message() {
        for bad in [
            "",
            "   ",
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "userName eq bjensen",
            "userName eq \"unterminated",
            "userName eq \"ends in escape\\\"",
            "(userName eq \"a\"",
            "userName eq \"a\")",
            "userName eq \"a\" and",
            "userName eq \"a\" userName eq \"b\"",
            "emails[type eq \"work\"",
            "emails.value[type eq \"work\"]",
            "not userName eq \"a\"",
            "1abc eq \"a\"",
            "name..givenName eq \"a\"",
            "eq eq",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(!e.0.is_empty(), "{bad}");
        }
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().0.contains("deeply"));
        assert!(parse(&"a".repeat(MAX_LENGTH + 1)).is_err());
    }

    #[test]
    fn evaluates_strings_case_insensitively() {
        assert!(matches(r#"userName eq "bjensen@example.com""#));
        assert!(matches(r#"USERNAME Eq "BJENSEN@EXAMPLE.COM""#));
        assert!(matches(r#"userName sw "bjen""#));
        assert!(matches(r#"userName ew "EXAMPLE.com""#));
        assert!(matches(r#"displayName co "S JEN""#));
        assert!(!matches(r#"userName eq "someone@example.com""#));
        assert!(matches(r#"userName ne "someone@example.com""#));
        assert!(matches(r#"name.familyName eq "jensen""#));
        assert!(matches(
            r#"displayName gt "Aaron" and displayName lt "Zed""#
        ));
    }

    #[test]
    fn ids_are_case_exact() {
        assert!(matches(r#"externalId eq "ext-1""#));
        assert!(!matches(r#"externalId eq "EXT-1""#));
        assert!(matches(r#"id eq "AbC123""#));
        assert!(!matches(r#"id eq "abc123""#));
    }

    #[test]
    fn evaluates_multi_valued_attributes_and_value_filters() {
        assert!(matches(r#"emails.value co "home.example""#));
        assert!(!matches(r#"emails co "home.example""#));
        assert!(matches(r#"emails[type eq "work" and primary eq true]"#));
        assert!(!matches(r#"emails[type eq "home" and primary eq true]"#));
        assert!(matches(r#"emails[TYPE eq "home"] and active eq true"#));
        assert!(!matches(r#"emails.value eq "nobody@example.com""#));
    }

    #[test]
    fn evaluates_bools_presence_null_and_not() {
        assert!(matches("active eq true"));
        assert!(!matches("active eq false"));
        assert!(matches("not (active eq false)"));
        assert!(matches("externalId pr"));
        assert!(!matches("title pr"));
        assert!(matches("title eq null"));
        assert!(!matches("externalId eq null"));
        assert!(matches(r#"title ne "x""#));
        assert!(!matches(r#"title eq "x""#));
        assert!(matches(r#"active eq false or userName sw "b""#));
        assert!(!matches(r#"active eq false and userName sw "b""#));
    }

    #[test]
    fn compares_dates_as_times() {
        assert!(matches(r#"meta.lastModified gt "2026-11-28T09:00:00Z""#));
        // The same instant in another zone: equal, not greater.
        assert!(matches(
            r#"meta.lastModified eq "2026-11-28T11:00:00+01:00""#
        ));
        assert!(!matches(
            r#"meta.lastModified gt "2026-11-28T11:00:00+01:00""#
        ));
        assert!(matches(
            r#"meta.lastModified ge "2026-11-28T11:00:00+01:00""#
        ));
        // 09:30 at UTC-1 is 10:30Z, later although it sorts earlier as text.
        assert!(matches(
            r#"meta.lastModified lt "2026-11-28T09:30:00-01:00""#
        ));
        assert!(!matches(r#"meta.lastModified le "2026-11-28T09:59:59Z""#));
    }

    #[test]
    fn reads_extension_attributes_under_their_urn() {
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "security""#
        ));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen""#
        ));
    }
}
