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

/// Operator's replacement for the default upload policy table (README).
pub const UPLOAD_POLICY: &str = "UPLOAD_POLICY";

use crate::sigv4::{Addressing, Bucket, Credentials, Endpoint, Expiry, Region, S3Target};
use crate::upload::Policy;

/// Longest accepted `S3_KEY_PREFIX`, so every key stays under S3's 1024 bytes.
pub const MAX_KEY_PREFIX_BYTES: usize = 256;

/// Everything signing needs (SPEC §8).
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub target: S3Target,
    pub credentials: Credentials,
    /// `S3_PUBLIC_URL` without trailing slashes.
    pub public_base: Option<String>,
    /// `S3_KEY_PREFIX` without leading or trailing slashes.
    pub key_prefix: String,
    pub expiry: Expiry,
}

fn setting(get: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Reads the storage settings.
///
/// # Errors
/// The first missing or invalid setting among `S3_BUCKET`, `S3_REGION`,
/// `S3_ENDPOINT`, `S3_FORCE_PATH_STYLE`, `S3_PUBLIC_URL`, `S3_KEY_PREFIX`,
/// `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_SESSION_TOKEN`,
/// `UPLOAD_URL_TTL_SECONDS`.
pub fn storage_config(get: impl Fn(&str) -> Option<String>) -> Result<StorageConfig, SettingError> {
    let bucket = setting(&get, S3_BUCKET).ok_or(SettingError::Missing(S3_BUCKET))?;
    let bucket = Bucket::new(bucket).map_err(|_| SettingError::Invalid(S3_BUCKET))?;
    let region = Region::new(setting(&get, S3_REGION).unwrap_or_else(|| "us-east-1".into()))
        .map_err(|_| SettingError::Invalid(S3_REGION))?;
    let endpoint = match setting(&get, S3_ENDPOINT) {
        Some(e) => Endpoint::parse(&e).map_err(|_| SettingError::Invalid(S3_ENDPOINT))?,
        None => Endpoint::aws(&region),
    };
    let addressing = match setting(&get, S3_FORCE_PATH_STYLE).as_deref() {
        None | Some("false") => Addressing::VirtualHosted,
        Some("true") => Addressing::Path,
        Some(_) => return Err(SettingError::Invalid(S3_FORCE_PATH_STYLE)),
    };
    let public_base = match setting(&get, S3_PUBLIC_URL) {
        None => None,
        Some(url) => Some(public_base(&url).ok_or(SettingError::Invalid(S3_PUBLIC_URL))?),
    };
    let key_prefix =
        key_prefix(&setting(&get, S3_KEY_PREFIX).unwrap_or_else(|| "user-uploads".into()))
            .ok_or(SettingError::Invalid(S3_KEY_PREFIX))?;
    let access_key =
        setting(&get, S3_ACCESS_KEY_ID).ok_or(SettingError::Missing(S3_ACCESS_KEY_ID))?;
    let secret =
        setting(&get, S3_SECRET_ACCESS_KEY).ok_or(SettingError::Missing(S3_SECRET_ACCESS_KEY))?;
    let credentials = Credentials::new(access_key, secret, setting(&get, S3_SESSION_TOKEN))
        .map_err(|e| {
            SettingError::Invalid(match e {
                crate::sigv4::SigV4Error::InvalidSessionToken => S3_SESSION_TOKEN,
                crate::sigv4::SigV4Error::EmptySecretAccessKey => S3_SECRET_ACCESS_KEY,
                _ => S3_ACCESS_KEY_ID,
            })
        })?;
    let ttl = setting(&get, UPLOAD_URL_TTL_SECONDS).unwrap_or_else(|| "300".into());
    let expiry = ttl
        .parse::<u64>()
        .ok()
        .and_then(|s| Expiry::from_seconds(s).ok())
        .ok_or(SettingError::Invalid(UPLOAD_URL_TTL_SECONDS))?;
    Ok(StorageConfig {
        target: S3Target {
            endpoint,
            region,
            bucket,
            addressing,
        },
        credentials,
        public_base,
        key_prefix,
        expiry,
    })
}

impl StorageConfig {
    /// Where `key` is readable once uploaded (docs/spec.md §9): the public
    /// base + `/` + the encoded key, else the object's URL on the store.
    pub fn public_link(&self, key: &crate::sigv4::ObjectKey) -> String {
        match &self.public_base {
            Some(base) => format!("{base}/{}", key.encoded()),
            None => self.target.object_url(key),
        }
    }
}

/// `http(s)://host[:port][/path]`, no query or fragment; trailing `/` dropped.
fn public_base(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or("");
    let ok = !host.is_empty()
        && !url.contains(['?', '#', ' '])
        && !url.bytes().any(|b| b.is_ascii_control())
        && !host.contains('@');
    ok.then(|| url.trim_end_matches('/').to_owned())
}

/// `a` or `a/b`: no empty, `.` or `..` segment, no `\` or control characters.
fn key_prefix(prefix: &str) -> Option<String> {
    let p = prefix.trim_matches('/');
    let ok = !p.is_empty()
        && p.len() <= MAX_KEY_PREFIX_BYTES
        && !p.chars().any(|c| c == '\\' || c.is_control())
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    ok.then(|| p.to_owned())
}

/// The upload policy: `UPLOAD_POLICY` when set, else the default table.
///
/// # Errors
/// [`SettingError::Invalid`] naming `UPLOAD_POLICY`.
pub fn policy_config(get: impl Fn(&str) -> Option<String>) -> Result<Policy, SettingError> {
    match setting(&get, UPLOAD_POLICY) {
        None => Ok(Policy::default()),
        Some(json) => Policy::from_json(&json).map_err(|_| SettingError::Invalid(UPLOAD_POLICY)),
    }
}

/// Which browser origins may call the upload route (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers at all.
    Disabled,
    /// `*`: any origin, never with credentials.
    AnyOrigin,
    /// Exactly these origins, credentials allowed.
    Origins(Vec<String>),
}

/// # Errors
/// [`SettingError::Invalid`] naming `CORS_ALLOWED_ORIGINS` for an entry that
/// is not `*` or a bare `http(s)://host[:port]` origin.
pub fn cors_config(get: impl Fn(&str) -> Option<String>) -> Result<Cors, SettingError> {
    let Some(raw) = setting(&get, CORS_ALLOWED_ORIGINS) else {
        return Ok(Cors::Disabled);
    };
    if raw == "*" {
        return Ok(Cors::AnyOrigin);
    }
    let mut origins = Vec::new();
    for o in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let lower = o.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let ok = rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '?', '#', '@', ' ', '*']));
        if !ok {
            return Err(SettingError::Invalid(CORS_ALLOWED_ORIGINS));
        }
        origins.push(o.to_owned());
    }
    Ok(if origins.is_empty() {
        Cors::Disabled
    } else {
        Cors::Origins(origins)
    })
}

#[cfg(test)]
mod storage_tests {
    use super::*;
    use std::collections::HashMap;

    fn get_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const MINIMAL: &[(&str, &str)] = &[
        (S3_BUCKET, "my-bucket"),
        (S3_ACCESS_KEY_ID, "AKID"),
        (S3_SECRET_ACCESS_KEY, "secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<StorageConfig, SettingError> {
        let mut pairs = MINIMAL.to_vec();
        pairs.extend_from_slice(extra);
        storage_config(get_from(&pairs))
    }

    #[test]
    fn defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(
            c.target.endpoint.to_string(),
            "https://s3.us-east-1.amazonaws.com"
        );
        assert_eq!(c.target.addressing, Addressing::VirtualHosted);
        assert_eq!(c.key_prefix, "user-uploads");
        assert_eq!(c.expiry.seconds(), 300);
        assert_eq!(c.public_base, None);
        let c = with(&[(S3_REGION, "eu-west-3")]).unwrap();
        assert_eq!(
            c.target.endpoint.to_string(),
            "https://s3.eu-west-3.amazonaws.com"
        );
    }

    #[test]
    fn missing_required_settings_are_named() {
        assert_eq!(
            storage_config(get_from(&[])).unwrap_err(),
            SettingError::Missing(S3_BUCKET)
        );
        assert_eq!(
            storage_config(get_from(&[(S3_BUCKET, "b-1"), (S3_SECRET_ACCESS_KEY, "s")]))
                .unwrap_err(),
            SettingError::Missing(S3_ACCESS_KEY_ID)
        );
        assert_eq!(
            storage_config(get_from(&[(S3_BUCKET, "b-1"), (S3_ACCESS_KEY_ID, "a")])).unwrap_err(),
            SettingError::Missing(S3_SECRET_ACCESS_KEY)
        );
    }

    #[test]
    fn invalid_values_are_errors_not_defaults() {
        for (name, value) in [
            (S3_BUCKET, "Bad_Bucket"),
            (S3_REGION, "US EAST"),
            (S3_ENDPOINT, "s3.example.com"),
            (S3_FORCE_PATH_STYLE, "yes"),
            (S3_FORCE_PATH_STYLE, "TRUE"),
            (S3_PUBLIC_URL, "cdn.example.com"),
            (S3_PUBLIC_URL, "https://cdn.example.com/?x=1"),
            (S3_KEY_PREFIX, "a/../b"),
            (S3_KEY_PREFIX, "a//b"),
            (UPLOAD_URL_TTL_SECONDS, "0"),
            (UPLOAD_URL_TTL_SECONDS, "604801"),
            (UPLOAD_URL_TTL_SECONDS, "5m"),
            (S3_ACCESS_KEY_ID, "AK/ID"),
        ] {
            assert_eq!(
                with(&[(name, value)]).unwrap_err(),
                SettingError::Invalid(name),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn values_are_normalised() {
        let c = with(&[
            (S3_FORCE_PATH_STYLE, "true"),
            (S3_ENDPOINT, "http://127.0.0.1:9000/"),
            (S3_PUBLIC_URL, "https://cdn.example.com/assets//"),
            (S3_KEY_PREFIX, "/uploads/v1/"),
            (UPLOAD_URL_TTL_SECONDS, "604800"),
        ])
        .unwrap();
        assert_eq!(c.target.addressing, Addressing::Path);
        assert_eq!(
            c.public_base.as_deref(),
            Some("https://cdn.example.com/assets")
        );
        assert_eq!(c.key_prefix, "uploads/v1");
        assert_eq!(c.expiry.seconds(), 604_800);
    }

    #[test]
    fn cors_settings() {
        let cors = |v: &'static str| cors_config(get_from(&[(CORS_ALLOWED_ORIGINS, v)]));
        assert_eq!(cors_config(get_from(&[])), Ok(Cors::Disabled));
        assert_eq!(cors("*"), Ok(Cors::AnyOrigin));
        assert_eq!(
            cors("https://a.example, http://127.0.0.1:8789"),
            Ok(Cors::Origins(vec![
                "https://a.example".into(),
                "http://127.0.0.1:8789".into()
            ]))
        );
        for bad in [
            "a.example",
            "https://a.example/",
            "https://*.example",
            "https://a.example,*",
        ] {
            assert_eq!(
                cors(bad),
                Err(SettingError::Invalid(CORS_ALLOWED_ORIGINS)),
                "{bad}"
            );
        }
    }

    #[test]
    fn policy_setting() {
        assert_eq!(policy_config(get_from(&[])), Ok(Policy::default()));
        assert_eq!(
            policy_config(get_from(&[(UPLOAD_POLICY, "{")])),
            Err(SettingError::Invalid(UPLOAD_POLICY))
        );
    }
}

/// The per-user budget: `RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_SECONDS`
/// (defaults 20 / 60).
///
/// # Errors
/// [`SettingError::Invalid`] for a value that is not a whole number ≥ 1.
pub fn rate_limit_config(
    get: impl Fn(&str) -> Option<String>,
) -> Result<crate::ratelimit::gcra::Quota, SettingError> {
    let read = |name: &'static str, default: u32| {
        setting(&get, name)
            .map_or(Ok(default), |v| {
                v.parse::<u32>().map_err(|_| SettingError::Invalid(name))
            })
            .and_then(|n| std::num::NonZeroU32::new(n).ok_or(SettingError::Invalid(name)))
    };
    Ok(crate::ratelimit::gcra::Quota {
        max: read(RATE_LIMIT_MAX, 20)?,
        window_seconds: read(RATE_LIMIT_WINDOW_SECONDS, 60)?,
    })
}

#[cfg(test)]
mod rate_limit_tests {
    use super::*;

    fn quota(pairs: &[(&str, &str)]) -> Result<(u32, u32), SettingError> {
        rate_limit_config(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        })
        .map(|q| (q.max.get(), q.window_seconds.get()))
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(quota(&[]), Ok((20, 60)));
        assert_eq!(
            quota(&[(RATE_LIMIT_MAX, "5"), (RATE_LIMIT_WINDOW_SECONDS, "2")]),
            Ok((5, 2))
        );
    }

    #[test]
    fn zero_or_junk_is_an_error() {
        for (name, v) in [
            (RATE_LIMIT_MAX, "0"),
            (RATE_LIMIT_MAX, "-1"),
            (RATE_LIMIT_WINDOW_SECONDS, "0"),
            (RATE_LIMIT_WINDOW_SECONDS, "1m"),
        ] {
            assert_eq!(
                quota(&[(name, v)]),
                Err(SettingError::Invalid(name)),
                "{name}={v}"
            );
        }
    }
}

/// Every setting, read and validated once. A Worker's environment is fixed
/// for the life of an isolate, so the edge keeps one `Settings` per isolate
/// instead of re-reading ~20 values across the wasm boundary per request.
/// Each part stays a `Result`: an invalid setting still surfaces (and is
/// logged) at its own step of SPEC §3's order, on every request.
#[derive(Debug, Clone)]
pub struct Settings {
    pub auth: Result<AuthConfig, SettingError>,
    pub storage: Result<StorageConfig, SettingError>,
    pub policy: Result<Policy, SettingError>,
    pub cors: Result<Cors, SettingError>,
    pub quota: Result<crate::ratelimit::gcra::Quota, SettingError>,
}

impl Settings {
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            auth: auth_config(&get),
            storage: storage_config(&get),
            policy: policy_config(&get),
            cors: cors_config(&get),
            quota: rate_limit_config(&get),
        }
    }
}
