//! What auth-svc does, one module per aggregate; each validates, authorises and runs its SQL.

pub mod account;
pub mod api_keys;
pub mod common;
pub mod platform;
pub mod sectors;
pub mod sessions;
pub mod sites;
pub mod users;
pub mod views;
