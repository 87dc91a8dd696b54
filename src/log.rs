//! Structured log lines: one JSON object per line with `level` and `event`
//! (keys in sorted order), then fields. Callers pass only reason codes, setting names and ids —
//! never tokens, keys, secrets or signatures.

use std::collections::BTreeMap;

use serde::Serialize;

/// One JSON log line (keys sorted; a repeated field is written once, its
/// last value; `level` and `event` cannot be overridden by a field).
pub fn format_line(level: &str, event: &str, fields: &[(&str, &str)]) -> String {
    let mut members: BTreeMap<&str, &str> = fields.iter().copied().collect();
    members.insert("level", level);
    members.insert("event", event);
    to_line(&members)
}

/// A line's JSON text. String-keyed maps and plain structs always serialise.
fn to_line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The fields of a request line, in sorted order.
#[derive(Serialize)]
struct RequestLine<'a> {
    duration_ms: u64,
    event: &'static str,
    level: &'static str,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    route: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
}

/// The one line every request ends with: which route, the outcome and why,
/// who (once authenticated) and how long. Filled in as the request goes;
/// shared by reference (`Cell`s), as the steps are `async`.
///
/// Deliberately absent: the path and query (anything can be put there,
/// tokens included), headers, bodies, keys and URLs.
#[derive(Debug)]
pub struct RequestLog {
    route: &'static str,
    method: String,
    started_ms: u64,
    user: std::cell::RefCell<Option<String>>,
    reason: std::cell::Cell<Option<&'static str>>,
}

impl RequestLog {
    /// `route` is a fixed name (`upload`, `health`, `other`), never the path.
    pub fn new(route: &'static str, method: &str, started_ms: u64) -> Self {
        // Methods are tokens; anything else (or absurdly long) is not echoed.
        let method = if method.len() <= 16 && method.bytes().all(|b| b.is_ascii_alphabetic()) {
            method.to_owned()
        } else {
            "other".to_owned()
        };
        Self {
            route,
            method,
            started_ms,
            user: std::cell::RefCell::new(None),
            reason: std::cell::Cell::new(None),
        }
    }

    /// The authenticated user's id (Clerk `sub`, already validated).
    pub fn user(&self, id: &str) {
        *self.user.borrow_mut() = Some(id.to_owned());
    }

    /// Why the request ended as it did. The first reason set wins: the step
    /// that failed knows more (`expired`) than the response (`unauthorized`).
    pub fn reason(&self, code: &'static str) {
        if self.reason.get().is_none() {
            self.reason.set(Some(code));
        }
    }

    /// The finished line. Server errors are `error`; everything else `info`.
    pub fn line(&self, status: u16, now_ms: u64) -> String {
        let level = if status >= 500 { "error" } else { "info" };
        let user = self.user.borrow();
        to_line(&RequestLine {
            duration_ms: now_ms.saturating_sub(self.started_ms),
            event: "request",
            level,
            method: &self.method,
            reason: self.reason.get(),
            route: self.route,
            status,
            user: user.as_deref(),
        })
    }
}

/// Writes a finished request line at its level.
#[cfg(target_arch = "wasm32")]
pub fn request(log: &RequestLog, status: u16, now_ms: u64) {
    let line = log.line(status, now_ms);
    if status >= 500 {
        worker::console_error!("{line}");
    } else {
        worker::console_log!("{line}");
    }
}

#[cfg(target_arch = "wasm32")]
pub fn info(event: &str, fields: &[(&str, &str)]) {
    worker::console_log!("{}", format_line("info", event, fields));
}

#[cfg(target_arch = "wasm32")]
pub fn warn(event: &str, fields: &[(&str, &str)]) {
    worker::console_warn!("{}", format_line("warn", event, fields));
}

#[cfg(target_arch = "wasm32")]
pub fn error(event: &str, fields: &[(&str, &str)]) {
    worker::console_error!("{}", format_line("error", event, fields));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_carries_route_status_reason_user_duration() {
        let log = RequestLog::new("upload", "POST", 1_000);
        log.user("user_2abc");
        log.reason("expired");
        log.reason("unauthorized"); // later, coarser: ignored
        let v: serde_json::Value = serde_json::from_str(&log.line(401, 1_042)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "level": "info", "event": "request", "route": "upload", "method": "POST",
                "status": 401, "reason": "expired", "user": "user_2abc", "duration_ms": 42,
            })
        );
    }

    #[test]
    fn request_line_levels_and_odd_input() {
        let log = RequestLog::new("other", "GET\r\nX: eyJhbGciOi", 5);
        let v: serde_json::Value = serde_json::from_str(&log.line(503, 1)).unwrap();
        assert_eq!(v["level"], "error");
        assert_eq!(v["method"], "other", "a strange method is not echoed");
        assert_eq!(
            v["duration_ms"], 0,
            "a clock that steps back is 0, not a panic"
        );
        assert!(v.get("user").is_none() && v.get("reason").is_none());
        let ok: serde_json::Value =
            serde_json::from_str(&RequestLog::new("health", "GET", 0).line(200, 0)).unwrap();
        assert_eq!(
            (ok["level"].as_str(), ok["event"].as_str()),
            (Some("info"), Some("request"))
        );
    }

    #[test]
    fn lines_are_json_objects_with_escaped_values() {
        let line = format_line(
            "warn",
            "config",
            &[("setting", "CLERK_JWKS_URL"), ("note", "a \"b\"\n")],
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["event"], "config");
        assert_eq!(v["setting"], "CLERK_JWKS_URL");
        assert_eq!(v["note"], "a \"b\"\n");
        assert!(!line.contains('\n'));
    }
}
