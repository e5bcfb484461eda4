//! What every request handler can reach.

use crate::auth::password::Hasher;
use crate::auth::throttle::LoginThrottle;
use crate::auth::token::TokenKeys;
use crate::db::Db;

pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub hasher: Hasher,
    pub login_throttle: LoginThrottle,
}
