//! The canonical request of SigV4: URI encoding, canonical query string and
//! canonical headers.
//!
//! S3 signs the path exactly as sent: each byte outside RFC 3986's unreserved
//! set is percent-encoded once, `/` kept, with no dot-segment normalisation and
//! no double encoding (unlike the other AWS services). A space is `%20`, never
//! `+`: `+` is form encoding, and S3 decodes a literal `+` in a path as `+`, so
//! signing `+` for a space would name a different key.

use std::borrow::Cow;

/// RFC 3986 unreserved characters: the only bytes SigV4 leaves as they are.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Per byte: 1 = unreserved, 2 = `/` (kept in paths), 0 = escaped.
const KEEP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation)] // i < 256
        let b = i as u8;
        t[i] = if is_unreserved(b) {
            1
        } else if b == b'/' {
            2
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Appends `input` to `out`, percent-encoding every byte that is not
/// unreserved (upper-case hex). With `keep_slash`, `/` is kept (paths);
/// without, it becomes `%2F` (query keys and values).
pub fn uri_encode_into(out: &mut String, input: &str, keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = input.as_bytes();
    let mask = if keep_slash { 3 } else { 1 };
    let keep = |b: u8| KEEP[usize::from(b)] & mask != 0;
    let mut start = 0;
    while start < bytes.len() {
        // A run of bytes kept as they are (all ASCII): copied in one go.
        let run = bytes[start..]
            .iter()
            .position(|&b| !keep(b))
            .unwrap_or(bytes.len() - start);
        out.push_str(&input[start..start + run]);
        start += run;
        // Then the bytes to escape, until the next kept one.
        while let Some(&b) = bytes.get(start).filter(|&&b| !keep(b)) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
            start += 1;
        }
    }
}

/// `input` percent-encoded with `/` encoded too (a query component or one
/// path segment).
pub fn uri_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    uri_encode_into(&mut out, input, false);
    out
}

/// `input` percent-encoded with `/` kept (a whole object key in a path).
pub fn uri_encode_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    uri_encode_into(&mut out, input, true);
    out
}

/// The canonical query string: every name and value encoded, pairs sorted by
/// encoded name then encoded value, joined with `&`. The presigned URL
/// carries this same string, so the query sent is exactly the one signed.
pub fn canonical_query<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut encoded: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    encoded.sort_unstable();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
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
    let mut merged: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(4);
    for (name, value) in headers {
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        let value = normalize_value(value);
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                let joined = existing.to_mut();
                joined.push(',');
                joined.push_str(&value);
            }
            None => merged.push((name, value)),
        }
    }
    // Stable sort: names are unique now, so order is fully determined.
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let len: usize = merged.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut block = String::with_capacity(len);
    let mut signed = String::with_capacity(len);
    for (i, (name, value)) in merged.iter().enumerate() {
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
    let mut out = String::with_capacity(value.len());
    for word in value.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
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
    fn reserved_and_space_are_encoded_once_upper_hex() {
        assert_eq!(uri_encode("a b+c=d&e%f"), "a%20b%2Bc%3Dd%26e%25f");
        // Already-encoded input is encoded again, never trusted: S3 keys are raw.
        assert_eq!(uri_encode("%20"), "%2520");
    }

    #[test]
    fn slash_kept_in_paths_only() {
        assert_eq!(uri_encode_path("a/b c/é.png"), "a/b%20c/%C3%A9.png");
        assert_eq!(uri_encode("a/b"), "a%2Fb");
    }

    #[test]
    fn query_sorted_by_encoded_name() {
        // `%` (0x25) sorts before letters, as the encoded form must.
        let q = canonical_query([("Param", "2"), ("ሴ", "1"), ("A", "x y")]);
        assert_eq!(q, "%E1%88%B4=1&A=x%20y&Param=2");
    }

    #[test]
    fn headers_lowercased_trimmed_merged_sorted() {
        let h = canonical_headers([("X-B", "  two   words "), ("Host", "h"), ("x-b", "second")]);
        assert_eq!(h.block, "host:h\nx-b:two words,second\n");
        assert_eq!(h.signed, "host;x-b");
    }
}
