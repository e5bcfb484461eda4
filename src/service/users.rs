//! Every write to users goes through here (REST today; MCP, SCIM and the CLI
//! later), so each rule and each `changed_by` stamp has exactly one home.
//! Functions run inside the caller's database transaction.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{Caller, Scope};
use crate::db::models::{
    NewUserRole, UserChanges, UserDetail, UserInsert, UserRoleDetail, UserRow,
};
use crate::db::users::{KeysetAfter, KeysetField, UserFilter, UserOrderField, UserOrdering};
use crate::db::{self, DbConnection, roles as role_rows, targets, users};
use crate::domain::audit::AuditAction;
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::user::{Email, Kind, Source, Title, UserName};
use crate::domain::user_roles::{self, Assignment, RoleRef};
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, REQUIRED, Result, is_unique_violation};
use crate::service::{Page, PageRequest, audit, authority, does_not_exist};

pub const EMAIL_TAKEN: &str = "user with this email already exists.";

/// A role assignment as a client wrote it, references not yet resolved.
#[derive(Clone, Debug, Default)]
pub struct AssignmentInput {
    /// A role id or a built-in role's uppercase name.
    pub role: Option<String>,
    /// `account`, `team`, `scope` or `target`; inferred from team/target when absent.
    pub tier: Option<String>,
    pub team: Option<String>,
    pub target: Option<String>,
    /// When the assignment comes into force, as parsed (`Err`: why not).
    pub starts: Option<std::result::Result<NaiveDateTime, String>>,
    /// When it ends, as parsed (`Err`: why not).
    pub expires: Option<std::result::Result<NaiveDateTime, String>>,
}

impl AssignmentInput {
    /// The input that keeps `a` as it is.
    pub fn of(a: &Assignment) -> Self {
        Self {
            role: Some(a.role.id.clone()),
            tier: Some(a.tier.as_str().to_owned()),
            team: a.team.clone(),
            target: a.target.clone(),
            starts: a.starts.map(Ok),
            expires: a.expires.map(Ok),
        }
    }
}

/// A writable field of a user, as an interface names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserField {
    Email,
    Name,
    Title,
    Active,
    Labels,
    UserRoles,
    Kind,
    Position,
    AdditionalEmailAddresses,
    ContractStartDate,
    ContractEndDate,
    Password,
    ExternalId,
    ScimProfile,
    ScimUserName,
}

/// What a write changes about a user, parsed by an interface from its own
/// input. `None` leaves a field unchanged; for nullable fields `Some(None)`
/// clears it. `named` lists the fields the input named, valid or not: a
/// field that failed to parse is still a field the caller tried to change.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub email: Option<Email>,
    pub name: Option<UserName>,
    pub title: Option<Title>,
    pub active: Option<bool>,
    pub labels: Option<Vec<String>>,
    pub user_roles: Option<Vec<AssignmentInput>>,
    pub kind: Option<Option<Kind>>,
    pub position: Option<Option<String>>,
    pub additional_email_addresses: Option<Vec<Email>>,
    pub contract_start_date: Option<Option<NaiveDateTime>>,
    pub contract_end_date: Option<Option<NaiveDateTime>>,
    /// Already hashed (hashing happens before the transaction).
    pub password_hash: Option<String>,
    /// The SCIM `externalId` (a provisioning client's own identifier).
    pub external_id: Option<Option<String>>,
    /// SCIM attributes Tessera's columns cannot hold (JSON, see `scim::users`).
    pub scim_profile: Option<Option<String>>,
    /// The SCIM `userName` as the IdP sent it (unique in the organization).
    pub scim_user_name: Option<Option<String>>,
    pub named: BTreeSet<UserField>,
}

impl UserPatch {
    /// Whether the input named a field other than `user_roles`: changing
    /// any of them needs `users.manage` over the user, whether or not the
    /// value was valid (authorization comes before validation).
    pub fn names_profile(&self) -> bool {
        self.named.iter().any(|f| *f != UserField::UserRoles)
    }

    /// Records that the input named `field`.
    pub fn name(&mut self, field: UserField) {
        self.named.insert(field);
    }
}

/// A user to create: its fields (`email` and `name` required; an interface
/// reports their absence among its field errors) and where it comes from.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub source: Source,
    pub fields: UserPatch,
}

impl NewUser {
    pub fn manual(fields: UserPatch) -> Self {
        Self {
            source: Source::Manual,
            fields,
        }
    }
}

pub const CONTRACT_ENDS_BEFORE_START: &str = "The contract cannot end before it starts.";

/// The contract dates a write would leave, checked together.
fn check_contract(
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
    errors: &mut FieldErrors,
) {
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        errors.add("contract_end_date", CONTRACT_ENDS_BEFORE_START);
    }
}

pub use super::Parsed;

pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
) -> Result<UserDetail> {
    caller.require(Permission::UsersView)?;
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    users::find_visible_detail(conn, caller.organization_id(), id.as_str(), is_apiuser)?
        .ok_or(Error::NotFound)
}

/// What a list of users asks for (REST's parameters, or another
/// interface's mapped onto them).
#[derive(Clone, Debug)]
pub struct UserQuery {
    pub filter: UserFilter,
    pub ordering: UserOrdering,
    /// With `filter.ids`: any id naming no user of this list is a 404 listing
    /// them (Probely's `is_id_404_validation`).
    pub validate_ids: bool,
}

/// Whether `caller` may change the profile fields of `user` (deactivate,
/// reactivate, edit): `users.manage` over the user and every permission the
/// user holds (the checks `update` makes), so that an interface offers only
/// what would be allowed. `update` still checks for itself.
pub fn may_manage(conn: &mut DbConnection, caller: &Caller, user: &UserDetail) -> Result<bool> {
    let member_of = users::teams_of(conn, &user.user.id)?;
    if !caller.can(Permission::UsersManage, Scope::Member { teams: &member_of }) {
        return Ok(false);
    }
    match authority::require_over(conn, caller, &user.roles) {
        Ok(()) => Ok(true),
        Err(Error::Forbidden) => Ok(false),
        Err(other) => Err(other),
    }
}

/// A page of people (`filter.is_apiuser` false) or API users, with what
/// their views embed. Needs `users.view`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<UserQuery>,
    page: PageRequest,
) -> Result<Page<UserDetail>> {
    caller.require(Permission::UsersView)?;
    let query = query.into_result()?;
    let (org, filter) = (caller.organization_id(), &query.filter);
    if query.validate_ids && !filter.ids.is_empty() {
        let found = users::existing_visible(conn, org, filter.is_apiuser, &filter.ids)?;
        let invalid: Vec<String> = filter
            .ids
            .iter()
            .filter(|id| !found.contains(id))
            .cloned()
            .collect();
        if !invalid.is_empty() {
            return Err(Error::IdsNotFound {
                ids: invalid,
                id_404_validation: true,
            });
        }
    }
    // The count is handed to the page, which may need it to choose a form.
    let counted = std::cell::Cell::new(None);
    Page::load(
        conn,
        page,
        |c| {
            let count = users::count(c, org, filter)?;
            counted.set(Some(count));
            Ok::<_, diesel::result::Error>(count)
        },
        |c, offset, limit| {
            let window = (offset, limit);
            let rows = users::page_counted(c, org, filter, query.ordering, window, counted.get())?;
            Ok(users::with_details(c, rows)?)
        },
    )
}

/// How many users match `filter`. Needs `users.view`.
pub fn count(conn: &mut DbConnection, caller: &Caller, filter: &UserFilter) -> Result<i64> {
    caller.require(Permission::UsersView)?;
    Ok(users::count(conn, caller.organization_id(), filter)?)
}

/// `limit` users matching `filter` from `offset`, oldest first and
/// uncounted (SCIM counts apart, or filters further in memory).
pub fn window(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &UserFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<UserDetail>> {
    caller.require(Permission::UsersView)?;
    let ordering = UserOrdering {
        field: UserOrderField::Created,
        descending: false,
    };
    let rows = users::page(
        conn,
        caller.organization_id(),
        filter,
        ordering,
        offset,
        limit,
    )?;
    Ok(users::with_details(conn, rows)?)
}

/// A keyset page: at most `size` users after `after` in `field` order, and
/// where the next page starts (none on the last page). Needs `users.view`.
pub fn list_after(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &UserFilter,
    (field, descending): (KeysetField, bool),
    after: Option<&KeysetAfter>,
    size: i64,
) -> Result<(Vec<UserDetail>, Option<KeysetAfter>)> {
    caller.require(Permission::UsersView)?;
    let org = caller.organization_id();
    // One row more than asked tells whether another page follows.
    let mut rows = users::keyset_page(conn, org, filter, field, descending, after, size + 1)?;
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    let next = more.then(|| rows.last()).flatten().map(|last| KeysetAfter {
        value: field.value_of(last),
        id: last.id.clone(),
    });
    Ok((users::with_details(conn, rows)?, next))
}

fn find(conn: &mut DbConnection, caller: &Caller, id: &str, is_apiuser: bool) -> Result<UserRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    users::find_visible(conn, caller.organization_id(), id.as_str(), is_apiuser)?
        .ok_or(Error::NotFound)
}

/// Whether `caller` may create users at all (`users.manage` organization-wide).
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::UsersManage)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    is_apiuser: bool,
    input: Parsed<NewUser>,
) -> Result<UserDetail> {
    authorize_create(caller)?;
    let Parsed {
        value: NewUser {
            source,
            fields: input,
        },
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let assignments = match &input.user_roles {
        Some(items) => resolve_assignments(conn, &org, items, &[], &mut errors)?,
        None => Some(vec![default_membership()]),
    };
    let labels = resolve_labels(conn, &org, input.labels.as_deref(), &mut errors)?;
    check_contract(
        input.contract_start_date.flatten(),
        input.contract_end_date.flatten(),
        &mut errors,
    );
    errors.into_result()?;
    // Reported by every interface with its other field errors; these are
    // only a last line of defence.
    let email = input.email.ok_or_else(|| Error::field("email", REQUIRED))?;
    let name = input.name.ok_or_else(|| Error::field("name", REQUIRED))?;
    let assignments = assignments.ok_or_else(|| Error::field("user_roles", REQUIRED))?;
    // Judged against what a plain create would have given.
    authorize_roles(conn, caller, &[default_membership()], &assignments)?;

    let now = time::now();
    let actor = caller.actor();
    let id = PublicId::random().into_string();
    let row = UserInsert {
        id: id.clone(),
        organization_id: org.clone(),
        email: email.into_string(),
        name: name.into_string(),
        title: input.title.unwrap_or(Title::None),
        active: input.active.unwrap_or(true),
        is_apiuser,
        is_system: false,
        password_hash: input.password_hash,
        source,
        kind: input.kind.flatten(),
        position: input.position.flatten(),
        additional_email_addresses: emails_json(
            input.additional_email_addresses.unwrap_or_default(),
        ),
        contract_start_date: input.contract_start_date.flatten(),
        contract_end_date: input.contract_end_date.flatten(),
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
    };
    users::insert(conn, &row).map_err(email_conflict)?;
    users::set_scim(
        conn,
        &id,
        &users::ScimChanges {
            external_id: input.external_id,
            scim_profile: input.scim_profile,
            scim_user_name: input.scim_user_name,
        },
    )
    .map_err(user_name_conflict)?;
    replace_assignments(conn, &id, &[], &assignments, now)?;
    if let Some(labels) = labels {
        users::set_labels(conn, &id, &labels)?;
    }
    let row = users::find(conn, &id)?.ok_or(Error::NotFound)?;
    let detail = users::detail(conn, row)?;
    caller.audit(
        conn,
        AuditAction::on_user(is_apiuser, AuditAction::UserCreated),
        audit::object(object_type(is_apiuser), &id),
        audit::created(&audit::user_snapshot(&detail)),
    )?;
    Ok(detail)
}

/// The PATCH of `labels` that adds `label` to the user `id` (`add`) or
/// takes it off, keeping its other labels (the user is found, and judged,
/// by [`update`]).
fn label_patch(
    conn: &mut DbConnection,
    id: &str,
    label: &str,
    add: bool,
) -> Result<Parsed<UserPatch>> {
    let mut labels: Vec<String> = users::labels_of(conn, &[id.to_owned()])?
        .into_iter()
        .map(|(_, l)| l.id)
        .filter(|l| l != label)
        .collect();
    if add {
        labels.push(label.to_owned());
    }
    let mut patch = UserPatch {
        labels: Some(labels),
        ..UserPatch::default()
    };
    patch.name(UserField::Labels);
    Ok(Parsed::valid(patch))
}

/// The PATCH of `user_roles` that adds `role` to the user `id`'s
/// assignments (`Some`) or removes its assignment `remove` (its user_role
/// id), keeping the others as they are.
fn roles_patch(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
    add: Option<AssignmentInput>,
    remove: Option<&str>,
) -> Result<Parsed<UserPatch>> {
    let found = find(conn, caller, id, is_apiuser)?;
    let rows = users::roles_of(conn, std::slice::from_ref(&found.id))?;
    let mut items: Vec<AssignmentInput> = rows
        .iter()
        .filter(|r| Some(r.id.as_str()) != remove)
        .map(|r| AssignmentInput::of(&assignment_of_row(r)))
        .collect();
    if remove.is_some() && items.len() == rows.len() {
        return Err(Error::NotFound);
    }
    // Everyone holds exactly one membership role: a new one replaces it.
    let membership = |role: &str| {
        BuiltinRole::by_id(role)
            .or_else(|| BuiltinRole::by_name(role))
            .is_some_and(BuiltinRole::is_membership)
    };
    if let Some(new) = &add
        && new.tier.as_deref() == Some("account")
        && new.role.as_deref().is_some_and(membership)
    {
        items.retain(|a| {
            !(a.tier.as_deref() == Some("account") && a.role.as_deref().is_some_and(membership))
        });
    }
    items.extend(add);
    let mut patch = UserPatch {
        user_roles: Some(items),
        ..UserPatch::default()
    };
    patch.name(UserField::UserRoles);
    Ok(Parsed::valid(patch))
}

/// Adds the label `label` to the user `id` or takes it off ([`label_patch`]).
pub fn set_label(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
    label: &str,
    add: bool,
) -> Result<UserDetail> {
    let patch = label_patch(conn, id, label, add)?;
    update(conn, caller, id, is_apiuser, patch)
}

/// Adds a role assignment to the user `id` or removes one ([`roles_patch`]).
pub fn change_roles(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
    add: Option<AssignmentInput>,
    remove: Option<&str>,
) -> Result<UserDetail> {
    let patch = roles_patch(conn, caller, id, is_apiuser, add, remove)?;
    update(conn, caller, id, is_apiuser, patch)
}

/// `user` or `api_user`: what the audit trail calls this kind of user.
pub fn object_type(is_apiuser: bool) -> &'static str {
    if is_apiuser { "api_user" } else { "user" }
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
    input: Parsed<UserPatch>,
) -> Result<UserDetail> {
    let found = find(conn, caller, id, is_apiuser)?;
    db::lock_user(conn, &found.id)?;
    // Read again under the lock: what this write changes is what it judged.
    // One read (one statement) serves the audit snapshot and the role rules.
    let current_detail = users::find_detail(conn, &found.id)?.ok_or(Error::NotFound)?;
    let current = current_detail.user.clone();
    let Parsed {
        value: input,
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let snapshot_before = audit::user_snapshot(&current_detail);
    let before: Vec<Assignment> = current_detail.roles.iter().map(assignment_of_row).collect();
    let was_owner = user_roles::holds_owner(&before);
    // Any write needs one of the two somewhere; profile fields need
    // users.manage over this user (account tier, or a team it is a member
    // of), whether or not they are valid: authorization before validation.
    if !caller.grants.anywhere(Permission::UsersManage)
        && !caller.grants.anywhere(Permission::RolesGrant)
    {
        return Err(Error::Forbidden);
    }
    if input.names_profile() || input.user_roles.is_none() {
        let member_of = users::teams_of(conn, &current.id)?;
        caller.require_at(Permission::UsersManage, Scope::Member { teams: &member_of })?;
    }
    authority::require_over(conn, caller, &current_detail.roles)?;
    let after = match &input.user_roles {
        Some(items) => resolve_assignments(conn, &org, items, &before, &mut errors)?,
        None => None,
    };
    let labels = resolve_labels(conn, &org, input.labels.as_deref(), &mut errors)?;
    if input.user_roles.is_some()
        && after.is_none()
        && !caller.grants.anywhere(Permission::RolesGrant)
    {
        return Err(Error::Forbidden);
    }
    check_contract(
        input
            .contract_start_date
            .unwrap_or(current.contract_start_date),
        input.contract_end_date.unwrap_or(current.contract_end_date),
        &mut errors,
    );
    errors.into_result()?;
    if let Some(after) = &after {
        authorize_roles(conn, caller, &before, after)?;
    }

    let guards_owner = was_owner && (input.active == Some(false) || after.is_some());
    if guards_owner {
        db::lock_organization(conn, &org)?;
    }
    let now = time::now();
    let actor = caller.actor();
    let deactivating = input.active == Some(false) && current.active;
    let new_password = input.password_hash.is_some();
    let changes = UserChanges {
        email: input.email.map(Email::into_string),
        name: input.name.map(UserName::into_string),
        title: input.title,
        active: input.active,
        password_hash: input.password_hash.map(Some),
        kind: input.kind,
        position: input.position,
        additional_email_addresses: input.additional_email_addresses.map(emails_json),
        contract_start_date: input.contract_start_date,
        contract_end_date: input.contract_end_date,
        changed: Some(now),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
    };
    users::update(conn, &current.id, &changes).map_err(email_conflict)?;
    users::set_scim(
        conn,
        &current.id,
        &users::ScimChanges {
            external_id: input.external_id,
            scim_profile: input.scim_profile,
            scim_user_name: input.scim_user_name,
        },
    )
    .map_err(user_name_conflict)?;
    if deactivating || new_password {
        crate::service::keys::end_credentials(conn, &current.id, deactivating)?;
    }
    if let Some(after) = &after {
        replace_assignments(conn, &current.id, &before, after, now)?;
    }
    if let Some(labels) = labels {
        users::set_labels(conn, &current.id, &labels)?;
    }
    if guards_owner && users::count_active_owners(conn, &org)? == 0 {
        let field = if after.is_some() {
            "user_roles"
        } else {
            "active"
        };
        return Err(Error::LastOwner { field });
    }
    let detail = users::find_detail(conn, &current.id)?.ok_or(Error::NotFound)?;
    let mut changes = audit::diff(&snapshot_before, &audit::user_snapshot(&detail));
    if new_password {
        changes.extend(password_changed());
    }
    let verb = if deactivating {
        AuditAction::UserDeactivated
    } else {
        AuditAction::UserUpdated
    };
    caller.audit(
        conn,
        AuditAction::on_user(is_apiuser, verb),
        audit::object(object_type(is_apiuser), &current.id),
        changes,
    )?;
    Ok(detail)
}

/// Whether `caller` may set the password of user `id` (the checks `update`
/// makes for a body holding a password), so that a caller who may not is
/// refused before its password costs a hash.
pub fn authorize_password_change(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
) -> Result<()> {
    let current = find(conn, caller, id, is_apiuser)?;
    let member_of = users::teams_of(conn, &current.id)?;
    caller.require_at(Permission::UsersManage, Scope::Member { teams: &member_of })?;
    authority::require_over_user(conn, caller, &current.id)
}

/// A password change as the audit trail shows it: that it changed, never what to.
fn password_changed() -> audit::Changes {
    audit::change("password", serde_json::Value::Null, "(changed)".into())
}

pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str, is_apiuser: bool) -> Result<()> {
    let current = find(conn, caller, id, is_apiuser)?;
    caller.require(Permission::UsersManage)?;
    // The user's row before the organization's, as `update` takes them.
    db::lock_user(conn, &current.id)?;
    let current_detail = users::detail(conn, current.clone())?;
    let was_owner = user_roles::holds_owner(
        &current_detail
            .roles
            .iter()
            .map(assignment_of_row)
            .collect::<Vec<_>>(),
    );
    authority::require_over(conn, caller, &current_detail.roles)?;
    if was_owner {
        db::lock_organization(conn, caller.organization_id())?;
    }
    let snapshot = audit::user_snapshot(&current_detail);
    users::delete(conn, &current.id)?;
    if was_owner && users::count_active_owners(conn, caller.organization_id())? == 0 {
        return Err(Error::LastOwner {
            field: "non_field_errors",
        });
    }
    caller.audit(
        conn,
        AuditAction::on_user(is_apiuser, AuditAction::UserDeleted),
        audit::object(object_type(is_apiuser), &current.id),
        audit::deleted(&snapshot),
    )
}

fn default_membership() -> Assignment {
    Assignment {
        role: RoleRef::builtin(BuiltinRole::Employee),
        tier: Tier::Account,
        team: None,
        target: None,
        starts: None,
        expires: None,
    }
}

/// No escalation: changing assignments needs `roles.grant`, and each role
/// added or removed needs every one of its permissions (so OWNER needs
/// `owner.grant`, BILLING `billing.manage`).
/// No escalation: each assignment added or removed needs `roles.grant` and
/// every permission of its role, held where the assignment applies (so OWNER
/// needs `owner.grant`, BILLING `billing.manage`, and a team-tier grant needs
/// them at that team).
fn authorize_roles(
    conn: &mut DbConnection,
    caller: &Caller,
    before: &[Assignment],
    after: &[Assignment],
) -> Result<()> {
    let (added, removed) = user_roles::diff(before, after);
    let rewindowed = user_roles::rewindowed(before, after);
    for a in added.into_iter().chain(removed).chain(rewindowed) {
        authorize_grant(conn, caller, a)?;
    }
    Ok(())
}

/// No escalation for one assignment: `roles.grant` and every permission of
/// its role, held where the assignment applies (also what a single sign-on
/// connection may hand out: see `service::sso`).
pub fn authorize_grant(conn: &mut DbConnection, caller: &Caller, a: &Assignment) -> Result<()> {
    {
        let target_teams: Vec<String> = match &a.target {
            Some(target) => targets::teams_of(conn, std::slice::from_ref(target))?
                .into_iter()
                .map(|(_, team)| team)
                .collect(),
            None => Vec::new(),
        };
        let scope = match (a.tier, &a.team, &a.target) {
            (Tier::Team, Some(team), _) => Scope::Team(team),
            (Tier::Scope, _, Some(target)) => Scope::Target {
                id: target,
                teams: &target_teams,
            },
            _ => Scope::Organization,
        };
        caller.require_at(Permission::RolesGrant, scope)?;
        for p in &a.role.permissions {
            caller.require_at(*p, scope)?;
        }
    }
    Ok(())
}

pub fn assignments_of(conn: &mut DbConnection, user_id: &str) -> Result<Vec<Assignment>> {
    Ok(users::roles_of(conn, &[user_id.to_owned()])?
        .into_iter()
        .map(|r| assignment_of_row(&r))
        .collect())
}

pub fn assignment_of_row(r: &UserRoleDetail) -> Assignment {
    Assignment {
        role: RoleRef {
            id: r.role_id.clone(),
            name: r.role_name.clone(),
            builtin: BuiltinRole::by_id(&r.role_id),
            permissions: r.role_permissions.iter().collect(),
        },
        tier: r.tier,
        team: r.team_id.clone(),
        target: r.target_id.clone(),
        starts: r.starts,
        expires: r.expires,
    }
}

/// Resolves references of each item; `None` when any item has errors (which
/// are then recorded under `user_roles`).
fn resolve_assignments(
    conn: &mut DbConnection,
    org: &str,
    items: &[AssignmentInput],
    before: &[Assignment],
    errors: &mut FieldErrors,
) -> Result<Option<Vec<Assignment>>> {
    let now = time::now();
    let mut resolved = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    for item in items {
        let mut e = FieldErrors::new();
        let role = match item.role.as_deref() {
            None => {
                e.add("role", crate::error::REQUIRED);
                None
            }
            Some(raw) => match resolve_role(conn, org, raw)? {
                Some(role) => Some(role),
                None => {
                    e.add("role", does_not_exist(raw));
                    None
                }
            },
        };
        let team = match item.team.as_deref() {
            Some(raw) if !exists_in_org(conn, org, raw, users::team_in_org)? => {
                e.add("team", does_not_exist(raw));
                None
            }
            other => other.map(str::to_owned),
        };
        let target = match item.target.as_deref() {
            Some(raw) if !exists_in_org(conn, org, raw, users::target_in_org)? => {
                e.add("target", does_not_exist(raw));
                None
            }
            other => other.map(str::to_owned),
        };
        let tier = match item.tier.as_deref() {
            Some(raw) => Tier::parse(raw).map_err(|m| e.add("scope", m)).ok(),
            None if item.target.is_some() => Some(Tier::Scope),
            None if item.team.is_some() => Some(Tier::Team),
            None => Some(Tier::Account),
        };
        let mut time =
            |field: &'static str, raw: &Option<std::result::Result<NaiveDateTime, String>>| {
                match raw {
                    Some(Ok(t)) => Some(*t),
                    Some(Err(message)) => {
                        e.add(field, message.clone());
                        None
                    }
                    None => None,
                }
            };
        let starts = time("starts", &item.starts);
        let expires = time("expires", &item.expires);
        resolved.push(match (role, tier, e.is_empty()) {
            (Some(role), Some(tier), true) => {
                let a = Assignment {
                    role,
                    tier,
                    team,
                    target,
                    starts,
                    expires,
                };
                // A window already stored may have passed (the scheduler
                // removes it soon); a new or moved one must end ahead.
                let kept = before
                    .iter()
                    .any(|b| b.key() == a.key() && !b.window_differs(&a));
                if !kept && user_roles::has_ended(a.expires, now) {
                    e.add("expires", user_roles::EXPIRES_IN_FUTURE);
                }
                Some(a)
            }
            _ => None,
        });
        item_errors.push(e);
    }
    match user_roles::validate(&resolved, item_errors) {
        Ok(()) => Ok(Some(resolved.into_iter().flatten().collect())),
        Err(shape) => {
            errors.set("user_roles", shape);
            Ok(None)
        }
    }
}

fn exists_in_org(
    conn: &mut DbConnection,
    org: &str,
    raw: &str,
    lookup: fn(&mut DbConnection, &str, &str) -> QueryResult<bool>,
) -> Result<bool> {
    match PublicId::parse(raw) {
        Some(id) => Ok(lookup(conn, org, id.as_str())?),
        None => Ok(false),
    }
}

/// A built-in role by uppercase name or id, or one of the organization's own by id.
pub fn resolve_role(conn: &mut DbConnection, org: &str, raw: &str) -> Result<Option<RoleRef>> {
    if let Some(builtin) = BuiltinRole::by_name(raw).or_else(|| BuiltinRole::by_id(raw)) {
        return Ok(Some(RoleRef::builtin(builtin)));
    }
    let Some(id) = PublicId::parse(raw) else {
        return Ok(None);
    };
    Ok(
        role_rows::find_assignable(conn, org, id.as_str())?.map(|r| RoleRef {
            builtin: None,
            permissions: r.permissions.iter().collect(),
            id: r.id,
            name: r.name,
        }),
    )
}

fn resolve_labels(
    conn: &mut DbConnection,
    org: &str,
    ids: Option<&[String]>,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<String>>> {
    let Some(ids) = ids else { return Ok(None) };
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    let wanted: Vec<String> = unique
        .iter()
        .filter(|id| PublicId::parse(id).is_some())
        .cloned()
        .collect();
    let found: BTreeSet<String> = users::existing_labels(conn, org, &wanted)?
        .into_iter()
        .collect();
    for id in unique.iter().filter(|id| !found.contains(*id)) {
        errors.add("labels", does_not_exist(id));
    }
    Ok(Some(found.into_iter().collect()))
}

/// Makes the stored assignments equal `after`, keeping the rows (and ids) of
/// those that stay.
fn replace_assignments(
    conn: &mut DbConnection,
    user_id: &str,
    before: &[Assignment],
    after: &[Assignment],
    now: NaiveDateTime,
) -> Result<()> {
    let (mut added, mut removed) = user_roles::diff(before, after);
    let rewindowed = user_roles::rewindowed(before, after);
    if !rewindowed.is_empty() {
        let rows = users::roles_of(conn, &[user_id.to_owned()])?;
        for a in rewindowed {
            if let Some(row) = rows.iter().find(|r| assignment_of_row(r).key() == a.key()) {
                users::set_assignment_window(conn, &row.id, a.starts, a.expires)?;
            }
        }
    }
    // A new membership role takes over the old one's row: the membership
    // keeps its id and creation time (MCP's Membership is addressed by id).
    let old = removed.iter().position(|a| a.is_membership());
    let new = added.iter().position(|a| a.is_membership());
    if let (Some(old), Some(new)) = (old, new) {
        let rows = users::roles_of(conn, &[user_id.to_owned()])?;
        let old_key = removed[old].key();
        if let Some(row) = rows.iter().find(|r| assignment_of_row(r).key() == old_key) {
            users::set_assignment_role(conn, &row.id, &added[new].role.id)?;
            removed.remove(old);
            added.remove(new);
        }
    }
    if !removed.is_empty() {
        let rows = users::roles_of(conn, &[user_id.to_owned()])?;
        let removed_keys: BTreeSet<_> = removed.iter().map(|a| a.key()).collect();
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| removed_keys.contains(&assignment_of_row(r).key()))
            .map(|r| r.id.clone())
            .collect();
        users::delete_roles(conn, &ids)?;
    }
    for a in added {
        users::insert_role(
            conn,
            &NewUserRole {
                id: PublicId::random().into_string(),
                user_id: user_id.to_owned(),
                role_id: a.role.id.clone(),
                tier: a.tier,
                team_id: a.team.clone(),
                target_id: a.target.clone(),
                created: now,
                starts: a.starts,
                expires: a.expires,
            },
        )?;
    }
    Ok(())
}

fn emails_json(emails: Vec<Email>) -> String {
    let list: Vec<String> = emails.into_iter().map(Email::into_string).collect();
    serde_json::to_string(&list).expect("a list of strings serializes")
}

fn email_conflict(e: diesel::result::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict {
            field: "email",
            message: EMAIL_TAKEN,
        }
    } else {
        e.into()
    }
}

fn user_name_conflict(e: diesel::result::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict {
            field: "userName",
            message: "A user with this userName already exists.",
        }
    } else {
        e.into()
    }
}

/// What a person may change about itself through `/profile/`.
#[derive(Clone, Debug, Default)]
pub struct ProfileInput {
    pub email: Option<Email>,
    pub name: Option<UserName>,
    pub title: Option<Title>,
    pub kind: Option<Option<Kind>>,
    pub position: Option<Option<String>>,
    pub additional_email_addresses: Option<Vec<Email>>,
}

/// The caller's own user.
pub fn profile(conn: &mut DbConnection, caller: &Caller) -> Result<UserDetail> {
    let row = users::find(conn, &caller.user.id)?.ok_or(Error::NotFound)?;
    Ok(users::detail(conn, row)?)
}

/// Updates the caller's own profile fields; no permission is needed.
pub fn update_profile(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<ProfileInput>,
) -> Result<UserDetail> {
    input.errors.into_result()?;
    let input = input.value;
    let before = audit::user_snapshot(&profile(conn, caller)?);
    let actor = caller.actor();
    let changes = UserChanges {
        email: input.email.map(Email::into_string),
        name: input.name.map(UserName::into_string),
        title: input.title,
        kind: input.kind,
        position: input.position,
        additional_email_addresses: input.additional_email_addresses.map(emails_json),
        changed: Some(time::now()),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
        ..UserChanges::default()
    };
    users::update(conn, &caller.user.id, &changes).map_err(email_conflict)?;
    let detail = profile(conn, caller)?;
    caller.audit(
        conn,
        AuditAction::UserUpdated,
        audit::object("user", &caller.user.id),
        audit::diff(&before, &audit::user_snapshot(&detail)),
    )?;
    Ok(detail)
}

/// Sets the caller's password (already checked and hashed) and invalidates
/// every token issued to it so far.
pub fn set_own_password(
    conn: &mut DbConnection,
    caller: &Caller,
    password_hash: String,
) -> Result<()> {
    let actor = caller.actor();
    let changes = UserChanges {
        password_hash: Some(Some(password_hash)),
        changed: Some(time::now()),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
        ..UserChanges::default()
    };
    users::update(conn, &caller.user.id, &changes)?;
    users::bump_token_version(conn, &caller.user.id)?;
    caller.audit(
        conn,
        AuditAction::UserPasswordChanged,
        audit::object("user", &caller.user.id),
        password_changed(),
    )
}
