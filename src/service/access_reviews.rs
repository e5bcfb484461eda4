//! Access review campaigns (issue #27). A campaign snapshots the role
//! assignments in its scope into items, one per (user, assignment), with
//! the permissions each granted at that moment (read through `Grants`, the
//! code that enforces access, as the access review is). Reviewers decide
//! `keep` or `revoke` per item; a `revoke` goes through `service::users::
//! update`, the path of a user edit, in the transaction of the decision, so
//! the no-escalation rules, the last-owner rule, the `user.updated` audit
//! event and the `membership.updated` webhook all apply. A campaign closes
//! only when no item is pending.
//!
//! Who does what:
//! - creating and closing a campaign needs `access_review.view` and
//!   `roles.grant` organization-wide (ADMIN, OWNER): who may see all access
//!   and could revoke it;
//! - a campaign's named reviewers see it and decide its items; anyone
//!   holding `roles.grant` at a team (at team tier: a team ADMIN) sees the
//!   campaigns with items held at that team, and decides those items;
//! - `access_review.view` organization-wide reads every campaign, its items
//!   and its report;
//! - nobody decides on their own items, and a `revoke` needs the power to
//!   remove that assignment (or, for a membership role, to deactivate the
//!   user) under the usual rules.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::{Caller, Scope};
use crate::db::access_reviews::{
    self as rows, CampaignFilter, CampaignRow, DecisionWrite, ItemFilter, ItemRow, Limited,
    Progress, Reviewer, Visibility,
};
use crate::db::models::{UserRoleDetail, UserRow};
use crate::db::schema::{target_teams, users as user_table};
use crate::db::{DbConnection, roles as role_rows, teams, users};
use crate::domain::access_reviews::{
    Decision, Outcome, REVIEWERS_MAX, ReviewName, ReviewScope, ReviewStatus,
};
use crate::domain::audit::AuditAction;
use crate::domain::role::{BuiltinRole, Permission, PermissionSet, Tier};
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, REQUIRED, Result};
use crate::service::users::{AssignmentInput, UserField, UserPatch, assignment_of_row};
use crate::service::{Page, PageRequest, Parsed, audit, authority, does_not_exist};

pub const DUE_IN_PAST: &str = "The due date must be in the future.";
pub const PENDING_LEFT: &str = "The campaign cannot close while items are pending.";
pub const CLOSED: &str = "The campaign is closed.";
pub const ALREADY_DECIDED: &str = "This item has already been decided.";
pub const TEAM_REQUIRED: &str = "A team is required when the scope is team.";
pub const ROLE_REQUIRED: &str = "A role is required when the scope is role.";
pub const NOT_A_REVIEWER: &str = "Reviewers must be active users of the organization.";

/// A campaign to create, as an interface parsed it.
#[derive(Clone, Debug, Default)]
pub struct NewCampaign {
    pub name: Option<ReviewName>,
    pub scope: Option<ReviewScope>,
    /// A team id (scope `team`).
    pub team: Option<String>,
    /// A role id or a built-in role's name (scope `role`).
    pub role: Option<String>,
    /// User ids.
    pub reviewers: Option<Vec<String>>,
    pub due: Option<NaiveDateTime>,
}

/// A decision as an interface parsed it.
#[derive(Clone, Debug, Default)]
pub struct DecisionInput {
    pub decision: Option<Decision>,
    pub comment: Option<String>,
}

/// A campaign with what its view shows.
#[derive(Clone, Debug)]
pub struct CampaignDetail {
    pub campaign: CampaignRow,
    pub reviewers: Vec<Reviewer>,
    pub progress: Progress,
}

/// A campaign with every item and decision, for its report.
#[derive(Clone, Debug)]
pub struct Report {
    pub detail: CampaignDetail,
    pub items: Vec<ItemRow>,
}

/// What the caller may see of one campaign.
enum Sight {
    /// Every item (`access_review.view`, or a named reviewer).
    All { reviewer: bool },
    /// The items held at these teams (a team ADMIN).
    Teams(Vec<String>),
}

impl Sight {
    fn shows(&self, item: &ItemRow) -> bool {
        match self {
            Sight::All { .. } => true,
            Sight::Teams(teams) => item.team_id.as_ref().is_some_and(|t| teams.contains(t)),
        }
    }

    fn decides(&self, item: &ItemRow) -> bool {
        match self {
            Sight::All { reviewer } => *reviewer,
            Sight::Teams(_) => self.shows(item),
        }
    }

    fn teams(&self) -> Option<Vec<String>> {
        match self {
            Sight::All { .. } => None,
            Sight::Teams(teams) => Some(teams.clone()),
        }
    }
}

/// Whether `caller` may create (and close) campaigns: handlers ask before
/// reading the body.
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::AccessReviewView)?;
    caller.require(Permission::RolesGrant)
}

/// The campaign `id`, and what the caller sees of it; 404 when it sees
/// nothing (another organization's, a malformed id, or not its business).
fn sight(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<(CampaignRow, Sight)> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    let campaign =
        rows::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)?;
    let reviewer = rows::is_reviewer(conn, &campaign.id, &caller.user.id)?;
    if reviewer || caller.has(Permission::AccessReviewView) {
        return Ok((campaign, Sight::All { reviewer }));
    }
    let teams = caller.grants.teams_with(Permission::RolesGrant);
    let filter = ItemFilter {
        teams: Some(teams.clone()),
        ..ItemFilter::default()
    };
    if !teams.is_empty() && rows::count_items(conn, &campaign.id, &filter)? > 0 {
        return Ok((campaign, Sight::Teams(teams)));
    }
    Err(Error::NotFound)
}

fn detail(conn: &mut DbConnection, campaign: CampaignRow) -> Result<CampaignDetail> {
    Ok(CampaignDetail {
        reviewers: rows::reviewers(conn, &campaign.id)?,
        progress: rows::progress(conn, &campaign.id)?,
        campaign,
    })
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<CampaignDetail> {
    let (campaign, _) = sight(conn, caller, id)?;
    detail(conn, campaign)
}

/// The campaigns the caller sees (see the module's documentation), newest
/// first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<CampaignFilter>,
    page: PageRequest,
) -> Result<Page<CampaignDetail>> {
    let filter = query.into_result()?;
    let visibility = Visibility {
        limited_to: (!caller.has(Permission::AccessReviewView)).then(|| Limited {
            reviewer: caller.user.id.clone(),
            teams: caller.grants.teams_with(Permission::RolesGrant),
        }),
    };
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| rows::count(c, org, &visibility, &filter),
        |c, offset, limit| {
            rows::page(c, org, &visibility, &filter, offset, limit)?
                .into_iter()
                .map(|row| detail(c, row))
                .collect()
        },
    )
}

/// Item filters as a client wrote them (ids not yet checked).
#[derive(Clone, Debug, Default)]
pub struct ItemQuery {
    pub decision: Option<Decision>,
    pub user: Option<String>,
    pub reviewer: Option<String>,
}

pub fn items(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    query: Parsed<ItemQuery>,
    page: PageRequest,
) -> Result<Page<ItemRow>> {
    let (campaign, sight) = sight(conn, caller, id)?;
    let query = query.into_result()?;
    // Ids filter exactly: a malformed one matches nothing.
    let filter = ItemFilter {
        decision: query.decision,
        user: query.user,
        reviewer: query.reviewer,
        teams: sight.teams(),
    };
    Page::load(
        conn,
        page,
        |c| rows::count_items(c, &campaign.id, &filter),
        |c, offset, limit| Ok(rows::items_page(c, &campaign.id, &filter, offset, limit)?),
    )
}

pub fn get_item(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    item_id: &str,
) -> Result<ItemRow> {
    let (campaign, sight) = sight(conn, caller, id)?;
    find_item(conn, &campaign, &sight, item_id)
}

fn find_item(
    conn: &mut DbConnection,
    campaign: &CampaignRow,
    sight: &Sight,
    item_id: &str,
) -> Result<ItemRow> {
    let item_id = PublicId::parse(item_id).ok_or(Error::NotFound)?;
    rows::find_item(conn, &campaign.id, item_id.as_str())?
        .filter(|item| sight.shows(item))
        .ok_or(Error::NotFound)
}

/// Every campaign item with its decision, reviewer and time. Needs
/// `access_review.view` organization-wide.
pub fn report(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Report> {
    let (campaign, _) = sight(conn, caller, id)?;
    caller.require(Permission::AccessReviewView)?;
    let total = rows::count_items(conn, &campaign.id, &ItemFilter::default())?;
    let items = rows::items_page(conn, &campaign.id, &ItemFilter::default(), 0, total.max(1))?;
    Ok(Report {
        detail: detail(conn, campaign)?,
        items,
    })
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<NewCampaign>,
) -> Result<CampaignDetail> {
    authorize_create(caller)?;
    let Parsed {
        value: input,
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let now = time::now();
    if input.name.is_none() && !errors.contains("name") {
        errors.add("name", REQUIRED);
    }
    if input.scope.is_none() && !errors.contains("scope") {
        errors.add("scope", REQUIRED);
    }
    match input.due {
        None if !errors.contains("due") => errors.add("due", REQUIRED),
        Some(due) if due <= now => errors.add("due", DUE_IN_PAST),
        _ => {}
    }
    let team = match (input.scope, &input.team) {
        (Some(ReviewScope::Team), None) => {
            errors.add("team", TEAM_REQUIRED);
            None
        }
        (Some(ReviewScope::Team), Some(raw)) => {
            match PublicId::parse(raw).map(|id| teams::find_in_org(conn, &org, id.as_str())) {
                Some(found) => found?.or_else(|| {
                    errors.add("team", does_not_exist(raw));
                    None
                }),
                None => {
                    errors.add("team", does_not_exist(raw));
                    None
                }
            }
        }
        _ => None,
    };
    let role = match (input.scope, &input.role) {
        (Some(ReviewScope::Role), None) => {
            errors.add("role", ROLE_REQUIRED);
            None
        }
        (Some(ReviewScope::Role), Some(raw)) => {
            let id = BuiltinRole::by_name(&raw.trim().to_uppercase())
                .map(|b| b.id().to_owned())
                .unwrap_or_else(|| raw.trim().to_owned());
            let found = match PublicId::parse(&id) {
                Some(id) => {
                    role_rows::find_assignable(conn, &org, id.as_str())?.map(|r| (r.id, r.name))
                }
                None => None,
            };
            if found.is_none() {
                errors.add("role", does_not_exist(raw));
            }
            found
        }
        _ => None,
    };
    let reviewers = match input.reviewers {
        None => {
            if !errors.contains("reviewers") {
                errors.add("reviewers", REQUIRED);
            }
            Vec::new()
        }
        Some(ids) => check_reviewers(conn, &org, ids, &mut errors)?,
    };
    errors.into_result()?;
    let scope = input.scope.expect("checked");

    let id = PublicId::random().into_string();
    let actor = caller.actor();
    let campaign = CampaignRow {
        id: id.clone(),
        organization_id: org.clone(),
        name: input.name.expect("checked").into_string(),
        scope,
        team_id: team.as_ref().map(|t| t.id.clone()),
        team_name: team.as_ref().map(|t| t.name.clone()),
        role_id: role.as_ref().map(|r| r.0.clone()),
        role_name: role.as_ref().map(|r| r.1.clone()),
        due: input.due.expect("checked"),
        status: ReviewStatus::Open,
        created: now,
        created_by_id: actor.id,
        created_by_email: actor.email,
        created_by_name: actor.name,
        closed: None,
        closed_by_id: None,
        closed_by_email: None,
        closed_by_name: None,
    };
    let items = snapshot(conn, &campaign)?;
    rows::insert(conn, &campaign, &reviewers, &items)?;
    let detail = detail(conn, campaign)?;
    caller.audit(
        conn,
        AuditAction::AccessReviewCreated,
        audit::object("access_review", &id),
        audit::created(&campaign_snapshot(&detail)),
    )?;
    Ok(detail)
}

/// Reviewers: distinct active people or API users of the organization
/// (never its `System` actor), at most `REVIEWERS_MAX`, at least one.
fn check_reviewers(
    conn: &mut DbConnection,
    org: &str,
    ids: Vec<String>,
    errors: &mut FieldErrors,
) -> Result<Vec<String>> {
    if ids.is_empty() {
        errors.add("reviewers", "This list may not be empty.");
        return Ok(Vec::new());
    }
    if ids.len() > REVIEWERS_MAX {
        errors.add(
            "reviewers",
            format!("Ensure this field has no more than {REVIEWERS_MAX} elements."),
        );
        return Ok(Vec::new());
    }
    let mut seen = BTreeSet::new();
    let mut unique = Vec::new();
    for raw in ids {
        let found = match PublicId::parse(&raw) {
            Some(id) => {
                users::find(conn, id.as_str())?.filter(|u| u.organization_id == org && !u.is_system)
            }
            None => None,
        };
        match found {
            None => errors.add("reviewers", does_not_exist(&raw)),
            Some(u) if !u.active => errors.add("reviewers", NOT_A_REVIEWER),
            Some(u) => {
                if seen.insert(u.id.clone()) {
                    unique.push(u.id);
                }
            }
        }
    }
    Ok(unique)
}

/// One item per (user, role assignment) in the campaign's scope.
fn snapshot(conn: &mut DbConnection, campaign: &CampaignRow) -> Result<Vec<ItemRow>> {
    let people: Vec<UserRow> = user_table::table
        .filter(user_table::organization_id.eq(&campaign.organization_id))
        .filter(user_table::is_system.eq(false))
        .select(UserRow::as_select())
        .load(conn)?;
    let by_id: HashMap<&str, &UserRow> = people.iter().map(|u| (u.id.as_str(), u)).collect();
    let team_targets: Vec<String> = match &campaign.team_id {
        Some(team) => target_teams::table
            .filter(target_teams::team_id.eq(team))
            .select(target_teams::target_id)
            .load(conn)?,
        None => Vec::new(),
    };
    let in_scope = |a: &UserRoleDetail| match campaign.scope {
        ReviewScope::Organization => true,
        ReviewScope::Team => match a.tier {
            Tier::Team => a.team_id == campaign.team_id,
            Tier::Scope => a
                .target_id
                .as_ref()
                .is_some_and(|t| team_targets.contains(t)),
            Tier::Account => false,
        },
        ReviewScope::Role => campaign.role_id.as_deref() == Some(a.role_id.as_str()),
    };
    let ids: Vec<String> = people.iter().map(|u| u.id.clone()).collect();
    let mut items = Vec::new();
    for chunk in ids.chunks(500) {
        // An assignment that has ended gives nothing and is about to go:
        // nothing to review.
        let now = crate::domain::time::now();
        for a in users::roles_of(conn, chunk)?
            .iter()
            .filter(|a| in_scope(a) && !crate::domain::user_roles::has_ended(a.expires, now))
        {
            let Some(user) = by_id.get(a.user_id.as_str()) else {
                continue;
            };
            // What the assignment grants, as enforcement sees it.
            let permissions: PermissionSet = authority::grants_of(std::slice::from_ref(a))
                .granted()
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            items.push(ItemRow {
                id: PublicId::random().into_string(),
                review_id: campaign.id.clone(),
                assignment_id: a.id.clone(),
                user_id: user.id.clone(),
                user_email: user.email.clone(),
                user_name: user.name.clone(),
                is_apiuser: user.is_apiuser,
                role_id: a.role_id.clone(),
                role_name: a.role_name.clone(),
                tier: a.tier,
                team_id: a.team_id.clone(),
                team_name: a.team_name.clone(),
                target_id: a.target_id.clone(),
                target_name: a.target_name.clone(),
                permissions,
                decision: Decision::Pending,
                comment: String::new(),
                decided: None,
                decided_by_id: None,
                decided_by_email: None,
                decided_by_name: None,
                outcome: None,
            });
        }
    }
    Ok(items)
}

/// A decision on one item. Order of the checks: the campaign and the item
/// must be visible (404), the caller must review it and not be its user
/// (403), a `revoke` must be within the caller's power (403); then the
/// input (400), then the state: the campaign open, the item pending (400).
pub fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    item_id: &str,
    input: Parsed<DecisionInput>,
) -> Result<ItemRow> {
    let (campaign, sight) = sight(conn, caller, id)?;
    let item = find_item(conn, &campaign, &sight, item_id)?;
    if !sight.decides(&item) || item.user_id == caller.user.id {
        return Err(Error::Forbidden);
    }
    let Parsed {
        value: input,
        mut errors,
    } = input;
    if input.decision == Some(Decision::Revoke) {
        authorize_revoke(conn, caller, &item)?;
    }
    match input.decision {
        None if !errors.contains("decision") => errors.add("decision", REQUIRED),
        Some(Decision::Pending) => errors.add("decision", "Decide keep or revoke."),
        _ => {}
    }
    errors.into_result()?;
    let decision = input.decision.expect("checked");
    if campaign.status == ReviewStatus::Closed {
        return Err(Error::field("non_field_errors", CLOSED));
    }
    let actor = caller.actor();
    let written = DecisionWrite {
        decision,
        comment: input.comment.unwrap_or_default(),
        decided: time::now(),
        decided_by_id: actor.id,
        decided_by_email: actor.email,
        decided_by_name: actor.name,
    };
    if !rows::decide(conn, &item.id, &written)? {
        return Err(Error::field("non_field_errors", ALREADY_DECIDED));
    }
    if decision == Decision::Revoke {
        let outcome = revoke(conn, caller, &item)?;
        rows::set_outcome(conn, &item.id, outcome)?;
    }
    let decided = rows::find_item(conn, &campaign.id, &item.id)?.ok_or(Error::NotFound)?;
    let mut changes = audit::Changes::new();
    for (key, value) in [
        ("item", json!(decided.id)),
        ("user", json!(decided.user_id)),
        ("assignment", json!(decided.assignment_id)),
        ("role", json!(decided.role_name)),
        ("tier", json!(decided.tier)),
        ("team", json!(decided.team_id)),
        ("target", json!(decided.target_id)),
        ("decision", json!(decided.decision)),
        ("comment", json!(decided.comment)),
        ("outcome", json!(decided.outcome)),
    ] {
        changes.insert(
            key.to_owned(),
            json!({"before": Value::Null, "after": value}),
        );
    }
    caller.audit(
        conn,
        AuditAction::AccessReviewDecided,
        audit::object("access_review", &campaign.id),
        changes,
    )?;
    Ok(decided)
}

/// The user and assignment an item names, as they are now; `None` when
/// either is gone (or the assignment now holds another role).
fn current(
    conn: &mut DbConnection,
    caller: &Caller,
    item: &ItemRow,
) -> Result<Option<(UserRow, Vec<UserRoleDetail>, UserRoleDetail)>> {
    let Some(user) = users::find(conn, &item.user_id)?
        .filter(|u| u.organization_id == caller.organization_id() && !u.is_system)
    else {
        return Ok(None);
    };
    let roles = users::roles_of(conn, std::slice::from_ref(&user.id))?;
    let found = roles
        .iter()
        .find(|r| r.id == item.assignment_id && r.role_id == item.role_id)
        .cloned();
    Ok(found.map(|a| (user, roles, a)))
}

/// 403 unless the caller could remove the assignment by editing the user
/// (or, for a membership role, deactivate the user): the checks
/// `service::users::update` makes, asked before any validation error.
fn authorize_revoke(conn: &mut DbConnection, caller: &Caller, item: &ItemRow) -> Result<()> {
    let Some((user, roles, assignment)) = current(conn, caller, item)? else {
        return Ok(());
    };
    authority::require_over(conn, caller, &roles)?;
    let assignment = assignment_of_row(&assignment);
    if assignment.is_membership() {
        let member_of = users::teams_of(conn, &user.id)?;
        caller.require_at(Permission::UsersManage, Scope::Member { teams: &member_of })
    } else {
        crate::service::users::authorize_grant(conn, caller, &assignment)
    }
}

/// Removes the assignment through the user-edit path, or deactivates the
/// user for a membership role (the last active OWNER is refused there).
fn revoke(conn: &mut DbConnection, caller: &Caller, item: &ItemRow) -> Result<Outcome> {
    let Some((user, roles, assignment)) = current(conn, caller, item)? else {
        return Ok(Outcome::AlreadyGone);
    };
    let mut patch = UserPatch::default();
    let outcome = if assignment_of_row(&assignment).is_membership() {
        if !user.active {
            return Ok(Outcome::AlreadyGone);
        }
        patch.active = Some(false);
        patch.name(UserField::Active);
        Outcome::Deactivated
    } else {
        // Every other assignment is sent back as it is, so only this one
        // changes (the user edit judges and applies the difference).
        patch.user_roles = Some(
            roles
                .iter()
                .filter(|r| r.id != assignment.id)
                .map(assignment_input)
                .collect(),
        );
        patch.name(UserField::UserRoles);
        Outcome::Removed
    };
    crate::service::users::update(
        conn,
        caller,
        &user.id,
        user.is_apiuser,
        Parsed::valid(patch),
    )?;
    Ok(outcome)
}

/// An assignment as a write repeats it unchanged.
fn assignment_input(r: &UserRoleDetail) -> AssignmentInput {
    AssignmentInput {
        role: Some(r.role_id.clone()),
        tier: Some(r.tier.as_str().to_owned()),
        team: r.team_id.clone(),
        target: r.target_id.clone(),
        // The assignments that stay keep their windows.
        starts: r.starts.map(Ok),
        expires: r.expires.map(Ok),
    }
}

/// Closes the campaign: refused (400) while an item is pending or when it
/// is closed already.
pub fn close(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<CampaignDetail> {
    let (campaign, _) = sight(conn, caller, id)?;
    authorize_create(caller)?;
    if campaign.status == ReviewStatus::Closed {
        return Err(Error::field("non_field_errors", CLOSED));
    }
    let pending = rows::count_items(
        conn,
        &campaign.id,
        &ItemFilter {
            decision: Some(Decision::Pending),
            ..ItemFilter::default()
        },
    )?;
    if pending > 0 {
        return Err(Error::field(
            "non_field_errors",
            format!("{PENDING_LEFT} ({pending} pending)"),
        ));
    }
    let actor = caller.actor();
    let now = time::now();
    if !rows::close(
        conn,
        &campaign.id,
        now,
        (&actor.id, &actor.email, &actor.name),
    )? {
        return Err(Error::field("non_field_errors", CLOSED));
    }
    let closed =
        rows::find_in_org(conn, caller.organization_id(), &campaign.id)?.ok_or(Error::NotFound)?;
    let detail = detail(conn, closed)?;
    caller.audit(
        conn,
        AuditAction::AccessReviewClosed,
        audit::object("access_review", &campaign.id),
        audit::change(
            "status",
            json!(ReviewStatus::Open),
            json!(ReviewStatus::Closed),
        ),
    )?;
    Ok(detail)
}

fn campaign_snapshot(d: &CampaignDetail) -> audit::Changes {
    let c = &d.campaign;
    let reviewers: Vec<&str> = d.reviewers.iter().map(|r| r.id.as_str()).collect();
    match json!({
        "name": c.name,
        "scope": c.scope,
        "team": c.team_id,
        "role": c.role_id,
        "due": time::format(&c.due),
        "reviewers": reviewers,
        "items": d.progress.total,
    }) {
        Value::Object(map) => map,
        _ => audit::Changes::new(),
    }
}
