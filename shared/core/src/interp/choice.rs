//! Choice rules: comparison operators, `Is*` tests, `StringMatches`, `And`/`Or`/`Not`.

use std::cmp::Ordering;

use serde_json::Value;

use super::context::Context;
use super::io::{compact, select_ref};
use crate::definition::{Comparison, Condition, Operand};
use crate::failure::Failure;

/// Evaluates a condition against the Choice state's effective input.
pub(crate) fn evaluate(
    condition: &Condition,
    input: &Value,
    ctx: &Context<'_>,
) -> Result<bool, Failure> {
    match condition {
        Condition::And(all) => {
            for c in all {
                if !evaluate(c, input, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(any) => {
            for c in any {
                if evaluate(c, input, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(inner) => Ok(!evaluate(inner, input, ctx)?),
        // JSONata conditions are whole rules, evaluated by the runner with `$states`;
        // the parser never nests them here.
        Condition::Jsonata(_) => Ok(false),
        Condition::Compare {
            variable,
            op,
            operand,
        } => {
            let value = select_ref(variable, input, ctx);
            if *op == Comparison::IsPresent {
                let expected = operand_bool(operand);
                return Ok(value.is_some() == expected);
            }
            let Some(value) = value else {
                return Err(Failure::runtime(format!(
                    "Invalid path '{}': The choice state's condition path references an invalid value.",
                    variable.source()
                )));
            };
            let rhs = match operand {
                Operand::Literal(v) => std::borrow::Cow::Borrowed(v),
                Operand::Path(p) => match select_ref(p, input, ctx) {
                    Some(v) => v,
                    None => {
                        return Err(Failure::runtime(format!(
                            "Invalid path '{}': The choice state's condition path references an invalid value. Input: {}",
                            p.source(),
                            compact(input)
                        )))
                    }
                },
            };
            Ok(compare(*op, &value, &rhs))
        }
    }
}

fn operand_bool(operand: &Operand) -> bool {
    matches!(operand, Operand::Literal(Value::Bool(true)))
}

/// Applies one operator. A value of the wrong type never matches (AWS: false, not an error).
pub(crate) fn compare(op: Comparison, value: &Value, rhs: &Value) -> bool {
    use Comparison::*;
    match op {
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (value.as_str(), rhs.as_str()) {
            (Some(a), Some(b)) => ordering_matches(op, java_string_cmp(a, b)),
            _ => false,
        },
        StringMatches => match (value.as_str(), rhs.as_str()) {
            (Some(a), Some(pattern)) => string_matches(a, pattern),
            _ => false,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (value, rhs) {
            (Value::Number(a), Value::Number(b)) => match numeric_cmp(a, b) {
                Some(ord) => ordering_matches(op, ord),
                None => false,
            },
            _ => false,
        },
        BooleanEquals => match (value, rhs) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            match (
                value.as_str().and_then(parse_timestamp),
                rhs.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => ordering_matches(op, a.cmp(&b)),
                _ => false,
            }
        }
        IsNull => value.is_null() == (rhs == &Value::Bool(true)),
        IsNumeric => value.is_number() == (rhs == &Value::Bool(true)),
        IsString => value.is_string() == (rhs == &Value::Bool(true)),
        IsBoolean => value.is_boolean() == (rhs == &Value::Bool(true)),
        IsTimestamp => {
            value.as_str().and_then(parse_timestamp).is_some() == (rhs == &Value::Bool(true))
        }
        // Handled by the caller: presence is about the path, not the value.
        IsPresent => true,
    }
}

fn ordering_matches(op: Comparison, ord: Ordering) -> bool {
    use Comparison::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => ord == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => ord == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => ord == Ordering::Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            ord != Ordering::Greater
        }
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            ord != Ordering::Less
        }
        _ => false,
    }
}

/// Java's `String.compareTo`: by UTF-16 code unit, which differs from Rust's byte order for
/// characters above U+FFFF.
fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Compares exactly when both are integers (so 2^63 stays precise), else as doubles.
fn numeric_cmp(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Parses an RFC 3339 timestamp strictly (`T` separator and an offset required), as AWS
/// does; returns nanoseconds since the epoch.
pub(crate) fn parse_timestamp(s: &str) -> Option<i128> {
    let bytes = s.as_bytes();
    if bytes.len() < 20 || bytes[10] != b'T' {
        return None;
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(t.timestamp() as i128 * 1_000_000_000 + t.timestamp_subsec_nanos() as i128)
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub(crate) fn string_matches(text: &str, pattern: &str) -> bool {
    #[derive(Debug, PartialEq)]
    enum Tok {
        Char(char),
        Star,
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => toks.push(Tok::Char(escaped)),
                None => toks.push(Tok::Char('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last star: O(n·m) worst case.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|tok| *tok == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let cases = [
            ("log-2024.txt", "log-*.txt", true),
            ("log-.txt", "log-*.txt", true),
            ("log-2024.csv", "log-*.txt", false),
            ("a*b", "a\\*b", true),
            ("axb", "a\\*b", false),
            ("a\\b", "a\\\\b", true),
            ("anything", "*", true),
            ("", "*", true),
            ("", "", true),
            ("abc", "a*c*", true),
            ("abcabd", "*abd", true),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(
                string_matches(text, pattern),
                expected,
                "{text} ~ {pattern}"
            );
        }
    }

    #[test]
    fn wrong_types_never_match() {
        use Comparison::*;
        assert!(!compare(StringEquals, &json!(1), &json!("1")));
        assert!(!compare(NumericEquals, &json!("1"), &json!(1)));
        assert!(!compare(BooleanEquals, &json!(null), &json!(true)));
        assert!(!compare(
            TimestampEquals,
            &json!({}),
            &json!("2012-10-09T19:00:55Z")
        ));
    }

    #[test]
    fn numbers_compare_by_value() {
        use Comparison::*;
        assert!(compare(NumericEquals, &json!(1), &json!(1.0)));
        assert!(compare(NumericLessThanEquals, &json!(0.0), &json!(0)));
        assert!(!compare(NumericGreaterThan, &json!(0.0), &json!(0)));
        assert!(compare(NumericLessThan, &json!(-1.5), &json!(-1)));
        assert!(compare(
            NumericGreaterThan,
            &json!(u64::MAX),
            &json!(i64::MAX)
        ));
    }

    #[test]
    fn strings_compare_like_java() {
        use Comparison::*;
        assert!(compare(StringLessThan, &json!("A"), &json!("AB")));
        assert!(!compare(StringLessThan, &json!(""), &json!("")));
        assert!(compare(StringLessThanEquals, &json!(""), &json!("")));
        // U+FF61 sorts after a surrogate pair in UTF-16 order, before it in code points.
        assert!(compare(
            StringLessThan,
            &json!("\u{1F600}"),
            &json!("\u{FF61}")
        ));
    }

    #[test]
    fn timestamps_are_strict_rfc3339() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.123+02:00").is_some());
        assert!(parse_timestamp("2016-03-14 01:59:00Z").is_none());
        assert!(parse_timestamp("2016-03-14T01:59:00").is_none());
        assert!(parse_timestamp("2016-13-14T01:59:00Z").is_none());
        assert!(parse_timestamp("05-12-2016T21:29:29Z").is_none());
        use Comparison::*;
        assert!(compare(
            TimestampEquals,
            &json!("2016-03-14T01:59:00Z"),
            &json!("2016-03-14T03:59:00+02:00")
        ));
        assert!(compare(
            TimestampLessThan,
            &json!("2012-10-09T19:00:55Z"),
            &json!("2012-10-09T19:00:56Z")
        ));
    }

    #[test]
    fn is_tests_honour_false() {
        use Comparison::*;
        assert!(compare(IsNull, &json!(null), &json!(true)));
        assert!(compare(IsNull, &json!(1), &json!(false)));
        assert!(!compare(IsString, &json!(1), &json!(true)));
        assert!(compare(
            IsTimestamp,
            &json!("2016-03-14T01:59:00Z"),
            &json!(true)
        ));
        assert!(compare(IsTimestamp, &json!("yesterday"), &json!(false)));
    }
}
