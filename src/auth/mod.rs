//! Authentication of Clerk session tokens (SPEC §6).
//!
//! - [`extract`]: which token the request presents
//! - [`jwks`]: the accepted verification keys (JWKS or PEM)
//! - [`verify`]: RS256 + claim rules, pure, behind a signature-verifier trait
//! - [`cache_policy`]: when the JWKS is used, fetched or given up on, pure
//! - wasm only: `cache` (memory + KV + fetch), `webcrypto` (the verifier),
//!   `edge` (the whole step for one request)

#[cfg(target_arch = "wasm32")]
mod cache;
pub mod cache_policy;
#[cfg(target_arch = "wasm32")]
mod edge;
pub mod extract;
pub mod jwks;
pub mod token_cache;
pub mod verify;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(target_arch = "wasm32")]
pub use edge::authenticate;

use crate::error::AppError;

/// Every reason a request is not authenticated. [`AuthError::reason`] is
/// what the log line says; clients only ever see SPEC's 401 (or 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header and no (non-empty) `__session` cookie.
    MissingToken,
    /// Another scheme, an empty bearer, or more than one token.
    /// `bearer_sent`: a non-empty credential was presented.
    MalformedAuthorization {
        bearer_sent: bool,
    },
    /// Over 8 KiB: refused unparsed.
    TokenTooLarge,
    /// Not three base64url parts, header or claims not JSON objects, or a
    /// claim of the wrong type.
    Malformed,
    /// `alg` is not RS256 (`none`, `HS256`, …).
    UnsupportedAlgorithm,
    /// A `crit` header: we understand no extensions.
    CriticalHeader,
    /// No usable key has the token's `kid`.
    UnknownKey,
    BadSignature,
    MissingExpiry,
    Expired,
    NotYetValid,
    IssuedInFuture,
    WrongIssuer,
    MissingAuthorizedParty,
    WrongAuthorizedParty,
    PendingSession,
    MissingSubject,
    InvalidSubject,
    /// No verification key can be obtained (issuer unreachable, nothing cached).
    KeysUnavailable,
}

impl AuthError {
    /// A stable reason code for logs.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::MalformedAuthorization { .. } => "malformed_authorization",
            Self::TokenTooLarge => "token_too_large",
            Self::Malformed => "malformed_token",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::CriticalHeader => "critical_header",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::MissingExpiry => "missing_exp",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::WrongIssuer => "wrong_issuer",
            Self::MissingAuthorizedParty => "missing_azp",
            Self::WrongAuthorizedParty => "wrong_azp",
            Self::PendingSession => "pending_session",
            Self::MissingSubject => "missing_sub",
            Self::InvalidSubject => "invalid_sub",
            Self::KeysUnavailable => "keys_unavailable",
        }
    }

    /// The client-facing error. `token_presented`: a token was extracted
    /// (so the challenge says `error="invalid_token"`).
    pub const fn to_app_error(self, token_presented: bool) -> AppError {
        match self {
            Self::KeysUnavailable => AppError::AuthUnavailable {
                retry_after_secs: 30,
            },
            Self::MissingToken => AppError::Unauthorized { token_sent: false },
            Self::MalformedAuthorization { bearer_sent } => AppError::Unauthorized {
                token_sent: bearer_sent,
            },
            _ => AppError::Unauthorized {
                token_sent: token_presented,
            },
        }
    }
}
