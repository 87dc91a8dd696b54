//! The JWKS at the edge: isolate memory, then KV (`JWKS_CACHE`, shared by
//! all isolates), then the issuer (docs/spec.md §6). What to do is decided by
//! the pure [`jwks_refresh`](super::jwks_refresh); this module only moves
//! bytes.
//!
//! One KV entry per JWKS URL (keyed by a hash of the URL, never by `kid`)
//! holds the document, when it was fetched and when a fetch was last
//! attempted — so the 30 s refetch cooldown holds across isolates. Within an
//! isolate, a request that would fetch while another request's fetch of the
//! same URL is in flight waits for it (polling memory on its own timer:
//! workerd forbids awaiting I/O that belongs to another request).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use worker::kv::KvStore;
use worker::Delay;

use super::jwks_refresh::{after_failed_fetch, decide, CacheView, Decision, FETCH_TIMEOUT_MS};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jwks::KeySet;
use super::AuthError;
use crate::edge::{read_stream_limited, StreamError};
use crate::log;
use crate::time::UtcTime;

/// KV entries outlive the 24 h stale limit a little, then vanish by themselves.
const KV_TTL_SECONDS: u64 = 2 * 24 * 3600;
/// A JWKS larger than this is refused (Clerk's are ~1 KB).
const MAX_JWKS_BYTES: usize = 256 * 1024;

#[derive(Clone, Default)]
struct Entry {
    fetched_at: Option<UtcTime>,
    attempted_at: Option<UtcTime>,
    keys: Option<Rc<KeySet>>,
    /// The raw document, to write back to KV unchanged after a failed attempt.
    raw: Option<Rc<str>>,
}

/// The KV value: `{"fetched_at":…,"attempted_at":…,"jwks":"…"}`, members
/// left out when unknown. Any other shape is read as no entry.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(skip_serializing_if = "Option::is_none")]
    fetched_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempted_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<String>,
}

type FetchOutcome = Result<Rc<KeySet>, &'static str>;

/// How often a waiting request looks whether the in-flight fetch finished.
const WAIT_STEP: Duration = Duration::from_millis(10);
/// A little over the fetch timeout: a fetch in flight longer than this is
/// considered lost (its request was cancelled) and no longer waited for.
const WAIT_LIMIT: Duration = Duration::from_millis(FETCH_TIMEOUT_MS as u64 + 500);

thread_local! {
    static MEMORY: RefCell<HashMap<String, Entry>> = RefCell::new(HashMap::new());
    /// URLs whose fetch is in flight in this isolate, with when it started
    /// (ms). A marker older than `WAIT_LIMIT` is abandoned — its request was
    /// cancelled mid-fetch — and the next request fetches itself.
    static IN_FLIGHT: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

fn kv_key(url: &str) -> String {
    format!("jwks:v1:{}", hex::encode(Sha256::digest(url)))
}

fn view(entry: &Entry, kid: Option<&str>) -> CacheView {
    CacheView {
        fetched_at: entry.fetched_at,
        attempted_at: entry.attempted_at,
        kid_found: entry.keys.as_ref().is_some_and(|k| k.find(kid).is_some()),
    }
}

async fn load_from_kv(kv: &KvStore, url: &str) -> Entry {
    let stored = match kv.get(&kv_key(url)).text().await {
        Ok(Some(text)) => serde_json::from_str::<Stored>(&text).ok(),
        Ok(None) => return Entry::default(),
        Err(_) => None,
    };
    let Some(stored) = stored else {
        log::warn("jwks_kv_read_failed", &[]);
        return Entry::default();
    };
    let keys = stored
        .jwks
        .as_deref()
        .and_then(|raw| KeySet::from_jwks_json(raw).ok());
    Entry {
        fetched_at: keys
            .as_ref()
            .and(stored.fetched_at.map(UtcTime::from_unix_seconds)),
        attempted_at: stored.attempted_at.map(UtcTime::from_unix_seconds),
        keys: keys.map(Rc::new),
        raw: stored.jwks.map(Rc::from),
    }
}

fn remember(url: &str, entry: Entry) {
    MEMORY.with(|m| m.borrow_mut().insert(url.to_owned(), entry));
}

/// The key set that holds the token's `kid`, fetching the JWKS when the
/// cache policy says so.
///
/// # Errors
/// [`AuthError::UnknownKey`] or [`AuthError::KeysUnavailable`].
pub(super) async fn keys_for(
    kv: &KvStore,
    url: &str,
    kid: Option<&str>,
    now: UtcTime,
) -> Result<Rc<KeySet>, AuthError> {
    let cached = MEMORY.with(|m| m.borrow().get(url).cloned());
    let from_memory = cached.is_some();
    let mut entry = if let Some(e) = cached {
        e
    } else {
        let e = load_from_kv(kv, url).await;
        remember(url, e.clone());
        e
    };
    let mut decision = decide(view(&entry, kid), now);
    if decision == Decision::Fetch && from_memory {
        // Another isolate may have fetched (or tried) since this one read KV.
        let shared = load_from_kv(kv, url).await;
        if shared.attempted_at > entry.attempted_at {
            entry = shared;
            remember(url, entry.clone());
            decision = decide(view(&entry, kid), now);
        }
    }
    match decision {
        Decision::UseCached => entry.keys.ok_or(AuthError::KeysUnavailable),
        Decision::Reject(e) => Err(e),
        Decision::Fetch => match shared_fetch(kv, url, now, entry.fetched_at).await {
            Ok(keys) if keys.find(kid).is_some() => Ok(keys),
            Ok(_) => Err(AuthError::UnknownKey),
            Err(_) => match after_failed_fetch(view(&entry, kid), now) {
                Decision::UseCached => entry.keys.ok_or(AuthError::KeysUnavailable),
                Decision::Reject(e) => Err(e),
                Decision::Fetch => Err(AuthError::KeysUnavailable),
            },
        },
    }
}

/// Fetches unless another request of this isolate is already fetching the
/// URL; then waits for that fetch and reports its result from memory.
///
/// `seen`: the fetch time of the set this request already had; a waiter
/// succeeds when the other fetch left a newer set.
async fn shared_fetch(
    kv: &KvStore,
    url: &str,
    now: UtcTime,
    seen: Option<UtcTime>,
) -> FetchOutcome {
    let limit_ms = u64::try_from(WAIT_LIMIT.as_millis()).unwrap_or(u64::MAX);
    let in_flight = || {
        IN_FLIGHT.with(|f| {
            f.borrow().get(url).is_some_and(|started| {
                worker::Date::now().as_millis().saturating_sub(*started) < limit_ms
            })
        })
    };
    if !in_flight() {
        let started = worker::Date::now().as_millis();
        IN_FLIGHT.with(|f| f.borrow_mut().insert(url.to_owned(), started));
        let outcome = fetch_and_store(kv.clone(), url.to_owned(), now).await;
        IN_FLIGHT.with(|f| {
            let mut f = f.borrow_mut();
            // Only our own marker: a later request may have replaced an abandoned one.
            if f.get(url) == Some(&started) {
                f.remove(url);
            }
        });
        return outcome;
    }
    let mut waited = Duration::ZERO;
    while in_flight() && waited < WAIT_LIMIT {
        Delay::from(WAIT_STEP).await;
        waited += WAIT_STEP;
    }
    let entry = MEMORY
        .with(|m| m.borrow().get(url).cloned())
        .unwrap_or_default();
    match entry.keys {
        // The other request's fetch succeeded meanwhile.
        Some(keys) if entry.fetched_at > seen => Ok(keys),
        _ => Err("concurrent_fetch_failed"),
    }
}

async fn fetch_and_store(kv: KvStore, url: String, now: UtcTime) -> FetchOutcome {
    let fetched = fetch_jwks(&url).await.and_then(|raw| {
        KeySet::from_jwks_json(&raw)
            .map(|k| (k, raw))
            .map_err(|_| "malformed_jwks")
    });
    let previous = MEMORY
        .with(|m| m.borrow().get(&url).cloned())
        .unwrap_or_default();
    let (entry, outcome) = match fetched {
        Ok((keys, raw)) => {
            if !keys.skipped.is_empty() {
                log::info(
                    "jwks_keys_skipped",
                    &[("count", &keys.skipped.len().to_string())],
                );
            }
            let keys = Rc::new(keys);
            let entry = Entry {
                fetched_at: Some(now),
                attempted_at: Some(now),
                keys: Some(Rc::clone(&keys)),
                raw: Some(Rc::from(raw)),
            };
            (entry, Ok(keys))
        }
        Err(reason) => {
            log::warn("jwks_fetch_failed", &[("cause", reason)]);
            let entry = Entry {
                attempted_at: Some(now),
                ..previous
            };
            (entry, Err(reason))
        }
    };
    remember(&url, entry.clone());
    let stored = Stored {
        fetched_at: entry.fetched_at.map(UtcTime::unix_seconds),
        attempted_at: entry.attempted_at.map(UtcTime::unix_seconds),
        jwks: entry.raw.as_deref().map(str::to_owned),
    };
    // The JSON text's bytes: `put` with a value would convert it through
    // serde-wasm-bindgen.
    let text = serde_json::to_vec(&stored).unwrap_or_default();
    let written = match kv.put_bytes(&kv_key(&url), &text) {
        Ok(put) => put.expiration_ttl(KV_TTL_SECONDS).execute().await.is_ok(),
        Err(_) => false,
    };
    if !written {
        log::warn("jwks_kv_write_failed", &[]);
    }
    outcome
}

async fn fetch_jwks(url: &str) -> Result<String, &'static str> {
    // The runtime's own `fetch`, through web-sys: `worker::Fetch` would bring
    // its `cf` request options and their serializer into the wasm.
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    let headers = web_sys::Headers::new().map_err(|_| "request")?;
    headers
        .set("Accept", "application/json")
        .map_err(|_| "request")?;
    init.set_headers(&headers);
    // Covers the body too: a stalled body is cut off at the same deadline.
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
        FETCH_TIMEOUT_MS,
    )));
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| "request")?;
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let response: web_sys::Response = JsFuture::from(global.fetch_with_request(&request))
        .await
        .map_err(|_| "unreachable_or_timeout")?
        .dyn_into()
        .map_err(|_| "unreachable_or_timeout")?;
    if response.status() != 200 {
        return Err("bad_status");
    }
    // Bounded before and while reading: a declared length over the limit is
    // refused unread, and a body without one stops at the limit.
    let declared = response
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_JWKS_BYTES as u64) {
        return Err("too_large");
    }
    let body =
        match response.body() {
            None => Vec::new(),
            Some(stream) => read_stream_limited(&stream, MAX_JWKS_BYTES)
                .await
                .map_err(|err| match err {
                    StreamError::TooLarge => "too_large",
                    StreamError::Read => "unreachable_or_timeout",
                })?,
        };
    String::from_utf8(body).map_err(|_| "malformed_jwks")
}
