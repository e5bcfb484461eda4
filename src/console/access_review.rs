//! The access review page: who can do what right now, with the filters
//! of `GET /access-review/`, through the same service functions
//! (`service::access_review::resolve` then `review`, which need
//! `access_review.view`); the CSV download is the REST endpoint's CSV,
//! written by the same function.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::people::{Choice, choices, when};
use super::{Chrome, Failure, ROOT, Session, page};
use crate::auth::grants::GrantedAt;
use crate::db::roles::RoleOrderField;
use crate::db::targets::{TargetFilter, TargetOrdering};
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::domain::role::Permission;
use crate::error::FieldErrors;
use crate::service::access_review::{self, ReviewQuery, Reviewed};
use crate::service::grantable::Named;
use crate::service::{self, PageRequest, Parsed};

/// People per page.
const PAGE_LENGTH: i64 = 25;
/// Most roles, teams and targets a filter menu offers.
const MENU_LENGTH: i64 = 100;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReviewParams {
    #[serde(default)]
    user: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    permission: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    page: String,
}

impl ReviewParams {
    fn text(raw: &str) -> Option<String> {
        let raw = raw.trim();
        (!raw.is_empty()).then(|| raw.to_owned())
    }

    /// The service's query, as `GET /access-review/` builds it (a bad
    /// value is a field error the page shows).
    fn query(&self) -> Parsed<ReviewQuery> {
        let mut errors = FieldErrors::new();
        let permission =
            Self::text(&self.permission).and_then(|raw| match Permission::parse(&raw) {
                Ok(p) => Some(p),
                Err(message) => {
                    errors.add("permission", message);
                    None
                }
            });
        Parsed::new(
            ReviewQuery {
                user: Self::text(&self.user),
                role: Self::text(&self.role),
                permission,
                team: Self::text(&self.team),
                target: Self::text(&self.target),
                organization_wide: false,
            },
            errors,
        )
    }

    fn pairs(&self) -> url::form_urlencoded::Serializer<'static, String> {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("user", self.user.as_str()),
            ("role", &self.role),
            ("permission", &self.permission),
            ("team", &self.team),
            ("target", &self.target),
        ] {
            if !value.trim().is_empty() {
                pairs.append_pair(key, value.trim());
            }
        }
        pairs
    }

    fn url(&self, page: i64) -> String {
        let mut pairs = self.pairs();
        pairs.append_pair("page", &page.to_string());
        format!("{ROOT}/access-review?{}", pairs.finish())
    }

    fn csv_url(&self) -> String {
        format!("{ROOT}/access-review/csv?{}", self.pairs().finish())
    }
}

/// One permission line of a person.
pub struct Line {
    pub permission: &'static str,
    pub place: String,
    pub role: String,
}

/// A person's block of the review.
pub struct ReviewRow {
    pub url: String,
    pub name: String,
    pub email: String,
    pub kind: &'static str,
    pub active: bool,
    pub mfa: bool,
    pub last_login: String,
    pub keys: i64,
    pub dormant: bool,
    pub lines: Vec<Line>,
}

impl ReviewRow {
    fn of(r: Reviewed) -> Self {
        let u = r.user;
        Self {
            url: if u.is_apiuser {
                String::new()
            } else {
                format!("{ROOT}/people/{}", u.id)
            },
            kind: if u.is_apiuser { "API user" } else { "Person" },
            name: u.name,
            email: u.email,
            active: u.active,
            mfa: u.mfa_enabled,
            last_login: when(u.last_login),
            keys: r.key_count,
            dormant: r.dormant,
            lines: r
                .entries
                .into_iter()
                .map(|e| Line {
                    permission: e.permission.as_str(),
                    place: match (&e.at, e.at_name) {
                        (GrantedAt::Organization, _) => "Organization".to_owned(),
                        (GrantedAt::Team(id), name) => {
                            format!("Team {}", name.unwrap_or_else(|| id.clone()))
                        }
                        (GrantedAt::Target(id), name) => {
                            format!("Target {}", name.unwrap_or_else(|| id.clone()))
                        }
                    },
                    role: e.role_name,
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "access_review.html")]
struct ReviewPage {
    chrome: Chrome,
    params: ReviewParams,
    roles: Vec<Choice>,
    permissions: Vec<Choice>,
    teams: Vec<Choice>,
    targets: Vec<Choice>,
    errors: Vec<String>,
    rows: Vec<ReviewRow>,
    count: i64,
    page: i64,
    page_total: i64,
    previous: Option<String>,
    next: Option<String>,
    csv: String,
}

/// `GET /console/access-review`
pub async fn show(
    session: Session,
    query: web::Query<ReviewParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let review = params.query();
    let request = PageRequest::new(
        params.page.trim().parse::<i64>().unwrap_or(1).max(1),
        PAGE_LENGTH,
    );
    let caller = session.caller.clone();
    let menu_page = PageRequest::new(1, MENU_LENGTH);
    let (listed, menus) = session
        .state
        .db
        .read(move |conn| {
            // Refused first: a caller without the permission learns nothing.
            caller.require(Permission::AccessReviewView)?;
            let listed = match access_review::resolve(conn, &caller, review) {
                Ok(resolved) => Ok(access_review::review(conn, &caller, &resolved, request)?),
                Err(error) => Err(error.into_field_errors()?),
            };
            let roles = service::roles::list(
                conn,
                &caller,
                Parsed::valid((None, (RoleOrderField::Name, false))),
                menu_page,
            )?;
            let teams = service::teams::list(
                conn,
                &caller,
                Parsed::valid((TeamFilter::default(), TeamOrdering::default())),
                menu_page,
            )?;
            let targets = if caller.has(Permission::TargetsView) {
                service::targets::list(
                    conn,
                    &caller,
                    Parsed::valid((TargetFilter::default(), TargetOrdering::default())),
                    menu_page,
                )?
                .rows
                .into_iter()
                .map(|t| (t.target.id, t.target.name))
                .collect()
            } else {
                Vec::new()
            };
            Ok((
                listed,
                (
                    roles.rows.into_iter().map(|r| (r.id, r.name)).collect(),
                    teams.rows.into_iter().map(|t| (t.id, t.name)).collect(),
                    targets,
                ),
            ))
        })
        .await?;
    let (roles, teams, targets): (Vec<Named>, Vec<Named>, Vec<Named>) = menus;
    let (errors, rows, count, page_number, page_total) = match listed {
        Ok(listed) => (
            Vec::new(),
            listed.rows.into_iter().map(ReviewRow::of).collect(),
            listed.count,
            listed.request.page,
            listed.page_total,
        ),
        Err(errors) => (super::messages(errors.into_value()), Vec::new(), 0, 1, 1),
    };
    let template = ReviewPage {
        chrome: Chrome::of(&session, "access-review"),
        roles: choices(&params.role, roles),
        permissions: choices(
            &params.permission,
            Permission::ALL.map(|p| (p.as_str().to_owned(), p.as_str().to_owned())),
        ),
        teams: choices(&params.team, teams),
        targets: choices(&params.target, targets),
        errors,
        rows,
        count,
        page: page_number,
        page_total,
        previous: (page_number > 1).then(|| params.url(page_number - 1)),
        next: (page_number < page_total).then(|| params.url(page_number + 1)),
        csv: params.csv_url(),
        params,
    };
    page(&template)
}

/// `GET /console/access-review/csv`: the review as `GET /access-review/?format=csv`
/// writes it (the same function streams it).
pub async fn csv(
    session: Session,
    query: web::Query<ReviewParams>,
) -> Result<HttpResponse, Failure> {
    let review = query.query();
    let caller = session.caller.clone();
    let resolved = session
        .state
        .db
        .read(move |conn| access_review::resolve(conn, &caller, review))
        .await?;
    Ok(crate::api::access_review::get::csv_response(
        session.state.clone(),
        session.caller.clone(),
        resolved,
    ))
}
