//! The `RateLimiter` Durable Object: one per user (`idFromName(sub)`), its
//! GCRA state (one number) in the object's storage so eviction or restart
//! does not reset the budget. One request in, one JSON [`Verdict`] out.
//!
//! Exactness under concurrency: the storage read, the decision and the
//! storage write happen without yielding to another request (the object's
//! input gate holds other events while a storage read is in flight), so N
//! concurrent requests get exactly the budget's worth of `allowed`.

use std::num::NonZeroU32;

use worker::{durable_object, Date, DurableObject, Env, Request, Response, Result, State};

use super::gcra::{self, Quota};
use super::Verdict;

/// Storage key of the theoretical arrival time (ms since the epoch, as a
/// number: exact below 2^53).
const TAT_KEY: &str = "tat";

#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

/// `?max=N&window=N` from the raw URL (not through `Request::url`, whose
/// URL parser would pull IDNA tables into the wasm).
fn quota_from(req: &Request) -> Option<Quota> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let get = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<u32>().ok())
            .and_then(NonZeroU32::new)
    };
    Some(Quota {
        max: get("max")?,
        window_seconds: get("window")?,
    })
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn ms_to_number(ms: u64) -> f64 {
    ms as f64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn number_to_ms(n: f64) -> Option<u64> {
    (n.is_finite() && n >= 0.0).then_some(n as u64)
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let Some(quota) = quota_from(&req) else {
            return Response::error("max and window must be positive integers", 400);
        };
        let storage = self.state.storage();
        let stored: Option<f64> = storage.get(TAT_KEY).await?;
        let now_ms = Date::now().as_millis();
        let decision = gcra::check(stored.and_then(number_to_ms), now_ms, quota);
        if let gcra::Decision::Allow { tat_ms, .. } = decision {
            storage.put(TAT_KEY, ms_to_number(tat_ms)).await?;
        }
        Response::from_json(&Verdict::from(decision))
    }
}
