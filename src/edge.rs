//! The wasm edge: `worker` types in and out. Everything here is glue; the
//! decisions live in the pure modules.

use worker::{Headers, Response, Result};

use crate::response::ApiResponse;

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
