//! A direct reader of JSON text into a `Value`, for `States.StringToJson`.
//!
//! serde_json's `Value` deserializer goes through the visitor machinery and grows each
//! map and array as it reads; this reader slices strings straight from the text and
//! gives each object and array its final capacity. It covers the documents
//! `StringToJson` sees in practice: anything else (a `\u` surrogate escape, a control
//! character, a number it cannot read exactly, deep nesting, any syntax error) returns
//! `None`, and the caller reads the text with serde_json, whose result and error wording
//! stay the reference. On everything it accepts, it gives what serde_json gives after the
//! `-0` rewrite of [`super::json`].

use serde_json::{Map, Number, Value};

/// serde_json refuses more than 128 levels; well below that is left to it.
const MAX_DEPTH: usize = 100;

/// The value of a whole JSON text, or `None` when serde_json has to decide.
pub(super) fn parse(text: &str) -> Option<Value> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        // Enough for the members of most documents' open objects at once.
        members: Vec::with_capacity(8),
        items: Vec::new(),
    };
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    (reader.at == reader.bytes.len()).then_some(value)
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    /// Members of the objects being read, innermost last: each object takes its own off
    /// the top when it closes, so it is built once at its final size.
    members: Vec<(String, Value)>,
    /// The same for arrays' items.
    items: Vec<Value>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end) == Some(word.as_bytes())).then(|| {
            self.at = end;
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Value::String),
            b'n' => self.literal("null", Value::Null),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let start = self.members.len();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(Value::Object(Map::new()));
        }
        loop {
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return None;
            }
            self.at += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            self.members.push((key, value));
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.skip_whitespace();
                }
                b'}' => {
                    self.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        let mut map = Map::with_capacity(self.members.len() - start);
        // `insert` keeps a repeated key at its first position with the last value, as
        // serde_json's reader does.
        for (key, value) in self.members.drain(start..) {
            map.insert(key, value);
        }
        Some(Value::Object(map))
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let start = self.items.len();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(Value::Array(Vec::new()));
        }
        loop {
            let item = self.value(depth)?;
            self.items.push(item);
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.skip_whitespace();
                }
                b']' => {
                    self.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(Value::Array(self.items.drain(start..).collect()))
    }

    /// A string token; the reader is at its opening quote.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let start = self.at;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    let s = self.text.get(start..self.at)?.to_owned();
                    self.at += 1;
                    return Some(s);
                }
                b'\\' => break,
                b if b < 0x20 => return None,
                _ => self.at += 1,
            }
        }
        // Escapes: the run before the first one, then character by character.
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(self.text.get(start..self.at)?);
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, len) = match *self.bytes.get(self.at + 1)? {
                        b'"' => ('"', 2),
                        b'\\' => ('\\', 2),
                        b'/' => ('/', 2),
                        b'b' => ('\u{8}', 2),
                        b'f' => ('\u{c}', 2),
                        b'n' => ('\n', 2),
                        b'r' => ('\r', 2),
                        b't' => ('\t', 2),
                        b'u' => {
                            let hex = self.text.get(self.at + 2..self.at + 6)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            // Surrogates (pairs or lone) are left to serde_json.
                            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 6)
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.at += len;
                }
                b if b < 0x20 => return None,
                _ => {
                    // A run up to the next quote, backslash or control character.
                    let run_start = self.at;
                    while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                        self.at += 1;
                    }
                    out.push_str(self.text.get(run_start..self.at)?);
                }
            }
        }
    }

    /// A number token, read as serde_json reads it: an integer without fraction or
    /// exponent is a `u64` (negative: an `i64`), anything else a double. `-0` is the
    /// integer 0 (the rewrite in [`super::json`]).
    fn number(&mut self) -> Option<Number> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        let int_digits = self.at - int_start;
        let mut decimal = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.skip_digits_required() {
                return None;
            }
            decimal = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.skip_digits_required() {
                return None;
            }
            decimal = true;
        }
        // A digit right after a leading zero (`01`) is a syntax error.
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            return None;
        }
        let token = self.text.get(start..self.at)?;
        if !decimal {
            // 18 digits always fit; longer integers are left to serde_json.
            if int_digits > 18 {
                return None;
            }
            let magnitude: u64 = self.text.get(int_start..self.at)?.parse().ok()?;
            return Some(if negative && magnitude != 0 {
                Number::from(-i64::try_from(magnitude).ok()?)
            } else {
                Number::from(magnitude)
            });
        }
        let d: f64 = token.parse().ok()?;
        // Overflow (an error in serde_json) and underflow to zero are left to it.
        let zero_digits = token
            .bytes()
            .take_while(|b| !matches!(b, b'e' | b'E'))
            .all(|b| matches!(b, b'-' | b'0' | b'.'));
        if !d.is_finite() || (d == 0.0 && !zero_digits) {
            return None;
        }
        Number::from_f64(d)
    }

    fn skip_digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn skip_digits_required(&mut self) -> bool {
        let start = self.at;
        self.skip_digits();
        self.at > start
    }
}
