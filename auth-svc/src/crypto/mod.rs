//! Secrets auth-svc makes and checks: signing keys and tokens, passwords, API keys, and the
//! opaque random tokens behind refresh and reset links.

pub mod api_key;
pub mod keys;
pub mod opaque;
pub mod passwords;
pub mod tokens;
