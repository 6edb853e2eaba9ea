//! Password hashing with argon2id, on the blocking pool (it is deliberately slow).

use std::sync::OnceLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};

/// A PHC-format argon2id hash.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// True when `password` matches `phc`. With no stored hash (unknown user, invited user) a
/// dummy hash is checked anyway, so timing does not tell whether the account exists.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    let known = phc.is_some();
    tokio::task::spawn_blocking(move || {
        let phc = phc.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

/// A real hash of a random password, made once, checked when there is no user.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(&rand::random::<[u8; 16]>())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse".into(), Some(phc)).await);
        assert!(!verify("anything".into(), None).await);
    }
}
