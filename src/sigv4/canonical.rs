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

/// `%00%01…%FF`: byte `b`'s escape is `ESCAPES[3b..3b + 3]`.
const ESCAPES: &str = match std::str::from_utf8(&ESCAPE_BYTES) {
    Ok(s) => s,
    Err(_) => "",
};
const ESCAPE_BYTES: [u8; 768] = {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [0u8; 768];
    let mut i = 0;
    while i < 256 {
        t[3 * i] = b'%';
        t[3 * i + 1] = HEX[i >> 4];
        t[3 * i + 2] = HEX[i & 0x0f];
        i += 1;
    }
    t
};

/// Appends `input` to `out`, percent-encoding every byte that is not
/// unreserved (upper-case hex). With `keep_slash`, `/` is kept (paths);
/// without, it becomes `%2F` (query keys and values).
pub fn uri_encode_into(out: &mut String, input: &str, keep_slash: bool) {
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
            let i = 3 * usize::from(b);
            out.push_str(ESCAPES.get(i..i + 3).unwrap_or_default());
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
    // Names first, then values (a repeated name): the encoded pairs' order.
    crate::small::sort_small_by(&mut encoded, |a, b| a < b);
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
    crate::small::sort_small_by(&mut merged, |a, b| a.0 < b.0);
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

/// Most headers a request signs besides `host` for the allocation-free form.
const MAX_SIMPLE: usize = 7;

/// Canonical headers in the form the URL fast path hashes: in the common case
/// (names already lower-case and distinct, values already trimmed) the
/// borrowed pairs sorted in place, with `host` filled in when written;
/// otherwise [`canonical_headers`]' general result.
#[derive(Debug, Clone)]
// Lives on the stack for one signature; boxing the common case would cost the
// allocation it exists to avoid.
#[allow(clippy::large_enum_variant)]
pub enum HeaderLines<'a> {
    Simple {
        /// Sorted by name; `host`'s value is a placeholder.
        lines: [(&'a str, &'a str); MAX_SIMPLE + 1],
        len: usize,
        host_at: usize,
    },
    General(CanonicalHeaders),
}

impl<'a> HeaderLines<'a> {
    /// The canonical form of `host` plus `headers` (as [`canonical_headers`]).
    pub fn new(headers: &[(&'a str, &'a str)], host: &str) -> Self {
        let simple = headers.len() <= MAX_SIMPLE
            && headers.iter().all(|(name, value)| {
                *name != "host"
                    && !name.bytes().any(|b| b.is_ascii_uppercase())
                    && matches!(normalize_value(value), Cow::Borrowed(_))
            });
        if simple {
            let mut lines = [("", ""); MAX_SIMPLE + 1];
            lines[..headers.len()].copy_from_slice(headers);
            lines[headers.len()] = ("host", "");
            let len = headers.len() + 1;
            crate::small::sort_small_by(&mut lines[..len], |a, b| a.0 < b.0);
            if lines[..len].windows(2).all(|w| w[0].0 != w[1].0) {
                let host_at = lines[..len].iter().position(|l| l.0 == "host");
                if let Some(host_at) = host_at {
                    return Self::Simple {
                        lines,
                        len,
                        host_at,
                    };
                }
            }
        }
        Self::General(canonical_headers(
            std::iter::once(("host", host)).chain(headers.iter().copied()),
        ))
    }

    /// Appends `name;name;…` to `out`.
    pub fn write_signed_names(&self, out: &mut Vec<u8>) {
        match self {
            Self::Simple { lines, len, .. } => {
                for (i, (name, _)) in lines[..*len].iter().enumerate() {
                    if i > 0 {
                        out.push(b';');
                    }
                    out.extend_from_slice(name.as_bytes());
                }
            }
            Self::General(h) => out.extend_from_slice(h.signed.as_bytes()),
        }
    }

    /// Appends the `name:value\n` block to `out`, with `host` as the host's
    /// value.
    pub fn write_block(&self, host: &str, out: &mut Vec<u8>) {
        match self {
            Self::Simple {
                lines,
                len,
                host_at,
            } => {
                for (i, (name, value)) in lines[..*len].iter().enumerate() {
                    out.extend_from_slice(name.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(if i == *host_at { host } else { value }.as_bytes());
                    out.push(b'\n');
                }
            }
            Self::General(h) => out.extend_from_slice(h.block.as_bytes()),
        }
    }
}

/// `n` in decimal, written at the end of `buf`.
pub fn u32_decimal(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Digits only: always ASCII.
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
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
