//! Opaque random tokens (refresh tokens, reset links): shown once, stored as SHA-256.

use sha2::{Digest as _, Sha256};

/// 32 random bytes as 64 hex characters.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database keeps instead of the token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
