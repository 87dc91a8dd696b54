//! The Worker's bindings and settings (SPEC §8): their names in one place,
//! and their validation — pure, over a lookup function, so a bad value is an
//! error naming the setting (never its value) instead of a silent default.
//! Storage settings join with the upload route.

/// KV namespace holding cached JWKS documents.
pub const JWKS_CACHE: &str = "JWKS_CACHE";
/// Durable Object namespace of the per-user rate limiter.
pub const RATE_LIMITER: &str = "RATE_LIMITER";

pub const S3_BUCKET: &str = "S3_BUCKET";
pub const S3_REGION: &str = "S3_REGION";
pub const S3_ENDPOINT: &str = "S3_ENDPOINT";
pub const S3_FORCE_PATH_STYLE: &str = "S3_FORCE_PATH_STYLE";
pub const S3_PUBLIC_URL: &str = "S3_PUBLIC_URL";
pub const S3_KEY_PREFIX: &str = "S3_KEY_PREFIX";
pub const S3_ACCESS_KEY_ID: &str = "S3_ACCESS_KEY_ID";
pub const S3_SECRET_ACCESS_KEY: &str = "S3_SECRET_ACCESS_KEY";
pub const S3_SESSION_TOKEN: &str = "S3_SESSION_TOKEN";
pub const CLERK_JWKS_URL: &str = "CLERK_JWKS_URL";
pub const CLERK_JWT_KEY: &str = "CLERK_JWT_KEY";
pub const CLERK_ISSUER: &str = "CLERK_ISSUER";
pub const CLERK_AUTHORIZED_PARTIES: &str = "CLERK_AUTHORIZED_PARTIES";
pub const CLERK_CLOCK_SKEW_SECONDS: &str = "CLERK_CLOCK_SKEW_SECONDS";
pub const UPLOAD_URL_TTL_SECONDS: &str = "UPLOAD_URL_TTL_SECONDS";
pub const RATE_LIMIT_MAX: &str = "RATE_LIMIT_MAX";
pub const RATE_LIMIT_WINDOW_SECONDS: &str = "RATE_LIMIT_WINDOW_SECONDS";
pub const CORS_ALLOWED_ORIGINS: &str = "CORS_ALLOWED_ORIGINS";

use crate::auth::verify::ClaimRules;

/// A setting that is missing or invalid. Names the setting, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingError {
    Missing(&'static str),
    Invalid(&'static str),
}

impl SettingError {
    /// The setting's name, for the log line.
    pub const fn setting(self) -> &'static str {
        match self {
            Self::Missing(name) | Self::Invalid(name) => name,
        }
    }
}

/// Where verification keys come from (SPEC §6).
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `CLERK_JWT_KEY`: a PEM public key; no network.
    Pem(String),
    /// `CLERK_JWKS_URL`.
    JwksUrl(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pem(_) => f.write_str("Pem(..)"),
            Self::JwksUrl(url) => f.debug_tuple("JwksUrl").field(url).finish(),
        }
    }
}

/// The authentication settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub keys: KeySource,
    pub rules: ClaimRules,
}

/// Largest accepted `CLERK_CLOCK_SKEW_SECONDS`: beyond this an expired token
/// would live on for minutes.
pub const MAX_CLOCK_SKEW_SECONDS: u32 = 300;

/// Reads the auth settings through `get` (empty values count as unset).
///
/// # Errors
/// [`SettingError::Missing`] when neither `CLERK_JWT_KEY` nor
/// `CLERK_JWKS_URL` is set; [`SettingError::Invalid`] for a JWKS URL that is
/// not `https://` (plain `http://` only on loopback, for the local stack) or a
/// skew that is not a whole number of seconds in 0–300.
pub fn auth_config(get: impl Fn(&str) -> Option<String>) -> Result<AuthConfig, SettingError> {
    let get = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let keys = if let Some(pem) = get(CLERK_JWT_KEY) {
        KeySource::Pem(pem)
    } else if let Some(url) = get(CLERK_JWKS_URL) {
        if !is_acceptable_jwks_url(&url) {
            return Err(SettingError::Invalid(CLERK_JWKS_URL));
        }
        KeySource::JwksUrl(url)
    } else {
        return Err(SettingError::Missing(CLERK_JWKS_URL));
    };
    let leeway_seconds = match get(CLERK_CLOCK_SKEW_SECONDS) {
        None => ClaimRules::default().leeway_seconds,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|s| *s <= MAX_CLOCK_SKEW_SECONDS)
            .ok_or(SettingError::Invalid(CLERK_CLOCK_SKEW_SECONDS))?,
    };
    let authorized_parties = get(CLERK_AUTHORIZED_PARTIES)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|list| !list.is_empty());
    Ok(AuthConfig {
        keys,
        rules: ClaimRules {
            issuer: get(CLERK_ISSUER),
            authorized_parties,
            leeway_seconds,
        },
    })
}

fn is_acceptable_jwks_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://") {
        return !rest.is_empty() && !rest.starts_with('/');
    }
    lower.strip_prefix("http://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        matches!(host, "127.0.0.1" | "localhost" | "[::1]")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<AuthConfig, SettingError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        auth_config(|name| map.get(name).cloned())
    }

    #[test]
    fn jwks_url_with_defaults() {
        let c = cfg(&[(
            CLERK_JWKS_URL,
            "https://clerk.example.com/.well-known/jwks.json",
        )])
        .unwrap();
        assert_eq!(
            c.keys,
            KeySource::JwksUrl("https://clerk.example.com/.well-known/jwks.json".into())
        );
        assert_eq!(c.rules, ClaimRules::default());
    }

    #[test]
    fn pem_wins_over_url() {
        let c = cfg(&[
            (CLERK_JWKS_URL, "https://x/jwks"),
            (CLERK_JWT_KEY, "-----BEGIN PUBLIC KEY-----"),
        ])
        .unwrap();
        assert!(matches!(c.keys, KeySource::Pem(_)));
        assert_eq!(format!("{:?}", c.keys), "Pem(..)");
    }

    #[test]
    fn no_key_source_is_missing() {
        assert_eq!(cfg(&[]), Err(SettingError::Missing(CLERK_JWKS_URL)));
        assert_eq!(
            cfg(&[(CLERK_JWKS_URL, "  ")]),
            Err(SettingError::Missing(CLERK_JWKS_URL))
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(cfg(&[(
            CLERK_JWKS_URL,
            "http://127.0.0.1:8788/.well-known/jwks.json"
        )])
        .is_ok());
        assert!(cfg(&[(CLERK_JWKS_URL, "http://localhost/jwks")]).is_ok());
        for bad in [
            "http://clerk.example.com/jwks",
            "ftp://x/jwks",
            "https://",
            "clerk.example.com",
        ] {
            assert_eq!(
                cfg(&[(CLERK_JWKS_URL, bad)]),
                Err(SettingError::Invalid(CLERK_JWKS_URL)),
                "{bad}"
            );
        }
    }

    #[test]
    fn rules_from_settings() {
        let c = cfg(&[
            (CLERK_JWKS_URL, "https://x/jwks"),
            (CLERK_ISSUER, "https://clerk.example.com"),
            (
                CLERK_AUTHORIZED_PARTIES,
                " https://a.example , ,https://b.example",
            ),
            (CLERK_CLOCK_SKEW_SECONDS, "0"),
        ])
        .unwrap();
        assert_eq!(c.rules.issuer.as_deref(), Some("https://clerk.example.com"));
        assert_eq!(
            c.rules.authorized_parties,
            Some(vec![
                "https://a.example".to_owned(),
                "https://b.example".to_owned()
            ])
        );
        assert_eq!(c.rules.leeway_seconds, 0);
    }

    #[test]
    fn invalid_skew_is_an_error_not_a_default() {
        for bad in ["-1", "5s", "1.5", "301"] {
            assert_eq!(
                cfg(&[
                    (CLERK_JWKS_URL, "https://x/jwks"),
                    (CLERK_CLOCK_SKEW_SECONDS, bad)
                ]),
                Err(SettingError::Invalid(CLERK_CLOCK_SKEW_SECONDS)),
                "{bad}"
            );
        }
    }
}
