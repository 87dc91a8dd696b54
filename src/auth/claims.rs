//! The claim checks of a verified token (docs/spec.md §6), in order:
//! `exp` / `nbf` (jwt-compact's `TimeOptions` with the injected clock and
//! the leeway) and `iat` → `iss` → a machine `sub` → `sid` → `azp` → `sts` →
//! the `sub` format.
//!
//! Dates are jwt-compact's NumericDates: whole seconds (a fraction is
//! dropped); `null`, another type or a date outside chrono's range (about
//! ±262,000 years) is malformed. A far-future `exp` is valid; the verified
//! token cache keeps an entry for a bounded time whatever it says.

use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::{Claims, TimeOptions, ValidationError};
use serde::Deserialize;
use serde_json::Value;

use super::token::VerifiedToken;
use super::verify::{ClaimRules, Session, UserId};
use super::AuthError;
use crate::time::UtcTime;

/// The `sub` prefix of Clerk machine (M2M) identities.
pub const MACHINE_SUBJECT_PREFIX: &str = "mch_";

/// The claims looked at besides the dates; every other claim (`v`, `o`,
/// `fva`, `pla`, `fea`, `org_*`, `act`, …) is read past. `null` counts as
/// absent; another type than a string is malformed, but for `sid`, which a
/// session must carry as a non-empty string.
#[derive(Debug, Deserialize)]
struct SessionClaims {
    iss: Option<String>,
    azp: Option<String>,
    sub: Option<String>,
    sts: Option<String>,
    sid: Option<Value>,
}

/// `now` as chrono's date; a clock past chrono's range saturates.
fn chrono_time(now: UtcTime) -> DateTime<Utc> {
    i64::try_from(now.unix_seconds())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Every claim rule, on a token whose signature holds.
///
/// # Errors
/// [`AuthError::Malformed`] and every claim error.
pub fn check(
    token: &VerifiedToken<'_>,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    let claims: Claims<SessionClaims> = token.claims()?;
    let now = chrono_time(now);
    let leeway = TimeDelta::new(i64::from(rules.leeway_seconds), 0).unwrap_or(TimeDelta::MAX);
    let options = TimeOptions::new(leeway, move || now);

    let expiry = match claims.validate_expiration(&options) {
        Ok(_) => claims.expiration.ok_or(AuthError::MissingExpiry)?,
        Err(ValidationError::NoClaim(_)) => return Err(AuthError::MissingExpiry),
        Err(_) => return Err(AuthError::Expired),
    };
    if let Some(not_before) = claims.not_before {
        // jwt-compact computes `nbf - leeway`, which panics below chrono's
        // first date; a date that close to it is long past anyway.
        if not_before.checked_sub_signed(leeway).is_some()
            && claims.validate_maturity(&options).is_err()
        {
            return Err(AuthError::NotYetValid);
        }
    }
    let latest = now
        .checked_add_signed(leeway)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if claims.issued_at.is_some_and(|iat| iat > latest) {
        return Err(AuthError::IssuedInFuture);
    }

    let session = &claims.custom;
    if let Some(expected) = &rules.issuer {
        if session.iss.as_ref() != Some(expected) {
            return Err(AuthError::WrongIssuer);
        }
    }
    let sub = session.sub.as_deref();
    if sub.is_some_and(|sub| sub.starts_with(MACHINE_SUBJECT_PREFIX)) {
        return Err(AuthError::MachineToken);
    }
    let sid = session.sid.as_ref().and_then(Value::as_str);
    if sid.is_none_or(str::is_empty) {
        return Err(AuthError::MissingSessionId);
    }
    if let Some(parties) = &rules.authorized_parties {
        let azp = session
            .azp
            .as_ref()
            .ok_or(AuthError::MissingAuthorizedParty)?;
        if !parties.contains(azp) {
            return Err(AuthError::WrongAuthorizedParty);
        }
    }
    if session.sts.as_deref() == Some("pending") {
        return Err(AuthError::PendingSession);
    }
    let user_id = UserId::new(sub.ok_or(AuthError::MissingSubject)?)?;
    Ok(Session {
        user_id,
        // Not before 1970 here: `now` is, and `exp + leeway >= now`.
        expires_at: UtcTime::from_unix_seconds(u64::try_from(expiry.timestamp()).unwrap_or(0)),
    })
}
