//! Tools for developing and measuring Tessera, run from the command line
//! only: no request reaches this module, and nothing in the service layer
//! calls it. They write straight to the tables, on purpose: `seed` fills an
//! organization with 100,000 people in seconds, which the service layer's
//! one-user-at-a-time rules and audit trail would turn into hours. They
//! record no audit events and must never run against production data.

pub mod seed;
