//! The store requests at the edge: signed by [`S3Target::presign`], sent
//! with the runtime's `fetch` (through web-sys), a 5 s deadline that covers
//! the body, and `redirect: "manual"` (a redirect is an error, never
//! followed with our signature).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{range_header, read_delete_status, read_head, read_range_status, ObjectHead};
use super::{StoreError, TIMEOUT_MS, URL_TTL_SECONDS};
use crate::edge::{read_stream_limited, StreamError};
use crate::sigv4::{Credentials, Expiry, Method, ObjectKey, S3Target};
use crate::time::UtcTime;

/// The store, as the Worker's credentials see it.
#[derive(Debug)]
pub struct Store<'a> {
    pub target: &'a S3Target,
    pub credentials: &'a Credentials,
    pub now: UtcTime,
}

impl Store<'_> {
    async fn send(
        &self,
        method: Method,
        key: &ObjectKey,
        headers: &[(&str, &str)],
    ) -> Result<web_sys::Response, StoreError> {
        let expiry = Expiry::from_seconds(URL_TTL_SECONDS).map_err(|_| StoreError::Unavailable)?;
        let url = self
            .target
            .presign(self.credentials, method, key, headers, expiry, self.now)
            .map_err(|_| StoreError::Unavailable)?
            .url;
        let init = web_sys::RequestInit::new();
        init.set_method(method.as_str());
        init.set_redirect(web_sys::RequestRedirect::Manual);
        let sent = web_sys::Headers::new().map_err(|_| StoreError::Unavailable)?;
        for (name, value) in headers {
            sent.set(name, value).map_err(|_| StoreError::Unavailable)?;
        }
        init.set_headers(&sent);
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS)));
        let request = web_sys::Request::new_with_str_and_init(&url, &init)
            .map_err(|_| StoreError::Unavailable)?;
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        JsFuture::from(global.fetch_with_request(&request))
            .await
            .map_err(|_| StoreError::Unavailable)?
            .dyn_into()
            .map_err(|_| StoreError::Unavailable)
    }

    /// `HEAD`: the object's size, stored Content-Type and ETag.
    pub async fn head(&self, key: &ObjectKey) -> Result<ObjectHead, StoreError> {
        let resp = self.send(Method::Head, key, &[]).await?;
        let header = |name: &str| resp.headers().get(name).ok().flatten();
        read_head(
            resp.status(),
            header("Content-Length").as_deref(),
            header("Content-Type").as_deref(),
            header("ETag").as_deref(),
        )
    }

    /// A ranged `GET` of the first `len` bytes (≥ 1); never more than `len`
    /// bytes are read, whatever the store sends.
    pub async fn first_bytes(&self, key: &ObjectKey, len: u64) -> Result<Vec<u8>, StoreError> {
        let range = range_header(len);
        let resp = self.send(Method::Get, key, &[("Range", &range)]).await?;
        read_range_status(resp.status())?;
        let Some(stream) = resp.body() else {
            return Ok(Vec::new());
        };
        let limit = usize::try_from(len).map_err(|_| StoreError::Unavailable)?;
        // More than asked for (a store that ignored `Range`) is an answer
        // we cannot use, like a stream that fails: the object is left alone.
        read_stream_limited(&stream, limit)
            .await
            .map_err(|_: StreamError| StoreError::Unavailable)
    }

    /// `DELETE`.
    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        let resp = self.send(Method::Delete, key, &[]).await?;
        read_delete_status(resp.status())
    }
}
