//! A response as plain data, so routing and error mapping are testable
//! natively; the edge turns it into a `worker::Response` in one place.

use serde::Serialize;

/// What [`ApiResponse::json`] answers if a body cannot be serialised.
const SERVER_ERROR_BODY: &str =
    r#"{"status":"error","message":"Internal server error","code":"server_error"}"#;

/// Status, headers and body of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl ApiResponse {
    /// `body` as JSON, with `Content-Type: application/json` and
    /// `Cache-Control: no-store` (docs/spec.md §3: successes and errors
    /// alike).
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        // Our bodies are structs and string-keyed maps: serialising them
        // cannot fail. Should it ever, the answer is the generic 500.
        let (status, body) = match serde_json::to_string(body) {
            Ok(text) => (status, text),
            Err(_) => (500, SERVER_ERROR_BODY.to_owned()),
        };
        Self {
            status,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Cache-Control", "no-store".to_owned()),
            ],
            body,
        }
    }

    /// A response with no body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![("Cache-Control", "no-store".to_owned())],
            body: String::new(),
        }
    }

    /// Sets `name` (replacing an earlier value of the same name).
    pub fn set_header(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
    }

    /// The value of header `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
