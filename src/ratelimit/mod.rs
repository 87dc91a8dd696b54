//! Per-user rate limiting (SPEC §7). The `RateLimiter` Durable Object class is
//! declared now so the binding and its migration exist from the first deploy;
//! the limiter itself lands with the rate-limit issue.

#[cfg(target_arch = "wasm32")]
mod object;

#[cfg(target_arch = "wasm32")]
pub use object::RateLimiter;
