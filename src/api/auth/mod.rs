//! `/auth/`: obtaining tokens and their lifecycle.

pub mod introspect;
pub mod lifecycle;
pub mod obtain;
pub mod password_reset;

pub use obtain::{ObtainTokenRequest, Token, obtain_token};
