//! Tessera: a self-hostable user and access-management service.
//!
//! `api` (HTTP handlers) → `service` (every write, every rule) → `db`
//! (queries); `domain` holds the types and pure rules all of them share;
//! `auth` authenticates callers and holds the permission check; `mcp` serves
//! the same users to MCP clients through the same services; `dev` holds
//! command-line development tools (seeding) that no request reaches.

pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod crypto;
pub mod db;
pub mod dev;
pub mod domain;
pub mod encryption_key;
pub mod error;
pub mod heartbeat;
pub mod mail;
pub mod mcp;
pub mod observability;
pub mod openapi;
pub mod outbox;
pub mod scheduler;
pub mod scim;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
