//! `/auth/`: obtaining tokens.

pub mod obtain;

pub use obtain::{ObtainTokenRequest, Token, obtain_token};
