//! The string to sign, the signing key and the signature (SigV4 steps 2–4).

use hmac::{Hmac, Mac};
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use zeroize::Zeroizing;

/// The only algorithm this signer produces.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable_hmac()
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of any length; the memo was just filled")
}

/// Lower-case hex of `bytes` (a table, not `format!`: this runs twice per URL).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    // Hex digits are ASCII: never the empty fallback.
    String::from_utf8(out).unwrap_or_default()
}

/// Lower-case hex of `bytes` into the first `2 * bytes.len()` bytes of `out`
/// (as many whole bytes as fit).
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// `date/region/service/aws4_request`.
pub fn credential_scope(date_stamp: &str, region: &str, service: &str) -> String {
    let mut out = String::with_capacity(date_stamp.len() + region.len() + service.len() + 15);
    for (i, part) in [date_stamp, region, service, "aws4_request"]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date_stamp: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date_stamp.as_bytes());
    k_secret.fill(0);
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// One remembered derivation: (secret, date, region, service) → the HMAC
/// state already keyed with the signing key (saves the key derivation and
/// two compressions per URL).
struct Memo {
    secret: Zeroizing<String>,
    date_stamp: String,
    region: String,
    service: String,
    /// SHA-256 states after the signing key's inner (`ipad`) and outer
    /// (`opad`) blocks: HMAC from here is the message's blocks plus one.
    inner: [u32; 8],
    outer: [u32; 8],
    /// The credential scope, raw and as a query value: they change with
    /// the same inputs.
    scope: String,
    scope_query: String,
}

thread_local! {
    /// The last signing key derived on this thread. A key changes only with
    /// the date, so an isolate signing all day derives it once per day
    /// instead of with four HMACs per URL. A memo: results are identical.
    static LAST_KEY: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Runs `f` on the memo for (secret, date, region, service), deriving it first
/// if the last one was for other inputs.
fn with_memo<T>(
    secret: &str,
    date_stamp: &str,
    region: &str,
    service: &str,
    f: impl FnOnce(&Memo) -> T,
) -> T {
    LAST_KEY.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fresh = slot.as_ref().is_some_and(|m| {
            m.date_stamp == date_stamp
                && m.region == region
                && m.service == service
                && m.secret.as_str() == secret
        });
        if !fresh {
            let mut key = signing_key(secret, date_stamp, region, service);
            let (inner, outer) = keyed_states(&key);
            key.fill(0);
            let scope = credential_scope(date_stamp, region, service);
            *slot = Some(Memo {
                secret: Zeroizing::new(secret.to_owned()),
                date_stamp: date_stamp.to_owned(),
                region: region.to_owned(),
                service: service.to_owned(),
                inner,
                outer,
                scope_query: super::canonical::uri_encode(&scope),
                scope,
            });
        }
        match slot.as_ref() {
            Some(memo) => f(memo),
            None => unreachable_hmac(),
        }
    })
}

/// [`signature`] with the signing key for these inputs, derived at most once
/// per (secret, date, region, service) on this thread.
pub fn signature_cached(
    secret: &str,
    date_stamp: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    with_memo(secret, date_stamp, region, service, |m| {
        let mut buf = string_to_sign.as_bytes().to_vec();
        hex(&DayKey(m).hmac_in_place(&mut buf, 0))
    })
}

/// What stays the same for every URL signed with one (secret, date, region,
/// service): the keyed HMAC state and the credential scope.
#[derive(Debug)]
pub struct DayKey<'a>(&'a Memo);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl DayKey<'_> {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.0.scope
    }

    /// The scope percent-encoded as a query value.
    pub fn scope_query(&self) -> &str {
        &self.0.scope_query
    }

    /// The signature of the string to sign in `buf[start..]`, as lower-case
    /// hex into `out`. `buf` is scratch: the padding is written into it.
    pub fn sign_into(&self, buf: &mut Vec<u8>, start: usize, out: &mut [u8; 64]) {
        hex_into(&self.hmac_in_place(buf, start), out);
    }

    /// HMAC-SHA256 under the signing key of `buf[start..]` (padded in place).
    fn hmac_in_place(&self, buf: &mut Vec<u8>, start: usize) -> [u8; 32] {
        let inner = finish_sha256(self.0.inner, 64, buf, start);
        let mut outer_block = [0u8; 64];
        outer_block[..32].copy_from_slice(&inner);
        outer_block[32] = 0x80;
        // Length: the opad block plus the inner digest, in bits.
        outer_block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        let mut state = self.0.outer;
        compress(&mut state, &outer_block);
        state_bytes(state)
    }
}

/// Runs `f` with the [`DayKey`] for these inputs, derived at most once per
/// (secret, date, region, service) on this thread.
pub fn with_day_key<T>(
    secret: &str,
    date_stamp: &str,
    region: &str,
    service: &str,
    f: impl FnOnce(&DayKey<'_>) -> T,
) -> T {
    with_memo(secret, date_stamp, region, service, |m| f(&DayKey(m)))
}

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// One SHA-256 compression of a 64-byte block.
fn compress(state: &mut [u32; 8], block: &[u8]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

fn state_bytes(state: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The states after HMAC's `ipad` and `opad` key blocks for `key`.
fn keyed_states(key: &[u8; 32]) -> ([u32; 8], [u32; 8]) {
    let mut block = [0u8; 64];
    let mut states = [IV; 2];
    for (state, pad) in states.iter_mut().zip([0x36u8, 0x5c]) {
        block.fill(pad);
        for (b, k) in block.iter_mut().zip(key) {
            *b ^= k;
        }
        compress(state, &block);
    }
    block.fill(0);
    (states[0], states[1])
}

/// Finishes a SHA-256 whose `state` has absorbed `absorbed` bytes (whole
/// blocks) with the message `buf[start..]`, padding it in place: the blocks
/// are compressed straight from the buffer, with no copy into a hasher (the
/// HMAC's inner hash, from the memoized keyed state).
fn finish_sha256(mut state: [u32; 8], absorbed: u64, buf: &mut Vec<u8>, start: usize) -> [u8; 32] {
    let len = buf.len().saturating_sub(start);
    let bits = (absorbed + len as u64) * 8;
    // 0x80, zeros up to 56 mod 64, then the length: whole blocks.
    let padded = (len + 9).div_ceil(64) * 64;
    buf.push(0x80);
    buf.resize(start + padded - 8, 0);
    buf.extend_from_slice(&bits.to_be_bytes());
    for block in buf[start..].chunks_exact(64) {
        compress(&mut state, block);
    }
    state_bytes(state)
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = sha256_hex(canonical_request.as_bytes());
    let mut out =
        String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + hash.len() + 3);
    for (i, part) in [ALGORITHM, amz_date, scope, &hash].into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(part);
    }
    out
}

/// Hex HMAC of the string to sign under the signing key.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn cached_signature_equals_derived_one_and_follows_every_input() {
        let args = [
            ("secret-a", "20261125", "us-east-1", "s3"),
            ("secret-a", "20261125", "us-east-1", "s3"),
            ("secret-a", "20261126", "us-east-1", "s3"),
            ("secret-a", "20261126", "auto", "s3"),
            ("secret-a", "20261126", "auto", "service"),
            ("secret-b", "20261126", "auto", "service"),
            ("secret-a", "20261125", "us-east-1", "s3"),
        ];
        for (secret, date, region, service) in args {
            assert_eq!(
                signature_cached(secret, date, region, service, "string to sign"),
                signature(
                    &signing_key(secret, date, region, service),
                    "string to sign"
                ),
            );
        }
    }

    #[test]
    fn memoized_hmac_pads_every_length_like_the_hmac_crate() {
        // The memo finishes HMAC from raw SHA-256 states and pads by hand:
        // every length around the 55/56/64-byte padding edges, and beyond.
        let key = signing_key("secret", "20261125", "us-east-1", "s3");
        for len in 0..=200 {
            let message: String = "x".repeat(len);
            assert_eq!(
                signature_cached("secret", "20261125", "us-east-1", "s3", &message),
                signature(&key, &message),
                "length {len}"
            );
        }
    }

    #[test]
    fn signing_key_matches_aws_documentation() {
        // From the AWS General Reference "Examples of how to derive a signing
        // key": secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
        // us-east-1, iam.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
