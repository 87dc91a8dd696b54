//! The canonical request of SigV4: URI encoding, canonical query string and
//! canonical headers (docs/spec.md §5).
//!
//! S3 signs the path exactly as sent: each byte outside RFC 3986's unreserved
//! set is percent-encoded once, `/` kept, with no dot-segment normalisation and
//! no double encoding (unlike the other AWS services). A space is `%20`, never
//! `+`: `+` is form encoding, and S3 decodes a literal `+` in a path as `+`, so
//! signing `+` for a space would name a different key.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Every byte but SigV4's unreserved ones (`A-Z a-z 0-9 - _ . ~`) is
/// escaped, as upper-case `%XX`: query names and values, one path segment.
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`COMPONENT`] with `/` kept: a whole object key in a path.
pub const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// Appends `input` to `out`, percent-encoded with `set`.
pub fn encode_into(out: &mut String, input: &str, set: &'static AsciiSet) {
    out.extend(utf8_percent_encode(input, set));
}

/// `input` percent-encoded with `set`; borrowed when nothing needed escaping.
pub fn encode<'a>(input: &'a str, set: &'static AsciiSet) -> Cow<'a, str> {
    utf8_percent_encode(input, set).into()
}

/// `input` percent-encoded with `/` encoded too (a query component or one
/// path segment).
pub fn uri_encode(input: &str) -> String {
    encode(input, COMPONENT).into_owned()
}

/// `input` percent-encoded with `/` kept (a whole object key in a path).
pub fn uri_encode_path(input: &str) -> String {
    encode(input, PATH).into_owned()
}

/// The canonical query string: every name and value encoded, pairs sorted by
/// encoded name then encoded value, joined with `&`. The presigned URL
/// carries this same string, so the query sent is exactly the one signed.
pub fn canonical_query<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    sorted_query(
        params
            .into_iter()
            .map(|(name, value)| (encode(name, COMPONENT), encode(value, COMPONENT)))
            .collect(),
    )
}

/// [`canonical_query`] of pairs already encoded (the signer passes the
/// `X-Amz-*` names and its unreserved values as they are, instead of
/// encoding them again for every URL): sorted by name then value, joined.
pub fn sorted_query(mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)>) -> String {
    pairs.sort_unstable();
    let len: usize = pairs.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    // Room for the `&X-Amz-Signature=…` a pre-signed URL's query ends with.
    let mut out = String::with_capacity(len + 81);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Canonical headers and the signed-headers list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalHeaders {
    /// `name:value\n` lines, names lower-cased and sorted.
    pub block: String,
    /// `name;name;…`, the same names in the same order.
    pub signed: String,
}

/// Lower-cases names, trims values and collapses runs of whitespace inside
/// them to one space, joins repeated names' values with `,` in the order
/// given, and sorts by name.
pub fn canonical_headers<'a, I>(headers: I) -> CanonicalHeaders
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut lines: Vec<(Cow<'a, str>, Cow<'a, str>)> = headers
        .into_iter()
        .map(|(name, value)| {
            let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                Cow::Borrowed(name)
            };
            (name, normalize_value(value))
        })
        .collect();
    // Stable: a repeated name's values stay in the order given, joined
    // into its first line.
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines.dedup_by(|next, kept| {
        let repeated = next.0 == kept.0;
        if repeated {
            let joined = kept.1.to_mut();
            joined.push(',');
            joined.push_str(&next.1);
        }
        repeated
    });
    let len: usize = lines.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut block = String::with_capacity(len);
    let mut signed = String::with_capacity(len);
    for (i, (name, value)) in lines.iter().enumerate() {
        block.push_str(name);
        block.push(':');
        block.push_str(value);
        block.push('\n');
        if i > 0 {
            signed.push(';');
        }
        signed.push_str(name);
    }
    CanonicalHeaders { block, signed }
}

/// RFC 9110 token characters: what a header name may hold.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Visible characters, spaces and tabs; no CR, LF or other controls (which
/// could not be sent, or would split the header).
pub fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || !b.is_ascii_control())
}

/// Trims and collapses whitespace runs to one space; borrows when the value
/// is already in that form (the common case).
fn normalize_value(value: &str) -> Cow<'_, str> {
    let b = value.as_bytes();
    // One pass: no whitespace but single spaces between words.
    let mut prev_space = true; // a leading space is not clean either
    let mut clean = true;
    for &c in b {
        let space = c == b' ';
        if (space && prev_space) || (c.is_ascii_whitespace() && !space) {
            clean = false;
            break;
        }
        prev_space = space;
    }
    let clean = (clean && !prev_space) || b.is_empty();
    if clean {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_bytes_pass_through() {
        let s = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        assert_eq!(uri_encode(s), s);
    }

    #[test]
    fn every_other_byte_is_encoded_once_upper_hex() {
        assert_eq!(uri_encode("a b+c=d&e%f"), "a%20b%2Bc%3Dd%26e%25f");
        // Already-encoded input is encoded again, never trusted: S3 keys are raw.
        assert_eq!(uri_encode("%20"), "%2520");
        for b in 0u8..128 {
            let c = char::from(b).to_string();
            let unreserved = b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
            let expected = if unreserved {
                c.clone()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(uri_encode(&c), expected, "byte {b}");
        }
    }

    #[test]
    fn slash_kept_in_paths_only() {
        assert_eq!(uri_encode_path("a/b c/é.png"), "a/b%20c/%C3%A9.png");
        assert_eq!(uri_encode("a/b"), "a%2Fb");
    }

    #[test]
    fn query_sorted_by_encoded_name_then_value() {
        // `%` (0x25) sorts before letters, as the encoded form must.
        let q = canonical_query([("Param", "2"), ("ሴ", "1"), ("A", "x y")]);
        assert_eq!(q, "%E1%88%B4=1&A=x%20y&Param=2");
        // By name first: `a` before `a-b` although `=` sorts after `-`.
        let q = canonical_query([("a-b", "1"), ("a", "2"), ("a", "1")]);
        assert_eq!(q, "a=1&a=2&a-b=1");
        assert_eq!(canonical_query([]), "");
    }

    #[test]
    fn headers_lowercased_trimmed_merged_sorted() {
        let h = canonical_headers([("X-B", "  two   words "), ("Host", "h"), ("x-b", "second")]);
        assert_eq!(h.block, "host:h\nx-b:two words,second\n");
        assert_eq!(h.signed, "host;x-b");
    }

    #[test]
    fn header_names_and_values() {
        assert!(is_header_name("x-amz-meta-a"));
        assert!(!is_header_name(""));
        assert!(!is_header_name("content type"));
        assert!(!is_header_name("a:b"));
        assert!(is_header_value("image/png; q=1\tx"));
        assert!(!is_header_value("image/png\r\nx-evil: 1"));
    }
}
