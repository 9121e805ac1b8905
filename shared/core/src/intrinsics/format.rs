//! Text renderings of JSON values as AWS's Java implementation produces them.
//!
//! Step Functions runs on the JVM with Jackson: a JSON decimal is a `double` and prints
//! through `Double.toString` (`1.0`, `1.0E20`, `1.0E-4`), an integer prints as digits.
//! `States.Format` stringifies non-string arguments as Java objects (`Map.toString()`
//! gives `{Arg1=1, Arg2=[]}`, recorded in conformance case `test_format_2-input7`), and
//! `States.JsonToString` writes compact JSON the way Jackson does.

use serde_json::{Number, Value};

/// `Double.toString(d)` for a finite double, using the shortest digits that round-trip
/// (what JDK 19+ prints; older JDKs differ only on rare boundary values).
pub(crate) fn java_double(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    if !d.is_finite() {
        // Not reachable from JSON input; Java spells them this way.
        return if d.is_nan() {
            "NaN".into()
        } else if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Rust's `{:e}` yields the shortest round-trip digits: "1.2345e-5", "1e20".
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if d < 0.0 { "-" } else { "" };
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        // Plain notation with at least one fractional digit.
        let point = exp + 1; // digits before the decimal point
        let (int_part, frac_part) = if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            ("0".to_string(), format!("{zeros}{digits}"))
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if digits.len() <= point {
                let zeros = "0".repeat(point - digits.len());
                (format!("{digits}{zeros}"), String::new())
            } else {
                (digits[..point].to_string(), digits[point..].to_string())
            }
        };
        let frac_part = if frac_part.is_empty() {
            "0".to_string()
        } else {
            frac_part
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// A JSON number as Jackson prints it, appended to `out`: integers as digits, decimals
/// via `Double.toString`.
fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        if i < 0 {
            out.push('-');
        }
        write_digits(i.unsigned_abs(), out);
    } else if let Some(u) = n.as_u64() {
        write_digits(u, out);
    } else {
        out.push_str(&java_double(n.as_f64().unwrap_or(0.0)));
    }
}

/// The decimal digits of `n`, without going through `fmt` (several times slower for the
/// small integers JSON documents mostly hold).
fn write_digits(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        // `n % 10` is a single digit: the cast cannot truncate.
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    if let Ok(digits) = std::str::from_utf8(&buf[at..]) {
        out.push_str(digits);
    }
}

/// How `States.Format` renders an argument: strings raw, everything else Java-style
/// (`String.valueOf` of the Jackson-converted object), strings nested in containers
/// unquoted.
pub(crate) fn write_format_arg(v: &Value, out: &mut String) {
    write_java(v, out);
}

fn write_java(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_java(item, out);
            }
            out.push('}');
        }
    }
}

/// Compact JSON as Jackson writes it (`States.JsonToString`).
pub(crate) fn to_json_text(v: &Value) -> String {
    // Most texts are short; this skips the first few doublings of the buffer.
    let mut out = String::with_capacity(128);
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// Jackson's escaping: `"` and `\`, the five short control escapes, other control
/// characters as `\u00XX` with upper-case hex; everything else (non-ASCII too) verbatim.
fn write_json_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs that need no escape are copied whole. Every escaped character is ASCII, so
    // splitting at its byte never splits a multi-byte character.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = ESCAPES[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.push_str(&s[run..i]);
        out.push('\\');
        out.push(char::from(escape));
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// For each byte, the character after the backslash of its escape (`u` for `\u00XX`),
/// or 0 when it is written as it is: one load a byte instead of a chain of comparisons.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0C] = b'f';
    table
};

/// Value equality as Jackson's `JsonNode.equals`: an integer never equals a decimal
/// (`1` ≠ `1.0`), decimals compare like `Double.compare` (`-0.0` ≠ `0.0`), object key
/// order is irrelevant.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.is_f64(), y.is_f64()) {
            (false, false) => x == y,
            (true, true) => match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
                _ => false,
            },
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

/// The JSON type name, for error causes.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
