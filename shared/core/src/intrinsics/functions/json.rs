//! `States.StringToJson`, `States.JsonToString` and `States.JsonMerge`.

use std::borrow::Cow;

use serde_json::Value;

use super::{json_text, Args, Fn_};
use crate::failure::Failure;
use crate::intrinsics::format::{to_json_text, type_name};

/// Parses a JSON text. Recorded AWS runs: `""` and `" "` give `null`, `"-0"` gives `0`.
pub(super) fn string_to_json(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [s] = f.take(args)?;
    let s = f.string("argument", s)?;
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    if let Some(value) = json_text::parse(s) {
        return Ok(value);
    }
    serde_json::from_str(&integer_negative_zero(s))
        .map_err(|e| f.fail(format!("the string is not valid JSON: {e}")))
}

/// Rewrites each integer token `-0` as `0`. Jackson reads `-0` as the integer 0 (AWS
/// returns `0` for `StringToJson('-0')`), but serde_json reads it as the double `-0.0`.
/// Outside strings a `-` can only start a number, so a lexical pass suffices.
pub(super) fn integer_negative_zero(s: &str) -> Cow<'_, str> {
    if !s.contains("-0") {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '-'
            && chars.get(i + 1) == Some(&'0')
            && !matches!(chars.get(i + 2), Some(d) if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E'))
        {
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Compact JSON text with Jackson's number formatting and escaping.
pub(super) fn json_to_string(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [v] = f.take(args)?;
    Ok(Value::String(to_json_text(v)))
}

/// Shallow merge: keys of the second object override the first's, nested objects are
/// replaced, not merged. AWS only supports shallow mode, so the flag must be `false`.
pub(super) fn merge(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [a, b, deep] = f.take(args)?;
    match &**deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(f.fail(
                "Step Functions only supports the shallow merging mode; \
                 the third argument must be false",
            ))
        }
        other => {
            return Err(f.fail(format!(
                "the deep-merge flag (third argument) must be a boolean, got {}",
                type_name(other)
            )))
        }
    }
    let mut first = object(f, "first", std::mem::take(a).into_owned())?;
    let second = object(f, "second", std::mem::take(b).into_owned())?;
    // `insert` keeps an existing key's position, like Java's LinkedHashMap.put.
    for (k, v) in second {
        first.insert(k, v);
    }
    Ok(Value::Object(first))
}

fn object(f: Fn_, which: &str, v: Value) -> Result<serde_json::Map<String, Value>, Failure> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(f.fail(format!(
            "the {which} argument must be a JSON object, got {}",
            type_name(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{integer_negative_zero, json_text};

    /// The direct reader gives what serde_json gives (after the `-0` rewrite) on every
    /// text it accepts, and declines the texts serde_json refuses.
    #[test]
    fn direct_reader_agrees_with_serde_json() {
        let texts = [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "7",
            "-7",
            "1.5",
            "-0.0",
            "-0e1",
            "1e2",
            "1E+2",
            "2.5e-3",
            "1e400",
            "-1e-400",
            "1e-400",
            "0e5",
            "0.0",
            "123456789012345678",
            "1234567890123456789",
            "18446744073709551616",
            "-9223372036854775808",
            "0.1",
            "3.141592653589793",
            "9007199254740993.0",
            "01",
            "-",
            "-a",
            "1.",
            "1e",
            ".5",
            "+1",
            "[-0, -0.0, -0e1, -10]",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\u00e9\\u005C\\n\\t\\/x\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\uZZZZ\"",
            "\"\\q\"",
            "\"tab\there\"",
            "\"caf\u{e9} \u{1F600}\"",
            "{}",
            "[]",
            " { } ",
            "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"a\":3}",
            "{\"a\" : 1 , \"b\" : 2 }",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{a:1}",
            "[1]x",
            "[1] ",
            "\t\n[1]\r",
            "nul",
            "nulls",
            "truex",
            "[[[[]]]]",
            "{\"id\":\"A-1017\",\"lines\":[{\"sku\":\"x-1\",\"qty\":2}]}",
        ];
        for text in texts {
            let reference: Option<Value> = serde_json::from_str(&integer_negative_zero(text)).ok();
            let direct = json_text::parse(text);
            if let Some(direct) = &direct {
                assert_eq!(Some(direct), reference.as_ref(), "{text}");
                assert_eq!(
                    serde_json::to_string(direct).ok(),
                    reference
                        .as_ref()
                        .and_then(|r| serde_json::to_string(r).ok()),
                    "{text}"
                );
            }
            if reference.is_none() {
                assert_eq!(direct, None, "{text}");
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(json_text::parse(&deep), None);
        // The common shapes are read directly, not handed over.
        for text in [
            "{\"a\":[1,-2,3.5,\"x\\ny\"],\"b\":{\"c\":true}}",
            "-0",
            "\"\\u00e9\"",
        ] {
            assert!(json_text::parse(text).is_some(), "{text}");
        }
    }

    fn agrees(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let reference: Option<Value> = serde_json::from_str(&integer_negative_zero(text)).ok();
        if let Some(direct) = json_text::parse(text) {
            proptest::prop_assert_eq!(Some(direct), reference, "{}", text);
        }
        Ok(())
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any value serde_json writes, compact or pretty, reads back the same.
        #[test]
        fn direct_reader_agrees_on_written_values(value in arb_json()) {
            let compact = serde_json::to_string(&value).expect("writes");
            agrees(&compact)?;
            agrees(&serde_json::to_string_pretty(&value).expect("writes"))?;
        }

        /// Text made of JSON's own characters, valid or not: where the direct reader
        /// answers, it answers as serde_json does.
        #[test]
        fn direct_reader_agrees_on_any_text(text in "[\\[\\]{}\",:0-9eE.+ntrufalse\\\\/u -]{0,24}") {
            agrees(&text)?;
        }
    }
}
