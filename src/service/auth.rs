//! Logging in: one answer for every failure, whether or not the email exists.

use crate::db::models::UserRow;
use crate::db::users;
use crate::domain::{PublicId, time};
use crate::error::{Error, Result};
use crate::state::AppState;

pub const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";
pub const ORGANIZATION_NEEDED: &str =
    "This email belongs to several organizations: send the id of the one to log in to.";

pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub organization: Option<String>,
}

/// Checks the credentials and issues a token. An unknown email costs one
/// dummy argon2 verification, like a wrong password.
pub async fn obtain_token(state: &AppState, input: LoginInput) -> Result<String> {
    let email = input.email.clone();
    let candidates: Vec<UserRow> = state
        .db
        .read(move |conn| Ok(users::find_people_by_email(conn, &email)?))
        .await?;
    let hashes = candidates.iter().map(|u| u.password_hash.clone()).collect();
    let verified = state.hasher.verify_many(input.password, hashes).await?;
    let wanted_org = input.organization.as_deref().and_then(PublicId::parse);
    if input.organization.is_some() && wanted_org.is_none() {
        return Err(Error::non_field(BAD_CREDENTIALS));
    }
    let mut matches: Vec<UserRow> = candidates
        .into_iter()
        .zip(verified)
        .filter(|(user, ok)| *ok && user.active)
        .map(|(user, _)| user)
        .filter(|user| {
            wanted_org
                .as_ref()
                .is_none_or(|org| org.as_str() == user.organization_id)
        })
        .collect();
    let user = match matches.len() {
        0 => return Err(Error::non_field(BAD_CREDENTIALS)),
        1 => matches.remove(0),
        _ => return Err(Error::field("organization", ORGANIZATION_NEEDED)),
    };
    let id = user.id.clone();
    state
        .db
        .write(move |conn| Ok(users::record_login(conn, &id, time::now())?))
        .await?;
    Ok(state.tokens.issue(&user))
}
