//! Lists of users: the filters every interface maps its parameters onto,
//! the orderings, offset pages and keyset pages, and the search indexes
//! that serve substring search.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::db::DbConnection;
use crate::db::lower;
use crate::db::models::UserRow;
use crate::db::schema::{labels, user_labels, user_roles, users};
use crate::domain::role::Tier;
use crate::domain::user::{Kind, State};

type Backend = <DbConnection as Connection>::Backend;

/// What a list of users may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub is_apiuser: bool,
    /// Case-insensitive substring of name or email.
    pub search: Option<String>,
    pub active: Option<bool>,
    pub mfa_enabled: Option<bool>,
    pub state: Option<State>,
    pub kind: Option<Kind>,
    /// Label ids; see `labels_all`.
    pub labels: Vec<String>,
    /// Users must hold every label in `labels` (else any of them).
    pub labels_all: bool,
    /// Role ids (built-in names already resolved to their ids): users
    /// holding any of them at any tier.
    pub roles: Vec<String>,
    pub teams: Vec<String>,
    pub targets: Vec<String>,
    /// Users holding a role at any of these teams are left out.
    pub exclude_teams: Vec<String>,
    /// Users holding a scope-tier role at any of these targets are left out.
    pub exclude_targets: Vec<String>,
    /// An organization id (Probely's `account`): within the caller's own
    /// organization, another id matches nobody.
    pub account: Option<String>,
    /// `Some(true)`: only a membership role; `Some(false)`: at least one
    /// team- or scope-tier role.
    pub no_access: Option<bool>,
    pub exclude: Vec<String>,
    pub ids: Vec<String>,
    /// Case-insensitive substring of name, email or position (MCP `filter.query`).
    pub query: Option<String>,
    /// A built-in membership role's id: users holding it at account tier.
    pub membership_role: Option<String>,
    /// Users in any of these states (empty: any state).
    pub states: Vec<State>,
    /// SCIM `userName eq`: the IdP's userName, or the e-mail of a user
    /// without one, compared case-insensitively.
    pub user_name: Option<String>,
    /// SCIM `userName co/sw/ew`: a case-insensitive substring of it.
    pub user_name_contains: Option<String>,
    /// SCIM `emails.value eq`: the login e-mail equal to it, or additional
    /// addresses holding it (a superset, which the SCIM filter refines),
    /// case-insensitively.
    pub email_any: Option<String>,
    /// SCIM `externalId`, compared exactly.
    pub external_id: Option<String>,
}

impl UserFilter {
    /// Whether this asks for every person (or every API user) of the
    /// organization, whose number is kept (`counts`) rather than counted.
    pub fn is_unfiltered(&self) -> bool {
        self.labels.is_empty() && !self.narrowed_beyond_labels()
    }

    /// The one label this asks for, when nothing else narrows the list: its
    /// members are counted from the label's own index entries, and a page
    /// of a common label walks the ordering instead of sorting every member.
    pub fn label_only(&self) -> Option<&str> {
        match self.labels.as_slice() {
            [label] if !self.narrowed_beyond_labels() => Some(label),
            _ => None,
        }
    }

    /// Whether anything but `labels` narrows the list.
    fn narrowed_beyond_labels(&self) -> bool {
        // Destructured, so a new filter cannot be forgotten here.
        let UserFilter {
            is_apiuser: _,
            search,
            active,
            mfa_enabled,
            state,
            kind,
            labels: _,
            labels_all: _,
            roles,
            teams,
            targets,
            exclude_teams,
            exclude_targets,
            account,
            no_access,
            exclude,
            ids,
            query,
            membership_role,
            states,
            user_name,
            user_name_contains,
            email_any,
            external_id,
        } = self;
        search.is_some()
            || active.is_some()
            || mfa_enabled.is_some()
            || state.is_some()
            || kind.is_some()
            || !roles.is_empty()
            || !teams.is_empty()
            || !targets.is_empty()
            || !exclude_teams.is_empty()
            || !exclude_targets.is_empty()
            || account.is_some()
            || no_access.is_some()
            || !exclude.is_empty()
            || !ids.is_empty()
            || query.is_some()
            || membership_role.is_some()
            || any_state(states, false).is_some()
            || user_name.is_some()
            || user_name_contains.is_some()
            || email_any.is_some()
            || external_id.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrderField {
    Name,
    Email,
    Changed,
    Created,
    LastLogin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserOrdering {
    pub field: UserOrderField,
    pub descending: bool,
}

/// Where substring search finds its candidates: SQLite keeps an FTS5 trigram
/// table (`user_search`), PostgreSQL trigram GIN indexes that serve
/// `lower(x) LIKE '%term%'` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SearchIndex {
    Fts5,
    Trigram,
}

impl SearchIndex {
    fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Sqlite(_) => SearchIndex::Fts5,
            DbConnection::Postgresql(_) => SearchIndex::Trigram,
        }
    }
}

/// The FTS5 query matching `term` as a substring of `columns`: one quoted
/// phrase, so FTS5 syntax in the term is matched literally. `None` below
/// three characters, the shortest a trigram index can look up.
fn fts_phrase(columns: &str, term: &str) -> Option<String> {
    (term.chars().count() >= 3).then(|| format!("{columns} : \"{}\"", term.replace('"', "\"\"")))
}

/// Users whose `columns` contain `term` (case-insensitively), through the
/// FTS5 trigram index. `None` where the caller's `LIKE` must serve instead:
/// on PostgreSQL (whose trigram indexes serve that `LIKE` as written), and
/// for a term of fewer than three characters, which no trigram index can.
fn indexed_contains(index: SearchIndex, columns: &str, term: &str) -> Option<Condition> {
    if index != SearchIndex::Fts5 {
        return None;
    }
    let phrase = fts_phrase(columns, term)?;
    Some(Box::new(
        diesel::dsl::sql::<Bool>(
            "\"users\".\"id\" IN (SELECT k.user_id FROM user_search \
             JOIN user_search_keys k ON k.key = user_search.rowid WHERE user_search MATCH ",
        )
        .bind::<diesel::sql_types::Text, _>(phrase)
        .sql(")"),
    ))
}

/// A condition that is always true and keeps the query from being cached as
/// a prepared statement (diesel never caches a statement holding an SQL
/// literal). The best plan for a list depends on its values: how common a
/// label is, how selective a search term. PostgreSQL plans a prepared
/// statement with its values five times, then settles on a generic plan
/// that cannot see them: for a search and a label together it walked the
/// whole `changed` index (600 ms where the planned query takes 10 ms).
/// SQLite needs no such help: it re-plans a statement when a bound value may
/// change the plan.
fn planned_with_its_values() -> Condition {
    Box::new(diesel::dsl::sql::<Bool>("TRUE"))
}

/// How labels narrow a list. SQLite runs a query in the form it is written
/// in, so the form decides the work (PostgreSQL turns both into the same
/// semi-join and plans it from its statistics and the values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabelForm {
    /// `id IN (the label's members)`: every member is found by id and the
    /// whole set sorted for the page. The cheap form for a rare label.
    Members,
    /// Each user in the ordering's index tested for the label, until the
    /// page is full: the cheap form for a common label, whose pages it
    /// finds after a few entries per row whatever the organization's size.
    /// Only for a filter of one label (`UserFilter::label_only`); any
    /// other filter takes the members form.
    Ordered,
}

/// On SQLite, finding one member by id, reading it and sorting it costs
/// about as much as walking this many entries of the ordering index and
/// testing each user for the label (callgrind, ninth session).
const MEMBER_COST_IN_ENTRIES: i64 = 2;

/// The cheaper form for a page ending at `end` (offset plus length) of the
/// organization's `members` people (or API users) of whom `labelled` hold
/// the label: the members form finds all `labelled`; the ordered form walks
/// about `end * members / labelled` index entries.
fn label_form(members: i64, labelled: i64, end: i64) -> LabelForm {
    let walked = end.saturating_mul(members) / labelled.max(1);
    if walked < labelled.saturating_mul(MEMBER_COST_IN_ENTRIES) {
        LabelForm::Ordered
    } else {
        LabelForm::Members
    }
}

/// The form for `filter`'s page ending at `end`: ordered only for a single
/// label on SQLite, where the counts it needs are kept or indexed.
fn label_form_for(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
    end: i64,
    counted: Option<i64>,
) -> QueryResult<LabelForm> {
    let Some(label) = filter.label_only() else {
        return Ok(LabelForm::Members);
    };
    if let DbConnection::Postgresql(_) = conn {
        return Ok(LabelForm::Members);
    }
    let members = super::counts::of_kind(conn, organization_id, filter.is_apiuser)?;
    // For a single label, `count` is the label's members.
    let labelled = match counted {
        Some(labelled) => labelled,
        None => label_members(conn, organization_id, filter.is_apiuser, label)?,
    };
    Ok(label_form(members, labelled, end))
}

/// How many people (or API users) of the organization hold `label`: the
/// label's index entries of that kind, none when the label is another
/// organization's.
fn label_members(
    conn: &mut DbConnection,
    organization_id: &str,
    is_apiuser: bool,
    label: &str,
) -> QueryResult<i64> {
    user_labels::table
        .filter(user_labels::label_id.eq(label))
        .filter(user_labels::is_apiuser.eq(is_apiuser))
        .filter(user_labels::is_system.eq(false))
        .filter(diesel::dsl::exists(
            labels::table
                .filter(labels::id.eq(label))
                .filter(labels::organization_id.eq(organization_id)),
        ))
        .count()
        .get_result(conn)
}

/// `holds_label`'s SQL, up to the label's parameter.
const HOLDS_LABEL: &str = "EXISTS (SELECT 1 FROM user_labels \
     WHERE user_labels.user_id = \"users\".\"id\" AND user_labels.label_id = ";

/// Users holding `label`, tested per user (`LabelForm::Ordered`).
fn holds_label(label: &str) -> Condition {
    Box::new(
        diesel::dsl::sql::<Bool>(HOLDS_LABEL)
            .bind::<diesel::sql_types::Text, _>(label.to_owned())
            .sql(")"),
    )
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a UserFilter,
    index: SearchIndex,
    label_form: LabelForm,
) -> users::BoxedQuery<'a, Backend> {
    let mut query = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::is_apiuser.eq(filter.is_apiuser))
        .into_boxed();
    if index == SearchIndex::Trigram {
        query = query.filter(planned_with_its_values());
    }
    // The System actor is an API user: people's lists need no test for it,
    // which keeps their count an index-only scan.
    if filter.is_apiuser {
        query = query.filter(users::is_system.eq(false));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(mfa) = filter.mfa_enabled {
        query = query.filter(users::mfa_enabled.eq(mfa));
    }
    match filter.state {
        None => {}
        Some(State::Deactivated) => query = query.filter(users::active.eq(false)),
        // API users never wait for a password: nothing matches.
        Some(State::Pending) if filter.is_apiuser => {
            query = query.filter(users::is_apiuser.eq(false));
        }
        Some(State::Pending) => {
            query = query
                .filter(users::active.eq(true))
                .filter(users::password_hash.is_null());
        }
        Some(State::Active) if filter.is_apiuser => query = query.filter(users::active.eq(true)),
        Some(State::Active) => {
            query = query
                .filter(users::active.eq(true))
                .filter(users::password_hash.is_not_null());
        }
    }
    if let Some(kind) = filter.kind {
        query = query.filter(users::kind.eq(kind.as_str()));
    }
    if let (LabelForm::Ordered, Some(label)) = (label_form, filter.label_only()) {
        query = query.filter(holds_label(label));
    } else if !filter.labels.is_empty() {
        if filter.labels_all {
            for label in &filter.labels {
                query = query.filter(
                    users::id.eq_any(
                        user_labels::table
                            .filter(user_labels::label_id.eq(label))
                            .select(user_labels::user_id),
                    ),
                );
            }
        } else {
            query = query.filter(
                users::id.eq_any(
                    user_labels::table
                        .filter(user_labels::label_id.eq_any(&filter.labels))
                        .select(user_labels::user_id),
                ),
            );
        }
    }
    if let Some(account) = &filter.account {
        query = query.filter(users::organization_id.eq(account));
    }
    if !filter.roles.is_empty() {
        query = query.filter(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::role_id.eq_any(&filter.roles))
                    .select(user_roles::user_id),
            ),
        );
    }
    if !filter.exclude_teams.is_empty() {
        query = query.filter(diesel::dsl::not(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::team_id.eq_any(&filter.exclude_teams))
                    .select(user_roles::user_id),
            ),
        ));
    }
    if !filter.exclude_targets.is_empty() {
        query = query.filter(diesel::dsl::not(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::target_id.eq_any(&filter.exclude_targets))
                    .filter(user_roles::tier.eq(Tier::Scope.as_str()))
                    .select(user_roles::user_id),
            ),
        ));
    }
    if !filter.teams.is_empty() {
        query = query.filter(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::team_id.eq_any(&filter.teams))
                    .select(user_roles::user_id),
            ),
        );
    }
    if !filter.targets.is_empty() {
        query = query.filter(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::target_id.eq_any(&filter.targets))
                    .filter(user_roles::tier.eq(Tier::Scope.as_str()))
                    .select(user_roles::user_id),
            ),
        );
    }
    if let Some(no_access) = filter.no_access {
        let with_access = users::id.eq_any(
            user_roles::table
                .filter(user_roles::tier.ne(Tier::Account.as_str()))
                .select(user_roles::user_id),
        );
        if no_access {
            query = query.filter(diesel::dsl::not(with_access));
        } else {
            query = query.filter(with_access);
        }
    }
    if !filter.exclude.is_empty() {
        query = query.filter(diesel::dsl::not(users::id.eq_any(&filter.exclude)));
    }
    if !filter.ids.is_empty() {
        query = query.filter(users::id.eq_any(&filter.ids));
    }
    if let Some(user_name) = &filter.user_name {
        let wanted = user_name.to_lowercase();
        query = query.filter(
            users::scim_user_name
                .is_not_null()
                .and(lower(users::scim_user_name.assume_not_null()).eq(wanted.clone()))
                .or(users::scim_user_name
                    .is_null()
                    .and(lower(users::email).eq(wanted))),
        );
    }
    if let Some(part) = &filter.user_name_contains {
        let pattern = crate::db::contains_pattern(part);
        query = query.filter(
            users::scim_user_name
                .is_not_null()
                .and(
                    lower(users::scim_user_name.assume_not_null())
                        .like(pattern.clone())
                        .escape('\\'),
                )
                .or(users::scim_user_name
                    .is_null()
                    .and(lower(users::email).like(pattern).escape('\\'))),
        );
    }
    if let Some(address) = &filter.email_any {
        query = query.filter(
            lower(users::email).eq(address.to_lowercase()).or(lower(
                users::additional_email_addresses,
            )
            .like(crate::db::contains_pattern(address))
            .escape('\\')),
        );
    }
    if let Some(external_id) = &filter.external_id {
        query = query.filter(users::external_id.eq(external_id));
    }
    if let Some(term) = &filter.search {
        let pattern = crate::db::contains_pattern(term);
        query = query.filter(
            indexed_contains(index, "{name email}", term).unwrap_or_else(|| {
                Box::new(
                    lower(users::name)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(users::email).like(pattern).escape('\\')),
                )
            }),
        );
    }
    if let Some(term) = &filter.query {
        let pattern = crate::db::contains_pattern(term);
        query = query.filter(
            indexed_contains(index, "{name email position}", term).unwrap_or_else(|| {
                Box::new(
                    lower(users::name)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(users::email).like(pattern.clone()).escape('\\'))
                        // A NULL position matches nothing (NULL OR false is not true).
                        .or(lower(users::position.assume_not_null())
                            .like(pattern)
                            .escape('\\')),
                )
            }),
        );
    }
    if let Some(role) = &filter.membership_role {
        query = query.filter(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::role_id.eq(role))
                    .filter(user_roles::tier.eq(Tier::Account.as_str()))
                    .select(user_roles::user_id),
            ),
        );
    }
    if let Some(states) = any_state(&filter.states, filter.is_apiuser) {
        query = query.filter(states);
    }
    query
}

type Condition = Box<dyn BoxableExpression<users::table, Backend, SqlType = Bool>>;

/// Users in any of `states`; `None` when that is every user.
fn any_state(states: &[State], is_apiuser: bool) -> Option<Condition> {
    let wanted = |s| states.contains(&s);
    if states.is_empty()
        || (wanted(State::Pending) && wanted(State::Active) && wanted(State::Deactivated))
    {
        return None;
    }
    // API users never wait for a password: PENDING matches none of them.
    let pending: Condition = if is_apiuser {
        Box::new(users::active.eq(true).and(users::active.eq(false)))
    } else {
        Box::new(users::active.eq(true).and(users::password_hash.is_null()))
    };
    let active: Condition = if is_apiuser {
        Box::new(users::active.eq(true))
    } else {
        Box::new(
            users::active
                .eq(true)
                .and(users::password_hash.is_not_null()),
        )
    };
    let conditions: Vec<Condition> = [
        (State::Pending, pending),
        (State::Active, active),
        (
            State::Deactivated,
            Box::new(users::active.eq(false)) as Condition,
        ),
    ]
    .into_iter()
    .filter(|(state, _)| wanted(*state))
    .map(|(_, condition)| condition)
    .collect();
    conditions.into_iter().reduce(|acc, c| Box::new(acc.or(c)))
}

/// Of `ids`, those naming visible users of the organization (people or API
/// users as asked), for `is_id_404_validation`.
pub fn existing_visible(
    conn: &mut DbConnection,
    organization_id: &str,
    is_apiuser: bool,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::id.eq_any(ids))
        .filter(users::organization_id.eq(organization_id))
        .filter(users::is_apiuser.eq(is_apiuser))
        .filter(users::is_system.eq(false))
        .select(users::id)
        .load(conn)
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
) -> QueryResult<i64> {
    if filter.is_unfiltered() {
        return super::counts::of_kind(conn, organization_id, filter.is_apiuser);
    }
    if let Some(label) = filter.label_only() {
        return label_members(conn, organization_id, filter.is_apiuser, label);
    }
    filtered(
        organization_id,
        filter,
        SearchIndex::of(conn),
        LabelForm::Members,
    )
    .count()
    .get_result(conn)
}

/// One page of users, ordered with the id as tie-break so pages are stable.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
    ordering: UserOrdering,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    page_counted(
        conn,
        organization_id,
        filter,
        ordering,
        (offset, limit),
        None,
    )
}

/// `page`, given what `count` just answered for the same filter (a list's
/// envelope reads it first): a single label's page then chooses its form
/// without counting the label's entries again.
pub fn page_counted(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
    ordering: UserOrdering,
    (offset, limit): (i64, i64),
    counted: Option<i64>,
) -> QueryResult<Vec<UserRow>> {
    let end = offset.saturating_add(limit);
    let form = label_form_for(conn, organization_id, filter, end, counted)?;
    page_in_form(
        conn,
        organization_id,
        filter,
        ordering,
        (offset, limit),
        form,
    )
}

fn page_in_form(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
    ordering: UserOrdering,
    (offset, limit): (i64, i64),
    form: LabelForm,
) -> QueryResult<Vec<UserRow>> {
    let query = filtered(organization_id, filter, SearchIndex::of(conn), form);
    let query = match (ordering.field, ordering.descending) {
        (UserOrderField::Name, false) => query.order((users::name_key.asc(), users::id.asc())),
        (UserOrderField::Name, true) => query.order((users::name_key.desc(), users::id.desc())),
        (UserOrderField::Email, false) => query.order((users::email_key.asc(), users::id.asc())),
        (UserOrderField::Email, true) => query.order((users::email_key.desc(), users::id.desc())),
        (UserOrderField::Changed, false) => query.order((users::changed.asc(), users::id.asc())),
        (UserOrderField::Changed, true) => query.order((users::changed.desc(), users::id.desc())),
        (UserOrderField::Created, false) => query.order((users::created.asc(), users::id.asc())),
        (UserOrderField::Created, true) => query.order((users::created.desc(), users::id.desc())),
        (UserOrderField::LastLogin, false) => {
            query.order((users::last_login.asc(), users::id.asc()))
        }
        (UserOrderField::LastLogin, true) => {
            query.order((users::last_login.desc(), users::id.desc()))
        }
    };
    if offset == 0 {
        return query.limit(limit).select(UserRow::as_select()).load(conn);
    }
    // A deep page skips `offset` rows: skipping ids alone walks the ordering
    // index without touching the table, then the page's rows are read by id.
    let ids: Vec<String> = query
        .offset(offset)
        .limit(limit)
        .select(users::id)
        .load(conn)?;
    let mut rows: Vec<UserRow> = users::table
        .filter(users::id.eq_any(&ids))
        .select(UserRow::as_select())
        .load(conn)?;
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    rows.sort_by_key(|row| position.get(row.id.as_str()).copied());
    Ok(rows)
}

/// What a keyset page is ordered by (ties broken by id, in the same direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysetField {
    Created,
    Name,
    Email,
}

/// Where the previous keyset page ended: its last row's sort value and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeysetValue {
    Time(NaiveDateTime),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeysetAfter {
    pub value: KeysetValue,
    pub id: String,
}

impl KeysetField {
    /// The sort value of `row` for this field.
    pub fn value_of(self, row: &UserRow) -> KeysetValue {
        match self {
            KeysetField::Created => KeysetValue::Time(row.created),
            KeysetField::Name => KeysetValue::Text(super::sort_key(&row.name)),
            KeysetField::Email => KeysetValue::Text(super::sort_key(&row.email)),
        }
    }
}

/// Up to `limit` users after `after` in the given order: no offset, so a
/// page costs the same wherever it is and rows inserted meanwhile never
/// shift later pages.
pub fn keyset_page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &UserFilter,
    field: KeysetField,
    descending: bool,
    after: Option<&KeysetAfter>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let form = label_form_for(conn, organization_id, filter, limit, None)?;
    let mut query = filtered(organization_id, filter, SearchIndex::of(conn), form);
    if let Some(after) = after {
        let id = after.id.clone();
        let condition: Condition = match (field, &after.value, descending) {
            (KeysetField::Created, KeysetValue::Time(t), false) => Box::new(
                users::created
                    .gt(*t)
                    .or(users::created.eq(*t).and(users::id.gt(id))),
            ),
            (KeysetField::Created, KeysetValue::Time(t), true) => Box::new(
                users::created
                    .lt(*t)
                    .or(users::created.eq(*t).and(users::id.lt(id))),
            ),
            (KeysetField::Name, KeysetValue::Text(v), false) => Box::new(
                users::name_key
                    .gt(v.clone())
                    .or(users::name_key.eq(v.clone()).and(users::id.gt(id))),
            ),
            (KeysetField::Name, KeysetValue::Text(v), true) => Box::new(
                users::name_key
                    .lt(v.clone())
                    .or(users::name_key.eq(v.clone()).and(users::id.lt(id))),
            ),
            (KeysetField::Email, KeysetValue::Text(v), false) => Box::new(
                users::email_key
                    .gt(v.clone())
                    .or(users::email_key.eq(v.clone()).and(users::id.gt(id))),
            ),
            (KeysetField::Email, KeysetValue::Text(v), true) => Box::new(
                users::email_key
                    .lt(v.clone())
                    .or(users::email_key.eq(v.clone()).and(users::id.lt(id))),
            ),
            // A position of another field's type matches nothing.
            _ => Box::new(users::id.ne(users::id)),
        };
        query = query.filter(condition);
    }
    let query = match (field, descending) {
        (KeysetField::Created, false) => query.order((users::created.asc(), users::id.asc())),
        (KeysetField::Created, true) => query.order((users::created.desc(), users::id.desc())),
        (KeysetField::Name, false) => query.order((users::name_key.asc(), users::id.asc())),
        (KeysetField::Name, true) => query.order((users::name_key.desc(), users::id.desc())),
        (KeysetField::Email, false) => query.order((users::email_key.asc(), users::id.asc())),
        (KeysetField::Email, true) => query.order((users::email_key.desc(), users::id.desc())),
    };
    query.limit(limit).select(UserRow::as_select()).load(conn)
}

#[cfg(test)]
mod tests {
    use diesel::sqlite::SqliteConnection;

    use super::*;
    use crate::db::users::test_support::{migrated, plan};

    #[test]
    fn a_common_label_walks_the_ordering_and_a_rare_one_finds_its_members() {
        assert_eq!(label_form(100_000, 3_000, 100), LabelForm::Ordered);
        assert_eq!(label_form(100_000, 100, 100), LabelForm::Members, "rare");
        assert_eq!(
            label_form(100_000, 0, 100),
            LabelForm::Members,
            "held by nobody"
        );
        assert_eq!(
            label_form(100_000, 3_000, 50_000),
            LabelForm::Members,
            "a deep page would walk most of the ordering"
        );
        // The same share of a bigger organization: the walk's length per
        // row stays, the members grow, so the ordered form still wins.
        assert_eq!(label_form(1_000_000, 30_000, 100), LabelForm::Ordered);
        assert_eq!(label_form(i64::MAX, 1, i64::MAX), LabelForm::Members);
    }

    /// SQLite runs the ordered form as a walk of the ordering's index with
    /// the label tested per user: no temporary B-tree, so it stops after
    /// the page.
    #[test]
    fn the_ordered_form_walks_the_ordering_index() {
        let steps = plan(&format!(
            "SELECT id FROM users WHERE organization_id = ? AND is_apiuser = ? \
             AND {HOLDS_LABEL}?) ORDER BY name_key, id LIMIT 100"
        ));
        assert!(
            steps[0].contains("users_list_name"),
            "walks the ordering: {steps:#?}"
        );
        assert!(
            !steps.iter().any(|s| s.contains("TEMP B-TREE")),
            "sorts nothing: {steps:#?}"
        );
    }

    /// Both forms list the same pages, in every ordering and direction, for
    /// people and API users, at any offset; and the label's members are
    /// counted by kind from its own entries, whatever a link was written
    /// with.
    #[test]
    fn both_label_forms_list_the_same_pages() {
        let mut conn = DbConnection::Sqlite(migrated());
        let mut exec = |sql: String| diesel::sql_query(sql).execute(&mut conn).unwrap();
        exec(
            "INSERT INTO organizations (id, name, created, changed) VALUES ('o', 'O', 0, 0)".into(),
        );
        exec(
            "INSERT INTO labels (id, organization_id, name, color, created, changed, \
             changed_by_id, changed_by_email, changed_by_name) \
             VALUES ('red', 'o', 'Red', '#f00', 0, 0, 's', 's', 's')"
                .into(),
        );
        for i in 0..90 {
            let is_apiuser = i % 9 == 0;
            // Names and times repeat, so ties are broken by id.
            exec(format!(
                "INSERT INTO users (id, organization_id, email, name, is_apiuser, created, \
                 changed, last_login, changed_by_id, changed_by_email, changed_by_name, \
                 name_key, email_key) VALUES ('u{i:02}', 'o', 'p{e}@x.org', 'P{n}', {is_apiuser}, \
                 '2026-01-{d:02} 00:00:00', '2026-02-{c:02} 00:00:00', {login}, 's', 's', 's', \
                 'p{n}', 'p{e}@x.org')",
                e = (i * 37) % 90,
                n = i % 7,
                d = 1 + i % 5,
                c = 1 + (i * 11) % 13,
                login = if i % 4 == 0 {
                    "NULL".to_owned()
                } else {
                    format!("'2026-03-{:02} 00:00:00'", 1 + i % 3)
                },
            ));
            if (i * 13) % 10 < 4 {
                // Written as a person's link: the trigger corrects an API user's.
                exec(format!(
                    "INSERT INTO user_labels (user_id, label_id) VALUES ('u{i:02}', 'red')"
                ));
            }
        }
        for is_apiuser in [false, true] {
            let filter = UserFilter {
                is_apiuser,
                labels: vec!["red".into()],
                ..UserFilter::default()
            };
            let counted = count(&mut conn, "o", &filter).unwrap();
            let all = page_in_form(
                &mut conn,
                "o",
                &filter,
                UserOrdering {
                    field: UserOrderField::Created,
                    descending: false,
                },
                (0, 1_000),
                LabelForm::Members,
            )
            .unwrap();
            assert_eq!(counted, all.len() as i64, "api users: {is_apiuser}");
            assert!(all.iter().all(|u| u.is_apiuser == is_apiuser));
            assert!(counted > 2);
            for field in [
                UserOrderField::Name,
                UserOrderField::Email,
                UserOrderField::Changed,
                UserOrderField::Created,
                UserOrderField::LastLogin,
            ] {
                for descending in [false, true] {
                    let ordering = UserOrdering { field, descending };
                    for window in [(0, 5), (3, 7), (0, 100), (20, 10), (200, 10)] {
                        let mut ids = |form| -> Vec<String> {
                            page_in_form(&mut conn, "o", &filter, ordering, window, form)
                                .unwrap()
                                .into_iter()
                                .map(|u| u.id)
                                .collect()
                        };
                        assert_eq!(
                            ids(LabelForm::Members),
                            ids(LabelForm::Ordered),
                            "{ordering:?} {window:?} api users: {is_apiuser}"
                        );
                    }
                }
            }
        }
        // A user's kind, were it ever changed, moves its links' copies.
        let labelled = |conn: &mut DbConnection, is_apiuser| {
            label_members(conn, "o", is_apiuser, "red").unwrap()
        };
        let (people, api_users) = (labelled(&mut conn, false), labelled(&mut conn, true));
        diesel::sql_query("UPDATE users SET is_apiuser = TRUE WHERE id = 'u01'")
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            (labelled(&mut conn, false), labelled(&mut conn, true)),
            (people - 1, api_users + 1)
        );
        assert_eq!(
            count(
                &mut conn,
                "elsewhere",
                &UserFilter {
                    labels: vec!["red".into()],
                    ..UserFilter::default()
                }
            )
            .unwrap(),
            0,
            "another organization's label counts nobody"
        );
    }

    #[test]
    fn a_search_term_is_one_literal_phrase() {
        assert_eq!(fts_phrase("{name email}", "ab"), None, "too short");
        assert_eq!(
            fts_phrase("{name email}", "été").as_deref(),
            Some("{name email} : \"été\"")
        );
        assert_eq!(
            fts_phrase("{name}", "say \"hi\" OR x*").as_deref(),
            Some("{name} : \"say \"\"hi\"\" OR x*\""),
            "quotes doubled, operators inside the phrase"
        );
    }

    /// The trigger-kept FTS5 table answers what `LIKE` would, on SQLite.
    #[test]
    fn the_search_index_follows_writes() {
        let mut conn = migrated();
        let matches = |conn: &mut SqliteConnection, term: &str| -> Vec<String> {
            #[derive(QueryableByName)]
            struct Hit {
                #[diesel(sql_type = diesel::sql_types::Text)]
                user_id: String,
            }
            diesel::sql_query(
                "SELECT k.user_id FROM user_search JOIN user_search_keys k \
                 ON k.key = user_search.rowid WHERE user_search MATCH ? ORDER BY k.user_id",
            )
            .bind::<diesel::sql_types::Text, _>(fts_phrase("{name email}", term).unwrap())
            .load::<Hit>(conn)
            .expect("a search")
            .into_iter()
            .map(|h| h.user_id)
            .collect()
        };
        diesel::sql_query(
            "INSERT INTO organizations (id, name, created, changed) VALUES ('o', 'O', 0, 0)",
        )
        .execute(&mut conn)
        .unwrap();
        for (id, email, name) in [("u1", "ana@x.org", "Ana Silva"), ("u2", "bob@x.org", "Bob")] {
            diesel::sql_query(
                "INSERT INTO users (id, organization_id, email, name, created, changed, \
                 changed_by_id, changed_by_email, changed_by_name) \
                 VALUES (?, 'o', ?, ?, 0, 0, 's', 's', 's')",
            )
            .bind::<diesel::sql_types::Text, _>(id)
            .bind::<diesel::sql_types::Text, _>(email)
            .bind::<diesel::sql_types::Text, _>(name)
            .execute(&mut conn)
            .unwrap();
        }
        assert_eq!(matches(&mut conn, "SILVA"), ["u1"], "case-insensitive");
        assert_eq!(matches(&mut conn, "x.org"), ["u1", "u2"], "e-mail too");
        diesel::sql_query("UPDATE users SET name = 'Ana Costa' WHERE id = 'u1'")
            .execute(&mut conn)
            .unwrap();
        assert!(
            matches(&mut conn, "silva").is_empty(),
            "the old name is gone"
        );
        assert_eq!(matches(&mut conn, "costa"), ["u1"]);
        diesel::sql_query("DELETE FROM organizations WHERE id = 'o'")
            .execute(&mut conn)
            .unwrap();
        assert!(
            matches(&mut conn, "x.org").is_empty(),
            "a cascade removes them"
        );
        let keys: i64 =
            diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM user_search_keys")
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(keys, 0);
    }

    /// The startup after the sort-key migration stores what SQL `lower()`
    /// could not compute, once.
    #[test]
    fn the_first_start_completes_the_sort_keys() {
        let mut conn = DbConnection::Sqlite(migrated());
        diesel::sql_query(
            "INSERT INTO organizations (id, name, created, changed) VALUES ('o', 'O', 0, 0)",
        )
        .execute(&mut conn)
        .unwrap();
        // As the migration's backfill leaves them: ASCII-only lower case.
        diesel::sql_query(
            "INSERT INTO users (id, organization_id, email, name, created, changed, \
             changed_by_id, changed_by_email, changed_by_name, name_key, email_key) VALUES \
             ('u1', 'o', 'ÉMILE@X.org', 'Émile', 0, 0, 's', 's', 's', 'Émile', 'Émile@x.org'), \
             ('u2', 'o', 'Bob@x.org', 'Bob', 0, 0, 's', 's', 's', 'bob', 'bob@x.org')",
        )
        .execute(&mut conn)
        .unwrap();
        diesel::sql_query("DELETE FROM settings WHERE key = 'user_sort_keys'")
            .execute(&mut conn)
            .unwrap();
        let keys = |conn: &mut DbConnection| -> Vec<(String, String)> {
            users::table
                .order(users::id)
                .select((users::name_key, users::email_key))
                .load(conn)
                .unwrap()
        };
        super::super::complete_sort_keys(&mut conn).unwrap();
        assert_eq!(
            keys(&mut conn),
            [
                ("emile".to_owned(), "emile@x.org".to_owned()),
                ("bob".to_owned(), "bob@x.org".to_owned())
            ]
        );
        // Once: a later start leaves the keys alone.
        diesel::sql_query("UPDATE users SET name_key = 'zzz' WHERE id = 'u2'")
            .execute(&mut conn)
            .unwrap();
        super::super::complete_sort_keys(&mut conn).unwrap();
        assert_eq!(keys(&mut conn)[1].0, "zzz");
    }
}
