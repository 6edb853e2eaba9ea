//! Site API keys: `igny8_sk_` + 40 random alphanumerics + 8 hex of CRC-32 over them.
//!
//! The checksum lets the service refuse a mistyped or made-up key without a database lookup;
//! the key itself has 238 bits of entropy, so a fast hash (SHA-256) is the right store.

use rand::distr::{Alphanumeric, SampleString as _};
use sha2::{Digest as _, Sha256};

pub const PREFIX: &str = "igny8_sk_";
const RANDOM_LEN: usize = 40;
const CHECKSUM_LEN: usize = 8;
/// How much of a key is shown in listings.
const DISPLAY_LEN: usize = PREFIX.len() + 8;

/// A freshly issued key.
pub struct NewKey {
    pub plaintext: String,
    pub display_prefix: String,
    pub hash: Vec<u8>,
}

pub fn generate() -> NewKey {
    let random = Alphanumeric.sample_string(&mut rand::rng(), RANDOM_LEN);
    let plaintext = format!("{PREFIX}{random}{:08x}", crc32fast::hash(random.as_bytes()));
    NewKey {
        display_prefix: plaintext[..DISPLAY_LEN].to_owned(),
        hash: hash(&plaintext),
        plaintext,
    }
}

/// True when `key` has the right shape and checksum.
pub fn is_well_formed(key: &str) -> bool {
    let Some(body) = key.strip_prefix(PREFIX) else {
        return false;
    };
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.is_ascii() {
        return false;
    }
    let (random, checksum) = body.split_at(RANDOM_LEN);
    random.bytes().all(|b| b.is_ascii_alphanumeric())
        && format!("{:08x}", crc32fast::hash(random.as_bytes())) == checksum
}

pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_typos_are_caught() {
        let key = generate();
        assert!(is_well_formed(&key.plaintext));
        assert!(key.plaintext.starts_with(&key.display_prefix));
        let mut typo = key.plaintext.into_bytes();
        typo[PREFIX.len() + 3] = if typo[PREFIX.len() + 3] == b'a' {
            b'b'
        } else {
            b'a'
        };
        assert!(!is_well_formed(std::str::from_utf8(&typo).unwrap()));
        assert!(!is_well_formed("igny8_sk_short"));
        assert!(!is_well_formed(
            "sk_live_0000000000000000000000000000000000000000"
        ));
    }
}
