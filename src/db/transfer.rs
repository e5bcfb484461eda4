//! One organization's rows, table by table, as `tessera export` writes them
//! and `tessera import` inserts them (`service::transfer`).
//!
//! Each record is the row exactly as stored (every column, the enum columns
//! by their stored names, read back failing closed), so a move loses
//! nothing. The sealed columns (`users.mfa_secret`, `webhooks.secret`,
//! `sso_connections.secret`) travel unsealed: the service opens them with
//! the exporting deployment's key and seals them with the importing one's.
//! No record derives `Debug`, so none can be logged by accident.
//!
//! Export reads in keyset pages (`PAGE` rows, by primary key), so memory
//! stays bounded however large the organization.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::DbConnection;
use super::schema::{
    access_review_items, access_review_reviewers, access_reviews, api_keys, audit_events,
    invitations, labels, organizations, roles, sso_connections, sso_domains, target_teams, targets,
    teams, user_labels, user_roles, users, webhook_deliveries, webhooks,
};
use crate::domain::access_reviews::{Decision, Outcome, ReviewScope, ReviewStatus};
use crate::domain::dormancy::DormantAction;
use crate::domain::role::{PermissionSet, Tier};
use crate::domain::user::{Kind, Source, Title};

/// Rows read per query while exporting.
pub const PAGE: i64 = 1000;

/// Enum columns by their stored names, read back failing closed.
mod stored {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::db::stored::StoredText;

    pub fn serialize<T: StoredText, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_stored())
    }

    pub fn deserialize<'de, T: StoredText, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let raw = String::deserialize(d)?;
        T::from_stored(&raw).ok_or_else(|| D::Error::custom(format!("unknown {}", T::WHAT)))
    }

    pub mod option {
        use super::*;

        pub fn serialize<T: StoredText, S: Serializer>(
            value: &Option<T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => s.serialize_some(&*v.to_stored()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, T: StoredText, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<T>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|raw| {
                    T::from_stored(&raw)
                        .ok_or_else(|| D::Error::custom(format!("unknown {}", T::WHAT)))
                })
                .transpose()
        }
    }
}

/// A table as a transfer moves it.
pub trait Table: Serialize + for<'de> Deserialize<'de> {
    /// The table's name, which is also the record's name in the file.
    const NAME: &'static str;
    /// The row's key, for messages (ids are not secret).
    fn key(&self) -> String;
    /// The organization the row names, for tables that name one.
    fn organization_id(&self) -> Option<&str> {
        None
    }
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize>;
}

/// Declares a record type for one table: every column, in schema order.
macro_rules! record {
    (
        $(#[$doc:meta])*
        $name:ident, $table:ident, key: |$k:ident| $key:expr, org: |$o:ident| $org:expr,
        { $( $(#[$attr:meta])* $field:ident : $ty:ty ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Queryable, Selectable, Insertable, Serialize, Deserialize)]
        #[diesel(table_name = $table, treat_none_as_null = true)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$attr])* pub $field: $ty, )+
        }

        impl Table for $name {
            const NAME: &'static str = stringify!($table);
            fn key(&self) -> String {
                let $k = self;
                $key
            }
            fn organization_id(&self) -> Option<&str> {
                let $o = self;
                $org
            }
            fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
                diesel::insert_into($table::table).values(self).execute(conn)
            }
        }
    };
}

record!(OrganizationRecord, organizations, key: |r| r.id.clone(), org: |r| Some(&r.id), {
    id: String,
    name: String,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    // Absent from files written before dormancy existed.
    #[serde(default)]
    dormant_after_days: Option<i32>,
    #[serde(default = "flag", with = "stored")]
    dormant_action: DormantAction,
});

/// An organization's `dormant_action` in a file written before it existed.
fn flag() -> DormantAction {
    DormantAction::Flag
}

record!(
    /// `mfa_secret` is unsealed in the file.
    UserRecord, users, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    email: String,
    name: String,
    #[serde(with = "stored")]
    title: Title,
    active: bool,
    is_apiuser: bool,
    is_system: bool,
    password_hash: Option<String>,
    token_version: i32,
    mfa_enabled: bool,
    mfa_secret: Option<String>,
    mfa_last_step: Option<i64>,
    last_login: Option<NaiveDateTime>,
    #[serde(with = "stored")]
    source: Source,
    #[serde(with = "stored::option")]
    kind: Option<Kind>,
    position: Option<String>,
    additional_email_addresses: String,
    contract_start_date: Option<NaiveDateTime>,
    contract_end_date: Option<NaiveDateTime>,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
    external_id: Option<String>,
    scim_profile: Option<String>,
    name_key: String,
    email_key: String,
    scim_user_name: Option<String>,
});

record!(LabelRecord, labels, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    name: String,
    color: String,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
});

record!(UserLabelRecord, user_labels, key: |r| format!("{}/{}", r.user_id, r.label_id), org: |_r| None, {
    user_id: String,
    label_id: String,
    /// A copy of the user's kind (migration 43): the target's triggers set
    /// it from the imported user whatever the file says, and files written
    /// before it have none.
    #[serde(default)]
    is_apiuser: bool,
    #[serde(default)]
    is_system: bool,
});

record!(
    /// A custom role (built-in roles exist in every deployment).
    RoleRecord, roles, key: |r| r.id.clone(), org: |r| r.organization_id.as_deref(), {
    id: String,
    organization_id: Option<String>,
    name: String,
    description: String,
    #[serde(with = "stored")]
    permissions: PermissionSet,
    builtin: bool,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    /// Absent from files written before access requests.
    #[serde(default)]
    max_duration: Option<i64>,
});

record!(TeamRecord, teams, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    name: String,
    description: String,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
    external_id: Option<String>,
});

record!(TargetRecord, targets, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    name: String,
    url: String,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
});

record!(TargetTeamRecord, target_teams, key: |r| format!("{}/{}", r.target_id, r.team_id), org: |_r| None, {
    target_id: String,
    team_id: String,
});

record!(UserRoleRecord, user_roles, key: |r| r.id.clone(), org: |_r| None, {
    id: String,
    user_id: String,
    role_id: String,
    #[serde(with = "stored")]
    tier: Tier,
    team_id: Option<String>,
    target_id: Option<String>,
    created: NaiveDateTime,
    // Absent from files written before grants had windows.
    #[serde(default)]
    starts: Option<NaiveDateTime>,
    #[serde(default)]
    expires: Option<NaiveDateTime>,
});

record!(
    /// Only the key's hash travels, as stored.
    ApiKeyRecord, api_keys, key: |r| r.id.clone(), org: |_r| None, {
    id: String,
    user_id: String,
    name: String,
    prefix: String,
    key_hash: String,
    created: NaiveDateTime,
    expires: Option<NaiveDateTime>,
    last_used: Option<NaiveDateTime>,
});

record!(InvitationRecord, invitations, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    user_id: String,
    token_hash: String,
    created: NaiveDateTime,
    expires: NaiveDateTime,
    accepted: Option<NaiveDateTime>,
    superseded: Option<NaiveDateTime>,
    mail_status: String,
    mail_error: Option<String>,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
    /// Absent from files written before invitations could be revoked.
    #[serde(default)]
    revoked: Option<NaiveDateTime>,
});

record!(AuditEventRecord, audit_events, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    occurred: NaiveDateTime,
    actor_type: String,
    actor_id: Option<String>,
    actor_email: Option<String>,
    actor_name: Option<String>,
    action: String,
    object_type: String,
    object_id: String,
    changes: String,
    request_id: Option<String>,
    client_address: Option<String>,
    user_agent: Option<String>,
    interface: String,
});

record!(
    /// `secret` is unsealed in the file.
    WebhookRecord, webhooks, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    url: String,
    events: String,
    secret: String,
    active: bool,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
});

record!(
    /// `claimed_until` is a lease of the exporting deployment's sender:
    /// exported as none, so the importing one delivers what is still due.
    WebhookDeliveryRecord, webhook_deliveries, key: |r| r.id.clone(), org: |_r| None, {
    id: String,
    webhook_id: String,
    event_id: String,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt: NaiveDateTime,
    claimed_until: Option<NaiveDateTime>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    created: NaiveDateTime,
    delivered: Option<NaiveDateTime>,
});

record!(
    /// `secret` is unsealed in the file.
    SsoConnectionRecord, sso_connections, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    protocol: String,
    name: String,
    enforcement: String,
    jit: bool,
    default_role: String,
    group_mapping: String,
    active: bool,
    redirect_uri: String,
    settings: String,
    secret: Option<String>,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
});

record!(SsoDomainRecord, sso_domains, key: |r| r.domain.clone(), org: |_r| None, {
    domain: String,
    connection_id: String,
});

record!(AccessReviewRecord, access_reviews, key: |r| r.id.clone(), org: |r| Some(&r.organization_id), {
    id: String,
    organization_id: String,
    name: String,
    #[serde(with = "stored")]
    scope: ReviewScope,
    team_id: Option<String>,
    team_name: Option<String>,
    role_id: Option<String>,
    role_name: Option<String>,
    due: NaiveDateTime,
    #[serde(with = "stored")]
    status: ReviewStatus,
    created: NaiveDateTime,
    created_by_id: String,
    created_by_email: String,
    created_by_name: String,
    closed: Option<NaiveDateTime>,
    closed_by_id: Option<String>,
    closed_by_email: Option<String>,
    closed_by_name: Option<String>,
});

record!(AccessReviewReviewerRecord, access_review_reviewers, key: |r| format!("{}/{}", r.review_id, r.user_id), org: |_r| None, {
    review_id: String,
    user_id: String,
});

record!(AccessReviewItemRecord, access_review_items, key: |r| r.id.clone(), org: |_r| None, {
    id: String,
    review_id: String,
    assignment_id: String,
    user_id: String,
    user_email: String,
    user_name: String,
    is_apiuser: bool,
    role_id: String,
    role_name: String,
    #[serde(with = "stored")]
    tier: Tier,
    team_id: Option<String>,
    team_name: Option<String>,
    target_id: Option<String>,
    target_name: Option<String>,
    #[serde(with = "stored")]
    permissions: PermissionSet,
    #[serde(with = "stored")]
    decision: Decision,
    comment: String,
    decided: Option<NaiveDateTime>,
    decided_by_id: Option<String>,
    decided_by_email: Option<String>,
    decided_by_name: Option<String>,
    #[serde(with = "stored::option")]
    outcome: Option<Outcome>,
});

/// The ids of the organization's rows of one table, as a subquery.
macro_rules! ids_of {
    ($table:ident, $org:expr) => {
        $table::table
            .filter($table::organization_id.eq($org))
            .select($table::id)
    };
}

/// The ids of the roles the organization may hold: its own and the built-in ones.
macro_rules! role_ids_of {
    ($org:expr) => {
        roles::table
            .filter(
                roles::organization_id.eq($org).or(roles::organization_id
                    .is_null()
                    .and(roles::builtin.eq(true))),
            )
            .select(roles::id)
    };
}

/// One page of a table keyed by one text column, after `after`.
macro_rules! page_by {
    ($(#[$doc:meta])* $fn:ident, $row:ty, $table:ident, $key:ident, |$org:ident| $filter:expr) => {
        $(#[$doc])*
        pub fn $fn(
            conn: &mut DbConnection,
            $org: &str,
            after: Option<&str>,
        ) -> QueryResult<Vec<$row>> {
            let mut query = $table::table
                .filter($filter)
                .select(<$row>::as_select())
                .order($table::$key.asc())
                .limit(PAGE)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter($table::$key.gt(after.to_owned()));
            }
            query.load(conn)
        }
    };
}

/// One page of a link table keyed by two text columns, after `after`.
macro_rules! page_by_pair {
    ($fn:ident, $row:ty, $table:ident, $first:ident, $second:ident, |$org:ident| $filter:expr) => {
        pub fn $fn(
            conn: &mut DbConnection,
            $org: &str,
            after: Option<(&str, &str)>,
        ) -> QueryResult<Vec<$row>> {
            let mut query = $table::table
                .filter($filter)
                .select(<$row>::as_select())
                .order(($table::$first.asc(), $table::$second.asc()))
                .limit(PAGE)
                .into_boxed();
            if let Some((first, second)) = after {
                // `first >= x` first: a range the primary key's index
                // serves, in order (an `OR` alone is not one).
                query = query.filter($table::$first.ge(first.to_owned())).filter(
                    $table::$first
                        .gt(first.to_owned())
                        .or($table::$second.gt(second.to_owned())),
                );
            }
            query.load(conn)
        }
    };
}

page_by!(organization, OrganizationRecord, organizations, id, |org| {
    organizations::id.eq(org)
});
page_by!(
    /// Every user of the organization: people, API users and its `System` actor.
    users_page, UserRecord, users, id, |org| users::organization_id.eq(org)
);
page_by!(labels_page, LabelRecord, labels, id, |org| {
    labels::organization_id.eq(org)
});
page_by_pair!(
    user_labels_page,
    UserLabelRecord,
    user_labels,
    user_id,
    label_id,
    |org| user_labels::user_id.eq_any(ids_of!(users, org))
);
page_by!(roles_page, RoleRecord, roles, id, |org| {
    roles::organization_id.eq(org)
});
page_by!(teams_page, TeamRecord, teams, id, |org| {
    teams::organization_id.eq(org)
});
page_by!(targets_page, TargetRecord, targets, id, |org| {
    targets::organization_id.eq(org)
});
page_by_pair!(
    target_teams_page,
    TargetTeamRecord,
    target_teams,
    target_id,
    team_id,
    |org| target_teams::target_id.eq_any(ids_of!(targets, org))
);
page_by!(user_roles_page, UserRoleRecord, user_roles, id, |org| {
    user_roles::user_id.eq_any(ids_of!(users, org))
});
page_by!(api_keys_page, ApiKeyRecord, api_keys, id, |org| {
    api_keys::user_id.eq_any(ids_of!(users, org))
});
page_by!(invitations_page, InvitationRecord, invitations, id, |org| {
    invitations::organization_id.eq(org)
});
page_by!(
    audit_events_page,
    AuditEventRecord,
    audit_events,
    id,
    |org| audit_events::organization_id.eq(org)
);
page_by!(webhooks_page, WebhookRecord, webhooks, id, |org| {
    webhooks::organization_id.eq(org)
});
page_by!(
    webhook_deliveries_page,
    WebhookDeliveryRecord,
    webhook_deliveries,
    id,
    |org| webhook_deliveries::webhook_id.eq_any(ids_of!(webhooks, org))
);
page_by!(
    sso_connections_page,
    SsoConnectionRecord,
    sso_connections,
    id,
    |org| sso_connections::organization_id.eq(org)
);
page_by!(
    sso_domains_page,
    SsoDomainRecord,
    sso_domains,
    domain,
    |org| sso_domains::connection_id.eq_any(ids_of!(sso_connections, org))
);

page_by!(
    access_reviews_page,
    AccessReviewRecord,
    access_reviews,
    id,
    |org| access_reviews::organization_id.eq(org)
);
page_by_pair!(
    access_review_reviewers_page,
    AccessReviewReviewerRecord,
    access_review_reviewers,
    review_id,
    user_id,
    |org| access_review_reviewers::review_id.eq_any(ids_of!(access_reviews, org))
);
page_by!(
    access_review_items_page,
    AccessReviewItemRecord,
    access_review_items,
    id,
    |org| access_review_items::review_id.eq_any(ids_of!(access_reviews, org))
);

/// Makes the caller's transaction one consistent snapshot for an export
/// (must be its first statement). A SQLite read transaction already is one
/// (in WAL mode, writers go on meanwhile); PostgreSQL needs REPEATABLE READ.
pub fn snapshot(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(_) = conn {
        conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    }
    Ok(())
}

/// Whether an organization with this id exists.
pub fn organization_exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(organizations::table.find(id))).get_result(conn)
}

/// Whether a user with this id exists, in any organization.
pub fn user_exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.find(id))).get_result(conn)
}

/// Whether any user, in any organization, has this e-mail address
/// (compared case-insensitively, as the unique index does).
pub fn email_taken(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    use super::lower;
    diesel::select(diesel::dsl::exists(
        users::table.filter(lower(users::email).eq(lower(email))),
    ))
    .get_result(conn)
}

/// How many rows of each table belong to the organization with every link
/// inside it: a row linking to another organization's user, label, team,
/// target, role, webhook or connection is not counted. After an import,
/// these equal the rows inserted exactly when the file linked nothing
/// outside the organization it brought.
pub fn linked_counts(conn: &mut DbConnection, org: &str) -> QueryResult<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    let mut put = |table: &str, n: i64| {
        counts.insert(table.to_owned(), u64::try_from(n).unwrap_or(0));
    };
    put(
        "organizations",
        organizations::table
            .filter(organizations::id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "users",
        users::table
            .filter(users::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "labels",
        labels::table
            .filter(labels::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "user_labels",
        user_labels::table
            .filter(user_labels::user_id.eq_any(ids_of!(users, org)))
            .filter(user_labels::label_id.eq_any(ids_of!(labels, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "roles",
        roles::table
            .filter(roles::organization_id.eq(org))
            .filter(roles::builtin.eq(false))
            .count()
            .get_result(conn)?,
    );
    put(
        "teams",
        teams::table
            .filter(teams::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "targets",
        targets::table
            .filter(targets::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "target_teams",
        target_teams::table
            .filter(target_teams::target_id.eq_any(ids_of!(targets, org)))
            .filter(target_teams::team_id.eq_any(ids_of!(teams, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "user_roles",
        user_roles::table
            .filter(user_roles::user_id.eq_any(ids_of!(users, org)))
            .filter(user_roles::role_id.eq_any(role_ids_of!(org)))
            .filter(
                user_roles::team_id
                    .is_null()
                    .or(user_roles::team_id
                        .eq_any(ids_of!(teams, org).select(teams::id.nullable()))),
            )
            .filter(user_roles::target_id.is_null().or(
                user_roles::target_id.eq_any(ids_of!(targets, org).select(targets::id.nullable())),
            ))
            .count()
            .get_result(conn)?,
    );
    put(
        "api_keys",
        api_keys::table
            .filter(api_keys::user_id.eq_any(ids_of!(users, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "invitations",
        invitations::table
            .filter(invitations::organization_id.eq(org))
            .filter(invitations::user_id.eq_any(ids_of!(users, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "audit_events",
        audit_events::table
            .filter(audit_events::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "webhooks",
        webhooks::table
            .filter(webhooks::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "webhook_deliveries",
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq_any(ids_of!(webhooks, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "sso_connections",
        sso_connections::table
            .filter(sso_connections::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "sso_domains",
        sso_domains::table
            .filter(sso_domains::connection_id.eq_any(ids_of!(sso_connections, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "access_reviews",
        access_reviews::table
            .filter(access_reviews::organization_id.eq(org))
            .count()
            .get_result(conn)?,
    );
    put(
        "access_review_reviewers",
        access_review_reviewers::table
            .filter(access_review_reviewers::review_id.eq_any(ids_of!(access_reviews, org)))
            .filter(access_review_reviewers::user_id.eq_any(ids_of!(users, org)))
            .count()
            .get_result(conn)?,
    );
    put(
        "access_review_items",
        access_review_items::table
            .filter(access_review_items::review_id.eq_any(ids_of!(access_reviews, org)))
            .count()
            .get_result(conn)?,
    );
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Text;
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::{self, DatabaseUrl};

    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        name: String,
    }

    /// Each record holds every column its table has after the migrations:
    /// a column added later and not here would be lost by every move.
    #[test]
    fn every_record_holds_every_column_of_its_table() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("c.db").display().to_string());
        let mut conn = db::establish(&url).unwrap();
        db::migrate(&mut conn).unwrap();
        let DbConnection::Sqlite(sqlite) = &mut conn else {
            unreachable!()
        };
        macro_rules! check {
            ($($record:ident => $table:ident),+ $(,)?) => {$({
                let select = diesel::debug_query::<Sqlite, _>(
                    &$table::table.select(<$record>::as_select()),
                )
                .to_string();
                let mut selected: Vec<String> = select
                    .split(" FROM ")
                    .next()
                    .unwrap()
                    .trim_start_matches("SELECT ")
                    .split(", ")
                    .map(|c| c.rsplit('.').next().unwrap().trim_matches('`').to_owned())
                    .collect();
                let mut stored: Vec<String> = diesel::sql_query(format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    <$record as Table>::NAME
                ))
                .load::<Column>(sqlite)
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect();
                selected.sort();
                stored.sort();
                assert_eq!(selected, stored, "{}", <$record as Table>::NAME);
            })+};
        }
        check!(
            OrganizationRecord => organizations,
            UserRecord => users,
            LabelRecord => labels,
            UserLabelRecord => user_labels,
            RoleRecord => roles,
            TeamRecord => teams,
            TargetRecord => targets,
            TargetTeamRecord => target_teams,
            UserRoleRecord => user_roles,
            ApiKeyRecord => api_keys,
            InvitationRecord => invitations,
            AuditEventRecord => audit_events,
            WebhookRecord => webhooks,
            WebhookDeliveryRecord => webhook_deliveries,
            SsoConnectionRecord => sso_connections,
            SsoDomainRecord => sso_domains,
            AccessReviewRecord => access_reviews,
            AccessReviewReviewerRecord => access_review_reviewers,
            AccessReviewItemRecord => access_review_items,
        );

        // Every table is moved, or left behind on purpose (docs/OPERATIONS.md
        // says why): a new table must be placed in one list or the other.
        const MOVED: &[&str] = crate::service::transfer::TABLES;
        const LEFT: &[&str] = &[
            "settings",
            "signing_keys",
            "revoked_tokens",
            "password_resets",
            "login_failures",
            "idempotency_keys",
            "sso_logins",
            "sso_codes",
            "sso_assertions",
            "replicas",
            // A workflow's state, not access: what it granted moves as
            // `user_roles`, and who asked and decided as `audit_events`.
            "access_requests",
            // Kept by triggers as the users are imported.
            "user_counts",
        ];
        let tables: Vec<String> = diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_diesel%' ESCAPE '\\' \
             AND name NOT LIKE 'user_search%'",
        )
        .load::<Column>(sqlite)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
        for table in &tables {
            assert!(
                MOVED.contains(&table.as_str()) != LEFT.contains(&table.as_str()),
                "{table}: neither moved nor left on purpose"
            );
        }
        assert_eq!(tables.len(), MOVED.len() + LEFT.len(), "{tables:?}");
    }
}
