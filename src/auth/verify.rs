//! Clerk session-token verification, pure (SPEC §6).
//!
//! The order is fixed: size → parse → `alg` must be RS256 (hard-wired, the
//! token never chooses) → no `crit` → key by `kid` → **signature** → only then
//! the claims (`exp`, `nbf`, `iat`, `iss`, `azp`, `sts`, `sub`). The RSA check
//! itself sits behind [`SignatureVerifier`]: WebCrypto at the edge, a
//! pure-Rust implementation in the native tests.

use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::{Claims, TimeOptions, UntrustedToken, ValidationError};
use serde::Deserialize;

use super::jwks::{KeySet, RsaPublicKey};
use super::AuthError;
use crate::time::UtcTime;

/// Tokens longer than this are refused before any parsing (SPEC §6).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "RS256";

/// The claim rules, as data. `Default` is the SPEC's default configuration.
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

/// Checks RSASSA-PKCS1-v1_5 / SHA-256 signatures.
#[allow(async_fn_in_trait)] // wasm is single-threaded: no Send bound wanted
pub trait SignatureVerifier {
    /// `true` iff `signature` is a valid RS256 signature of `message` by `key`.
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// Extra header fields we must look at; jwt-compact handles the rest.
#[derive(Debug, Deserialize)]
struct ExtraHeader {
    /// Critical extensions (RFC 7515 §4.1.11): we implement none, so any
    /// `crit` makes the token unacceptable.
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// The Clerk claims beyond the registered time claims, kept loose so that
/// "missing" and "wrong type" are told apart.
#[derive(Debug, Deserialize)]
struct ClerkClaims {
    #[serde(default)]
    sub: Option<serde_json::Value>,
    #[serde(default)]
    iss: Option<serde_json::Value>,
    #[serde(default)]
    azp: Option<serde_json::Value>,
    #[serde(default)]
    sts: Option<serde_json::Value>,
}

/// A token that parsed and names RS256, not yet trusted.
#[derive(Debug)]
pub struct ParsedToken<'a> {
    token: &'a str,
    inner: UntrustedToken<'a, ExtraHeader>,
}

impl ParsedToken<'_> {
    /// The `kid` header.
    pub fn kid(&self) -> Option<&str> {
        self.inner.header().key_id.as_deref()
    }
}

/// Size, structure, `alg` and `crit` checks.
///
/// # Errors
/// [`AuthError::TokenTooLarge`], [`AuthError::Malformed`],
/// [`AuthError::UnsupportedAlgorithm`], [`AuthError::CriticalHeader`].
pub fn parse_token(token: &str) -> Result<ParsedToken<'_>, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TokenTooLarge);
    }
    let inner: UntrustedToken<'_, ExtraHeader> =
        UntrustedToken::try_from(token).map_err(|_| AuthError::Malformed)?;
    if inner.algorithm() != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm);
    }
    if inner.header().other_fields.crit.is_some() {
        return Err(AuthError::CriticalHeader);
    }
    Ok(ParsedToken { token, inner })
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
    let parsed = parse_token(token)?;
    let key = keys.find(parsed.kid()).ok_or(AuthError::UnknownKey)?;
    verify_parsed(&parsed, key, verifier, rules, now).await
}

/// Signature, then claims, for an already parsed token and its key.
///
/// # Errors
/// [`AuthError::BadSignature`] or a claim error.
pub async fn verify_parsed<V: SignatureVerifier>(
    parsed: &ParsedToken<'_>,
    key: &RsaPublicKey,
    verifier: &V,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    // The signed input is the token up to its last '.'; parsing guaranteed it.
    let signed = parsed
        .token
        .rsplit_once('.')
        .map_or(parsed.token, |(head, _)| head);
    if !verifier
        .verify_rs256(key, signed.as_bytes(), parsed.inner.signature_bytes())
        .await
    {
        return Err(AuthError::BadSignature);
    }
    let claims: Claims<ClerkClaims> = parsed
        .inner
        .deserialize_claims_unchecked()
        .map_err(|_| AuthError::Malformed)?;
    check_claims(&claims, rules, now)
}

fn check_claims(
    claims: &Claims<ClerkClaims>,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    let now_dt = to_datetime(now);
    let leeway = TimeDelta::seconds(i64::from(rules.leeway_seconds));
    let time = TimeOptions::new(leeway, move || now_dt);

    claims.validate_expiration(&time).map_err(|e| match e {
        ValidationError::NoClaim(_) => AuthError::MissingExpiry,
        _ => AuthError::Expired,
    })?;
    if claims.not_before.is_some() {
        claims
            .validate_maturity(&time)
            .map_err(|_| AuthError::NotYetValid)?;
    }
    if let Some(iat) = claims.issued_at {
        if iat > now_dt + leeway {
            return Err(AuthError::IssuedInFuture);
        }
    }

    let c = &claims.custom;
    if let Some(expected) = &rules.issuer {
        match c.iss.as_ref().and_then(serde_json::Value::as_str) {
            Some(iss) if iss == expected => {}
            _ => return Err(AuthError::WrongIssuer),
        }
    }
    if let Some(parties) = &rules.authorized_parties {
        let azp = c
            .azp
            .as_ref()
            .ok_or(AuthError::MissingAuthorizedParty)?
            .as_str()
            .ok_or(AuthError::WrongAuthorizedParty)?;
        if !parties.iter().any(|p| p == azp) {
            return Err(AuthError::WrongAuthorizedParty);
        }
    }
    if c.sts.as_ref().and_then(serde_json::Value::as_str) == Some("pending") {
        return Err(AuthError::PendingSession);
    }
    let sub = c
        .sub
        .as_ref()
        .ok_or(AuthError::MissingSubject)?
        .as_str()
        .ok_or(AuthError::InvalidSubject)?;
    let expires_at = claims
        .expiration
        .and_then(|exp| u64::try_from(exp.timestamp()).ok())
        .map(UtcTime::from_unix_seconds)
        .ok_or(AuthError::MissingExpiry)?;
    Ok(Session {
        user_id: UserId::new(sub)?,
        expires_at,
    })
}

fn to_datetime(t: UtcTime) -> DateTime<Utc> {
    i64::try_from(t.unix_seconds())
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
