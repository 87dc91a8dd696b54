//! Structured log lines: one JSON object per line, `level` and `event` first,
//! then fields. Callers pass only reason codes, setting names and ids —
//! never tokens, keys, secrets or signatures.

/// One JSON log line.
pub fn format_line(level: &str, event: &str, fields: &[(&str, &str)]) -> String {
    let mut map = serde_json::Map::new();
    map.insert("level".into(), level.into());
    map.insert("event".into(), event.into());
    for (k, v) in fields {
        map.insert((*k).to_owned(), (*v).into());
    }
    serde_json::Value::Object(map).to_string()
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
