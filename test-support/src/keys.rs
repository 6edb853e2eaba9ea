//! Key material for tests: an Ed25519 signing key and a service secret in a temp folder.

use std::path::PathBuf;

use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey as _};

/// Files a test's auth-svc reads; the folder is removed on drop.
pub struct TestKeys {
    dir: PathBuf,
    pub private_key_file: PathBuf,
    pub service_secret_file: PathBuf,
    pub service_secret: String,
}

impl TestKeys {
    pub fn create() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("igny8-test-{}", crate::unique_tag()));
        std::fs::create_dir_all(&dir)?;
        let private_key_file = dir.join("jwt_ed25519.pem");
        std::fs::write(&private_key_file, new_private_key_pem()?)?;
        let service_secret = hex::encode(rand::random::<[u8; 32]>());
        let service_secret_file = dir.join("service_secret");
        std::fs::write(&service_secret_file, &service_secret)?;
        Ok(Self {
            dir,
            private_key_file,
            service_secret_file,
            service_secret,
        })
    }

    /// Writes another private key beside the first (for rotation and wrong-key tests).
    pub fn another_key_file(&self, name: &str) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, new_private_key_pem()?)?;
        Ok(path)
    }
}

impl Drop for TestKeys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh PKCS#8 PEM Ed25519 private key.
pub fn new_private_key_pem() -> anyhow::Result<String> {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    Ok(key.to_pkcs8_pem(Default::default())?.to_string())
}
