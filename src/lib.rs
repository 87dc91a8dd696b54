//! upload-signer: a Cloudflare Worker that gives a signed-in Clerk user a
//! short-lived pre-signed S3 PUT URL (the contract: `docs/spec.md`; the
//! README).
//!
//! A thin edge over a pure core: [`sigv4`], [`time`], [`routes`] and
//! [`error`] decide everything and never touch `worker`, `Env` or the clock;
//! only the entry point below and the Durable Object do I/O, and they compile
//! for `wasm32` only so `cargo test` runs natively.

pub mod auth;
pub mod config;
pub mod confirm;
pub mod cors;
pub mod error;
pub mod log;
pub mod ratelimit;
pub mod response;
pub mod routes;
pub mod sigv4;
pub mod store;
pub mod time;
pub mod upload;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(target_arch = "wasm32")]
pub use ratelimit::RateLimiter;

use error::AppError;
use response::ApiResponse;
use routes::Route;

/// The answer for the routes that need no I/O (`/healthz`, 404, 405).
pub fn respond_without_io(method: &str, path: &str) -> ApiResponse {
    match routes::route(method, path) {
        Ok(Route::Health) => {
            let mut resp = routes::health();
            if method == "HEAD" {
                resp.body.clear();
            }
            resp
        }
        // Both need the environment (settings, CORS): answered by the edge
        // (`fetch` below); natively they have nothing to answer with.
        Ok(Route::UploadPreflight | Route::Upload | Route::Confirm | Route::ConfirmPreflight) => {
            AppError::NotImplemented.to_response()
        }
        Err(err) => err.to_response(),
    }
}

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> Result<web_sys::Response, edge::Never> {
    // The raw request: `worker::Request::from` would also build `request.cf`,
    // which the runtime materialises on every access and we never read.
    let method = req.method();
    let url = req.url();
    let path = routes::path_of(&url);
    let path = path.as_str();
    let route_name = match path {
        routes::UPLOAD_PATH => "upload",
        routes::CONFIRM_PATH => "confirm",
        routes::HEALTH_PATH => "health",
        _ => "other",
    };
    let log = log::RequestLog::new(route_name, &method, worker::Date::now().as_millis());
    let resp = if path == routes::UPLOAD_PATH || path == routes::CONFIRM_PATH {
        api::route(routes::route(&method, path), &req, &env, &log).await
    } else {
        respond_without_io(&method, path)
    };
    log::request(&log, resp.status, worker::Date::now().as_millis());
    // Only a header the runtime refuses could fail the conversion (ours are
    // fixed or validated); then the generic 500, and as a last resort the
    // runtime's own error response.
    Ok(edge::to_web_response(&resp)
        .or_else(|_| edge::to_web_response(&AppError::ServerError.to_response()))
        .unwrap_or_else(|_| web_sys::Response::error()))
}
