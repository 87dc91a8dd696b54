//! Per-user rate limiting (SPEC §7): a pure GCRA ([`gcra`]) kept by the
//! `RateLimiter` Durable Object, one object per user, its state in the
//! object's storage; plus the `RateLimit` headers every response after the
//! rate-limit step carries.

pub mod gcra;
#[cfg(target_arch = "wasm32")]
mod object;

#[cfg(target_arch = "wasm32")]
pub use object::RateLimiter;

use serde::{Deserialize, Serialize};

use crate::response::ApiResponse;
use gcra::Quota;

/// The policy name in the `RateLimit` headers.
pub const POLICY_NAME: &str = "upload";

/// What the limiter answered for one request, as the Worker needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_seconds: u64,
    /// Set when denied; ≥ 1.
    pub retry_after_seconds: Option<u64>,
}

impl From<gcra::Decision> for Verdict {
    fn from(d: gcra::Decision) -> Self {
        match d {
            gcra::Decision::Allow {
                remaining,
                reset_seconds,
                ..
            } => Self {
                allowed: true,
                remaining,
                reset_seconds,
                retry_after_seconds: None,
            },
            gcra::Decision::Deny {
                retry_after_seconds,
                reset_seconds,
            } => Self {
                allowed: false,
                remaining: 0,
                reset_seconds,
                retry_after_seconds: Some(retry_after_seconds),
            },
        }
    }
}

/// Adds `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
pub fn apply_headers(resp: &mut ApiResponse, quota: Quota, verdict: &Verdict) {
    resp.set_header(
        "RateLimit-Policy",
        format!(
            "\"{POLICY_NAME}\";q={};w={}",
            quota.max, quota.window_seconds
        ),
    );
    resp.set_header(
        "RateLimit",
        format!(
            "\"{POLICY_NAME}\";r={};t={}",
            verdict.remaining, verdict.reset_seconds
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    #[test]
    fn header_format() {
        let quota = Quota {
            max: NonZeroU32::new(20).unwrap(),
            window_seconds: NonZeroU32::new(60).unwrap(),
        };
        let mut r = ApiResponse::json(200, &1);
        let v = Verdict::from(gcra::check(None, 0, quota));
        apply_headers(&mut r, quota, &v);
        assert_eq!(r.header("RateLimit-Policy"), Some("\"upload\";q=20;w=60"));
        assert_eq!(r.header("RateLimit"), Some("\"upload\";r=19;t=3"));
    }
}

/// Asks the user's `RateLimiter` object for one unit. `None` when the object
/// cannot be reached or answers nonsense: the caller fails open (README).
#[cfg(target_arch = "wasm32")]
pub async fn take(env: &worker::Env, user: &str, quota: Quota) -> Option<Verdict> {
    let result: worker::Result<Verdict> = async {
        let stub = env
            .durable_object(crate::config::RATE_LIMITER)?
            .id_from_name(user)?
            .get_stub()?;
        let url = format!(
            "https://rate-limiter.internal/take?max={}&window={}",
            quota.max, quota.window_seconds
        );
        let mut resp = stub.fetch_with_str(&url).await?;
        if resp.status_code() != 200 {
            return Err(worker::Error::RustError("limiter answered an error".into()));
        }
        resp.json::<Verdict>().await
    }
    .await;
    result.ok()
}
