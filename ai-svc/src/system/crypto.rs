//! Seals the provider keys accounts store: AES-256-GCM with a random nonce per key, the
//! nonce prepended to the ciphertext, and associated data binding the blob to its owner (so a
//! ciphertext copied to another account's row does not decrypt).

use std::path::Path;

use aes_gcm::{
    Aes256Gcm, Key, KeyInit,
    aead::{Aead, Generate, Nonce, Payload},
};
use anyhow::{Context as _, anyhow, ensure};
use base64::Engine as _;

/// Bytes of the nonce at the start of every blob.
const NONCE_LEN: usize = 12;

pub struct KeyCipher {
    cipher: Aes256Gcm,
}

impl KeyCipher {
    /// Reads the key from `path` (32 bytes, base64), naming `setting` when it cannot.
    pub fn from_file(path: &Path, setting: &str) -> anyhow::Result<Self> {
        let raw = std::fs::read_to_string(path).with_context(|| {
            format!(
                "{setting}: cannot read {} (run ./dev up to create local secrets)",
                path.display()
            )
        })?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|_| anyhow!("{setting}: {} is not base64", path.display()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            anyhow!(
                "{setting}: {} holds {} bytes, 32 are needed",
                path.display(),
                bytes.len()
            )
        })?;
        Ok(Self::from_bytes(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> Self {
        let key: Key<Aes256Gcm> = key.into();
        Self {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// `nonce || ciphertext+tag` of `plaintext`, bound to `aad`.
    pub fn encrypt(&self, plaintext: &str, aad: &[u8]) -> Vec<u8> {
        let nonce = Nonce::<Aes256Gcm>::generate();
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            // Only inputs beyond GCM's 64 GiB limit fail; keys are at most a few hundred bytes.
            .expect("AES-GCM encrypts short inputs");
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(nonce.as_slice());
        blob.extend_from_slice(&sealed);
        blob
    }

    /// Opens a blob of `encrypt`; fails when it was sealed with another key or `aad`, or was
    /// altered.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> anyhow::Result<String> {
        ensure!(blob.len() > NONCE_LEN, "the sealed key is too short");
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| anyhow!("bad nonce"))?;
        let plain = self
            .cipher
            .decrypt(&nonce, Payload { msg: sealed, aad })
            .map_err(|_| anyhow!("the sealed key does not open with this key and owner"))?;
        String::from_utf8(plain).context("the sealed key is not UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> KeyCipher {
        KeyCipher::from_bytes(rand::random())
    }

    #[test]
    fn a_sealed_key_opens_with_the_same_owner() {
        let cipher = cipher();
        let blob = cipher.encrypt("sk-secret-1234", b"account-a");
        assert_eq!(
            cipher.decrypt(&blob, b"account-a").unwrap(),
            "sk-secret-1234"
        );
        assert!(!blob.windows(6).any(|w| w == b"secret"), "plaintext leaked");
    }

    #[test]
    fn the_same_key_seals_differently_each_time() {
        let cipher = cipher();
        assert_ne!(cipher.encrypt("k", b"a"), cipher.encrypt("k", b"a"));
    }

    #[test]
    fn another_owner_another_key_or_a_changed_byte_does_not_open() {
        let cipher = cipher();
        let blob = cipher.encrypt("sk-secret", b"account-a");
        assert!(cipher.decrypt(&blob, b"account-b").is_err());
        assert!(self::cipher().decrypt(&blob, b"account-a").is_err());
        let mut altered = blob.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(cipher.decrypt(&altered, b"account-a").is_err());
        assert!(cipher.decrypt(&blob[..NONCE_LEN], b"account-a").is_err());
    }

    #[test]
    fn the_key_file_holds_32_bytes_of_base64() {
        let dir = std::env::temp_dir().join(format!("igny8-cipher-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        let key: [u8; 32] = rand::random();
        let encoded = base64::engine::general_purpose::STANDARD.encode(key);
        std::fs::write(&good, format!("{encoded}\n")).unwrap();
        let from_file = KeyCipher::from_file(&good, "AI_SETTINGS_KEY_FILE").unwrap();
        let blob = KeyCipher::from_bytes(key).encrypt("sk-x", b"a");
        assert_eq!(from_file.decrypt(&blob, b"a").unwrap(), "sk-x");

        let short = dir.join("short");
        std::fs::write(
            &short,
            base64::engine::general_purpose::STANDARD.encode([1u8; 16]),
        )
        .unwrap();
        let not_base64 = dir.join("text");
        std::fs::write(&not_base64, "not base64 at all!").unwrap();
        for path in [short, not_base64, dir.join("missing")] {
            let err = KeyCipher::from_file(&path, "AI_SETTINGS_KEY_FILE")
                .err()
                .expect("a bad key file is refused");
            assert!(err.to_string().contains("AI_SETTINGS_KEY_FILE"), "{err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
