//! The wasm edge: `worker` types in and out. Everything here is glue; the
//! decisions live in the pure modules.

use futures_util::StreamExt;
use worker::{Env, Headers, Request, Response, Result};

use crate::config::SettingError;
use crate::error::AppError;
use crate::log;
use crate::response::ApiResponse;

/// Reads a var or secret as a string; TOML numbers and booleans are accepted.
pub(crate) fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &name.into()).ok()?;
    if let Some(s) = value.as_string() {
        Some(s)
    } else if let Some(n) = value.as_f64() {
        Some(if n.fract() == 0.0 && n.abs() < 1e15 {
            format!("{n:.0}")
        } else {
            n.to_string()
        })
    } else {
        value.as_bool().map(|b| b.to_string())
    }
}

thread_local! {
    static SETTINGS: std::cell::OnceCell<std::rc::Rc<crate::config::Settings>> =
        const { std::cell::OnceCell::new() };
}

/// The isolate's settings, read from `env` on first use.
pub(crate) fn settings(env: &Env) -> std::rc::Rc<crate::config::Settings> {
    SETTINGS.with(|cell| {
        std::rc::Rc::clone(cell.get_or_init(|| {
            std::rc::Rc::new(crate::config::Settings::read(|name| read_var(env, name)))
        }))
    })
}

/// The log line for a bad setting: names it, never its value.
pub(crate) fn log_setting_error(err: SettingError) {
    let event = match err {
        SettingError::Missing(_) => "config_missing",
        SettingError::Invalid(_) => "config_invalid",
    };
    log::error(event, &[("setting", err.setting())]);
}

/// Reads the request body, refusing (413) anything over `limit` bytes
/// without buffering more than `limit` plus one chunk.
///
/// # Errors
/// [`AppError::PayloadTooLarge`]; a body that cannot be read is
/// [`AppError::InvalidJson`].
pub(crate) async fn read_body_limited(
    req: &mut Request,
    limit: usize,
) -> std::result::Result<Vec<u8>, AppError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new()); // no body
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| AppError::InvalidJson)?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Converts the pure response into a `worker::Response`.
///
/// # Errors
/// Only if the runtime refuses a header, which our fixed header names and
/// values never cause.
pub(crate) fn to_worker_response(resp: ApiResponse) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in &resp.headers {
        headers.set(name, value)?;
    }
    let builder = Response::builder()
        .with_status(resp.status)
        .with_headers(headers);
    Ok(if resp.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(resp.body.into_bytes())
    })
}
