//! The bucket, its endpoint and the signing credentials (docs/spec.md §5, §8).

use super::{
    setting, SettingError, S3_ACCESS_KEY_ID, S3_BUCKET, S3_ENDPOINT, S3_FORCE_PATH_STYLE,
    S3_KEY_PREFIX, S3_PUBLIC_URL, S3_REGION, S3_SECRET_ACCESS_KEY, S3_SESSION_TOKEN,
    UPLOAD_URL_TTL_SECONDS,
};
use crate::sigv4::{Addressing, Bucket, Credentials, Endpoint, Expiry, Region, S3Target};

/// Longest accepted `S3_KEY_PREFIX`, so every key stays under S3's 1024 bytes.
pub const MAX_KEY_PREFIX_BYTES: usize = 256;

/// Everything signing needs (docs/spec.md §8).
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

/// `http(s)://host[:port][/path]`, no credentials, query or fragment;
/// trailing `/` dropped. The text is kept as written (the `url` crate only
/// judges it), so the links are the operator's own spelling.
fn public_base(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && !text.contains(['?', '#', ' ', '\\'])
        && !text.bytes().any(|b| b.is_ascii_control());
    ok.then(|| text.trim_end_matches('/').to_owned())
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
}
