//! Names of the Worker's bindings and settings (SPEC §8), in one place.
//!
//! Reading and validating them into a `Config` arrives with the upload route;
//! until then only the names are fixed here so `wrangler.toml`, the code and
//! the tests agree.

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
