//! Structured log lines: one JSON object per line with `level` and `event`
//! (keys in sorted order), then fields. Callers pass only reason codes, setting names and ids —
//! never tokens, keys, secrets or signatures.

use crate::json::ObjectWriter;

/// One JSON log line.
pub fn format_line(level: &str, event: &str, fields: &[(&str, &str)]) -> String {
    let mut members: Vec<(&str, &str)> = Vec::with_capacity(fields.len() + 2);
    members.extend_from_slice(&[("level", level), ("event", event)]);
    members.extend_from_slice(fields);
    // Sorted, a repeated key written once (its last value).
    crate::small::sort_small_by(&mut members, |a, b| a.0 < b.0);
    let mut line = ObjectWriter::new();
    for (i, (key, value)) in members.iter().enumerate() {
        if members.get(i + 1).is_none_or(|(next, _)| next != key) {
            line.str(key, value);
        }
    }
    line.finish()
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
        // Keys in sorted order.
        let mut line = ObjectWriter::new();
        line.num("duration_ms", now_ms.saturating_sub(self.started_ms))
            .str("event", "request")
            .str("level", level)
            .str("method", &self.method);
        if let Some(reason) = self.reason.get() {
            line.str("reason", reason);
        }
        line.str("route", self.route)
            .num("status", u64::from(status));
        if let Some(user) = self.user.borrow().as_deref() {
            line.str("user", user);
        }
        line.finish()
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
