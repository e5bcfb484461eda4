//! Single sign-on connections, their domains, the sign-ins under way and
//! the one-time codes the frontend exchanges.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{sso_assertions, sso_codes, sso_connections, sso_domains, sso_logins};

/// A connection as stored. `settings` is the protocol's JSON object;
/// `secret` (the OIDC client secret, or the SAML service provider's private
/// key) is sealed (`crypto`), opened only to
/// talk to the provider, never serialized and never logged (no `Debug`).
#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = sso_connections)]
pub struct ConnectionRow {
    pub id: String,
    pub organization_id: String,
    pub protocol: String,
    pub name: String,
    pub enforcement: String,
    pub jit: bool,
    pub default_role: String,
    pub group_mapping: String,
    pub active: bool,
    pub redirect_uri: String,
    pub settings: String,
    pub secret: Option<String>,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = sso_connections)]
pub struct ConnectionChanges {
    pub name: Option<String>,
    pub enforcement: Option<String>,
    pub jit: Option<bool>,
    pub default_role: Option<String>,
    pub group_mapping: Option<String>,
    pub active: Option<bool>,
    pub redirect_uri: Option<String>,
    pub settings: Option<String>,
    pub secret: Option<Option<String>>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &ConnectionRow) -> QueryResult<()> {
    diesel::insert_into(sso_connections::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &ConnectionChanges) -> QueryResult<()> {
    diesel::update(sso_connections::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(sso_connections::table.find(id))
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ConnectionRow>> {
    sso_connections::table
        .find(id)
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<ConnectionRow>> {
    sso_connections::table
        .filter(sso_connections::id.eq(id))
        .filter(sso_connections::organization_id.eq(organization_id))
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConnection, organization_id: &str) -> QueryResult<i64> {
    sso_connections::table
        .filter(sso_connections::organization_id.eq(organization_id))
        .count()
        .get_result(conn)
}

pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<ConnectionRow>> {
    sso_connections::table
        .filter(sso_connections::organization_id.eq(organization_id))
        .order((sso_connections::created.asc(), sso_connections::id.asc()))
        .select(ConnectionRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)
}

/// Whether any organization has an active connection (the console's
/// sign-in page then offers single sign-on).
pub fn any_active(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sso_connections::table.filter(sso_connections::active.eq(true)),
    ))
    .get_result(conn)
}

/// The connection answering for `domain`, whatever its organization.
pub fn by_domain(conn: &mut DbConnection, domain: &str) -> QueryResult<Option<ConnectionRow>> {
    sso_domains::table
        .inner_join(sso_connections::table)
        .filter(sso_domains::domain.eq(domain))
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()
}

/// The domains of connections, by connection id, sorted.
pub fn domains_of(
    conn: &mut DbConnection,
    connection_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    sso_domains::table
        .filter(sso_domains::connection_id.eq_any(connection_ids))
        .order((sso_domains::connection_id, sso_domains::domain))
        .select((sso_domains::connection_id, sso_domains::domain))
        .load(conn)
}

/// Which of `domains` another connection than `connection_id` answers for.
pub fn domains_taken(
    conn: &mut DbConnection,
    connection_id: &str,
    domains: &[String],
) -> QueryResult<Vec<String>> {
    sso_domains::table
        .filter(sso_domains::domain.eq_any(domains))
        .filter(sso_domains::connection_id.ne(connection_id))
        .select(sso_domains::domain)
        .load(conn)
}

/// Replaces the domains of a connection.
pub fn set_domains(
    conn: &mut DbConnection,
    connection_id: &str,
    domains: &[String],
) -> QueryResult<()> {
    diesel::delete(sso_domains::table.filter(sso_domains::connection_id.eq(connection_id)))
        .execute(conn)?;
    for domain in domains {
        diesel::insert_into(sso_domains::table)
            .values((
                sso_domains::domain.eq(domain),
                sso_domains::connection_id.eq(connection_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A sign-in under way (see the migrations). `nonce` is the sealed value
/// the answer must echo (the OIDC nonce, or the SAML AuthnRequest's ID);
/// `pkce_verifier` the sealed PKCE verifier (OIDC only).
#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = sso_logins)]
pub struct LoginRow {
    pub state_hash: String,
    pub connection_id: String,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
    pub expires: NaiveDateTime,
}

pub fn insert_login(conn: &mut DbConnection, row: &LoginRow) -> QueryResult<()> {
    diesel::insert_into(sso_logins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Takes the sign-in of `state_hash` out: whoever deletes it uses it, once.
pub fn take_login(conn: &mut DbConnection, state_hash: &str) -> QueryResult<Option<LoginRow>> {
    let row = sso_logins::table
        .find(state_hash)
        .select(LoginRow::as_select())
        .first(conn)
        .optional()?;
    if row.is_some() {
        let deleted = diesel::delete(sso_logins::table.find(state_hash)).execute(conn)?;
        if deleted == 0 {
            return Ok(None);
        }
    }
    Ok(row)
}

/// Forgets sign-ins and codes that expired unused, and used SAML
/// assertions that could no longer be accepted anyway.
/// How many sign-ins of `connection_id` are under way (pruned first).
pub fn pending_logins(conn: &mut DbConnection, connection_id: &str) -> QueryResult<i64> {
    sso_logins::table
        .filter(sso_logins::connection_id.eq(connection_id))
        .count()
        .get_result(conn)
}

pub fn prune_logins(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(sso_logins::table.filter(sso_logins::expires.lt(now))).execute(conn)?;
    diesel::delete(sso_assertions::table.filter(sso_assertions::expires.lt(now))).execute(conn)?;
    diesel::delete(sso_codes::table.filter(sso_codes::expires.lt(now)))
        .execute(conn)
        .map(drop)
}

pub fn insert_code(
    conn: &mut DbConnection,
    code_hash: &str,
    user_id: &str,
    browser_hash: Option<&str>,
    expires: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sso_codes::table)
        .values((
            sso_codes::code_hash.eq(code_hash),
            sso_codes::user_id.eq(user_id),
            sso_codes::browser_hash.eq(browser_hash),
            sso_codes::expires.eq(expires),
        ))
        .execute(conn)
        .map(drop)
}

/// A one-time code, as taken.
#[derive(Queryable)]
pub struct TakenCode {
    pub user_id: String,
    /// The hash of the binding of the browser that started the sign-in
    /// (none for an IdP-initiated one).
    pub browser_hash: Option<String>,
    pub expires: NaiveDateTime,
}

/// Takes a one-time code: reads and deletes it, so it works once even
/// when two requests race for it.
pub fn take_code(conn: &mut DbConnection, code_hash: &str) -> QueryResult<Option<TakenCode>> {
    let row: Option<TakenCode> = sso_codes::table
        .find(code_hash)
        .select((
            sso_codes::user_id,
            sso_codes::browser_hash,
            sso_codes::expires,
        ))
        .first(conn)
        .optional()?;
    if row.is_some() && diesel::delete(sso_codes::table.find(code_hash)).execute(conn)? == 0 {
        return Ok(None);
    }
    Ok(row)
}

/// The person of an organization whose external id (the provider's
/// subject, or SCIM's `externalId`) is `external_id`.
pub fn person_by_external_id(
    conn: &mut DbConnection,
    organization_id: &str,
    external_id: &str,
) -> QueryResult<Option<super::models::UserRow>> {
    use super::schema::users;
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::external_id.eq(external_id))
        .filter(users::is_apiuser.eq(false))
        .filter(users::is_system.eq(false))
        .select(super::models::UserRow::as_select())
        .first(conn)
        .optional()
}

/// Records a SAML assertion as used. `false` when it already was (a
/// replay): the primary key decides, so two replicas racing with the same
/// assertion cannot both use it.
pub fn use_assertion(
    conn: &mut DbConnection,
    id_hash: &str,
    connection_id: &str,
    expires: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted =
        super::direct::on_backend!(conn, |c| diesel::insert_into(sso_assertions::table)
            .values((
                sso_assertions::id_hash.eq(id_hash),
                sso_assertions::connection_id.eq(connection_id),
                sso_assertions::expires.eq(expires),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    Ok(inserted == 1)
}
