//! Authentication of Clerk session tokens (docs/spec.md §6).
//!
//! - [`extract`]: which token the request presents
//! - [`jwks`]: the accepted verification keys (JWKS or PEM)
//! - [`token`]: structure, header and signature, behind a verifier trait
//! - [`claims`]: the claim rules, on a verified token only
//! - [`verify`]: the rules as data, the session, the whole pipeline (pure)
//! - [`jwks_refresh`]: when the JWKS is used, fetched or given up on, pure
//! - [`verified_tokens`]: tokens already verified in this isolate
//! - wasm only: `jwks_store` (the JWKS in memory + KV, and its fetch),
//!   `webcrypto` (the verifier), `edge` (the whole step for one request)

pub mod claims;
#[cfg(target_arch = "wasm32")]
mod edge;
pub mod extract;
pub mod jwks;
pub mod jwks_refresh;
#[cfg(target_arch = "wasm32")]
mod jwks_store;
pub mod token;
pub mod verified_tokens;
pub mod verify;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(target_arch = "wasm32")]
pub use edge::authenticate;

use crate::error::AppError;

/// Every reason a request is not authenticated. [`AuthError::reason`] is
/// what the log line says; clients only ever see docs/spec.md's 401 (or 503).
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
    /// Not three base64url parts, header or claims not JSON objects, a
    /// member of the wrong type or repeated, a lone surrogate.
    Malformed,
    /// `alg` is not RS256 (`none`, `HS256`, …).
    UnsupportedAlgorithm,
    /// A `crit` header: we understand no extensions.
    CriticalHeader,
    /// A `typ` header other than `JWT`: e.g. an OAuth access token
    /// (`at+jwt`, `application/at+jwt`).
    WrongTokenType,
    /// A `cat` header other than a session's: e.g. an M2M or JWT-template token.
    WrongTokenCategory,
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
    /// A machine `sub` (`mch_…`): an M2M token, not a user's session.
    MachineToken,
    /// No non-empty string `sid`: not a session token.
    MissingSessionId,
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
            Self::WrongTokenType => "wrong_token_type",
            Self::WrongTokenCategory => "wrong_token_category",
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
            Self::MachineToken => "machine_token",
            Self::MissingSessionId => "missing_sid",
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
