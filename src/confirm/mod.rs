//! Upload confirmation's checks (docs/spec.md §12): is what landed in the
//! store what its name and policy promise? Pure: the route fetches the
//! object's `HEAD` and its first bytes, this module judges them.
//!
//! The checks run in the spec's order and the first failure is the verdict:
//! size → stored `Content-Type` → the bytes are that format (an SVG: safe
//! XML) → a raster image's width and height.

mod format;
mod svg;

/// The ranged `GET` reads at most this many bytes of the object.
pub const MAX_PROBE_BYTES: usize = 64 * 1024;

/// What the store said about the object and its first bytes.
#[derive(Debug, Clone, Copy)]
pub struct StoredObject<'a> {
    /// `Content-Length` of the `HEAD`.
    pub size: u64,
    /// The stored `Content-Type` (`HEAD`), as the store sent it.
    pub content_type: Option<&'a str>,
    /// The first `min(size, MAX_PROBE_BYTES)` bytes (the ranged `GET`).
    pub head: &'a [u8],
}

/// What the policy promises for the object's key: its extension's MIME type
/// and its type's limits.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    /// The extension's MIME type (lower case, no parameters).
    pub mime: &'a str,
    /// The type's `maxBytes`.
    pub max_bytes: u64,
    /// The type's `maxWidth` / `maxHeight`, for raster images.
    pub max_width: u32,
    pub max_height: u32,
}

/// Why an upload is refused: the `reason` of the 422 (docs/spec.md §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Zero bytes.
    Empty,
    /// More than the type's `maxBytes`.
    TooLarge,
    /// The stored `Content-Type` is missing or not the extension's MIME type.
    ContentTypeMismatch,
    /// The bytes are not that format (or a raster's header cannot be read
    /// within [`MAX_PROBE_BYTES`]).
    ContentMismatch,
    /// An SVG that could run script, or that cannot be judged safe.
    UnsafeSvg,
    /// A raster image wider or taller than the type allows.
    DimensionsExceeded,
}

impl Rejection {
    /// The stable `reason` code clients and logs see.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLarge => "too_large",
            Self::ContentTypeMismatch => "content_type_mismatch",
            Self::ContentMismatch => "content_mismatch",
            Self::UnsafeSvg => "unsafe_svg",
            Self::DimensionsExceeded => "dimensions_exceeded",
        }
    }
}

/// A passed check: the dimensions of a raster image (`None` for SVG, PDF
/// and any type without a raster reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Judges a stored object against its expectation (docs/spec.md §12).
///
/// # Errors
/// The first failed check's [`Rejection`], in the order size, content type,
/// content, dimensions.
pub fn check(object: &StoredObject<'_>, expected: &Expectation<'_>) -> Result<Verified, Rejection> {
    if object.size == 0 {
        return Err(Rejection::Empty);
    }
    if object.size > expected.max_bytes {
        return Err(Rejection::TooLarge);
    }
    if !object
        .content_type
        .is_some_and(|stored| same_mime(stored, expected.mime))
    {
        return Err(Rejection::ContentTypeMismatch);
    }
    if expected.mime.eq_ignore_ascii_case(svg::MIME) {
        svg::check(object)?;
        return Ok(Verified {
            width: None,
            height: None,
        });
    }
    let Some(size) = format::check(expected.mime, object.head)? else {
        return Ok(Verified {
            width: None,
            height: None,
        });
    };
    if size.width > expected.max_width || size.height > expected.max_height {
        return Err(Rejection::DimensionsExceeded);
    }
    Ok(Verified {
        width: Some(size.width),
        height: Some(size.height),
    })
}

/// `stored` names the MIME type `mime`: compared case-insensitively, its
/// parameters (`; charset=…`) and surrounding spaces ignored.
fn same_mime(stored: &str, mime: &str) -> bool {
    let essence = stored.split(';').next().unwrap_or_default();
    essence.trim().eq_ignore_ascii_case(mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        assert!(same_mime("image/png", "image/png"));
        assert!(same_mime(" Image/PNG ; charset=binary", "image/png"));
        assert!(!same_mime("image/png+x", "image/png"));
        assert!(!same_mime("", "image/png"));
        assert!(!same_mime("text/html; image/png", "image/png"));
    }

    #[test]
    fn reasons_are_the_spec_codes() {
        let all = [
            (Rejection::Empty, "empty"),
            (Rejection::TooLarge, "too_large"),
            (Rejection::ContentTypeMismatch, "content_type_mismatch"),
            (Rejection::ContentMismatch, "content_mismatch"),
            (Rejection::UnsafeSvg, "unsafe_svg"),
            (Rejection::DimensionsExceeded, "dimensions_exceeded"),
        ];
        for (r, code) in all {
            assert_eq!(r.reason(), code);
        }
    }
}
