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
        routes::HEALTH_PATH => "health",
        _ => "other",
    };
    let log = log::RequestLog::new(route_name, &method, worker::Date::now().as_millis());
    let resp = if path == routes::UPLOAD_PATH {
        upload_route(routes::route(&method, path), &req, &env, &log).await
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

/// The upload route — POST, preflight, and 405 for other methods — with CORS
/// on every answer (docs/spec.md §9).
#[cfg(target_arch = "wasm32")]
async fn upload_route(
    route: Result<Route, AppError>,
    req: &web_sys::Request,
    env: &worker::Env,
    log: &log::RequestLog,
) -> ApiResponse {
    let settings = edge::settings(env);
    let headers = edge::headers_of(req);
    let origin = headers.get("Origin").ok().flatten();
    let cors = match &settings.cors {
        Ok(cors) => cors,
        Err(err) => {
            edge::log_setting_error(*err);
            log.reason(AppError::ServerError.code());
            return AppError::ServerError.to_response();
        }
    };
    let mut resp = match route {
        Ok(Route::UploadPreflight) => return cors::preflight(cors, origin.as_deref()),
        Ok(_) => upload(req, &headers, env, log).await.unwrap_or_else(|err| {
            log.reason(err.code());
            err.to_response()
        }),
        Err(err) => {
            log.reason(err.code());
            err.to_response()
        }
    };
    cors::apply(&mut resp, cors, origin.as_deref());
    resp
}

/// `POST /api/v1/s3/generatePreSignedURL`, in docs/spec.md §3's order: authentication
/// (401/503) → rate limit (429) → body (415/413/400) → signing (500). Every
/// response after the rate-limit step carries the `RateLimit` headers; body
/// errors spend budget too.
#[cfg(target_arch = "wasm32")]
async fn upload(
    req: &web_sys::Request,
    headers: &worker::Headers,
    env: &worker::Env,
    log: &log::RequestLog,
) -> Result<ApiResponse, AppError> {
    let now = time::UtcTime::from_unix_millis(worker::Date::now().as_millis());
    let session = auth::authenticate(headers, env, now, log).await?;
    let user = session.user_id.as_str();
    log.user(user);

    let quota = edge::settings(env).quota.map_err(|err| {
        edge::log_setting_error(err);
        AppError::ServerError
    })?;
    let verdict = ratelimit::take(env, user, quota).await;
    let result = if verdict.allowed {
        sign_request(req, headers, env, &session.user_id, now).await
    } else {
        Err(AppError::RateLimited {
            retry_after_secs: verdict.retry_after_seconds.unwrap_or(1),
        })
    };
    let mut resp = result.unwrap_or_else(|err| {
        log.reason(err.code());
        err.to_response()
    });
    ratelimit::apply_headers(&mut resp, quota, &verdict);
    Ok(resp)
}

/// The body and signing steps, for an authenticated caller within budget.
#[cfg(target_arch = "wasm32")]
async fn sign_request(
    req: &web_sys::Request,
    headers: &worker::Headers,
    env: &worker::Env,
    user: &auth::verify::UserId,
    now: time::UtcTime,
) -> Result<ApiResponse, AppError> {
    let settings = edge::settings(env);
    let content_type = headers.get("Content-Type").ok().flatten();
    routes::check_json_content_type(content_type.as_deref())?;
    let body = edge::read_body_limited(req, headers, upload::MAX_BODY_BYTES).await?;
    let policy = settings.policy.as_ref().map_err(|err| {
        edge::log_setting_error(*err);
        AppError::ServerError
    })?;
    let upload = upload::validate(&body, policy)?;
    let methods = settings.methods.as_ref().map_err(|err| {
        edge::log_setting_error(*err);
        AppError::ServerError
    })?;
    methods.check(&upload)?;
    let storage = settings.storage.as_ref().map_err(|err| {
        edge::log_setting_error(*err);
        AppError::UrlGenerationFailed
    })?;
    let id = if upload.unique_keys {
        Some(upload::UploadId::random().map_err(|_| AppError::ServerError)?)
    } else {
        None
    };
    upload::signed_upload(&upload, user, storage, now, id.as_ref())
}
