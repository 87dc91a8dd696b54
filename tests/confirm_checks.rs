//! Upload confirmation's checks (docs/spec.md §12) over real files of each
//! format (`tests/fixtures/uploads/`, see its README) and over the lies a
//! pre-signed upload cannot stop: each verified with its dimensions, or
//! refused with its `reason`.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use upload_signer::confirm::{
    check, Expectation, Rejection, StoredObject, Verified, MAX_PROBE_BYTES,
};

const MIB: u64 = 1024 * 1024;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/uploads")
        .join(name);
    std::fs::read(path).unwrap()
}

/// The default policy's limits for an image type (5 MiB, 8192 × 8192).
fn expect(mime: &str) -> Expectation<'_> {
    Expectation {
        mime,
        max_bytes: 5 * MIB,
        max_width: 8192,
        max_height: 8192,
    }
}

/// Checks `bytes` as the route does: the size from the `HEAD`, the stored
/// content type, and only the probed first bytes.
fn judge(
    bytes: &[u8],
    stored_type: Option<&str>,
    expected: &Expectation<'_>,
) -> Result<Verified, Rejection> {
    let object = StoredObject {
        size: bytes.len() as u64,
        content_type: stored_type,
        head: &bytes[..bytes.len().min(MAX_PROBE_BYTES)],
    };
    check(&object, expected)
}

fn judge_as(bytes: &[u8], mime: &str) -> Result<Verified, Rejection> {
    judge(bytes, Some(mime), &expect(mime))
}

#[allow(clippy::unnecessary_wraps)] // compared with `judge`'s result
fn raster(width: u32, height: u32) -> Result<Verified, Rejection> {
    Ok(Verified {
        width: Some(width),
        height: Some(height),
    })
}

const NO_DIMENSIONS: Result<Verified, Rejection> = Ok(Verified {
    width: None,
    height: None,
});

#[test]
fn real_files_are_verified_with_their_dimensions() {
    for (file, mime, verdict) in [
        ("gradient.png", "image/png", raster(48, 32)),
        ("photo.jpg", "image/jpeg", raster(40, 30)),
        ("small.gif", "image/gif", raster(20, 10)),
        ("lossy.webp", "image/webp", raster(24, 16)),
        ("lossless.webp", "image/webp", raster(12, 8)),
        ("alpha.webp", "image/webp", raster(10, 6)),
        ("progressive.jpg", "image/jpeg", raster(32, 24)),
        ("logo.svg", "image/svg+xml", NO_DIMENSIONS),
        ("doc.pdf", "application/pdf", NO_DIMENSIONS),
    ] {
        assert_eq!(judge_as(&fixture(file), mime), verdict, "{file}");
    }
}

#[test]
fn stored_content_type_parameters_and_case_are_accepted() {
    let png = fixture("gradient.png");
    let verdict = judge(
        &png,
        Some("Image/PNG; charset=binary"),
        &expect("image/png"),
    );
    assert_eq!(verdict, raster(48, 32));
}

#[test]
fn bytes_that_are_not_the_named_format_are_content_mismatch() {
    let html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>";
    assert_eq!(
        judge_as(html, "image/png"),
        Err(Rejection::ContentMismatch),
        "HTML named .png"
    );
    let png = fixture("gradient.png");
    assert_eq!(
        judge_as(&png, "application/pdf"),
        Err(Rejection::ContentMismatch),
        "PNG named .pdf"
    );
    assert_eq!(
        judge_as(&png, "image/jpeg"),
        Err(Rejection::ContentMismatch),
        "PNG named .jpg"
    );
    assert_eq!(
        judge_as(&fixture("photo.jpg"), "image/webp"),
        Err(Rejection::ContentMismatch)
    );
    assert_eq!(
        judge_as(&fixture("doc.pdf"), "image/gif"),
        Err(Rejection::ContentMismatch)
    );
    assert_eq!(
        judge_as(&png, "image/svg+xml"),
        Err(Rejection::UnsafeSvg),
        "PNG named .svg"
    );
}

#[test]
fn a_stored_content_type_other_than_the_extensions_is_a_mismatch() {
    let png = fixture("gradient.png");
    for stored in [
        Some("text/html"),
        Some("image/jpeg"),
        Some("image/png+xml"),
        Some(""),
        None,
    ] {
        assert_eq!(
            judge(&png, stored, &expect("image/png")),
            Err(Rejection::ContentTypeMismatch),
            "{stored:?}"
        );
    }
}

#[test]
fn unsafe_svgs_are_refused() {
    let ns = r#"xmlns="http://www.w3.org/2000/svg""#;
    for svg in [
        format!("<svg {ns}><script>alert(document.domain)</script></svg>"),
        format!(r#"<svg {ns} onload="alert(1)"><rect width="1" height="1"/></svg>"#),
        format!(
            r#"<svg {ns}><foreignObject width="9" height="9"><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example/"/></foreignObject></svg>"#
        ),
        format!(
            r#"<svg {ns} xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><text>hi</text></a></svg>"#
        ),
        format!(r#"<svg {ns}><a href="  JAVASCRIPT:alert(1)"><text>hi</text></a></svg>"#),
        format!(
            r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><svg {ns}><text>&b;</text></svg>"#
        ),
        format!(r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg {ns}>&x;</svg>"#),
        "<html><body>not an svg</body></html>".to_owned(),
        format!("<svg {ns}><g>unclosed</svg>"),
    ] {
        assert_eq!(
            judge_as(svg.as_bytes(), "image/svg+xml"),
            Err(Rejection::UnsafeSvg),
            "{svg}"
        );
    }
}

/// An SVG larger than the probe is never read whole, so it cannot be judged
/// safe: refused even when its first 64 KiB are harmless.
#[test]
fn an_svg_larger_than_the_probe_is_unsafe() {
    let mut svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><!--"#.to_vec();
    svg.resize(MAX_PROBE_BYTES + 100, b'x');
    svg.extend_from_slice(b"--></svg>");
    assert_eq!(judge_as(&svg, "image/svg+xml"), Err(Rejection::UnsafeSvg));
    // The same document within the probe is fine.
    svg.truncate(MAX_PROBE_BYTES - 20);
    svg.extend_from_slice(b"--></svg>");
    assert_eq!(judge_as(&svg, "image/svg+xml"), NO_DIMENSIONS);
}

#[test]
fn raster_dimensions_within_the_type_limits() {
    let wide = fixture("wide.png");
    assert_eq!(
        judge_as(&wide, "image/png"),
        Err(Rejection::DimensionsExceeded),
        "9000 × 10"
    );
    let roomy = Expectation {
        max_width: 9000,
        max_height: 10,
        ..expect("image/png")
    };
    assert_eq!(
        judge(&wide, Some("image/png"), &roomy),
        raster(9000, 10),
        "limits are inclusive"
    );
    let tight = Expectation {
        max_width: 48,
        max_height: 31,
        ..expect("image/png")
    };
    let png = fixture("gradient.png");
    assert_eq!(
        judge(&png, Some("image/png"), &tight),
        Err(Rejection::DimensionsExceeded),
        "too tall"
    );
    // Dimensions are never checked for SVG or PDF.
    let tiny = Expectation {
        max_width: 1,
        max_height: 1,
        ..expect("application/pdf")
    };
    assert_eq!(
        judge(&fixture("doc.pdf"), Some("application/pdf"), &tiny),
        NO_DIMENSIONS
    );
}

/// A JPEG whose metadata pushes its frame header (and so its dimensions)
/// past the 64 KiB probe cannot be verified: `content_mismatch`.
#[test]
fn a_raster_header_beyond_the_probe_is_content_mismatch() {
    let jpeg = fixture("photo.jpg");
    let mut padded = jpeg[..2].to_vec(); // SOI
    for _ in 0..2 {
        // An APP15 segment of 65,533 bytes of payload.
        padded.extend_from_slice(&[0xFF, 0xEF, 0xFF, 0xFF]);
        padded.resize(padded.len() + 0xFFFF - 2, 0);
    }
    padded.extend_from_slice(&jpeg[2..]);
    assert_eq!(
        judge_as(&padded, "image/jpeg"),
        Err(Rejection::ContentMismatch)
    );
    // Read whole (no probe limit), the same bytes have their dimensions.
    let whole = StoredObject {
        size: padded.len() as u64,
        content_type: Some("image/jpeg"),
        head: &padded,
    };
    assert_eq!(check(&whole, &expect("image/jpeg")), raster(40, 30));
}

#[test]
fn size_is_checked_first() {
    let expected = Expectation {
        max_bytes: 100,
        ..expect("image/png")
    };
    let empty = StoredObject {
        size: 0,
        content_type: None,
        head: &[],
    };
    assert_eq!(check(&empty, &expected), Err(Rejection::Empty));
    let png = fixture("gradient.png");
    let over = StoredObject {
        size: 101,
        content_type: Some("text/html"),
        head: &png,
    };
    assert_eq!(check(&over, &expected), Err(Rejection::TooLarge));
    let at_limit = StoredObject { size: 100, ..over };
    assert_eq!(
        check(&at_limit, &expected),
        Err(Rejection::ContentTypeMismatch)
    );
}
