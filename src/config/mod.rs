//! The Worker's bindings and settings (docs/spec.md §8): their names in one place,
//! and their validation — pure, over a lookup function, so a bad value is an
//! error naming the setting (never its value) instead of a silent default.
//! One file per concern: [`auth`] (Clerk), [`storage`] (the bucket and
//! signing), [`policy`] (what may be uploaded, how often), [`cors`].

mod auth;
mod cors;
mod policy;
mod storage;

pub use auth::{auth_config, AuthConfig, KeySource, MAX_CLOCK_SKEW_SECONDS};
pub use cors::{cors_config, Cors};
pub use policy::{method_rules_config, policy_config, rate_limit_config};
pub use storage::{storage_config, StorageConfig, MAX_KEY_PREFIX_BYTES};

use crate::upload::{MethodRules, Policy};

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
/// Operator's replacement for the default upload policy table (README).
pub const UPLOAD_POLICY: &str = "UPLOAD_POLICY";
/// Which upload methods are offered (docs/spec.md §11): `PUT`, `POST` or both.
pub const UPLOAD_METHODS: &str = "UPLOAD_METHODS";
/// `true`: a PUT must declare `size` (docs/spec.md §11).
pub const UPLOAD_REQUIRE_SIZE: &str = "UPLOAD_REQUIRE_SIZE";

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

/// The value of `name` through `get`, trimmed; empty counts as unset.
fn setting(get: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Every setting, read and validated once. A Worker's environment is fixed
/// for the life of an isolate, so the edge keeps one `Settings` per isolate
/// instead of re-reading ~20 values across the wasm boundary per request.
/// Each part stays a `Result`: an invalid setting still surfaces (and is
/// logged) at its own step of docs/spec.md §3's order, on every request.
#[derive(Debug, Clone)]
pub struct Settings {
    pub auth: Result<AuthConfig, SettingError>,
    pub storage: Result<StorageConfig, SettingError>,
    pub policy: Result<Policy, SettingError>,
    pub methods: Result<MethodRules, SettingError>,
    pub cors: Result<Cors, SettingError>,
    pub quota: Result<crate::ratelimit::gcra::Quota, SettingError>,
}

impl Settings {
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            auth: auth_config(&get),
            storage: storage_config(&get),
            policy: policy_config(&get),
            methods: method_rules_config(&get),
            cors: cors_config(&get),
            quota: rate_limit_config(&get),
        }
    }
}
