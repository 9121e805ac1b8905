//! JSONata's runtime values: JSON plus `undefined`, sequences and functions.
//!
//! JSONata distinguishes a *sequence* (the flattened result of a path, which collapses to
//! its only item and vanishes when empty) from an *array* (built by `[...]` or read from
//! the input, kept as is). Both are [`V::Arr`]; the flags say which rules apply.

use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::Value;

use super::eval::Func;

/// A JSONata value. Cheap to clone: containers are reference counted.
#[derive(Clone)]
pub(crate) enum V {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Arr>),
    Obj(Rc<ObjMap>),
    Func(Rc<Func>),
}

/// An object's members in insertion order. Keys are short and trusted (they come from
/// the definition or the state's data), so a fixed fast hasher serves.
pub(crate) type ObjMap = IndexMap<String, V, foldhash::fast::FixedState>;

/// An array or sequence with jsonata-js's flags (`sequence`, `keepSingleton`, `cons`).
#[derive(Clone, Default)]
pub(crate) struct Arr {
    pub items: Vec<V>,
    /// A result sequence: flattened into enclosing sequences, collapsed when singleton.
    pub seq: bool,
    /// `[]` in the path: a singleton sequence stays an array.
    pub keep: bool,
    /// Built by an array constructor: not flattened by a path step.
    pub cons: bool,
}

impl V {
    pub fn seq(items: Vec<V>) -> V {
        V::Arr(Rc::new(Arr {
            items,
            seq: true,
            ..Arr::default()
        }))
    }

    pub fn array(items: Vec<V>) -> V {
        V::Arr(Rc::new(Arr {
            items,
            ..Arr::default()
        }))
    }

    pub fn str(s: &str) -> V {
        V::Str(Rc::from(s))
    }

    pub fn is_undef(&self) -> bool {
        matches!(self, V::Undef)
    }

    /// The items of an array, or the value as a one-item list (undefined: none).
    pub fn to_items(&self) -> Vec<V> {
        match self {
            V::Undef => Vec::new(),
            V::Arr(a) => a.items.clone(),
            other => vec![other.clone()],
        }
    }

    /// JSONata's type name, as `$type` reports it.
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Undef => "undefined",
            V::Null => "null",
            V::Bool(_) => "boolean",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::Arr(_) => "array",
            V::Obj(_) => "object",
            V::Func(_) => "function",
        }
    }

    pub fn from_json(v: &Value) -> V {
        match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => V::str(s),
            Value::Array(items) => V::array(items.iter().map(V::from_json).collect()),
            Value::Object(map) => V::Obj(Rc::new(
                map.iter()
                    .map(|(k, v)| (k.clone(), V::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// The JSON form of a result; `None` for undefined. Functions become `""` and
    /// undefined members vanish, as `JSON.stringify` does in jsonata-js.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            V::Undef => return None,
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Num(n) => num_to_json(*n),
            V::Str(s) => Value::String(s.to_string()),
            V::Arr(a) => Value::Array(
                a.items
                    .iter()
                    .map(|v| v.to_json().unwrap_or(Value::Null))
                    .collect(),
            ),
            V::Obj(map) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect(),
            ),
            V::Func(_) => Value::String(String::new()),
        })
    }
}

/// A number as JSON: whole numbers within `i64` print without a fraction, as JavaScript
/// prints them.
pub(crate) fn num_to_json(n: f64) -> Value {
    // JSON has no literal for these; AWS writes the name JavaScript gives them (`1/0` gives
    // "Infinity").
    if !n.is_finite() {
        return Value::String(js_number(n));
    }
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// JavaScript's `Number.prototype.toString()`: shortest round-trip digits, exponent form
/// outside `[1e-7, 1e21)`.
pub(crate) fn js_number(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if !n.is_finite() {
        return if n.is_nan() {
            "NaN".into()
        } else if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let point = exp + 1; // position of the decimal point relative to the digits
    let sign = if n < 0.0 { "-" } else { "" };
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

/// How `$string` prints numbers: 15 significant digits (`Number(n.toPrecision(15))`).
pub(crate) fn number_string(n: f64) -> String {
    js_number(to_precision_15(n))
}

pub(crate) fn to_precision_15(n: f64) -> f64 {
    if !n.is_finite() || n == 0.0 {
        return n;
    }
    format!("{n:.14e}").parse().unwrap_or(n)
}

/// `JSON.stringify` with jsonata's replacer: numbers to 15 digits, functions as `""`.
pub(crate) fn stringify(v: &V, pretty: bool) -> String {
    let mut out = String::new();
    write_json(v, pretty, 0, &mut out);
    out
}

fn write_json(v: &V, pretty: bool, depth: usize, out: &mut String) {
    let indent = |out: &mut String, depth: usize| {
        if pretty {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
    };
    match v {
        V::Undef | V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Num(n) if n.is_finite() => out.push_str(&number_string(*n)),
        V::Num(_) => out.push_str("null"),
        V::Str(s) => out.push_str(&Value::String(s.to_string()).to_string()),
        V::Func(_) => out.push_str("\"\""),
        V::Arr(a) => {
            out.push('[');
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                write_json(item, pretty, depth + 1, out);
            }
            if !a.items.is_empty() {
                indent(out, depth);
            }
            out.push(']');
        }
        V::Obj(map) => {
            out.push('{');
            let mut first = true;
            for (k, item) in map.iter() {
                if item.is_undef() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                indent(out, depth + 1);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                write_json(item, pretty, depth + 1, out);
            }
            if !first {
                indent(out, depth);
            }
            out.push('}');
        }
    }
}

/// Deep equality (`=`): numbers by value, objects regardless of key order.
pub(crate) fn deep_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Arr(x), V::Arr(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(a, b)| deep_eq(a, b))
        }
        (V::Obj(x), V::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (V::Func(x), V::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// JSONata's truthiness (`$boolean`); `None` for undefined.
pub(crate) fn truthy(v: &V) -> Option<bool> {
    Some(match v {
        V::Undef => return None,
        V::Null => false,
        V::Bool(b) => *b,
        V::Num(n) => *n != 0.0,
        V::Str(s) => !s.is_empty(),
        V::Arr(a) => match a.items.len() {
            0 => false,
            1 => truthy(&a.items[0]).unwrap_or(false),
            _ => a.items.iter().any(|v| truthy(v).unwrap_or(false)),
        },
        V::Obj(m) => !m.is_empty(),
        V::Func(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_does() {
        assert_eq!(js_number(1.0), "1");
        assert_eq!(js_number(-0.5), "-0.5");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(123456789012345680000.0), "123456789012345680000");
        assert_eq!(js_number(1e-7), "1e-7");
        assert_eq!(js_number(0.000001), "0.000001");
        assert_eq!(js_number(1.5e-10), "1.5e-10");
        assert_eq!(number_string(0.1 + 0.2), "0.3");
        assert_eq!(js_number(0.1 + 0.2), "0.30000000000000004");
    }
}
