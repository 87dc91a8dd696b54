//! Authentication at the edge: headers → token → settings → keys (PEM, or
//! the cached JWKS) → WebCrypto signature → claims (docs/spec.md §3: the 401/503 step).

use std::cell::RefCell;
use std::rc::Rc;

use sha2::{Digest, Sha256};
use worker::{Env, Headers};

use super::extract::extract_token;
use super::jwks::KeySet;
use super::token::ParsedToken;
use super::verified_tokens::{verify_cached, VerifiedTokens};
use super::verify::{verify_parsed, Session};
use super::webcrypto::WebCryptoVerifier;
use super::{jwks_store, AuthError};
use crate::config::{self, KeySource, SettingError};
use crate::error::AppError;
use crate::log;
use crate::time::UtcTime;

thread_local! {
    /// The parsed `CLERK_JWT_KEY`, with the PEM it came from.
    static PEM_KEYS: RefCell<Option<(String, Rc<KeySet>)>> = const { RefCell::new(None) };
    /// Tokens that passed full verification in this isolate.
    static VERIFIED: Rc<RefCell<VerifiedTokens>> = Rc::new(RefCell::new(VerifiedTokens::default()));
}

fn pem_keys(pem: &str) -> Result<Rc<KeySet>, AuthError> {
    if let Some(keys) = PEM_KEYS.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(p, _)| p == pem)
            .map(|(_, k)| Rc::clone(k))
    }) {
        return Ok(keys);
    }
    let keys = Rc::new(KeySet::from_pem(pem).map_err(|_| {
        log::error("config_invalid", &[("setting", config::CLERK_JWT_KEY)]);
        AuthError::KeysUnavailable
    })?);
    PEM_KEYS.with(|c| *c.borrow_mut() = Some((pem.to_owned(), Rc::clone(&keys))));
    Ok(keys)
}

fn setting_error(err: SettingError) -> AppError {
    crate::edge::log_setting_error(err);
    match err.setting() {
        config::CLERK_JWKS_URL | config::CLERK_JWT_KEY => {
            AuthError::KeysUnavailable.to_app_error(true)
        }
        _ => AppError::ServerError,
    }
}

/// Authenticates `req`.
///
/// # Errors
/// The client-facing 401 / 503 (or 500 for an invalid setting), with its
/// reason noted in `request_log`.
pub async fn authenticate(
    headers: &Headers,
    env: &Env,
    now: UtcTime,
    request_log: &log::RequestLog,
) -> Result<Session, AppError> {
    let authorization = headers.get("Authorization").ok().flatten();
    let cookie = headers.get("Cookie").ok().flatten();
    let token = extract_token(authorization.as_deref(), cookie.as_deref()).map_err(|e| {
        request_log.reason(e.reason());
        e.to_app_error(false)
    })?;
    let fail = |e: AuthError| {
        request_log.reason(e.reason());
        e.to_app_error(true)
    };

    let all = crate::edge::settings(env);
    let settings = all.auth.as_ref().map_err(|err| setting_error(*err))?;
    // The identity of the key source, so a cached verification counts only for it.
    let source = match &settings.keys {
        KeySource::Pem(pem) => format!("pem:{}", hex::encode(Sha256::digest(pem))),
        KeySource::JwksUrl(url) => format!("jwks:{url}"),
    };
    let verify = async || -> Result<Session, AuthError> {
        // Cheap structural checks before any key I/O.
        let parsed = ParsedToken::parse(token)?;
        let keys = match &settings.keys {
            KeySource::Pem(pem) => pem_keys(pem)?,
            KeySource::JwksUrl(url) => {
                let kv = env.kv(config::JWKS_CACHE).map_err(|_| {
                    log::error("binding_missing", &[("binding", config::JWKS_CACHE)]);
                    AuthError::KeysUnavailable
                })?;
                jwks_store::keys_for(&kv, url, parsed.kid(), now).await?
            }
        };
        let key = keys.find(parsed.kid()).ok_or(AuthError::UnknownKey)?;
        verify_parsed(parsed, key, &WebCryptoVerifier, &settings.rules, now).await
    };
    let verified = VERIFIED.with(Rc::clone);
    verify_cached(&verified, &source, token, &settings.rules, now, verify)
        .await
        .map_err(fail)
}
