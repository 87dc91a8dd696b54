//! The Clerk settings (docs/spec.md §6, §8).

use super::{
    setting, SettingError, CLERK_AUTHORIZED_PARTIES, CLERK_CLOCK_SKEW_SECONDS, CLERK_ISSUER,
    CLERK_JWKS_URL, CLERK_JWT_KEY,
};
use crate::auth::verify::ClaimRules;

/// Where verification keys come from (docs/spec.md §6).
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
    let get = |name: &str| setting(&get, name);
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
    let authorized_parties = match get(CLERK_AUTHORIZED_PARTIES) {
        None => None,
        Some(v) => {
            let list: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            // "," is a mistake, not "no check": never switch azp off silently.
            if list.is_empty() {
                return Err(SettingError::Invalid(CLERK_AUTHORIZED_PARTIES));
            }
            Some(list)
        }
    };
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
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(host))) => host == "localhost",
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
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
    fn separator_only_party_list_is_invalid() {
        assert_eq!(
            cfg(&[
                (CLERK_JWKS_URL, "https://x/jwks"),
                (CLERK_AUTHORIZED_PARTIES, " , ")
            ]),
            Err(SettingError::Invalid(CLERK_AUTHORIZED_PARTIES))
        );
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
