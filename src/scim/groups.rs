//! `/scim/v2/Groups`: teams as SCIM groups. `displayName` is the team's
//! name, `externalId` the IdP's identifier, `members` the people holding a
//! role at the team's tier. Adding a member grants the configured role
//! (`TESSERA_SCIM_GROUP_ROLE`, EMPLOYEE by default) at the team; removing
//! one takes every role the person holds there. Team writes go through
//! `service::teams`, each membership change through `service::users`, so
//! the same authorization and audit rules hold as in REST.

use std::collections::{BTreeSet, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::filter::{CompareOp, Filter, Literal, get_ci, is_time};
use super::query::{ListQuery, Listed, Plan, Window, page_of};
use super::users::time;
use super::{
    Collection, GROUP_SCHEMA, ScimError, ScimResult, base_url, check_version, if_match,
    requested_projection, respond_resource,
};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::models::TeamRow;
use crate::db::teams::{self as rows, Member, TeamFilter, TeamOrderField, TeamOrdering};
use crate::domain::team::TeamName;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::teams::{self as service, TeamInput};
use crate::state::AppState;

/// The longest `externalId` kept.
const EXTERNAL_ID_MAX: usize = 255;

/// The most members one request may name.
const MEMBERS_MAX: usize = 10_000;

/// A team as its SCIM representation; `members` are the team's (any order),
/// each by id and `$ref` (a member's name is on its User).
pub fn to_scim(team: &TeamRow, members: &[&Member], base: &str) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "value": m.user_id,
                "$ref": format!("{base}/Users/{}", m.user_id),
            })
        })
        .collect();
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": team.id,
        "displayName": team.name,
        "meta": {
            "resourceType": "Group",
            "created": time(&team.created),
            "lastModified": time(&team.changed),
            "location": format!("{base}/Groups/{}", team.id),
            "version": format!("W/\"{}\"", team.changed.and_utc().timestamp_micros()),
        },
    });
    if !members.is_empty() {
        resource["members"] = members.into();
    }
    if let Some(external_id) = &team.external_id {
        resource["externalId"] = external_id.clone().into();
    }
    resource
}

/// Teams with their members, in one query for the members of all.
fn with_members(conn: &mut DbConnection, teams: Vec<TeamRow>, base: &str) -> Result<Vec<Value>> {
    let ids: Vec<String> = teams.iter().map(|t| t.id.clone()).collect();
    let members = rows::members(conn, &ids)?;
    let mut by_team: HashMap<&str, Vec<&Member>> = HashMap::new();
    for member in &members {
        by_team.entry(&member.team_id).or_default().push(member);
    }
    Ok(teams
        .iter()
        .map(|team| {
            let mine = by_team.get(team.id.as_str()).map_or(&[][..], Vec::as_slice);
            to_scim(team, mine, base)
        })
        .collect())
}

fn one(conn: &mut DbConnection, caller: &Caller, id: &str, base: &str) -> Result<Value> {
    let team = service::get(conn, caller, id)?;
    Ok(with_members(conn, vec![team], base)?.remove(0))
}

/// What a group resource asks for.
struct GroupInput {
    name: TeamName,
    external_id: Option<String>,
    members: BTreeSet<String>,
}

fn to_input(resource: &Value) -> ScimResult<GroupInput> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax("A group is a JSON object."));
    }
    let name = match get_ci(resource, "displayName") {
        Some(Value::String(name)) => TeamName::parse(name)
            .map_err(|e| ScimError::invalid_value(format!("displayName: {e}")))?,
        _ => return Err(ScimError::invalid_value("\"displayName\" is required.")),
    };
    let external_id = match get_ci(resource, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.trim().is_empty() => None,
        Some(Value::String(id)) if id.chars().count() <= EXTERNAL_ID_MAX => {
            Some(id.trim().to_owned())
        }
        Some(_) => {
            return Err(ScimError::invalid_value(format!(
                "\"externalId\" is a string of at most {EXTERNAL_ID_MAX} characters."
            )));
        }
    };
    let mut members = BTreeSet::new();
    match get_ci(resource, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if items.len() > MEMBERS_MAX {
                return Err(ScimError::invalid_value(format!(
                    "At most {MEMBERS_MAX} members in one request."
                )));
            }
            for item in items {
                members.insert(member_id(item)?);
            }
        }
        Some(_) => return Err(ScimError::invalid_value("\"members\" must be a list.")),
    }
    Ok(GroupInput {
        name,
        external_id,
        members,
    })
}

/// The user a `members` value names, by `value` or else by its `$ref`.
fn member_id(item: &Value) -> ScimResult<String> {
    if let Some(kind) = get_ci(item, "type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("User")
    {
        return Err(ScimError::invalid_value(
            "Only users can be members: groups do not nest.",
        ));
    }
    let by_ref = || {
        get_ci(item, "$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.trim_end_matches('/').rsplit('/').next())
    };
    get_ci(item, "value")
        .and_then(Value::as_str)
        .or_else(by_ref)
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ScimError::invalid_value("Each member names a user by \"value\"."))
}

fn members_of(resource: &Value) -> BTreeSet<String> {
    resource["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect()
}

/// What SQL makes of a group filter (see `users::narrowing`).
fn narrowing(filter: Option<&Filter>) -> (TeamFilter, Plan) {
    let mut narrow = TeamFilter::default();
    let Some(filter) = filter else {
        return (narrow, Plan::Exact);
    };
    let exact = match filter {
        Filter::Compare(path, CompareOp::Eq, Literal::String(s))
            if path.uri.is_none() && path.sub.is_none() && !is_time(s) =>
        {
            match path.name.as_str() {
                // Case-insensitive: SQL's lower() agrees on ASCII only.
                "displayname" if s.is_ascii() => {
                    narrow.name = Some(s.clone());
                    true
                }
                "id" => {
                    narrow.ids = vec![s.clone()];
                    true
                }
                "externalid" => {
                    narrow.external_id = Some(s.clone());
                    true
                }
                _ => false,
            }
        }
        _ => false,
    };
    (narrow, Plan::new(filter, exact))
}

/// The teams of the caller's organization as groups, by name: SQL filters
/// and pages the lookups IdPs make (`displayName eq`, `id eq`, `externalId
/// eq`) and plain lists; other filters are evaluated in memory over pages
/// of teams. Members are read only when the response or the filter needs
/// them.
pub struct Groups;

impl Collection for Groups {
    const SCHEMA: &'static str = GROUP_SCHEMA;

    async fn list(
        state: &AppState,
        caller: &Caller,
        base: String,
        query: &ListQuery,
        window: Window,
    ) -> ScimResult<Listed> {
        let caller = caller.clone();
        let (narrow, plan) = narrowing(query.filter.as_ref());
        let members = !plan.is_exact() || query.projection.returns("members");
        let paged = state
            .db
            .read(move |conn| {
                page_of(
                    conn,
                    &plan,
                    window,
                    |conn| service::count(conn, &caller, &narrow),
                    |conn, offset, limit| {
                        let ordering = TeamOrdering {
                            field: TeamOrderField::Name,
                            descending: false,
                        };
                        let teams =
                            service::window(conn, &caller, &narrow, ordering, offset, limit)?;
                        if members {
                            with_members(conn, teams, &base)
                        } else {
                            Ok(teams.iter().map(|team| to_scim(team, &[], &base)).collect())
                        }
                    },
                )
            })
            .await?;
        Ok(paged?)
    }

    async fn create(
        state: &AppState,
        caller: Caller,
        body: Value,
        base: String,
    ) -> ScimResult<Value> {
        let input = to_input(&body)?;
        let role = state.scim_group_role.clone();
        Ok(state
            .db
            .write(move |conn| {
                let team = service::create(conn, &caller, team_input(&input))?;
                let members: Vec<String> = input.members.into_iter().collect();
                service::change_members(conn, &caller, &team.id, &members, &[], &role)?;
                one(conn, &caller, &team.id, &base)
            })
            .await?)
    }

    fn current(conn: &mut DbConnection, caller: &Caller, id: &str, base: &str) -> Result<Value> {
        one(conn, caller, id, base)
    }

    fn remove(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
        service::delete(conn, caller, id)
    }

    /// Replaces (PUT) or patches the group: the new resource is computed from
    /// the current one inside the write's transaction; the team's own fields
    /// change through `service::teams::update` (when they differ), its
    /// membership through `service::teams::change_members`.
    async fn write(
        caller: Caller,
        state: web::Data<AppState>,
        req: HttpRequest,
        id: String,
        change: impl FnOnce(&Value) -> ScimResult<Value> + Send + 'static,
    ) -> ScimResult<HttpResponse> {
        let base = base_url(&req);
        let if_match = if_match(&req);
        let role = state.scim_group_role.clone();
        let outcome = state
            .db
            .write(move |conn| {
                let before = one(conn, &caller, &id, &base)?;
                if let Err(e) = check_version(if_match.as_deref(), &before) {
                    return Ok(Err(e));
                }
                let input = match change(&before).and_then(|after| to_input(&after)) {
                    Ok(input) => input,
                    Err(e) => return Ok(Err(e)),
                };
                let renamed = before["displayName"].as_str() != Some(input.name.as_str())
                    || before["externalId"].as_str() != input.external_id.as_deref();
                if renamed {
                    service::update(conn, &caller, &id, team_input(&input))?;
                }
                let current = members_of(&before);
                let add: Vec<String> = input.members.difference(&current).cloned().collect();
                let remove: Vec<String> = current.difference(&input.members).cloned().collect();
                service::change_members(conn, &caller, &id, &add, &remove, &role)?;
                one(conn, &caller, &id, &base).map(Ok)
            })
            .await?;
        let query = requested_projection(&req);
        Ok(respond_resource(StatusCode::OK, outcome?, &query))
    }
}

fn team_input(input: &GroupInput) -> Parsed<TeamInput> {
    Parsed {
        value: TeamInput {
            name: Some(input.name.clone()),
            description: None,
            external_id: Some(input.external_id.clone()),
        },
        errors: FieldErrors::new(),
    }
}
