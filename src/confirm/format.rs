//! "The bytes are that format" (docs/spec.md §12) for everything but SVG:
//! signatures by `infer`, a raster's width and height by `imagesize`, both
//! reading only the probed first bytes.

use imagesize::ImageType;

use super::Rejection;

/// The raster formats whose width and height are checked, by MIME type.
const RASTERS: &[(&str, ImageType)] = &[
    ("image/png", ImageType::Png),
    ("image/jpeg", ImageType::Jpeg),
    ("image/gif", ImageType::Gif),
    ("image/webp", ImageType::Webp),
];

/// A raster image's size in pixels; `u32::MAX` stands for anything larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dimensions {
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Checks that `head`, the object's first bytes, is the format `mime` names.
/// A raster image also has its dimensions read; other formats `infer` knows
/// (PDF, and an operator's extra types) are checked by signature only; a
/// MIME type `infer` has no matcher for cannot be checked and passes.
///
/// # Errors
/// [`Rejection::ContentMismatch`] when the signature is not that format, or a
/// raster's dimensions cannot be read from `head` (a header larger than the
/// probe — e.g. a JPEG whose metadata pushes its frame header past 64 KiB —
/// cannot be verified, so it is refused) or are zero.
pub(super) fn check(mime: &str, head: &[u8]) -> Result<Option<Dimensions>, Rejection> {
    let mime = mime.to_ascii_lowercase();
    let raster = RASTERS.iter().find(|(m, _)| *m == mime).map(|(_, t)| *t);
    if raster.is_none() && !infer::is_mime_supported(&mime) {
        return Ok(None);
    }
    if !infer::is_mime(head, &mime) {
        return Err(Rejection::ContentMismatch);
    }
    let Some(expected) = raster else {
        return Ok(None);
    };
    if imagesize::image_type(head).ok() != Some(expected) {
        return Err(Rejection::ContentMismatch);
    }
    let size = imagesize::blob_size(head).map_err(|_| Rejection::ContentMismatch)?;
    if size.width == 0 || size.height == 0 {
        return Err(Rejection::ContentMismatch);
    }
    let pixels = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Some(Dimensions {
        width: pixels(size.width),
        height: pixels(size.height),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG signature and IHDR claiming `w` × `h` (no pixel data: the header
    /// is all the check reads).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn raster_dimensions_come_from_the_header() {
        assert_eq!(
            check("image/png", &png_header(9000, 10)),
            Ok(Some(Dimensions {
                width: 9000,
                height: 10
            }))
        );
        assert_eq!(
            check("IMAGE/PNG", &png_header(1, 2)).map(|d| d.map(|d| d.height)),
            Ok(Some(2))
        );
    }

    #[test]
    fn zero_or_unreadable_dimensions_are_a_mismatch() {
        assert_eq!(
            check("image/png", &png_header(0, 5)),
            Err(Rejection::ContentMismatch)
        );
        assert_eq!(
            check("image/png", b"\x89PNG\r\n\x1a\n"),
            Err(Rejection::ContentMismatch)
        );
        assert_eq!(
            check("image/jpeg", b"\xff\xd8\xff\xe0"),
            Err(Rejection::ContentMismatch)
        );
    }

    #[test]
    fn a_signature_of_another_format_is_a_mismatch() {
        assert_eq!(
            check("image/gif", &png_header(1, 1)),
            Err(Rejection::ContentMismatch)
        );
        assert_eq!(
            check("application/pdf", &png_header(1, 1)),
            Err(Rejection::ContentMismatch)
        );
        assert_eq!(check("application/pdf", b"%PDF-1.4\n"), Ok(None));
    }

    #[test]
    fn types_without_a_matcher_pass_unchecked() {
        assert_eq!(check("text/plain", b"anything"), Ok(None));
    }
}
