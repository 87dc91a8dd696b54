//! Per-user rate limiting (docs/spec.md §7): a pure GCRA ([`gcra`]) kept by the
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

/// What the limiter answered for one request, as the Worker needs it; the
/// Durable Object sends it as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_seconds: u64,
    /// Set when denied; ≥ 1.
    /// `null` when allowed (the Durable Object's wire format since v1).
    #[serde(default)]
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

/// The fallback when the Durable Object cannot be reached: the same GCRA,
/// kept in this isolate's memory. Not shared between isolates, so not exact
/// globally — but a user cannot turn an overloaded or failing object into an
/// unlimited budget. Bounded: at most `capacity` users.
#[derive(Debug)]
pub struct LocalLimiter {
    tats: std::collections::HashMap<String, gcra::Tat>,
    capacity: usize,
}

impl LocalLimiter {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            tats: std::collections::HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// One decision for `user` at `now_ms`.
    pub fn take(&mut self, user: &str, now_ms: u64, quota: Quota) -> Verdict {
        if self.tats.len() >= self.capacity && !self.tats.contains_key(user) {
            // Users whose budget is full again carry no state worth keeping.
            self.tats.retain(|_, tat| tat.ceil_ms() > now_ms);
            if self.tats.len() >= self.capacity {
                self.tats.clear();
            }
        }
        let decision = gcra::check(self.tats.get(user).copied(), now_ms, quota);
        if let gcra::Decision::Allow { tat, .. } = decision {
            self.tats.insert(user.to_owned(), tat);
        }
        Verdict::from(decision)
    }
}

/// Lets one log line through per `interval_ms`, counting what it held back.
#[derive(Debug)]
pub struct LogThrottle {
    interval_ms: u64,
    last_ms: Option<u64>,
    count: u64,
}

impl LogThrottle {
    pub const fn new(interval_ms: u64) -> Self {
        Self {
            interval_ms,
            last_ms: None,
            count: 0,
        }
    }

    /// Records one event at `now_ms`; `Some(n)` (events since the last line,
    /// this one included) when a line should be written now.
    pub fn note(&mut self, now_ms: u64) -> Option<u64> {
        self.count += 1;
        let due = self
            .last_ms
            .is_none_or(|last| now_ms.saturating_sub(last) >= self.interval_ms);
        if !due {
            return None;
        }
        self.last_ms = Some(now_ms);
        Some(std::mem::take(&mut self.count))
    }
}

/// Asks the user's `RateLimiter` object for one unit; when the object cannot
/// be reached or answers nonsense, decides with the isolate-local fallback
/// (README: "If the Durable Object cannot be reached").
#[cfg(target_arch = "wasm32")]
pub async fn take(env: &worker::Env, user: &str, quota: Quota) -> Verdict {
    thread_local! {
        static FALLBACK: std::cell::RefCell<LocalLimiter> =
            std::cell::RefCell::new(LocalLimiter::with_capacity(10_000));
        static FALLBACK_LOG: std::cell::RefCell<LogThrottle> =
            const { std::cell::RefCell::new(LogThrottle::new(60_000)) };
    }
    if let Some(verdict) = take_from_object(env, user, quota).await {
        return verdict;
    }
    let now_ms = worker::Date::now().as_millis();
    // One warning per isolate per minute, with the count since the last:
    // an outage must not turn every request into a log line.
    if let Some(count) = FALLBACK_LOG.with(|l| l.borrow_mut().note(now_ms)) {
        crate::log::warn("ratelimit_fallback", &[("fallbacks", &count.to_string())]);
    }
    FALLBACK.with(|f| f.borrow_mut().take(user, now_ms, quota))
}

#[cfg(target_arch = "wasm32")]
async fn take_from_object(env: &worker::Env, user: &str, quota: Quota) -> Option<Verdict> {
    let result: worker::Result<Verdict> = async {
        let stub = env
            .durable_object(crate::config::RATE_LIMITER)?
            .id_from_name(user)?
            .get_stub()?;
        let url = format!(
            "https://rate-limiter.internal/take?max={}&window={}",
            quota.max, quota.window_seconds
        );
        let resp: web_sys::Response = stub.fetch_with_str(&url).await?.into();
        if resp.status() != 200 {
            return Err(worker::Error::RustError("limiter answered an error".into()));
        }
        // `text()` in one promise; `worker::Response::json` would pull the
        // body through a stream reader chunk by chunk.
        let text = wasm_bindgen_futures::JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        serde_json::from_str::<Verdict>(&text)
            .map_err(|_| worker::Error::RustError("limiter answered no verdict".into()))
    }
    .await;
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    #[test]
    fn verdicts_read_back_as_the_object_writes_them() {
        for verdict in [
            Verdict {
                allowed: true,
                remaining: 19,
                reset_seconds: 3,
                retry_after_seconds: None,
            },
            Verdict {
                allowed: false,
                remaining: 0,
                reset_seconds: 60,
                retry_after_seconds: Some(3),
            },
        ] {
            let text = serde_json::to_string(&verdict).unwrap();
            assert_eq!(
                serde_json::from_str::<Verdict>(&text).unwrap(),
                verdict,
                "{text}"
            );
        }
        for bad in [
            "",
            "{}",
            r#"{"allowed":"yes","remaining":1,"reset_seconds":1}"#,
            r#"{"allowed":true,"remaining":4294967296,"reset_seconds":1}"#,
            r#"{"allowed":true,"remaining":-1,"reset_seconds":1}"#,
            r#"{"allowed":false,"remaining":0,"reset_seconds":1,"retry_after_seconds":"3"}"#,
        ] {
            assert!(serde_json::from_str::<Verdict>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn log_throttle_lets_one_line_a_minute_through_with_the_count() {
        let mut t = LogThrottle::new(60_000);
        assert_eq!(t.note(1_000), Some(1));
        assert_eq!(t.note(2_000), None);
        assert_eq!(t.note(60_999), None);
        assert_eq!(t.note(61_000), Some(3));
        assert_eq!(t.note(61_001), None);
        assert_eq!(t.note(500_000), Some(2));
        // A clock that steps back does not unlock or panic.
        assert_eq!(t.note(10), None);
    }

    #[test]
    fn local_fallback_enforces_the_same_budget_per_user() {
        let quota = Quota {
            max: NonZeroU32::new(3).unwrap(),
            window_seconds: NonZeroU32::new(60).unwrap(),
        };
        let mut l = LocalLimiter::with_capacity(100);
        let allowed = |l: &mut LocalLimiter, user: &str| {
            (0..10)
                .filter(|_| l.take(user, 1_000, quota).allowed)
                .count()
        };
        assert_eq!(allowed(&mut l, "user_a"), 3);
        assert_eq!(allowed(&mut l, "user_b"), 3);
        let denied = l.take("user_a", 1_000, quota);
        assert_eq!(denied.retry_after_seconds, Some(20));
    }

    #[test]
    fn local_fallback_is_bounded() {
        let quota = Quota {
            max: NonZeroU32::new(1).unwrap(),
            window_seconds: NonZeroU32::new(60).unwrap(),
        };
        let mut l = LocalLimiter::with_capacity(2);
        for u in 0..10 {
            l.take(&format!("user_{u}"), 0, quota);
            assert!(l.tats.len() <= 2);
        }
    }

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
