//! The Worker's own requests to the store, for the confirmation route
//! (docs/spec.md §12): a `HEAD`, a ranged `GET` of the first bytes and a
//! `DELETE`, each a URL from the same SigV4 signer as the upload URLs
//! ([`crate::sigv4::S3Target::presign`]), fetched by [`edge`] with a 5 s
//! timeout and no redirects. This module is the pure half: what each answer
//! means.

#[cfg(target_arch = "wasm32")]
pub mod edge;

/// Each request's deadline, the body's reading included.
pub const TIMEOUT_MS: u32 = 5_000;
/// How long the signed URLs live: just past the deadline.
pub const URL_TTL_SECONDS: u64 = 60;

/// Why the store's answer is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// No object at the key (404).
    NotFound,
    /// Anything else: an error status, a redirect, a timeout, an answer
    /// without the headers it must carry. The object is left alone.
    Unavailable,
}

/// What a `HEAD` says about the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: u64,
    pub content_type: Option<String>,
    pub etag: String,
}

/// A `HEAD` answer: 200 with a `Content-Length` and an `ETag`, or 404.
///
/// # Errors
/// [`StoreError::NotFound`] for 404; [`StoreError::Unavailable`] for any
/// other status (403 too: a store that refuses our own signature is
/// misconfigured, not empty) or a 200 without a usable length or ETag.
pub fn read_head(
    status: u16,
    content_length: Option<&str>,
    content_type: Option<&str>,
    etag: Option<&str>,
) -> Result<ObjectHead, StoreError> {
    match status {
        200 => {}
        404 => return Err(StoreError::NotFound),
        _ => return Err(StoreError::Unavailable),
    }
    let size = content_length
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(StoreError::Unavailable)?;
    let etag = etag
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or(StoreError::Unavailable)?;
    Ok(ObjectHead {
        size,
        content_type: content_type.map(|c| c.trim().to_owned()),
        etag: etag.to_owned(),
    })
}

/// The `Range` header for the first `len` bytes (`len` ≥ 1).
pub fn range_header(len: u64) -> String {
    format!("bytes=0-{}", len.saturating_sub(1))
}

/// A ranged `GET` answer's status: 206 (or 200 from a store that ignores
/// `Range`: the caller still reads at most the probe) is the bytes; 404 is
/// an object deleted meanwhile.
///
/// # Errors
/// [`StoreError::NotFound`], [`StoreError::Unavailable`].
pub fn read_range_status(status: u16) -> Result<(), StoreError> {
    match status {
        200 | 206 => Ok(()),
        404 => Err(StoreError::NotFound),
        _ => Err(StoreError::Unavailable),
    }
}

/// A `DELETE` answer: 204 or 200; 404 means it is gone already.
///
/// # Errors
/// [`StoreError::Unavailable`] for anything else: the object may still be
/// there, so the caller must not report it deleted.
pub fn read_delete_status(status: u16) -> Result<(), StoreError> {
    match status {
        200 | 204 | 404 => Ok(()),
        _ => Err(StoreError::Unavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_answers() {
        assert_eq!(
            read_head(200, Some("42"), Some("image/png"), Some("\"abc\"")),
            Ok(ObjectHead {
                size: 42,
                content_type: Some("image/png".into()),
                etag: "\"abc\"".into()
            })
        );
        assert_eq!(read_head(404, None, None, None), Err(StoreError::NotFound));
        for status in [301, 302, 307, 400, 403, 500, 503] {
            assert_eq!(
                read_head(status, Some("1"), None, Some("e")),
                Err(StoreError::Unavailable),
                "{status}"
            );
        }
        for (len, etag) in [
            (None, Some("e")),
            (Some("x"), Some("e")),
            (Some("-1"), Some("e")),
            (Some("1"), None),
            (Some("1"), Some(" ")),
        ] {
            assert_eq!(
                read_head(200, len, None, etag),
                Err(StoreError::Unavailable),
                "{len:?} {etag:?}"
            );
        }
    }

    #[test]
    fn range_and_delete() {
        assert_eq!(range_header(65_536), "bytes=0-65535");
        assert_eq!(range_header(1), "bytes=0-0");
        assert_eq!(read_range_status(206), Ok(()));
        assert_eq!(read_range_status(200), Ok(()));
        assert_eq!(read_range_status(404), Err(StoreError::NotFound));
        assert_eq!(read_range_status(416), Err(StoreError::Unavailable));
        assert_eq!(read_delete_status(204), Ok(()));
        assert_eq!(read_delete_status(404), Ok(()));
        assert_eq!(read_delete_status(403), Err(StoreError::Unavailable));
        assert_eq!(read_delete_status(302), Err(StoreError::Unavailable));
    }
}
