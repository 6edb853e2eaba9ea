//! Ed25519 signing keys: loading, generating, and their published (JWK) form.

use std::path::Path;

use anyhow::Context as _;
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _},
};
use igny8_platform::token::PublicKey;
use jsonwebtoken::EncodingKey;
use sha2::{Digest as _, Sha256};

/// A key that signs tokens, with the id tokens name it by.
pub struct SigningKeyPair {
    pub kid: String,
    pub encoding: EncodingKey,
    pub public: PublicKey,
}

impl SigningKeyPair {
    /// Loads a PKCS#8 PEM file; `setting` names the configuration entry in errors.
    pub fn load(path: &Path, setting: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path).with_context(|| {
            format!(
                "{setting}: cannot read {} (run ./dev up to create it)",
                path.display()
            )
        })?;
        Self::from_pem(&pem).with_context(|| {
            format!(
                "{setting}: {} is not an Ed25519 PKCS#8 PEM key",
                path.display()
            )
        })
    }

    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        let signing = SigningKey::from_pkcs8_pem(pem)?;
        let public_bytes = signing.verifying_key().to_bytes();
        // The key id is derived from the public key, so every replica agrees on it.
        let kid = hex::encode(&Sha256::digest(public_bytes)[..8]);
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes())?;
        Ok(Self {
            public: PublicKey::from_bytes(&kid, &public_bytes),
            kid,
            encoding,
        })
    }
}

/// A new private key as PKCS#8 PEM.
pub fn generate_pem() -> anyhow::Result<String> {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    Ok(key.to_pkcs8_pem(Default::default())?.to_string())
}

/// Writes a new key to `path` (mode 600), refusing to replace one unless `force`.
pub fn write_new_key(path: &Path, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        force || !path.exists(),
        "{} exists; pass --force to replace it",
        path.display()
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, generate_pem()?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_load_with_a_stable_kid() {
        let pem = generate_pem().unwrap();
        let a = SigningKeyPair::from_pem(&pem).unwrap();
        let b = SigningKeyPair::from_pem(&pem).unwrap();
        assert_eq!(a.kid, b.kid);
        assert_eq!(a.kid.len(), 16);
        assert_ne!(
            SigningKeyPair::from_pem(&generate_pem().unwrap())
                .unwrap()
                .kid,
            a.kid
        );
    }
}
