//! The `RateLimiter` Durable Object: one per user (`idFromName(sub)`), its
//! GCRA state (the TAT, one row) in the object's storage so eviction or
//! restart does not reset the budget. One request in, one JSON [`Verdict`] out.
//!
//! Exactness under concurrency: the object's SQLite storage is used through
//! its synchronous API, so the read, the decision and the write run without
//! a single `await` — no other request can interleave, and N concurrent
//! requests get exactly the budget's worth of `allowed`. The row is read
//! once per instance and then mirrored in memory. (It also avoids two
//! storage promises per request; end to end that was within noise of
//! `storage().get/put`, see docs/benchmarks.md.)

use std::cell::Cell;
use std::num::NonZeroU32;

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{durable_object, Date, DurableObject, Env, Request, Response, Result, State};

use super::gcra::{self, Quota};
use super::Verdict;
use crate::response::ApiResponse;

/// One row: the exact theoretical arrival time, `ms + rem / den` ms since
/// the epoch, and the window it was computed under ([`gcra::Tat`]; each
/// part exact as a JavaScript number).
const CREATE: &str = "CREATE TABLE IF NOT EXISTS gcra_v2 (id INTEGER PRIMARY KEY CHECK (id = 0), \
     ms REAL NOT NULL, rem INTEGER NOT NULL, den INTEGER NOT NULL, window_ms REAL NOT NULL)";
const SELECT: &str = "SELECT ms, rem, den, window_ms FROM gcra_v2 WHERE id = 0";
const UPSERT: &str = "INSERT INTO gcra_v2 (id, ms, rem, den, window_ms) VALUES (0, ?, ?, ?, ?) \
     ON CONFLICT(id) DO UPDATE SET ms = excluded.ms, rem = excluded.rem, den = excluded.den, \
     window_ms = excluded.window_ms";
/// The first layout kept whole ms in `gcra (id, tat)`, which lost part of a
/// burst when `window / max` was fractional. Its row is read once, when an
/// object has no `gcra_v2` row yet, so an upgrade does not reset budgets.
const SELECT_V1: &str = "SELECT tat FROM gcra WHERE id = 0";

/// A `gcra_v2` row as the runtime gives it (JavaScript numbers).
#[derive(Deserialize)]
struct Row {
    ms: f64,
    rem: f64,
    den: f64,
    window_ms: f64,
}

/// A first-layout `gcra` row.
#[derive(Deserialize)]
struct V1Row {
    tat: f64,
}

/// The first row of a query's result; `Err` if the cursor fails.
fn first_row(mut cursor: worker::SqlCursor) -> std::result::Result<Option<JsValue>, Refusal> {
    Iterator::next(&mut cursor)
        .transpose()
        .map_err(|_| Refusal::Storage)
}

/// The TAT in a `gcra_v2` row; `None` for a row that is not a valid one.
fn row_tat(row: JsValue) -> Option<gcra::Tat> {
    let row: Row = serde_wasm_bindgen::from_value(row).ok()?;
    let den = number_to_u32(row.den).filter(|d| *d >= 1)?;
    let rem = number_to_u32(row.rem).filter(|r| *r < den)?;
    Some(gcra::Tat {
        ms: number_to_ms(row.ms)?,
        rem,
        den,
        window_ms: number_to_ms(row.window_ms).filter(|w| *w >= 1)?,
    })
}

#[durable_object]
pub struct RateLimiter {
    state: State,
    /// The stored TAT, once this instance has read it; then kept equal to
    /// the row.
    tat: Cell<Mirror>,
}

/// The in-memory copy of the row.
#[derive(Clone, Copy)]
enum Mirror {
    NotLoaded,
    /// The row's TAT; `None` when there is no row yet.
    Loaded(Option<gcra::Tat>),
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

/// `?max=N&window=N` from the request URL.
fn quota_from(req: &Request) -> Option<Quota> {
    let url = url::Url::parse(&req.inner().url()).ok()?;
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u32>().ok())
            .and_then(NonZeroU32::new)
    };
    Some(Quota {
        max: get("max")?,
        window_seconds: get("window")?,
    })
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn ms_to_number(ms: u64) -> f64 {
    ms as f64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn number_to_ms(n: f64) -> Option<u64> {
    (n.is_finite() && n >= 0.0).then_some(n as u64)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn number_to_u32(n: f64) -> Option<u32> {
    (n.is_finite() && n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0).then_some(n as u32)
}

/// The first layout's TAT, if this object has one (no such table is `None`),
/// in whole ms under the current quota.
fn v1_tat(sql: &worker::SqlStorage, quota: Quota) -> Option<gcra::Tat> {
    let row = first_row(sql.exec(SELECT_V1, None).ok()?).ok()??;
    let row: V1Row = serde_wasm_bindgen::from_value(row).ok()?;
    Some(gcra::Tat {
        ms: number_to_ms(row.tat.ceil())?,
        rem: 0,
        den: 1,
        window_ms: quota.window_ms(),
    })
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tat: Cell::new(Mirror::NotLoaded),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        // Every outcome is an answer, never a `worker::Error`: the glue
        // would format one with its whole source chain (serde_json's
        // messages, float formatting — ~30 KB of wasm). A storage failure is
        // a 500, which the Worker treats like an unreachable object.
        let resp = match self.take(&req) {
            Ok(verdict) => ApiResponse::json(200, &verdict),
            Err(Refusal::BadQuota) => ApiResponse::json(
                400,
                &Failure {
                    error: "max and window must be positive integers",
                },
            ),
            Err(Refusal::Storage) => {
                crate::log::error("ratelimit_storage_failed", &[]);
                ApiResponse::json(500, &Failure { error: "storage" })
            }
        };
        Ok(Response::from(
            crate::edge::to_web_response(&resp).unwrap_or_else(|_| web_sys::Response::error()),
        ))
    }
}

/// The object's answer when it has no verdict.
#[derive(serde::Serialize)]
struct Failure {
    error: &'static str,
}

/// Why the object answered without a verdict.
enum Refusal {
    BadQuota,
    Storage,
}

impl RateLimiter {
    /// The decision for one request, with its write, and no `await`.
    fn take(&self, req: &Request) -> std::result::Result<Verdict, Refusal> {
        let Some(quota) = quota_from(req) else {
            return Err(Refusal::BadQuota);
        };
        let sql = self.state.storage().sql();
        // An instance is single-threaded and the only writer of its row, so
        // after one read its memory is the row: one statement per request.
        let now_ms = Date::now().as_millis();
        let stored = if let Mirror::Loaded(tat) = self.tat.get() {
            tat
        } else {
            sql.exec(CREATE, None).map_err(|_| Refusal::Storage)?;
            let row = first_row(sql.exec(SELECT, None).map_err(|_| Refusal::Storage)?)?;
            let tat = match row {
                Some(r) => Some(row_tat(r).unwrap_or_else(|| {
                    // Not a full bucket: the budget counts as spent (one
                    // window at most), and the next write replaces the row.
                    crate::log::warn("ratelimit_row_unreadable", &[]);
                    gcra::Tat::spent(now_ms, quota)
                })),
                None => v1_tat(&sql, quota),
            };
            self.tat.set(Mirror::Loaded(tat));
            tat
        };
        let decision = gcra::check(stored, now_ms, quota);
        if let gcra::Decision::Allow { tat, .. } = decision {
            // Memory follows the row only once the write has succeeded.
            let values = vec![
                ms_to_number(tat.ms).into(),
                f64::from(tat.rem).into(),
                f64::from(tat.den).into(),
                ms_to_number(tat.window_ms).into(),
            ];
            sql.exec(UPSERT, values).map_err(|_| Refusal::Storage)?;
            self.tat.set(Mirror::Loaded(Some(tat)));
        }
        Ok(Verdict::from(decision))
    }
}
