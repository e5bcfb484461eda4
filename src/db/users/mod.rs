//! Users (people and API users): their rows here, and what hangs off them
//! in a module per concern (role assignments, labels, lists and search,
//! token authentication).

mod assignments;
pub mod counts;
mod detail;
mod label_links;
mod lists;
mod tokens;

pub use assignments::*;
pub use detail::{find_detail, find_visible_detail};
pub use label_links::*;
pub use lists::*;
pub use tokens::*;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::lower;
use crate::db::models::{LabelRow, UserChanges, UserDetail, UserInsert, UserRoleDetail, UserRow};
use crate::db::schema::users;
use crate::domain::user::Email;

/// Every write of a name or an e-mail stores its sort key beside it
/// (`name_key`, `email_key`).
pub use crate::domain::user::sort_key;

pub fn insert(conn: &mut DbConnection, row: &UserInsert) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values((
            row,
            users::name_key.eq(sort_key(&row.name)),
            users::email_key.eq(sort_key(&row.email)),
        ))
        .execute(conn)
        .map(drop)
}

/// A user visible through the API (never the hidden `System` actor) of one
/// organization, person or API user as asked.
pub fn find_visible(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
    is_apiuser: bool,
) -> QueryResult<Option<UserRow>> {
    // By primary key, so without `LIMIT`: SQLite re-prepares a statement
    // whose `LIMIT ?` is bound again, on every execution.
    on_backend!(conn, |c| users::table
        .filter(users::id.eq(id))
        .filter(users::organization_id.eq(organization_id))
        .filter(users::is_apiuser.eq(is_apiuser))
        .filter(users::is_system.eq(false))
        .select(UserRow::as_select())
        .get_result(c)
        .optional())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    // No `LIMIT`, as in `find_visible`.
    on_backend!(conn, |c| users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(c)
        .optional())
}

/// People of any organization whose email matches, case-insensitively, as
/// typed or as `Email` stores it (NFC, the domain in punycode): a login with
/// `ann@bücher.example` finds `ann@xn--bcher-kva.example`, and rows stored
/// before emails were normalized still match the form that was typed.
pub fn find_people_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<UserRow>> {
    let mut spellings = vec![email.to_lowercase()];
    let stored = Email::lookup_key(email);
    if !spellings.contains(&stored) {
        spellings.push(stored);
    }
    users::table
        .filter(lower(users::email).eq_any(spellings))
        .filter(users::is_apiuser.eq(false))
        .filter(users::is_system.eq(false))
        .select(UserRow::as_select())
        .order(users::id)
        .limit(32)
        .load(conn)
}

/// The organization's `System` actor, to whom writes made by no user are attributed.
pub fn system_actor(conn: &mut DbConnection, organization_id: &str) -> QueryResult<UserRow> {
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::is_system.eq(true))
        .select(UserRow::as_select())
        .first(conn)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &UserChanges) -> QueryResult<()> {
    let keys = (
        changes
            .name
            .as_deref()
            .map(|name| users::name_key.eq(sort_key(name))),
        changes
            .email
            .as_deref()
            .map(|email| users::email_key.eq(sort_key(email))),
    );
    diesel::update(users::table.find(id))
        .set((changes, keys))
        .execute(conn)
        .map(drop)
}

/// Marks that every row's sort keys were computed by [`sort_key`].
const SORT_KEYS_DONE: &str = "user_sort_keys";

/// Once per database, after the migration that added the sort keys: stores
/// [`sort_key`] of every name and e-mail whose key the migration's SQL
/// `lower()` computed differently (SQLite folds ASCII only). Reads in
/// batches by id, so memory stays bounded whatever the number of users.
pub fn complete_sort_keys(conn: &mut DbConnection) -> QueryResult<()> {
    if crate::db::settings::get(conn, SORT_KEYS_DONE)?.is_some() {
        return Ok(());
    }
    let mut after = String::new();
    loop {
        let batch: Vec<(String, String, String, String, String)> = users::table
            .filter(users::id.gt(&after))
            .order(users::id)
            .limit(1000)
            .select((
                users::id,
                users::name,
                users::email,
                users::name_key,
                users::email_key,
            ))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0.clone();
        for (id, name, email, name_key, email_key) in batch {
            let (name_now, email_now) = (sort_key(&name), sort_key(&email));
            if name_now != name_key || email_now != email_key {
                diesel::update(users::table.find(&id))
                    .set((users::name_key.eq(name_now), users::email_key.eq(email_now)))
                    .execute(conn)?;
            }
        }
    }
    crate::db::settings::get_or_insert(conn, SORT_KEYS_DONE, "1").map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Sets what SCIM keeps of a user beside Tessera's own columns; `None`
/// leaves a column as it is, `Some(None)` clears it.
pub fn set_scim(conn: &mut DbConnection, id: &str, changes: &ScimChanges) -> QueryResult<()> {
    if changes.external_id.is_none()
        && changes.scim_profile.is_none()
        && changes.scim_user_name.is_none()
    {
        return Ok(());
    }
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ScimChanges {
    pub external_id: Option<Option<String>>,
    pub scim_profile: Option<Option<String>>,
    pub scim_user_name: Option<Option<String>>,
}

/// Invalidates every token issued to the user so far.
pub fn bump_token_version(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(conn)
        .map(drop)
}

pub fn record_login(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login.eq(at))
        .execute(conn)
        .map(drop)
}

/// Embeds labels and roles into rows: two queries whatever the number of rows.
pub fn with_details(conn: &mut DbConnection, rows: Vec<UserRow>) -> QueryResult<Vec<UserDetail>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let mut roles_by_user: HashMap<String, Vec<UserRoleDetail>> = HashMap::new();
    for role in roles_of(conn, &ids)? {
        roles_by_user
            .entry(role.user_id.clone())
            .or_default()
            .push(role);
    }
    let mut labels_by_user: HashMap<String, Vec<LabelRow>> = HashMap::new();
    for (user_id, label) in labels_of(conn, &ids)? {
        labels_by_user.entry(user_id).or_default().push(label);
    }
    Ok(rows
        .into_iter()
        .map(|user| UserDetail {
            labels: labels_by_user.remove(&user.id).unwrap_or_default(),
            roles: roles_by_user.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect())
}

pub fn detail(conn: &mut DbConnection, row: UserRow) -> QueryResult<UserDetail> {
    Ok(with_details(conn, vec![row])?.remove(0))
}

/// Active people and API users whose contract ended at or before `now`.
pub fn contract_ended(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::is_system.eq(false))
        .filter(users::contract_end_date.le(now))
        .order(users::id)
        .select(UserRow::as_select())
        .limit(1000)
        .load(conn)
}

/// Active accounts of `organization_id` last active before `cutoff`: no
/// sign-in since, no API-key use since, and made before it. At most
/// `limit`, by id.
pub fn dormant(
    conn: &mut DbConnection,
    organization_id: &str,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    use crate::db::schema::api_keys;
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::active.eq(true))
        .filter(users::is_system.eq(false))
        .filter(users::created.lt(cutoff))
        .filter(users::last_login.is_null().or(users::last_login.lt(cutoff)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            api_keys::table
                .filter(api_keys::user_id.eq(users::id))
                .filter(api_keys::last_used.ge(cutoff)),
        )))
        .order(users::id)
        .select(UserRow::as_select())
        .limit(limit)
        .load(conn)
}

/// What the tests of every concern share: a migrated database and the
/// planner's view of a statement.
#[cfg(test)]
pub(super) mod test_support {
    use diesel::sqlite::SqliteConnection;
    use diesel_migrations::MigrationHarness;

    use super::*;

    #[derive(QueryableByName)]
    struct PlanStep {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    /// A fresh in-memory SQLite database with every migration applied.
    pub fn migrated() -> SqliteConnection {
        let mut conn = SqliteConnection::establish(":memory:").expect("an in-memory database");
        conn.run_pending_migrations(crate::db::SQLITE_MIGRATIONS)
            .expect("migrations run");
        conn
    }

    /// What SQLite plans for `sql` (its `?` parameters left unbound).
    pub fn plan(sql: &str) -> Vec<String> {
        let mut conn = migrated();
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<PlanStep>(&mut conn)
            .expect("a plan")
            .into_iter()
            .map(|step| step.detail)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::BuiltinRole;

    /// A page's embed reads each role, team, target and label once for all
    /// its users; each user's share must be what its own detail (one joined
    /// statement per kind) holds, in the same order.
    #[test]
    fn a_page_embeds_for_each_user_what_its_detail_holds() {
        let mut conn = DbConnection::Sqlite(test_support::migrated());
        let mut exec = |sql: &str| diesel::sql_query(sql).execute(&mut conn).unwrap();
        exec("INSERT INTO organizations (id, name, created, changed) VALUES ('o', 'O', 0, 0)");
        // Ids in the opposite order of the names, one name differing in case.
        for (id, name) in [
            ("l1", "gamma"),
            ("l2", "Beta"),
            ("l3", "alpha"),
            ("l4", "Delta"),
        ] {
            exec(&format!(
                "INSERT INTO labels (id, organization_id, name, color, created, changed, \
                 changed_by_id, changed_by_email, changed_by_name) \
                 VALUES ('{id}', 'o', '{name}', '', '2026-01-01 00:00:00', \
                 '2026-01-02 00:00:00.5', 's', 's', 's')"
            ));
        }
        exec(
            "INSERT INTO teams (id, organization_id, name, description, created, changed, \
             changed_by_id, changed_by_email, changed_by_name) \
             VALUES ('t1', 'o', 'Blue', '', 0, 0, 's', 's', 's')",
        );
        exec(
            "INSERT INTO targets (id, organization_id, name, url, created, changed, \
             changed_by_id, changed_by_email, changed_by_name) \
             VALUES ('g1', 'o', 'Shop', 'https://shop.example', 0, 0, 's', 's', 's')",
        );
        for user in ["u1", "u2", "u3", "u4"] {
            exec(&format!(
                "INSERT INTO users (id, organization_id, email, name, created, changed, \
                 changed_by_id, changed_by_email, changed_by_name, name_key, email_key) \
                 VALUES ('{user}', 'o', '{user}@x.org', '{user}', 0, 0, 's', 's', 's', \
                 '{user}', '{user}@x.org')"
            ));
        }
        for (user, label) in [
            ("u1", "l1"),
            ("u1", "l2"),
            ("u1", "l3"),
            ("u1", "l4"),
            ("u2", "l2"),
            ("u3", "l1"),
            ("u3", "l4"),
        ] {
            exec(&format!(
                "INSERT INTO user_labels (user_id, label_id) VALUES ('{user}', '{label}')"
            ));
        }
        let (owner, admin, viewer) = (
            BuiltinRole::Owner.id(),
            BuiltinRole::Admin.id(),
            BuiltinRole::Viewer.id(),
        );
        for (id, user, role, tier, team, target, created) in [
            ("a3", "u1", owner, "account", "NULL", "NULL", "2026-01-03"),
            ("a1", "u1", viewer, "team", "'t1'", "NULL", "2026-01-05"),
            ("a2", "u1", admin, "scope", "NULL", "'g1'", "2026-01-05"),
            ("a4", "u2", viewer, "account", "NULL", "NULL", "2026-01-01"),
            ("a5", "u3", viewer, "team", "'t1'", "NULL", "2026-01-02"),
            ("a6", "u3", admin, "scope", "NULL", "'g1'", "2026-01-01"),
        ] {
            exec(&format!(
                "INSERT INTO user_roles (id, user_id, role_id, tier, team_id, target_id, \
                 created, expires) VALUES ('{id}', '{user}', '{role}', '{tier}', {team}, \
                 {target}, '{created} 00:00:00', NULL)"
            ));
        }
        let rows: Vec<UserRow> = users::table
            .order(users::id)
            .select(UserRow::as_select())
            .load(&mut conn)
            .unwrap();
        let page = with_details(&mut conn, rows.clone()).unwrap();
        let shown = |d: &UserDetail| {
            (
                d.labels
                    .iter()
                    .map(|l| format!("{} {} {}", l.id, l.name, l.changed))
                    .collect::<Vec<_>>(),
                d.roles.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>(),
            )
        };
        for (row, in_page) in rows.into_iter().zip(&page) {
            let alone = detail(&mut conn, row).unwrap();
            assert_eq!(shown(in_page), shown(&alone), "{}", alone.user.id);
        }
        let first = shown(&page[0]);
        assert_eq!(
            first.0.iter().map(|l| &l[..2]).collect::<Vec<_>>(),
            ["l3", "l2", "l4", "l1"],
            "by name without case, then id"
        );
        assert_eq!(first.1.len(), 3);
        assert!(first.1[1].contains("\"Blue\"") && first.1[2].contains("\"Shop\""));
        assert_eq!(shown(&page[3]), (vec![], vec![]), "u4 holds nothing");
    }
}
