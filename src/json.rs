//! A small JSON reader (RFC 8259), for the few documents the Worker reads:
//! request bodies, the JWKS, token headers and claims, the upload policy,
//! its own KV entries and the rate limiter's verdicts.
//!
//! Why not serde_json here: its deserializer formats an error message as
//! soon as a value has the wrong type, which links float formatting and the
//! whole error machinery into the wasm (~50 KB before compression) for
//! messages this Worker never shows. This reader only says "not JSON" and
//! leaves types to the caller, which is what every caller wants anyway
//! ("missing" and "wrong type" are different errors in the SPEC).
//!
//! What it accepts is serde_json's grammar: one value, surrounded by
//! optional whitespace; no trailing commas, comments, leading zeros, `NaN`,
//! unescaped control characters or invalid escapes; nesting up to 127
//! levels. Numbers stay as their text (a `size` of `1e400` is judged from
//! it); strings are decoded on demand, and a string holding a lone UTF-16
//! surrogate escape parses but does not decode (as serde_json's raw values
//! behave). Repeated object keys: the last one counts.

use std::borrow::Cow;

/// The input is not one JSON value (or nests deeper than 127 levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

/// Deepest nesting accepted: what serde_json reads into a value (its
/// recursion limit of 128 counts the value itself).
const MAX_DEPTH: usize = 127;

/// A parsed value borrowing from its input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The number's text, grammar-checked.
    Number(&'a str),
    String(JsonStr<'a>),
    Array(Vec<Value<'a>>),
    /// Members in document order, keys decoded.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// A string's raw contents between the quotes (escapes checked, not yet
/// decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a>(&'a str);

impl<'a> JsonStr<'a> {
    /// The decoded text; `None` if an escape is a lone UTF-16 surrogate.
    pub fn decode(&self) -> Option<Cow<'a, str>> {
        if !self.0.contains('\\') {
            return Some(Cow::Borrowed(self.0));
        }
        let mut out = String::with_capacity(self.0.len());
        let mut chars = self.0.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let decoded = match chars.next()? {
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let hi = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&hi) {
                        // A high surrogate must be followed by `\u` + a low one.
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let lo = hex4(&mut chars)?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                    } else {
                        char::from_u32(hi)?
                    }
                }
                other => other, // `"`, `\` and `/` stand for themselves
            };
            out.push(decoded);
        }
        Some(Cow::Owned(out))
    }
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut n = 0;
    for _ in 0..4 {
        n = n * 16 + chars.next()?.to_digit(16)?;
    }
    Some(n)
}

impl<'a> Value<'a> {
    /// The member `key` of an object (the last, if repeated); `None` for
    /// anything else.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Self::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// [`Self::get`], with `null` counted as absent.
    pub fn field(&self, key: &str) -> Option<&Value<'a>> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// Whether every string in this value decodes (no lone surrogate
    /// escapes): what a reader that decodes eagerly would have required.
    pub fn strings_decode(&self) -> bool {
        match self {
            Self::String(s) => s.decode().is_some(),
            Self::Array(items) => items.iter().all(Value::strings_decode),
            Self::Object(members) => members.iter().all(|(_, v)| v.strings_decode()),
            _ => true,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// A string's decoded text.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        match self {
            Self::String(s) => s.decode(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Value<'a>)]> {
        match self {
            Self::Object(members) => Some(members),
            _ => None,
        }
    }

    /// A number written as a non-negative integer (no fraction, no
    /// exponent) that fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// A number written as an integer that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// Any number, as the nearest `f64` (±infinity beyond its range).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(text) => text.parse().ok(),
            _ => None,
        }
    }
}

/// Parses `input` (UTF-8) as one JSON value.
///
/// # Errors
/// [`NotJson`].
pub fn parse(input: &[u8]) -> Result<Value<'_>, NotJson> {
    parse_str(std::str::from_utf8(input).map_err(|_| NotJson)?)
}

/// Parses `input` as one JSON value.
///
/// # Errors
/// [`NotJson`].
pub fn parse_str(input: &str) -> Result<Value<'_>, NotJson> {
    let mut p = Parser { s: input, pos: 0 };
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos == input.len() {
        Ok(value)
    } else {
        Err(NotJson)
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> Result<(), NotJson> {
        if self.s[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        self.skip_ws();
        match self.peek().ok_or(NotJson)? {
            b'n' => self.eat("null").map(|()| Value::Null),
            b't' => self.eat("true").map(|()| Value::Bool(true)),
            b'f' => self.eat("false").map(|()| Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => {
                let depth = nested(depth)?;
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(NotJson),
                    }
                }
            }
            b'{' => {
                let depth = nested(depth)?;
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(NotJson);
                    }
                    // Keys are decoded now: a key that cannot be is not JSON
                    // a map could hold (serde_json refuses it too).
                    let key = self.string()?.decode().ok_or(NotJson)?;
                    self.skip_ws();
                    self.eat(":")?;
                    let value = self.value(depth)?;
                    members.push((key, value));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Object(members));
                        }
                        _ => return Err(NotJson),
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => Err(NotJson),
        }
    }

    /// After the opening quote's position: checks escapes and control
    /// characters up to the closing quote.
    fn string(&mut self) -> Result<JsonStr<'a>, NotJson> {
        self.pos += 1; // the opening quote
        let start = self.pos;
        let bytes = self.s.as_bytes();
        loop {
            match *bytes.get(self.pos).ok_or(NotJson)? {
                b'"' => {
                    let raw = &self.s[start..self.pos];
                    self.pos += 1;
                    return Ok(JsonStr(raw));
                }
                b'\\' => {
                    self.pos += 1;
                    match *bytes.get(self.pos).ok_or(NotJson)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = bytes.get(self.pos + 1..self.pos + 5).ok_or(NotJson)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(NotJson);
                            }
                            self.pos += 5;
                        }
                        _ => return Err(NotJson),
                    }
                }
                0x00..=0x1f => return Err(NotJson),
                _ => self.pos += 1,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<&'a str, NotJson> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotJson),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        Ok(&self.s[start..self.pos])
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), NotJson> {
        let start = self.pos;
        self.digits();
        if self.pos == start {
            Err(NotJson)
        } else {
            Ok(())
        }
    }
}

fn nested(depth: usize) -> Result<usize, NotJson> {
    if depth >= MAX_DEPTH {
        Err(NotJson)
    } else {
        Ok(depth + 1)
    }
}

/// Appends `s` as a JSON string, escaped as serde_json does: `"`, `\\`
/// and control characters only (`\\n`-style where JSON has one, else
/// `\\u00xx`); everything else, non-ASCII included, as it is.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes one JSON object, members in the order they are added (callers
/// add them sorted, as serde_json's maps print them).
#[derive(Debug)]
pub struct ObjectWriter {
    out: String,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    pub fn new() -> Self {
        Self {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_string(self.key(key), value);
        self
    }

    pub fn num(&mut self, key: &str, value: u64) -> &mut Self {
        let out = self.key(key);
        out.push_str(&value.to_string());
        self
    }

    /// A number, or `null`.
    pub fn opt_num(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(n) = value {
            self.num(key, n)
        } else {
            self.key(key).push_str("null");
            self
        }
    }

    /// A string, or `null`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(s) = value {
            self.str(key, s)
        } else {
            self.key(key).push_str("null");
            self
        }
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// A nested object.
    pub fn object(&mut self, key: &str, value: ObjectWriter) -> &mut Self {
        let inner = value.finish();
        self.key(key).push_str(&inner);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_lookups() {
        let v =
            parse_str(r#" {"a": [1, -2.5e3, true, null], "s": "x\"\u00e9\ud83d\ude00", "a": {}} "#)
                .unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Value::Object(vec![])),
            "the last key counts"
        );
        assert_eq!(
            v.get("s").and_then(Value::as_str).as_deref(),
            Some("x\"é😀")
        );
        let first = parse_str("[1, -2.5e3, true, null]").unwrap();
        let items = first.as_array().unwrap();
        assert_eq!(items[0].as_u64(), Some(1));
        assert_eq!(items[1].as_f64(), Some(-2500.0));
        assert_eq!(items[1].as_i64(), None);
        assert_eq!(items[2], Value::Bool(true));
        assert!(items[3].is_null());
    }

    #[test]
    fn numbers_keep_their_text() {
        assert_eq!(parse_str("1e400").unwrap(), Value::Number("1e400"));
        assert_eq!(parse_str("18446744073709551616").unwrap().as_u64(), None);
        assert_eq!(parse_str("-0").unwrap().as_i64(), Some(0));
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "NaN",
            "tru",
            "\"a",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\t\"",
            "{a:1}",
            "[1] 2",
            "{\"a\" 1}",
            "\u{feff}1",
            "// c\n1",
            "{\"\\ud800\":1}",
        ] {
            assert_eq!(parse_str(bad), Err(NotJson), "{bad:?}");
        }
        assert_eq!(parse(b"\"\xff\""), Err(NotJson));
    }

    #[test]
    fn lone_surrogates_parse_but_do_not_decode() {
        for s in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
        ] {
            let v = parse_str(s).unwrap();
            assert_eq!(v.as_str(), None, "{s}");
        }
    }

    #[test]
    fn writes_objects_as_serde_json_does() {
        let tricky = "x\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é/😀";
        let mut inner = ObjectWriter::new();
        inner.str("b", tricky).opt_num("n", None).bool("t", true);
        let mut outer = ObjectWriter::new();
        outer
            .num("a", u64::MAX)
            .object("o", inner)
            .opt_str("s", None);
        let expected = serde_json::json!({
            "a": u64::MAX,
            "o": { "b": tricky, "n": null, "t": true },
            "s": null,
        });
        assert_eq!(outer.finish(), expected.to_string());
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }

    #[test]
    fn nesting_is_limited() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for n in [126, 127, 128, 129] {
            assert_eq!(
                parse_str(&nest(n)).is_ok(),
                serde_json::from_str::<serde_json::Value>(&nest(n)).is_ok(),
                "{n}"
            );
        }
        assert!(parse_str(&nest(127)).is_ok());
        assert_eq!(parse_str(&nest(128)), Err(NotJson));
    }
}
