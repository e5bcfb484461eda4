//! Password hashing (argon2id), off the async workers and with bounded
//! concurrency so a login flood cannot exhaust memory (each hash takes ~19 MiB).

use std::sync::Arc;

use argon2::password_hash::{
    PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::user::StrongPassword;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Verified against when no user matches, so that an unknown email costs
    /// the same time as a wrong password.
    dummy_hash: Arc<String>,
}

impl Hasher {
    /// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
    pub fn new(concurrency: usize) -> Self {
        Self::with_params(Params::DEFAULT, concurrency)
    }

    pub fn with_params(params: Params, concurrency: usize) -> Self {
        let dummy =
            hash_with(&params, "tessera-dummy-password-1").expect("hashing a constant works");
        Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(dummy),
        }
    }

    /// Only a password judged strong for its owner is ever hashed.
    pub async fn hash(&self, password: StrongPassword) -> Result<String> {
        let params = self.params.clone();
        self.bounded(move || hash_with(&params, password.expose()))
            .await
    }

    /// True when `password` matches `hash`; with no hash, spends the same
    /// effort on a dummy and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        let dummy = self.dummy_hash.clone();
        self.bounded(move || {
            let (stored, real) = match &hash {
                Some(h) => (h.as_str(), true),
                None => (dummy.as_str(), false),
            };
            Ok(verify_with(&password, stored) && real)
        })
        .await
    }

    /// Verifies one password against several hashes (a person with the same
    /// email in several organizations); one dummy verification when there are none.
    pub async fn verify_many(
        &self,
        password: String,
        hashes: Vec<Option<String>>,
    ) -> Result<Vec<bool>> {
        let dummy = self.dummy_hash.clone();
        self.bounded(move || {
            if hashes.is_empty() {
                verify_with(&password, &dummy);
            }
            Ok(hashes
                .iter()
                .map(|h| match h {
                    Some(h) => verify_with(&password, h),
                    None => {
                        verify_with(&password, &dummy);
                        false
                    }
                })
                .collect())
        })
        .await
    }

    async fn bounded<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        actix_web::web::block(work).await?
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Uses the parameters recorded in the hash; argon2's comparison is constant-time.
fn verify_with(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Password, PasswordOwner};

    #[actix_web::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Hasher::new(2);
        let hash = hasher
            .hash(
                Password::parse("correct-horse-1")
                    .unwrap()
                    .judge(&PasswordOwner::default())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("correct-horse-1".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong-horse-1".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("tessera-dummy-password-1".into(), None)
                .await
                .unwrap()
        );
    }
}
