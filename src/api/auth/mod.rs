//! `/auth/`: obtaining tokens and their lifecycle.

pub mod lifecycle;
pub mod obtain;

pub use obtain::{ObtainTokenRequest, Token, obtain_token};
