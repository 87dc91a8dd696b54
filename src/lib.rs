//! upload-signer: a Cloudflare Worker that gives a signed-in Clerk user a
//! short-lived pre-signed S3 PUT URL (see `SPEC.md` in the project docs and
//! the README).
//!
//! A thin edge over a pure core: [`sigv4`], [`time`], [`routes`] and
//! [`error`] decide everything and never touch `worker`, `Env` or the clock;
//! only the entry point below and the Durable Object do I/O, and they compile
//! for `wasm32` only so `cargo test` runs natively.

pub mod auth;
pub mod config;
pub mod error;
pub mod ratelimit;
pub mod response;
pub mod routes;
pub mod sigv4;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(target_arch = "wasm32")]
pub use ratelimit::RateLimiter;

use error::AppError;
use response::ApiResponse;
use routes::Route;

/// The answer for every route this build serves; none of them needs I/O yet
/// (the upload route answers 501 until it is implemented).
pub fn respond_without_io(method: &str, path: &str) -> ApiResponse {
    match routes::route(method, path) {
        Ok(Route::Health) => {
            let mut resp = routes::health();
            if method == "HEAD" {
                resp.body.clear();
            }
            resp
        }
        // CORS arrives with the upload route; until then a preflight is
        // answered without any Access-Control-Allow-* header.
        Ok(Route::UploadPreflight) => ApiResponse::empty(204),
        Ok(Route::Upload) => AppError::NotImplemented.to_response(),
        Err(err) => err.to_response(),
    }
}

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    _env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    let method = req.method();
    let path = req.path();
    edge::to_worker_response(respond_without_io(method.as_ref(), &path))
}
