//! The `RateLimiter` Durable Object (placeholder: answers 501 until the
//! limiter is implemented; nothing calls it yet).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::AppError;

#[durable_object]
pub struct RateLimiter {
    #[allow(dead_code)]
    state: State,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        crate::edge::to_worker_response(AppError::NotImplemented.to_response())
    }
}
