//! The two API routes at the edge (docs/spec.md §3, §12): CORS,
//! authentication and the shared rate-limit budget, then signing
//! (`generatePreSignedURL`) or confirmation (`confirmUpload`). Every
//! decision is in the pure modules; this is their order and their I/O.

use crate::config::{SettingError, Settings};
use crate::error::AppError;
use crate::response::ApiResponse;
use crate::routes::{self, Route};
use crate::upload::Policy;
use crate::{auth, confirm, cors, edge, log, ratelimit, store, time, upload};

/// The two API routes — POST, preflight, and 405 for other methods — with
/// CORS on every answer (docs/spec.md §9).
pub(crate) async fn route(
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
        Ok(Route::UploadPreflight | Route::ConfirmPreflight) => {
            return cors::preflight(cors, origin.as_deref())
        }
        Ok(route) => authenticated(route, req, &headers, env, log)
            .await
            .unwrap_or_else(|err| {
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

/// A POST on either route, in docs/spec.md §3's order: authentication
/// (401/503) → rate limit (429, one budget for both routes) → the route's
/// own steps. Every response after the rate-limit step carries the
/// `RateLimit` headers; body errors spend budget too.
async fn authenticated(
    route: Route,
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
        route_request(route, req, headers, env, &session.user_id, now).await
    } else {
        Err(AppError::RateLimited {
            retry_after_secs: verdict.retry_after_seconds.unwrap_or(1),
        })
    };
    let mut resp = result.unwrap_or_else(|err| {
        log.reason(err.log_reason());
        err.to_response()
    });
    ratelimit::apply_headers(&mut resp, quota, &verdict);
    Ok(resp)
}

/// The request body, declared as JSON and at most 16 KiB (docs/spec.md §2).
async fn json_body(req: &web_sys::Request, headers: &worker::Headers) -> Result<Vec<u8>, AppError> {
    let content_type = headers.get("Content-Type").ok().flatten();
    routes::check_json_content_type(content_type.as_deref())?;
    edge::read_body_limited(req, headers, upload::MAX_BODY_BYTES).await
}

/// A setting read at the isolate's start, or `error` with a log line naming
/// it (never its value).
fn setting<T>(value: &Result<T, SettingError>, error: AppError) -> Result<&T, AppError> {
    value.as_ref().map_err(|err| {
        edge::log_setting_error(*err);
        error
    })
}

/// What both routes read first, for an authenticated caller within budget
/// — the body (415/413/400), then the upload policy — and then the route's
/// own steps.
async fn route_request(
    route: Route,
    req: &web_sys::Request,
    headers: &worker::Headers,
    env: &worker::Env,
    user: &auth::verify::UserId,
    now: time::UtcTime,
) -> Result<ApiResponse, AppError> {
    let settings = edge::settings(env);
    let body = json_body(req, headers).await?;
    let policy = setting(&settings.policy, AppError::ServerError)?;
    if route == Route::Confirm {
        confirm_request(&body, &settings, policy, user, now).await
    } else {
        sign_request(&body, &settings, policy, user, now)
    }
}

/// The signing steps of `generatePreSignedURL` (docs/spec.md §3, §11).
fn sign_request(
    body: &[u8],
    settings: &Settings,
    policy: &Policy,
    user: &auth::verify::UserId,
    now: time::UtcTime,
) -> Result<ApiResponse, AppError> {
    let upload = upload::validate(body, policy)?;
    let methods = setting(&settings.methods, AppError::ServerError)?;
    methods.check(&upload)?;
    let storage = setting(&settings.storage, AppError::UrlGenerationFailed)?;
    let id = if upload.unique_keys {
        Some(upload::UploadId::random().map_err(|_| AppError::ServerError)?)
    } else {
        None
    };
    upload::signed_upload(&upload, user, storage, now, id.as_ref())
}

/// The key and store steps of `confirmUpload` (docs/spec.md §12): the key
/// must be the caller's (400/403, nothing read) → `HEAD` (404/502) → the
/// first bytes → the checks → on a failed check the object is deleted, then
/// 422; a store that fails at any step is 502 with the object left alone.
async fn confirm_request(
    body: &[u8],
    settings: &Settings,
    policy: &Policy,
    user: &auth::verify::UserId,
    now: time::UtcTime,
) -> Result<ApiResponse, AppError> {
    let storage = setting(&settings.storage, AppError::ServerError)?;
    let key = upload::confirm::parse_body(body)?;
    let owned = upload::confirm::owned_key(&key, &storage.key_prefix, user, policy)?;
    let object_key =
        crate::sigv4::ObjectKey::new(owned.key.clone()).map_err(|_| AppError::InvalidKey)?;
    let store = store::edge::Store {
        target: &storage.target,
        credentials: &storage.credentials,
        now,
    };
    let unavailable = |err: store::StoreError| match err {
        store::StoreError::NotFound => AppError::UploadNotFound,
        store::StoreError::Unavailable => AppError::StorageUnavailable,
    };
    let head = store.head(&object_key).await.map_err(unavailable)?;
    // The size alone decides `empty` and `too_large`: then nothing is read.
    let probe = if head.size > owned.rule.max_bytes {
        0
    } else {
        head.size.min(confirm::MAX_PROBE_BYTES as u64)
    };
    let first = if probe == 0 {
        Vec::new()
    } else {
        store
            .first_bytes(&object_key, probe)
            .await
            .map_err(unavailable)?
    };
    let verdict = confirm::check(
        &confirm::StoredObject {
            size: head.size,
            content_type: head.content_type.as_deref(),
            head: &first,
        },
        &confirm::Expectation {
            mime: owned.mime,
            max_bytes: owned.rule.max_bytes,
            max_width: owned.rule.max_width,
            max_height: owned.rule.max_height,
        },
    );
    match verdict {
        Ok(verified) => Ok(upload::confirm::verified_response(
            &upload::confirm::VerifiedUpload {
                link: storage.public_link(&object_key),
                key: owned.key,
                size: head.size,
                content_type: owned.mime.to_owned(),
                etag: head.etag,
                width: verified.width,
                height: verified.height,
            },
        )),
        Err(rejection) => {
            // Deleted first: a 422 always means the object is gone.
            store.delete(&object_key).await.map_err(unavailable)?;
            Err(AppError::UploadRejected {
                reason: rejection.reason(),
            })
        }
    }
}
