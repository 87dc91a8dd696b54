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
pub mod log;
pub mod ratelimit;
pub mod response;
pub mod routes;
pub mod sigv4;
pub mod time;
pub mod upload;

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
        // Needs the environment: answered by the edge (`fetch` below).
        Ok(Route::Upload) => AppError::NotImplemented.to_response(),
        Err(err) => err.to_response(),
    }
}

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    let method = req.method();
    let path = req.path();
    let resp = match routes::route(method.as_ref(), &path) {
        Ok(Route::Upload) => upload(&req, &env).await,
        _ => respond_without_io(method.as_ref(), &path),
    };
    edge::to_worker_response(resp)
}

/// `POST /api/v1/s3/generatePreSignedURL`: authentication (401/503), then —
/// until the upload policy lands — 501 for an authenticated caller.
#[cfg(target_arch = "wasm32")]
async fn upload(req: &worker::Request, env: &worker::Env) -> ApiResponse {
    let now = time::UtcTime::from_unix_millis(worker::Date::now().as_millis());
    match auth::authenticate(req, env, now).await {
        Ok(session) => {
            log::info("authenticated", &[("user", session.user_id.as_str())]);
            AppError::NotImplemented.to_response()
        }
        Err(err) => err.to_response(),
    }
}
