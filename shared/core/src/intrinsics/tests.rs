//! Parser, path/variable arguments and text formatting. Function behaviour is in
//! `tests_functions.rs`. Shared helpers live here.

use serde_json::{json, Value};

use super::format::{java_double, json_eq, to_json_text};
use super::{Intrinsic, Variables};
use crate::entropy::SplitMix64;
use crate::failure::{names, Failure};

/// The context object the helpers evaluate against.
pub(super) fn context() -> Value {
    json!({"Execution": {"Id": "arn:aws:states:us-east-1:1:execution:sm:run"},
           "State": {"Name": "S"}})
}

/// Parses `src` and evaluates it against `input` with a fixed-seed entropy source.
pub(super) fn run(src: &str, input: &Value) -> Result<Value, Failure> {
    let f = Intrinsic::parse(src).unwrap_or_else(|e| panic!("{e}"));
    f.eval(input, &context(), &mut SplitMix64::new(7))
}

pub(super) fn ok(src: &str) -> Value {
    run(src, &json!({})).unwrap_or_else(|e| panic!("{src}: {e}"))
}

pub(super) fn err(src: &str) -> Failure {
    match run(src, &json!({})) {
        Ok(v) => panic!("{src}: expected a failure, got {v}"),
        Err(e) => e,
    }
}

/// Asserts an intrinsic failure (reported as `States.Runtime`, as AWS does) whose cause
/// contains `needle`.
pub(super) fn assert_intrinsic_failure(src: &str, needle: &str) {
    let e = err(src);
    assert_eq!(e.error.as_deref(), Some(names::RUNTIME), "{src}: {e}");
    let cause = e.cause.unwrap_or_default();
    assert!(
        cause.contains(needle),
        "{src}: cause {cause:?} lacks {needle:?}"
    );
}

fn parse_err(src: &str) -> String {
    match Intrinsic::parse(src) {
        Ok(f) => panic!("{src}: expected a parse error, got {f:?}"),
        Err(e) => e.reason,
    }
}

#[test]
fn looks_like_needs_the_states_prefix() {
    assert!(Intrinsic::looks_like("States.Array()"));
    assert!(Intrinsic::looks_like("  States.UUID()"));
    assert!(!Intrinsic::looks_like("$.States"));
    assert!(!Intrinsic::looks_like("states.Array()"));
}

#[test]
fn literals_parse_to_their_values() {
    let cases: &[(&str, Value)] = &[
        ("States.Array()", json!([])),
        ("States.Array(1, -2, 0)", json!([1, -2, 0])),
        (
            "States.Array(1.5, -0.25, 2e3, 1E-2, 3.0)",
            json!([1.5, -0.25, 2000.0, 0.01, 3.0]),
        ),
        ("States.Array(true, false)", json!([true, false])),
        ("States.Array('a', '', ' ')", json!(["a", "", " "])),
        // Larger than i64: kept as a double.
        ("States.Array(99999999999999999999)", json!([1e20])),
    ];
    for (src, want) in cases {
        assert_eq!(&ok(src), want, "{src}");
    }
    // An integer literal is an integer, a decimal one a decimal (they differ in AWS).
    assert!(ok("States.Array(3)")[0].is_i64());
    assert!(ok("States.Array(3.0)")[0].is_f64());
}

#[test]
fn whitespace_between_tokens_is_ignored() {
    for src in [
        "States.Array(1,2)",
        "States.Array( 1 , 2 )",
        "States.Array(\n\t1,\n 2\n)",
        "  States.Array(1, 2)  ",
        "States . Array (1, 2)",
    ] {
        assert_eq!(ok(src), json!([1, 2]), "{src:?}");
    }
}

#[test]
fn string_escapes() {
    let cases: &[(&str, &str)] = &[
        (r"States.Format('it\'s')", "it's"),
        (r"States.Format('\{\}')", "{}"),
        (r"States.Format('a\\b')", r"a\b"),
        (r"States.Format('trailing \\')", r"trailing \"),
        (r#"States.Format('say \"hi\"')"#, r#"say "hi""#),
        (r"States.Format('tab\tnl\ncr\r')", "tab\tnl\ncr\r"),
        // Raw control characters inside a literal are accepted (recorded AWS case
        // test_escape_sequence has a real newline in the string).
        ("States.Format('line1\nline2')", "line1\nline2"),
        ("States.Format('\u{1F197} é')", "\u{1F197} é"),
        // A lone brace is plain text.
        ("States.Format('a { b } c')", "a { b } c"),
    ];
    for (src, want) in cases {
        assert_eq!(ok(src), json!(want), "{src}");
    }
}

#[test]
fn newline_in_literal_splits_like_aws() {
    // Recorded: States.StringSplit('Hello<LF>World', '<LF>') → ["Hello", "World"].
    assert_eq!(
        ok("States.StringSplit('Hello\nWorld', '\n')"),
        json!(["Hello", "World"])
    );
}

#[test]
fn nested_calls() {
    assert_eq!(
        ok("States.ArrayLength(States.Array(1, States.Array(2, 3), States.UUID()))"),
        json!(3)
    );
    // AWS's documented nine-deep example shape (with literals instead of a path).
    let src = "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(\
        States.ArrayGetItem(States.StringSplit('arn:aws:x/a.b.c/d', '/'), 1), '.'), 0), \
        States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(\
        States.StringSplit('arn:aws:x/a.b.c/d', '/'), 1), '.'), 1), 'z')";
    assert_eq!(ok(src), json!("a.b.z"));
}

#[test]
fn syntax_errors_are_parse_errors() {
    let cases: &[(&str, &str)] = &[
        ("States.Nope()", "unknown intrinsic function 'States.Nope'"),
        ("States.format('x')", "unknown intrinsic function"),
        ("States.Array(1", "missing ')'"),
        ("States.Array(1) x", "unexpected text"),
        ("States.Array(1,)", "unexpected ')'"),
        ("States.Array(1,,2)", "unexpected ','"),
        ("States.Array(1 2)", "expected ',' or ')'"),
        ("States.Array('abc)", "unterminated string"),
        ("States.Array('abc\\')", "unterminated string"),
        (r"States.Array('\q')", "invalid escape"),
        ("States.Array(null)", "unexpected 'n'"),
        ("States.Array(01)", "leading zero"),
        ("States.Array(1.)", "expected a digit"),
        ("States.Array(1e)", "expected a digit"),
        ("States.Array(-)", "expected a digit"),
        ("States.Array(truex)", "unexpected 't'"),
        ("States.Array(\"a\")", "unexpected '\"'"),
        ("States.Array", "expected '('"),
        ("Foo.Array()", "expected a call"),
        ("", "expected a call"),
    ];
    for (src, needle) in cases {
        let reason = parse_err(src);
        assert!(
            reason.contains(needle),
            "{src}: {reason:?} lacks {needle:?}"
        );
    }
}

#[test]
fn argument_counts_are_checked_when_parsing() {
    let cases: &[(&str, &str)] = &[
        (
            "States.Format()",
            "States.Format expects at least 1 argument, got 0",
        ),
        ("States.UUID(1)", "States.UUID expects 0 arguments, got 1"),
        ("States.StringToJson()", "expects 1 argument, got 0"),
        ("States.JsonToString(1, 2)", "expects 1 argument, got 2"),
        (
            "States.ArrayPartition(States.Array())",
            "expects 2 arguments, got 1",
        ),
        (
            "States.ArrayContains(States.Array())",
            "expects 2 arguments",
        ),
        ("States.ArrayRange(1, 2)", "expects 3 arguments, got 2"),
        (
            "States.ArrayGetItem(States.Array(), 1, 2)",
            "expects 2 arguments, got 3",
        ),
        ("States.ArrayLength()", "expects 1 argument"),
        (
            "States.ArrayUnique(States.Array(), 1)",
            "expects 1 argument",
        ),
        ("States.Base64Encode()", "expects 1 argument"),
        ("States.Base64Decode('a', 'b')", "expects 1 argument"),
        ("States.Hash('a')", "expects 2 arguments"),
        ("States.JsonMerge(1, 2)", "expects 3 arguments"),
        (
            "States.MathRandom(1)",
            "States.MathRandom expects 2 to 3 arguments, got 1",
        ),
        (
            "States.MathRandom(1, 2, 3, 4)",
            "expects 2 to 3 arguments, got 4",
        ),
        ("States.MathAdd(1)", "expects 2 arguments"),
        ("States.StringSplit('a')", "expects 2 arguments"),
    ];
    for (src, needle) in cases {
        let reason = parse_err(src);
        assert!(
            reason.contains(needle),
            "{src}: {reason:?} lacks {needle:?}"
        );
    }
    // The error names the source text.
    let e = Intrinsic::parse("States.UUID(1)").expect_err("arity");
    assert_eq!(e.source_text, "States.UUID(1)");
}

#[test]
fn source_is_kept_verbatim() {
    let src = "States.Array( 1 )";
    let f = Intrinsic::parse(src).expect("parses");
    assert_eq!(f.source(), src);
    assert!(!f.uses_context());
    assert!(f.variable_names().is_empty());
}

#[test]
fn java_double_formatting() {
    // Expected strings printed by OpenJDK 17's Double.toString.
    let cases: &[(f64, &str)] = &[
        (1.0, "1.0"),
        (1.1, "1.1"),
        (-2.5, "-2.5"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.0e-5, "1.0E-5"),
        (9_999_999.0, "9999999.0"),
        (1.0e7, "1.0E7"),
        (123_456_789.125, "1.23456789125E8"),
        (1.0e20, "1.0E20"),
        (1.0e21, "1.0E21"),
        (0.1 + 0.2, "0.30000000000000004"),
        (12345.678, "12345.678"),
        (f64::MAX, "1.7976931348623157E308"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
    ];
    for (d, want) in cases {
        assert_eq!(java_double(*d), *want, "{d:e}");
    }
}

#[test]
fn json_text_is_jackson_compact() {
    let v = json!({"a": 1, "b": [1.0, 1e20, 0.5, -3], "c": null, "d": "q\"\\\n\u{1}é", "e": {}});
    assert_eq!(
        to_json_text(&v),
        r#"{"a":1,"b":[1.0,1.0E20,0.5,-3],"c":null,"d":"q\"\\\n\u0001é","e":{}}"#
    );
}

#[test]
fn json_text_escapes_every_control_character_and_prints_integers_whole() {
    let controls: String = (0u8..0x20).map(char::from).collect();
    let text = format!("é{controls}ü\u{7f}\"€\\");
    let expected: String = (0u8..0x20)
        .map(|b| match b {
            0x08 => "\\b".to_owned(),
            0x09 => "\\t".to_owned(),
            0x0A => "\\n".to_owned(),
            0x0C => "\\f".to_owned(),
            0x0D => "\\r".to_owned(),
            b => format!("\\u{b:04X}"),
        })
        .collect();
    assert_eq!(
        to_json_text(&json!([text, u64::MAX, i64::MIN, 0, -7, 10, i64::MAX])),
        format!(
            "[\"é{expected}ü\u{7f}\\\"€\\\\\",{},{},0,-7,10,9223372036854775807]",
            u64::MAX,
            i64::MIN
        )
    );
}

#[test]
fn equality_follows_jackson() {
    assert!(json_eq(&json!(1), &json!(1)));
    assert!(!json_eq(&json!(1), &json!(1.0)));
    assert!(json_eq(&json!(1.5), &json!(1.5)));
    assert!(!json_eq(&json!(0.0), &json!(-0.0)));
    assert!(json_eq(
        &json!({"a": 1, "b": [2]}),
        &json!({"b": [2], "a": 1})
    ));
    assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
    assert!(!json_eq(&json!("1"), &json!(1)));
}

// --- Path and variable arguments: these need crate::jsonpath. ---

#[test]
fn path_arguments_read_the_input() {
    let input = json!({"name": "Arnav", "template": "Hello, my name is {}.",
                       "FunctionInput": {"fst": 1, "snd": [1, 2]}});
    let cases: &[(&str, Value)] = &[
        (
            "States.Format('Hello, my name is {}.', $.name)",
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Format($.template, $.name)",
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
            json!([1, [1, 2]]),
        ),
        ("States.Array($)", json!([input.clone()])),
        ("States.ArrayGetItem($.FunctionInput.snd, 1)", json!(2)),
        ("States.ArrayLength($['FunctionInput']['snd'])", json!(2)),
    ];
    for (src, want) in cases {
        assert_eq!(&run(src, &input).expect(src), want, "{src}");
    }
}

#[test]
fn context_paths_read_the_context_object() {
    let f = Intrinsic::parse("States.Format('{}/{}', $$.Execution.Id, $.x)").expect("parses");
    assert!(f.uses_context());
    let nested = Intrinsic::parse("States.Array(States.Array($$.State.Name))").expect("parses");
    assert!(nested.uses_context());
    let out = f.eval(&json!({"x": 1}), &context(), &mut SplitMix64::new(1));
    assert_eq!(
        out.expect("evaluates"),
        json!("arn:aws:states:us-east-1:1:execution:sm:run/1")
    );
    assert!(!Intrinsic::parse("States.Array($.a)")
        .expect("parses")
        .uses_context());
}

#[test]
fn missing_path_is_a_runtime_error() {
    let e = run("States.Format('{}', $.missing)", &json!({"a": 1})).expect_err("no match");
    assert_eq!(e.error.as_deref(), Some(names::RUNTIME));
    assert_eq!(
        e.cause.as_deref(),
        Some("The JsonPath argument for the field '$.missing' could not be found in the input '{\"a\":1}'")
    );
}

#[test]
fn bad_path_syntax_is_a_parse_error() {
    assert!(parse_err("States.Array($.a[)").contains("unclosed '['"));
    assert!(parse_err("States.Array($.a-b)").contains("expected ',' or ')'"));
}

#[test]
fn bracket_paths_may_hold_quotes_commas_and_spaces() {
    let input = json!({"a b": {"c,d": 5}, "e]": 6});
    assert_eq!(
        run("States.Array($['a b']['c,d'])", &input).expect("ok"),
        json!([5])
    );
    assert_eq!(
        run("States.Array($['e]'])", &input).expect("ok"),
        json!([6])
    );
}

struct Vars(Value);

impl Variables for Vars {
    fn get(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
}

#[test]
fn variable_arguments() {
    let f = Intrinsic::parse("States.Format('{} {} {}', $greeting, $user.name, $greeting)")
        .expect("parses");
    assert_eq!(f.variable_names(), vec!["greeting", "user"]);
    let vars = Vars(json!({"greeting": "hi", "user": {"name": "Ann"}}));
    let out = f.eval_with_variables(&json!({}), &context(), &vars, &mut SplitMix64::new(1));
    assert_eq!(out.expect("evaluates"), json!("hi Ann hi"));
    // Without variables in scope the reference fails at run time.
    let e = f.eval(&json!({}), &context(), &mut SplitMix64::new(1));
    assert_eq!(
        e.expect_err("unbound").error.as_deref(),
        Some(names::RUNTIME)
    );
}
