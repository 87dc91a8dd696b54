//! Clerk session-token verification, pure (docs/spec.md §6): the rules
//! ([`ClaimRules`]), what a verified session yields ([`Session`],
//! [`UserId`]) and the whole pipeline.
//!
//! The order is fixed, and the types enforce it: size → parse → `alg` RS256
//! → no `crit` → `typ` → `cat` ([`ParsedToken::parse`]) → key by `kid` →
//! **signature** ([`ParsedToken::verify_signature`], the only way to a
//! [`VerifiedToken`](super::token::VerifiedToken)) → only then the claims
//! ([`claims::check`](super::claims::check)).

use super::claims;
use super::jwks::{KeySet, RsaPublicKey};
use super::token::{ParsedToken, SignatureVerifier};
use super::AuthError;
use crate::time::UtcTime;

/// The claim rules, as data. `Default` is docs/spec.md §6's default configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Expected `iss` (`CLERK_ISSUER`). `None` (default): not checked — the
    /// README tells operators to set it.
    pub issuer: Option<String>,
    /// Allowed `azp` origins (`CLERK_AUTHORIZED_PARTIES`). `None` (default):
    /// not checked; `Some`: `azp` must be present and equal one exactly.
    pub authorized_parties: Option<Vec<String>>,
    /// Leeway for `exp`, `nbf` and `iat` (`CLERK_CLOCK_SKEW_SECONDS`, default 5).
    pub leeway_seconds: u32,
}

impl Default for ClaimRules {
    fn default() -> Self {
        Self {
            issuer: None,
            authorized_parties: None,
            leeway_seconds: 5,
        }
    }
}

/// A Clerk user id: `[A-Za-z0-9_-]{1,128}`, safe as an object-key segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// # Errors
    /// [`AuthError::InvalidSubject`].
    pub fn new(sub: &str) -> Result<Self, AuthError> {
        let ok = (1..=128).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(sub.to_owned()))
        } else {
            Err(AuthError::InvalidSubject)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// The token's `exp`.
    pub expires_at: UtcTime,
}

/// Full verification of `token` against `keys` at `now`.
///
/// # Errors
/// Every [`AuthError`] but the extraction and availability ones.
pub async fn verify_token<V: SignatureVerifier>(
    token: &str,
    keys: &KeySet,
    verifier: &V,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    let parsed = ParsedToken::parse(token)?;
    let key = keys.find(parsed.kid()).ok_or(AuthError::UnknownKey)?;
    verify_parsed(parsed, key, verifier, rules, now).await
}

/// Signature, then claims, for an already parsed token and its key.
///
/// # Errors
/// [`AuthError::BadSignature`] or a claim error.
pub async fn verify_parsed<V: SignatureVerifier>(
    parsed: ParsedToken<'_>,
    key: &RsaPublicKey,
    verifier: &V,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    let trusted = parsed.verify_signature(key, verifier).await?;
    claims::check(&trusted, rules, now)
}
