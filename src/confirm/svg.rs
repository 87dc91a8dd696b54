//! "An SVG is XML whose root is `svg` and has no script" (docs/spec.md §12),
//! read with `quick-xml` event by event.
//!
//! An SVG opened from its public `link` is a document of the bucket's origin:
//! any script in it runs there. So the check is strict — anything it cannot
//! judge is unsafe:
//! - the document must be whole in the probe: an SVG larger than
//!   [`MAX_PROBE_BYTES`] is never read whole, so it is refused;
//! - it must be well-formed XML (one root, matching end tags, valid
//!   attributes and references), root element `svg` (by local name, any
//!   prefix or namespace);
//! - no DOCTYPE (so no entity declarations: billion laughs, external
//!   entities) and no processing instruction (`xml-stylesheet` loads
//!   stylesheets) besides the XML declaration;
//! - no `script`, `foreignObject` (HTML inside SVG), `handler` (SVG Tiny's
//!   script), `iframe`, `embed` or `object` element, compared by local name
//!   without case;
//! - no attribute named `on…` (event handlers), no `attributeName="on…"`
//!   (animating a handler in), and no attribute value containing
//!   `javascript:` once references are resolved and whitespace and control
//!   characters removed (browsers strip those from URLs: `java&#9;script:`).

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{Rejection, StoredObject, MAX_PROBE_BYTES};

/// The MIME type this module judges.
pub(super) const MIME: &str = "image/svg+xml";

/// Elements that run script or embed a document of their own.
const DENIED_ELEMENTS: &[&str] = &[
    "script",
    "foreignobject",
    "handler",
    "iframe",
    "embed",
    "object",
];

/// Checks a stored SVG (docs/spec.md §12).
///
/// # Errors
/// [`Rejection::UnsafeSvg`] for anything listed in the module docs.
pub(super) fn check(object: &StoredObject<'_>) -> Result<(), Rejection> {
    let whole = u64::try_from(object.head.len()).is_ok_and(|n| n == object.size);
    if whole && object.head.len() <= MAX_PROBE_BYTES && is_safe(object.head) {
        Ok(())
    } else {
        Err(Rejection::UnsafeSvg)
    }
}

/// `xml` is a well-formed SVG document with nothing that runs script.
fn is_safe(xml: &[u8]) -> bool {
    let mut reader = Reader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut depth = 0_usize;
    let mut seen_root = false;
    loop {
        let Ok(event) = reader.read_event() else {
            return false;
        };
        match event {
            // A second root element.
            Event::Start(_) | Event::Empty(_) if depth == 0 && seen_root => return false,
            Event::Start(e) => {
                if !element_is_safe(&e, depth == 0) {
                    return false;
                }
                seen_root = true;
                depth += 1;
            }
            Event::Empty(e) => {
                if !element_is_safe(&e, depth == 0) {
                    return false;
                }
                seen_root = true;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) if depth == 0 => {
                if !t.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                    return false;
                }
            }
            Event::GeneralRef(r) => {
                if depth == 0 || !reference_resolves(&r) {
                    return false;
                }
            }
            Event::CData(_) if depth == 0 => return false,
            Event::Text(_) | Event::CData(_) | Event::Comment(_) | Event::Decl(_) => {}
            Event::DocType(_) | Event::PI(_) => return false,
            Event::Eof => return seen_root && depth == 0,
        }
    }
}

/// A reference in text: a character reference or one of XML's five
/// predefined entities (no DOCTYPE, so nothing else is declared).
fn reference_resolves(r: &BytesRef<'_>) -> bool {
    if r.is_char_ref() {
        matches!(r.resolve_char_ref(), Ok(Some(_)))
    } else {
        resolve_predefined_entity(r).is_some()
    }
}

fn element_is_safe(e: &BytesStart<'_>, is_root: bool) -> bool {
    let name = e.local_name().into_inner();
    if is_root && name != "svg" {
        return false;
    }
    if DENIED_ELEMENTS.iter().any(|d| d.eq_ignore_ascii_case(name)) {
        return false;
    }
    e.attributes().all(|attr| {
        let Ok(attr) = attr else {
            return false;
        };
        let Ok(value) = attr.normalized_value(XmlVersion::Implicit1_0) else {
            return false;
        };
        let key = attr.key.local_name().into_inner();
        let value: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .flat_map(char::to_lowercase)
            .collect();
        let runs_script = starts_with_on(key)
            || (key.eq_ignore_ascii_case("attributename") && starts_with_on(&value))
            || value.contains("javascript:");
        !runs_script
    })
}

/// An event handler's name: `on…`, without case.
fn starts_with_on(name: &str) -> bool {
    name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(svg: &str) -> bool {
        is_safe(svg.as_bytes())
    }

    const NS: &str = r#"xmlns="http://www.w3.org/2000/svg""#;

    #[test]
    fn plain_svgs_are_safe() {
        assert!(safe(&format!(
            r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn by hand -->
<svg {NS} width="4" height="2" viewBox="0 0 4 2"><title>a &amp; b &#233;</title>
  <rect x="0" y="0" width="4" height="2" fill="#0a0" opacity="0.5"/>
  <a href="https://example.com/"><text><![CDATA[<script>]]></text></a>
</svg>
"##
        )));
        assert!(safe(
            r##"<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#a" offset="1"/><a href="&#104;ttps://x/?a=1&amp;b=java"/></svg>"##
        ));
        assert!(safe(r#"<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>"#));
        assert!(is_safe(b"\xef\xbb\xbf<svg/>"), "a UTF-8 BOM");
    }

    #[test]
    fn scripts_are_unsafe() {
        for bad in [
            "<svg><script>alert(1)</script></svg>",
            "<svg><SCRIPT/></svg>",
            r#"<svg><h:script xmlns:h="http://www.w3.org/1999/xhtml"/></svg>"#,
            "<svg><foreignObject><div/></foreignObject></svg>",
            "<svg><g><handler/></g></svg>",
            r#"<svg onload="alert(1)"/>"#,
            r#"<svg><rect ONCLICK="x()"/></svg>"#,
            r#"<svg><a href="javascript:alert(1)"/></svg>"#,
            r#"<svg><a xlink:href=" &#x09;JaVa&#10;Script:alert(1)"/></svg>"#,
            r#"<svg><a href="&#106;avascript:alert(1)"/></svg>"#,
            r#"<svg><a><animate attributeName="href" values="0;javascript:alert(1)"/></a></svg>"#,
            r#"<svg><set attributeName="onmouseover" to="alert(1)"/></svg>"#,
        ] {
            assert!(!safe(bad), "{bad}");
        }
    }

    #[test]
    fn what_cannot_be_judged_is_unsafe() {
        for bad in [
            "",
            "   ",
            "<html><svg/></html>",
            "<svg>",
            "<svg></g>",
            "<svg/><svg/>",
            "<svg/>trailing",
            r#"<svg a="1" a="2"/>"#,
            "<svg>&undefined;</svg>",
            r#"<svg><a href="&undefined;"/></svg>"#,
            r#"<?xml-stylesheet href="evil.css"?><svg/>"#,
            r#"<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg>&b;</svg>"#,
            r#"<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>"#,
        ] {
            assert!(!safe(bad), "{bad:?}");
        }
        assert!(!is_safe(b"<svg>\xff</svg>"), "not UTF-8");
    }

    #[test]
    fn only_a_whole_document_is_judged() {
        let doc = b"<svg/>";
        let object = |size, head| StoredObject {
            size,
            content_type: Some(MIME),
            head,
        };
        assert_eq!(check(&object(6, doc)), Ok(()));
        assert_eq!(check(&object(7, doc)), Err(Rejection::UnsafeSvg));
        let big = vec![b' '; MAX_PROBE_BYTES + 1];
        assert_eq!(
            check(&object(big.len() as u64, &big)),
            Err(Rejection::UnsafeSvg)
        );
    }
}
