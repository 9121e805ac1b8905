//! Shared plumbing of the parser: JSON Pointers, the diagnostic collector, and typed
//! accessors over a JSON object that report type errors at the field's pointer.

use serde_json::{Map, Value};

use crate::definition::validate::GraphInfo;
use crate::definition::{Diagnostic, QueryLanguage};

/// A JSON Pointer (RFC 6901) under construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Ptr(String);

impl Ptr {
    pub(crate) fn root() -> Ptr {
        Ptr(String::new())
    }

    /// The pointer to member `key` of the object at `self` (`~` → `~0`, `/` → `~1`).
    pub(crate) fn key(&self, key: &str) -> Ptr {
        let mut s = String::with_capacity(self.0.len() + key.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        for c in key.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Ptr(s)
    }

    pub(crate) fn index(&self, i: usize) -> Ptr {
        Ptr(format!("{}/{i}", self.0))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ptr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "/" } else { &self.0 })
    }
}

/// Collects every problem found, and the graphs seen (checked once parsing is over).
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) graphs: Vec<GraphInfo>,
    /// The machine's `QueryLanguage`, which every state inherits.
    pub(crate) query_language: QueryLanguage,
    /// The language of the state being parsed.
    pub(crate) state_language: QueryLanguage,
    /// Variable names assigned in each enclosing graph, innermost last: a Parallel branch
    /// or Map iteration may read outer variables but not assign them.
    pub(crate) assigned: Vec<Vec<String>>,
    /// Whether the field being parsed may read `$states.result` (Output and Assign of a
    /// Task, Parallel or Map) and `$states.errorOutput` (a catcher's Output and Assign).
    pub(crate) result_available: bool,
    pub(crate) error_output_available: bool,
    /// Put before field names in runtime errors inside a Choice rule or a catcher
    /// (`Choices[0]/`, `Catch[1]/`), as AWS names them.
    pub(crate) field_prefix: String,
}

impl Ctx {
    pub(crate) fn jsonata(&self) -> bool {
        self.state_language == QueryLanguage::Jsonata
    }
}

impl Ctx {
    pub(crate) fn err(&mut self, at: &Ptr, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            path: at.as_str().to_owned(),
            message: message.into(),
        });
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integer value, if `v` is a whole number (`3` or `3.0`) that fits in a `u64`.
pub(crate) fn as_whole(v: &Value) -> Option<Result<u64, ()>> {
    let n = match v {
        Value::Number(n) => n,
        _ => return None,
    };
    if let Some(u) = n.as_u64() {
        return Some(Ok(u));
    }
    if n.as_i64().is_some() {
        return Some(Err(())); // negative
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && (0.0..1.8e19).contains(&f) =>
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(Ok(f as u64))
        }
        Some(f) if f.is_finite() && f.fract() == 0.0 && f < 0.0 => Some(Err(())),
        _ => None,
    }
}

/// A JSON object being parsed, with its pointer.
#[derive(Debug, Clone)]
pub(crate) struct Obj<'a> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) ptr: Ptr,
}

impl<'a> Obj<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>, ptr: Ptr) -> Self {
        Obj { map, ptr }
    }

    /// `v` as an object, or a diagnostic at `at`.
    pub(crate) fn from_value(cx: &mut Ctx, v: &'a Value, at: Ptr) -> Option<Self> {
        match v {
            Value::Object(map) => Some(Obj::new(map, at)),
            other => {
                cx.err(&at, format!("must be an object, not {}", type_name(other)));
                None
            }
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn at(&self, key: &str) -> Ptr {
        self.ptr.key(key)
    }

    /// Reports `missing required field "key"` at this object.
    pub(crate) fn missing(&self, cx: &mut Ctx, key: &str) {
        cx.err(&self.ptr, format!("missing required field \"{key}\""));
    }

    /// Reports that at most one of `keys` may be present; returns whether that holds.
    pub(crate) fn at_most_one(&self, cx: &mut Ctx, keys: &[&str]) -> bool {
        let present: Vec<&str> = keys.iter().copied().filter(|k| self.has(k)).collect();
        if present.len() > 1 {
            let list = present
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(" and ");
            cx.err(&self.ptr, format!("cannot have both {list}"));
            return false;
        }
        true
    }

    pub(crate) fn string(&self, cx: &mut Ctx, key: &str) -> Option<&'a str> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            other => {
                cx.err(
                    &self.at(key),
                    format!("must be a string, not {}", type_name(other)),
                );
                None
            }
        }
    }

    pub(crate) fn req_string(&self, cx: &mut Ctx, key: &str) -> Option<&'a str> {
        if !self.has(key) {
            self.missing(cx, key);
            return None;
        }
        self.string(cx, key)
    }

    pub(crate) fn boolean(&self, cx: &mut Ctx, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                cx.err(
                    &self.at(key),
                    format!("must be a boolean, not {}", type_name(other)),
                );
                None
            }
        }
    }

    /// An integer in `min..=max` (absent → `None`, no diagnostic).
    pub(crate) fn integer(&self, cx: &mut Ctx, key: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.get(key)?;
        let kind = match min {
            0 => "a non-negative integer",
            1 => "a positive integer",
            _ => "an integer",
        };
        match as_whole(v) {
            Some(Ok(n)) if (min..=max).contains(&n) => Some(n),
            Some(_) if max != u64::MAX => {
                cx.err(
                    &self.at(key),
                    format!("must be {kind} between {min} and {max}"),
                );
                None
            }
            _ => {
                cx.err(&self.at(key), format!("must be {kind}"));
                None
            }
        }
    }

    pub(crate) fn number(&self, cx: &mut Ctx, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => n.as_f64(),
            other => {
                cx.err(
                    &self.at(key),
                    format!("must be a number, not {}", type_name(other)),
                );
                None
            }
        }
    }

    pub(crate) fn object(&self, cx: &mut Ctx, key: &str) -> Option<Obj<'a>> {
        let v = self.get(key)?;
        Obj::from_value(cx, v, self.at(key))
    }

    pub(crate) fn array(&self, cx: &mut Ctx, key: &str) -> Option<&'a Vec<Value>> {
        match self.get(key)? {
            Value::Array(a) => Some(a),
            other => {
                cx.err(
                    &self.at(key),
                    format!("must be an array, not {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A non-empty array (absent → "missing required field").
    pub(crate) fn req_nonempty_array(&self, cx: &mut Ctx, key: &str) -> Option<&'a Vec<Value>> {
        if !self.has(key) {
            self.missing(cx, key);
            return None;
        }
        let a = self.array(cx, key)?;
        if a.is_empty() {
            cx.err(&self.at(key), "must not be empty");
            return None;
        }
        Some(a)
    }

    /// Rejects every field not in `allowed`. `what` completes "is not supported in …".
    pub(crate) fn check_fields(&self, cx: &mut Ctx, allowed: &[&str], what: &str) {
        for key in self.map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let message = match crate::definition::fields::wrong_language(key, cx.jsonata()) {
                Some(message) => message,
                None => format!("field \"{key}\" is not supported in {what}"),
            };
            cx.err(&self.at(key), message);
        }
    }
}
