//! The password rule of every interface: a new password is judged for its
//! owner (zxcvbn, knowing the owner's email and name) before it is hashed,
//! both off the async workers. Users created or edited by an admin,
//! invitations, password resets and the caller's own change all come here.

use crate::auth::Caller;
use crate::auth::password::Hasher;
use crate::db::models::UserRow;
use crate::db::{DbConnection, users};
use crate::domain::PublicId;
use crate::domain::user::{Password, PasswordOwner, StrongPassword};
use crate::error::Result;

/// A stored user as the owner of a password.
pub fn owner_of(user: &UserRow) -> PasswordOwner {
    PasswordOwner::default().email(&user.email).name(&user.name)
}

/// The owner of the password an admin sets for the user `id`: that user as
/// stored (the same body may rename it too: add that as well). Nobody when
/// there is no such user in the caller's organization, whose write is about
/// to be a 404.
pub fn stored_owner(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    is_apiuser: bool,
) -> Result<PasswordOwner> {
    let Some(id) = PublicId::parse(id) else {
        return Ok(PasswordOwner::default());
    };
    Ok(
        users::find_visible(conn, caller.organization_id(), id.as_str(), is_apiuser)?
            .map(|user| owner_of(&user))
            .unwrap_or_default(),
    )
}

/// Judges `password` for `owner`. `Ok(Err(message))`: too weak, with the
/// message for the `password` field.
pub async fn judge(
    password: Password,
    owner: PasswordOwner,
) -> Result<std::result::Result<StrongPassword, String>> {
    // Milliseconds of CPU on a long password: not on an async worker.
    Ok(actix_web::web::block(move || password.judge(&owner)).await?)
}

/// [`judge`], then hashes a strong password (nothing is hashed otherwise).
pub async fn judge_and_hash(
    hasher: &Hasher,
    password: Password,
    owner: PasswordOwner,
) -> Result<std::result::Result<String, String>> {
    match judge(password, owner).await? {
        Ok(strong) => Ok(Ok(hasher.hash(strong).await?)),
        Err(message) => Ok(Err(message)),
    }
}
