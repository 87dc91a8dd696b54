//! The wasm edge: `worker` types in and out. Everything here is glue; the
//! decisions live in the pure modules.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Env, Headers};

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
        // JavaScript's own formatting (`String(n)`): integers print without
        // a fraction.
        js_sys::Number::from(n)
            .to_string_with_radix(10)
            .ok()
            .map(String::from)
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
/// With a `Content-Length` and no `Transfer-Encoding` (every browser
/// `fetch` with a string body) the body is framed by that length, so one
/// `arrayBuffer()` is both bounded and cheaper than a stream reader. Anything
/// else — chunked, or both headers, where HTTP frames by the chunks — is
/// read chunk by chunk and cut off at the limit.
///
/// # Errors
/// [`AppError::PayloadTooLarge`]; a body that cannot be read is
/// [`AppError::InvalidJson`].
pub(crate) async fn read_body_limited(
    req: &web_sys::Request,
    headers: &Headers,
    limit: usize,
) -> std::result::Result<Vec<u8>, AppError> {
    let declared = headers
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    if req.body().is_none() {
        return Ok(Vec::new());
    }
    let chunked = headers.has("Transfer-Encoding").unwrap_or(true);
    if declared.is_some() && !chunked {
        let promise = req.array_buffer().map_err(|_| AppError::InvalidJson)?;
        let buffer = JsFuture::from(promise)
            .await
            .map_err(|_| AppError::InvalidJson)?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        if bytes.length() as usize > limit {
            return Err(AppError::PayloadTooLarge);
        }
        return Ok(bytes.to_vec());
    }
    let Some(stream) = req.body() else {
        return Ok(Vec::new());
    };
    read_stream_limited(&stream, limit)
        .await
        .map_err(|err| match err {
            StreamError::TooLarge => AppError::PayloadTooLarge,
            StreamError::Read => AppError::InvalidJson,
        })
}

/// Why [`read_stream_limited`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamError {
    /// More than the limit arrived (the rest is never read).
    TooLarge,
    /// The stream failed (aborted, timed out, not bytes).
    Read,
}

/// Reads a byte stream to its end through its default reader, stopping as
/// soon as more than `limit` bytes have arrived: never more than `limit`
/// plus one chunk is buffered, and a sender that stalls after passing the
/// limit is not waited for.
pub(crate) async fn read_stream_limited(
    stream: &web_sys::ReadableStream,
    limit: usize,
) -> std::result::Result<Vec<u8>, StreamError> {
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|_| StreamError::Read)?;
        let field = |name: &str| js_sys::Reflect::get(&step, &JsValue::from_str(name));
        if field("done").map_err(|_| StreamError::Read)?.is_truthy() {
            return Ok(body);
        }
        let chunk: js_sys::Uint8Array = field("value")
            .map_err(|_| StreamError::Read)?
            .dyn_into()
            .map_err(|_| StreamError::Read)?;
        let len = chunk.length() as usize;
        if body.len() + len > limit {
            // Nothing more is read; the stream is released to be dropped.
            let _ = reader.cancel();
            return Err(StreamError::TooLarge);
        }
        let at = body.len();
        body.resize(at + len, 0);
        chunk.copy_to(&mut body[at..]);
    }
}

/// Converts the pure response into the runtime's `Response`, directly (no
/// `worker::Response` in between).
///
/// # Errors
/// Only if the runtime refuses a header, which our fixed header names and
/// values never cause.
/// The fetch handler's error type, which has no values: every failure is
/// answered inside the handler, so the event glue's error arm (which would
/// format a `worker::Error` with its source chain) is dead code.
#[derive(Debug)]
pub(crate) enum Never {}

impl std::fmt::Display for Never {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Never {}

pub(crate) fn to_web_response(resp: &ApiResponse) -> worker::Result<web_sys::Response> {
    let headers = web_sys::Headers::new()?;
    for (name, value) in &resp.headers {
        headers.set(name, value)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(resp.status);
    init.set_headers(&headers);
    let body = (!resp.body.is_empty()).then_some(resp.body.as_str());
    Ok(web_sys::Response::new_with_opt_str_and_init(body, &init)?)
}

/// The request's headers, through `worker`'s typed wrapper.
pub(crate) fn headers_of(req: &web_sys::Request) -> Headers {
    Headers(req.headers())
}
